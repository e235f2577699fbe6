namespace Dendrite.Autograd;

/// <summary>
/// One recorded operation on the tape: the inputs it read and how to turn the gradient of its output into
/// gradients of those inputs. A tensor made by a recorded op points to its node through <see cref="Tensor.GradFn"/>.
/// </summary>
public sealed class Node
{
    internal Node(string op, Tensor[] inputs, Func<Tensor, Tensor?[]> backward)
    {
        Op = op;
        Inputs = inputs;
        BackwardFn = backward;
    }

    /// <summary>The op's name, as shown in errors and in <see cref="Tensor.ToString"/>.</summary>
    public string Op { get; }

    internal Tensor[] Inputs { get; private set; }
    internal Func<Tensor, Tensor?[]>? BackwardFn { get; private set; }

    /// <summary>True once a backward pass went through this node without retaining the graph.</summary>
    public bool Released => BackwardFn is null;

    /// <summary>Drops the inputs and saved tensors so their memory can be reclaimed.</summary>
    internal void Release()
    {
        Inputs = [];
        BackwardFn = null;
    }
}
