namespace Dendrite.Autograd;

/// <summary>
/// The define-by-run tape: ops record a <see cref="Node"/> on their output as they run, and
/// <see cref="Backward"/> walks those nodes in reverse topological order.
/// </summary>
public static class Tape
{
    /// <summary>
    /// Records <paramref name="output"/> as made by <paramref name="op"/> from <paramref name="inputs"/>, unless recording is off
    /// or no input requires a gradient; then it returns the output untouched. The backward closure receives dL/d(output)
    /// and returns one gradient per input, shaped like it, or null for inputs that need none.
    /// </summary>
    public static Tensor Record(Tensor output, string op, Tensor[] inputs, Func<Tensor, Tensor?[]> backward)
    {
        if (!GradMode.IsEnabled) return output;
        bool any = false;
        foreach (var t in inputs) any |= t.RequiresGrad;
        if (!any) return output;
        output.MarkRecorded(new Node(op, inputs, backward));
        return output;
    }

    internal static void Backward(Tensor root, Tensor? gradient, bool retainGraph)
    {
        if (!root.RequiresGrad)
            throw new InvalidOperationException($"Backward: the tensor of shape {root.Shape} does not require grad and has no GradFn; nothing to differentiate.");
        if (gradient is null)
        {
            if (root.Numel != 1)
                throw new InvalidOperationException($"Backward: gradient can be implied only for one-element outputs; this one has shape {root.Shape}. Pass an explicit gradient.");
            gradient = Tensor.Full(root.Shape, 1f, root.Device);
        }
        else if (gradient.Shape != root.Shape)
        {
            throw new ShapeMismatchException($"Backward: gradient shape {gradient.Shape} does not match output shape {root.Shape}.");
        }

        using var _ = GradMode.Set(false); // backward closures compute plain values, not new graph
        if (root.GradFn is null)
        {
            AccumulateLeaf(root, gradient);
            if (root.HasGradHooks) root.RunGradHooks();
            return;
        }

        var order = TopologicalOrder(root.GradFn);
        int pass = Tensor.AnyGradHooks ? CountHookedContributions(order) : 0;
        var pending = new Dictionary<Node, Tensor>(ReferenceEqualityComparer.Instance) { [root.GradFn] = gradient };
        for (int n = order.Count - 1; n >= 0; n--)
        {
            var node = order[n];
            if (!pending.Remove(node, out var dy))
            {
                // No gradient reached it: its edges to hooked leaves will bring nothing, so stop waiting for them.
                if (pass != 0) foreach (var input in node.Inputs) input.ContributionDone(pass);
                continue;
            }
            var inputs = node.Inputs;
            var grads = node.BackwardFn!(dy);
            if (grads.Length != inputs.Length)
                throw new InvalidOperationException($"Backward of {node.Op}: returned {grads.Length} gradients for {inputs.Length} inputs.");
            for (int i = 0; i < inputs.Length; i++)
            {
                var input = inputs[i];
                var g = grads[i];
                if (g is null || !input.RequiresGrad)
                {
                    if (pass != 0) input.ContributionDone(pass);
                    continue;
                }
                if (g.Shape != input.Shape)
                    throw new InvalidOperationException($"Backward of {node.Op}: gradient for input {i} has shape {g.Shape}, expected {input.Shape}.");
                if (input.GradFn is { } producer)
                    pending[producer] = pending.TryGetValue(producer, out var sum) ? Sum(sum, g) : g;
                else
                {
                    AccumulateLeaf(input, g);
                    if (pass != 0) input.ContributionDone(pass);
                }
            }
            if (!retainGraph) node.Release();
        }
    }

    // Post-accumulate-grad hooks fire when a leaf's last contribution of the pass has been added: count, per hooked
    // leaf, the edges of this pass's graph that end at it. The pass number marks which counts are current.
    private static int CountHookedContributions(List<Node> order)
    {
        int pass = Tensor.NewBackwardPass();
        bool any = false;
        foreach (var node in order)
            foreach (var input in node.Inputs)
            {
                if (!input.HasGradHooks) continue;
                input.ExpectContribution(pass);
                any = true;
            }
        return any ? pass : 0;
    }

    /// <summary>
    /// A tensor for a backward function to write <paramref name="input"/>'s gradient into: for a leaf whose gradient
    /// <c>ZeroGrad()</c> released, that buffer, which the tape then adopts as <see cref="Tensor.Grad"/> without a copy
    /// (a dense layer's weight gradient is megabytes); otherwise a fresh tensor.
    /// </summary>
    internal static Tensor NewGradient(Tensor input)
    {
        if (input.GradFn is null && input.Grad is null && input.GradInProgress is null && input.TakeSpareGrad() is { } spare)
        {
            input.GradInProgress = spare;
            return spare;
        }
        return Tensor.Empty(input.Shape, input.Device);
    }

    private static void AccumulateLeaf(Tensor leaf, Tensor g)
    {
        if (leaf.GradInProgress is { } adopted && ReferenceEquals(adopted, g))
        {
            leaf.GradInProgress = null;
            if (leaf.Grad is null)
            {
                leaf.Grad = g;
                return;
            }
        }
        // g may alias another tensor, or live in a TensorScope's recycled storage: keep a copy in ordinary memory,
        // in the buffer ZeroGrad released when there is one.
        if (leaf.Grad is null)
        {
            var buffer = leaf.TakeSpareGrad();
            if (buffer is not null) g.Backend.Copy(g.Storage, buffer.Storage);
            leaf.Grad = buffer ?? TensorScope.Outside(g.Clone);
        }
        else leaf.Backend.Accumulate(leaf.Grad.Storage, g.Storage);
    }

    // Out of place: either gradient may alias a tensor that another node still reads.
    private static Tensor Sum(Tensor a, Tensor b)
    {
        var s = Tensor.Empty(a.Shape, a.Device);
        a.Backend.Binary(Backends.BinaryOp.Add, a.Storage, a.Shape.AsSpan(), b.Storage, b.Shape.AsSpan(), s.Storage, a.Shape.AsSpan());
        return s;
    }

    private static List<Node> TopologicalOrder(Node root)
    {
        var order = new List<Node>();
        var visited = new HashSet<Node>(ReferenceEqualityComparer.Instance);
        var stack = new Stack<(Node Node, int NextInput)>();
        CheckNotReleased(root);
        visited.Add(root);
        stack.Push((root, 0));
        while (stack.Count > 0)
        {
            var (node, next) = stack.Pop();
            if (next < node.Inputs.Length)
            {
                stack.Push((node, next + 1));
                if (node.Inputs[next].GradFn is { } child && visited.Add(child))
                {
                    CheckNotReleased(child);
                    stack.Push((child, 0));
                }
            }
            else
            {
                order.Add(node); // post-order: inputs before the node that reads them
            }
        }
        return order;
    }

    private static void CheckNotReleased(Node node)
    {
        if (node.Released)
            throw new InvalidOperationException(
                $"Backward: trying to backward through the graph a second time; its node {node.Op} was released by the first Backward(). " +
                "Pass retainGraph: true to the first Backward() if you need to backward twice.");
    }
}
