using System.Globalization;

namespace Dendrite.NN;

/// <summary>
/// What <see cref="RNN"/>, <see cref="LSTM"/> and <see cref="GRU"/> share, as <c>torch.nn.RNNBase</c>: the sizes, the
/// stacked layers and directions, and the parameters under PyTorch's names (weight_ih_l0, weight_hh_l0, bias_ih_l0,
/// bias_hh_l0, then …_reverse for the second direction, then layer 1…), so state dicts move between the two.
/// </summary>
/// <remarks>
/// Shapes (G gates: 1 RNN, 4 LSTM, 3 GRU; D = 2 when bidirectional): weight_ih_l0 [G·H, I], weight_ih_lk [G·H, D·H]
/// above the first layer, weight_hh_lk [G·H, H], biases [G·H]. Init: every parameter ~ U(−1/√H, 1/√H), PyTorch's.
/// </remarks>
public abstract class RNNBase : Module
{
    private readonly List<Parameter> _flatWeights = [];

    private protected RNNBase(int gates, int inputSize, int hiddenSize, int numLayers, bool bias, bool batchFirst,
        float dropout, bool bidirectional, Generator? generator)
    {
        string name = GetType().Name;
        InputSize = inputSize > 0 ? inputSize : throw new ArgumentOutOfRangeException(nameof(inputSize), $"{name}: inputSize must be positive, got {inputSize}.");
        HiddenSize = hiddenSize > 0 ? hiddenSize : throw new ArgumentOutOfRangeException(nameof(hiddenSize), $"{name}: hiddenSize must be positive, got {hiddenSize}.");
        NumLayers = numLayers > 0 ? numLayers : throw new ArgumentOutOfRangeException(nameof(numLayers), $"{name}: numLayers must be positive, got {numLayers}.");
        if (!(dropout >= 0f && dropout <= 1f))
            throw new ArgumentOutOfRangeException(nameof(dropout), $"{name}: dropout must be in [0, 1], got {dropout}.");
        (Bias, BatchFirst, Dropout, Bidirectional) = (bias, batchFirst, dropout, bidirectional);
        for (int layer = 0; layer < numLayers; layer++)
            for (int d = 0; d < Directions; d++)
            {
                string suffix = string.Create(CultureInfo.InvariantCulture, $"_l{layer}{(d == 1 ? "_reverse" : "")}");
                int layerInput = layer == 0 ? inputSize : Directions * hiddenSize;
                _flatWeights.Add(AddParameter("weight_ih" + suffix, new Shape(gates * hiddenSize, layerInput)));
                _flatWeights.Add(AddParameter("weight_hh" + suffix, new Shape(gates * hiddenSize, hiddenSize)));
                if (bias)
                {
                    _flatWeights.Add(AddParameter("bias_ih" + suffix, new Shape(gates * hiddenSize)));
                    _flatWeights.Add(AddParameter("bias_hh" + suffix, new Shape(gates * hiddenSize)));
                }
            }
        ResetParameters(generator);
    }

    public int InputSize { get; }
    public int HiddenSize { get; }
    public int NumLayers { get; }
    public bool Bias { get; }

    /// <summary>Inputs and outputs are [N, T, features] instead of [T, N, features]. States stay [L·D, N, H].</summary>
    public bool BatchFirst { get; }

    /// <summary>Dropout probability on the outputs of every layer but the last, in training mode.</summary>
    public float Dropout { get; }

    public bool Bidirectional { get; }

    /// <summary>1, or 2 when bidirectional.</summary>
    public int Directions => Bidirectional ? 2 : 1;

    /// <summary>The parameters in PyTorch's <c>_flat_weights</c> order, as <see cref="F.LSTM"/> and its kin take them.</summary>
    public IReadOnlyList<Tensor> FlatWeights => _flatWeights;

    /// <summary>Every parameter ~ U(−1/√H, 1/√H), as PyTorch's <c>reset_parameters</c>.</summary>
    public void ResetParameters(Generator? generator = null)
    {
        float bound = 1f / MathF.Sqrt(HiddenSize);
        foreach (var p in _flatWeights) Init.Uniform(p, -bound, bound, generator);
    }

    /// <summary>The output at every step, [T, N, D·H] (batch_first [N, T, D·H]), from zero initial states.</summary>
    public override Tensor Forward(Tensor input) => Run(input, null, null, null).Output;

    private protected abstract RnnOutput Run(Tensor input, Tensor? h0, Tensor? c0, Tensor? mask);

    /// <summary>The input's features must be <see cref="InputSize"/>: checked here so the error names the layer.</summary>
    private protected Tensor CheckInput(Tensor input)
    {
        if (input.Rank is 2 or 3 && input.Shape[-1] == InputSize) return input;
        throw new ShapeMismatchException(
            $"{GetType().Name}({InputSize}, {HiddenSize}): expected input {(BatchFirst ? "[N, T, " : "[T, N, ")}{InputSize}] or unbatched [T, {InputSize}], got {input.Shape}.");
    }

    protected override string ExtraRepr()
    {
        var parts = new List<string> { $"{InputSize}, {HiddenSize}" };
        if (NumLayers != 1) parts.Add($"num_layers={NumLayers}");
        if (!Bias) parts.Add("bias=False");
        if (BatchFirst) parts.Add("batch_first=True");
        if (Dropout != 0) parts.Add(string.Create(CultureInfo.InvariantCulture, $"dropout={Dropout}"));
        if (Bidirectional) parts.Add("bidirectional=True");
        return string.Join(", ", parts);
    }
}
