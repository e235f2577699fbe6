namespace Dendrite.NN;

/// <summary>
/// One step of a recurrent network, as PyTorch's <c>RNNCell</c>, <c>LSTMCell</c> and <c>GRUCell</c>: you write the loop
/// over time yourself. Parameters weight_ih [G·H, I], weight_hh [G·H, H], bias_ih, bias_hh [G·H], ~ U(−1/√H, 1/√H).
/// A step runs the same fused kernels as the full layers (a sequence of length 1).
/// </summary>
public abstract class RecurrentCellBase : Module
{
    private protected RecurrentCellBase(int gates, int inputSize, int hiddenSize, bool bias, Generator? generator)
    {
        string name = GetType().Name;
        InputSize = inputSize > 0 ? inputSize : throw new ArgumentOutOfRangeException(nameof(inputSize), $"{name}: inputSize must be positive, got {inputSize}.");
        HiddenSize = hiddenSize > 0 ? hiddenSize : throw new ArgumentOutOfRangeException(nameof(hiddenSize), $"{name}: hiddenSize must be positive, got {hiddenSize}.");
        var weights = new List<Tensor>
        {
            AddParameter("weight_ih", new Shape(gates * hiddenSize, inputSize)),
            AddParameter("weight_hh", new Shape(gates * hiddenSize, hiddenSize)),
        };
        if (bias)
        {
            weights.Add(AddParameter("bias_ih", new Shape(gates * hiddenSize)));
            weights.Add(AddParameter("bias_hh", new Shape(gates * hiddenSize)));
        }
        Weights = weights;
        float bound = 1f / MathF.Sqrt(hiddenSize);
        foreach (var w in weights) Init.Uniform(w, -bound, bound, generator);
    }

    public int InputSize { get; }
    public int HiddenSize { get; }

    /// <summary>weight_ih, weight_hh and the biases if any, in the order <see cref="F.LSTM"/> and its kin take them.</summary>
    public IReadOnlyList<Tensor> Weights { get; }

    /// <summary>The next hidden state [N, H] from x [N, I] (or unbatched [I]) and zeros.</summary>
    public override Tensor Forward(Tensor input) => Step(input, null, null).H;

    /// <summary>Runs one step as a sequence of length 1; returns h' (and c' for LSTM) shaped like the input's batch.</summary>
    private protected RnnOutput Step(Tensor input, Tensor? h, Tensor? c)
    {
        if (input.Rank is not (1 or 2) || input.Shape[-1] != InputSize)
            throw new ShapeMismatchException($"{GetType().Name}({InputSize}, {HiddenSize}): expected input [N, {InputSize}] or [{InputSize}], got {input.Shape}.");
        bool unbatched = input.Rank == 1;
        int batch = unbatched ? 1 : input.Shape[0];
        var state = unbatched ? new Shape(HiddenSize) : new Shape(batch, HiddenSize);
        foreach (var (name, s) in new[] { ("h", h), ("c", c) })
            if (s is not null && s.Shape != state)
                throw new ShapeMismatchException($"{GetType().Name}({InputSize}, {HiddenSize}): {name} must have shape {state}, got {s.Shape}.");
        var r = Run(F.Reshape(input, 1, batch, InputSize), Lift(h, batch), Lift(c, batch));
        return new RnnOutput(r.Output, F.Reshape(r.H, state.ToArray()), r.C is null ? null : F.Reshape(r.C, state.ToArray()));
    }

    private Tensor? Lift(Tensor? state, int batch) => state is null ? null : F.Reshape(state, 1, batch, HiddenSize);

    private protected abstract RnnOutput Run(Tensor x, Tensor? h0, Tensor? c0);

    protected override string ExtraRepr() => $"{InputSize}, {HiddenSize}{(Weights.Count == 2 ? ", bias=False" : "")}";
}
