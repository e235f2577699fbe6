namespace Dendrite.NN;

/// <summary>
/// Batch normalisation per channel (<see cref="F.BatchNorm"/>), the shared body of <see cref="BatchNorm1d"/> and
/// <see cref="BatchNorm2d"/>: learnable weight (γ, ones) and bias (β, zeros), and buffers running_mean (zeros),
/// running_var (ones) and num_batches_tracked, named as in PyTorch's state_dict.
/// </summary>
public abstract class BatchNormBase : Module
{
    protected BatchNormBase(int numFeatures, float eps, float momentum, bool affine, bool trackRunningStats)
    {
        if (numFeatures < 1) throw new ArgumentOutOfRangeException(nameof(numFeatures), $"{GetType().Name}: numFeatures must be positive, got {numFeatures}.");
        (NumFeatures, Eps, Momentum) = (numFeatures, eps, momentum);
        if (affine)
        {
            Weight = AddParameter("weight", new Parameter(Tensor.Ones(numFeatures)));
            Bias = AddParameter("bias", new Parameter(Tensor.Zeros(numFeatures)));
        }
        if (trackRunningStats)
        {
            RunningMean = AddBuffer("running_mean", Tensor.Zeros(numFeatures));
            RunningVar = AddBuffer("running_var", Tensor.Ones(numFeatures));
            NumBatchesTracked = AddBuffer("num_batches_tracked", Tensor.Zeros([]));
        }
    }

    public int NumFeatures { get; }
    public float Eps { get; }
    public float Momentum { get; }
    public Parameter? Weight { get; }
    public Parameter? Bias { get; }
    public Tensor? RunningMean { get; }
    public Tensor? RunningVar { get; }
    /// <summary>Training steps seen (PyTorch keeps it as int64; here a float, exact to 2²⁴ steps).</summary>
    public Tensor? NumBatchesTracked { get; }

    /// <summary>The input ranks this layer accepts and how it describes them ("[N, C, H, W]").</summary>
    protected abstract (int[] Ranks, string Layout) Accepts { get; }

    /// <summary>Throws, naming the layer, unless <paramref name="input"/> has an accepted rank and NumFeatures channels.</summary>
    protected void CheckInput(Tensor input)
    {
        var (ranks, layout) = Accepts;
        if (!ranks.Contains(input.Rank) || input.Shape[1] != NumFeatures)
            throw new ShapeMismatchException($"{this}: expected input {layout.Replace("C", NumFeatures.ToString(System.Globalization.CultureInfo.InvariantCulture))}, got {input.Shape}.");
    }

    public override Tensor Forward(Tensor input)
    {
        CheckInput(input);
        // Without running statistics the batch's own are used in eval mode too, as in PyTorch.
        bool useBatchStatistics = Training || RunningMean is null;
        if (Training && NumBatchesTracked is not null) NumBatchesTracked.Data[0] += 1;
        return F.BatchNorm(input, RunningMean, RunningVar, Weight, Bias, useBatchStatistics, Momentum, Eps);
    }

    protected override string ExtraRepr() =>
        $"{NumFeatures}, eps={Eps}, momentum={Momentum}, affine={(Weight is not null ? "True" : "False")}, track_running_stats={(RunningMean is not null ? "True" : "False")}";
}

/// <summary>Batch normalisation of [N, C] features or [N, C, L] sequences.</summary>
public sealed class BatchNorm1d(int numFeatures, double eps = 1e-5, double momentum = 0.1, bool affine = true, bool trackRunningStats = true)
    : BatchNormBase(numFeatures, (float)eps, (float)momentum, affine, trackRunningStats)
{
    protected override (int[] Ranks, string Layout) Accepts => ([2, 3], "[N, C] or [N, C, L]");
}

/// <summary>Batch normalisation of [N, C, H, W] feature maps, one mean and variance per channel.</summary>
public sealed class BatchNorm2d(int numFeatures, double eps = 1e-5, double momentum = 0.1, bool affine = true, bool trackRunningStats = true)
    : BatchNormBase(numFeatures, (float)eps, (float)momentum, affine, trackRunningStats)
{
    protected override (int[] Ranks, string Layout) Accepts => ([4], "[N, C, H, W]");
}

/// <summary>
/// Layer normalisation over the trailing <c>normalizedShape</c> (<see cref="F.LayerNorm"/>), with an
/// elementwise weight (ones) and bias (zeros) of that shape when <c>elementwiseAffine</c>.
/// </summary>
public sealed class LayerNorm : Module
{
    public LayerNorm(int[] normalizedShape, float eps = 1e-5f, bool elementwiseAffine = true)
    {
        if (normalizedShape.Length == 0 || normalizedShape.Any(d => d < 1))
            throw new ArgumentException($"LayerNorm: normalizedShape must be non-empty with positive sizes, got {new Shape(normalizedShape)}.");
        (NormalizedShape, Eps) = (normalizedShape.ToArray(), eps);
        if (elementwiseAffine)
        {
            Weight = AddParameter("weight", new Parameter(Tensor.Ones(normalizedShape)));
            Bias = AddParameter("bias", new Parameter(Tensor.Zeros(normalizedShape)));
        }
    }

    public LayerNorm(int normalizedSize, float eps = 1e-5f, bool elementwiseAffine = true) : this([normalizedSize], eps, elementwiseAffine) { }

    public int[] NormalizedShape { get; }
    public float Eps { get; }
    public Parameter? Weight { get; }
    public Parameter? Bias { get; }

    public override Tensor Forward(Tensor input) => F.LayerNorm(input, NormalizedShape, Weight, Bias, Eps);
    protected override string ExtraRepr() => $"{new Shape(NormalizedShape)}, eps={Eps}, elementwise_affine={(Weight is not null ? "True" : "False")}";
}
