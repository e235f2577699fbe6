using Dendrite.Tests.TestSupport;

namespace Dendrite.Tests.Ops;

/// <summary>
/// Issue 18's PyTorch conventions, values worked out from PyTorch's documented formulas (derivations in comments): class
/// weights and their weighted mean, weight and pos_weight in the BCE losses, KL divergence in all four reductions.
/// </summary>
public abstract class WeightedLossValueTests : DeviceTests
{
    private const double Tol = 1e-5;
    private static readonly float[] Weights = [0.5f, 2f, 1.25f];

    private static void Close(double[] expected, Tensor actual, double tol = Tol) =>
        Assert.Equal(expected, actual.ToArray().Select(v => (double)v), (a, b) => Math.Abs(a - b) < tol);

    [Fact]
    public void Class_weights_scale_each_sample_and_the_mean_divides_by_the_targets_weights()
    {
        // Row 0: logits [1, 2, 0], class 1: −log softmax = log(e + e² + 1) − 2 = 0.4076060; times w₁ = 2: 0.8152119.
        // Row 1: logits [0, 0, 0], class 2: log 3 = 1.0986123; times w₂ = 1.25: 1.3732654.
        // PyTorch's mean: Σ / (w₁ + w₂) = 2.1884773 / 3.25 = 0.6733776 (not / 2).
        var logits = On(Tensor.FromArray([1f, 2f, 0f, 0f, 0f, 0f], 2, 3)).RequireGrad();
        var target = On(Tensor.FromArray([1f, 2f], 2));
        var weight = On(Tensor.FromArray(Weights, 3));

        Close([0.8152119, 1.3732654], F.CrossEntropy(logits, target, Reduction.None, weight: weight));
        Assert.Equal(2.1884773, F.CrossEntropy(logits, target, Reduction.Sum, weight: weight).Item(), Tol);
        var loss = F.CrossEntropy(logits, target, weight: weight);
        Assert.Equal(0.6733776, loss.Item(), Tol);

        // d/dlogits of row 0 = w₁·(softmax − onehot)/3.25: softmax [0.2447, 0.6652, 0.0900] → [0.1506, −0.2060, 0.0554].
        loss.Backward();
        Close([0.1506021, -0.2060056, 0.0554034], F.Slice(logits.Grad!, 0, 1).Reshape(3));

        // The same through log-softmax and NLLLoss.
        var viaNll = F.NLLLoss(F.LogSoftmax(On(Tensor.FromArray([1f, 2f, 0f, 0f, 0f, 0f], 2, 3)), 1), target, weight: weight);
        Assert.Equal(0.6733776, viaNll.Item(), Tol);
    }

    [Fact]
    public void Ignored_targets_leave_the_weighted_mean_and_smoothing_spreads_the_weights()
    {
        var logits = On(Tensor.FromArray([1f, 2f, 0f, 0f, 0f, 0f], 2, 3));
        var weight = On(Tensor.FromArray(Weights, 3));

        // Row 1 ignored: the mean is row 0's loss over row 0's weight alone, 0.8152119 / 2.
        var ignored = On(Tensor.FromArray([1f, -100f], 2));
        Assert.Equal(0.4076060, F.CrossEntropy(logits, ignored, weight: weight).Item(), Tol);

        // PyTorch with label smoothing ε: (1 − ε)·w_y·(−log p_y) + ε/C·Σ_k w_k·(−log p_k) per sample, the mean still
        // over Σ w_y. ε = 0.1: rows 0.8846415 and 1.3732654, mean 2.2579069 / 3.25 = 0.6947406.
        var target = On(Tensor.FromArray([1f, 2f], 2));
        Close([0.8846415, 1.3732654], F.CrossEntropy(logits, target, Reduction.None, labelSmoothing: 0.1f, weight: weight));
        Assert.Equal(0.6947406, F.CrossEntropy(logits, target, labelSmoothing: 0.1f, weight: weight).Item(), Tol);
    }

    [Fact]
    public void Weighted_probability_targets_average_over_samples_not_weights()
    {
        // PyTorch, probability targets: −Σ_k w_k·q_k·log p_k per sample, the mean over the N samples. One-hot targets
        // give the per-sample values of the index form: [0.8152119, 1.3732654], mean / 2 = 1.0942386.
        var logits = On(Tensor.FromArray([1f, 2f, 0f, 0f, 0f, 0f], 2, 3));
        var target = On(Tensor.FromArray([0f, 1f, 0f, 0f, 0f, 1f], 2, 3));
        var weight = On(Tensor.FromArray(Weights, 3));
        Assert.Equal(1.0942386, F.CrossEntropy(logits, target, weight: weight).Item(), Tol);
    }

    [Fact]
    public void Weighted_nll_loss_and_a_zero_weight_sum()
    {
        // −w_y·input[y]: [0.5·1, 1.25·2.5] = [0.5, 3.125]; mean 3.625 / (0.5 + 1.25) = 2.0714286.
        var input = On(Tensor.FromArray([-1f, -2f, -0.5f, -0.3f, -1.5f, -2.5f], 2, 3)).RequireGrad();
        var target = On(Tensor.FromArray([0f, 2f], 2));
        var weight = On(Tensor.FromArray(Weights, 3));
        Close([0.5, 3.125], F.NLLLoss(input, target, Reduction.None, weight: weight));
        var loss = F.NLLLoss(input, target, weight: weight);
        Assert.Equal(2.0714286, loss.Item(), Tol);
        loss.Backward();
        Close([-0.5 / 1.75, 0, 0, 0, 0, -1.25 / 1.75], input.Grad!);

        // Every target's weight 0: PyTorch's mean is 0/0.
        var zero = On(Tensor.FromArray([0f, 1f, 0f], 3));
        Assert.True(float.IsNaN(F.NLLLoss(input.Detach(), On(Tensor.FromArray([0f, 2f], 2)), weight: zero).Item()));
    }

    [Fact]
    public void Class_weights_of_the_wrong_shape_are_refused_naming_the_op()
    {
        var logits = On(Tensor.Zeros(2, 3));
        var target = On(Tensor.FromArray([1f, 2f], 2));
        var e = Assert.Throws<ShapeMismatchException>(() => F.CrossEntropy(logits, target, weight: On(Tensor.Ones(4))));
        Assert.Contains("CrossEntropy: weight must hold one value per class, shape [3]", e.Message);
        e = Assert.Throws<ShapeMismatchException>(() => F.NLLLoss(logits, target, weight: On(Tensor.Ones(3, 1))));
        Assert.Contains("NLLLoss: weight", e.Message);
    }

    [Fact]
    public void Bce_weight_rescales_elements_and_the_mean_counts_elements()
    {
        // −w·(t log p + (1 − t) log(1 − p)): [−2·log 0.8, −0.5·log 0.9] = [0.4462871, 0.0526803]; mean / 2.
        var p = On(Tensor.FromArray([0.2f, 0.9f], 2));
        var t = On(Tensor.FromArray([0f, 1f], 2));
        var w = On(Tensor.FromArray([2f, 0.5f], 2));
        Close([0.4462871, 0.0526803], F.BCELoss(p, t, Reduction.None, weight: w));
        Assert.Equal(0.2494837, F.BCELoss(p, t, weight: w).Item(), Tol);
        // On logits σ⁻¹(0.2) = log(0.25), σ⁻¹(0.9) = log 9: the same values.
        var logits = On(Tensor.FromArray([MathF.Log(0.25f), MathF.Log(9f)], 2));
        Assert.Equal(0.2494837, F.BCEWithLogitsLoss(logits, t, weight: w).Item(), Tol);

        var e = Assert.Throws<ShapeMismatchException>(() => F.BCELoss(p, t, weight: On(Tensor.Ones(2, 2))));
        Assert.Contains("BCELoss: weight of shape [2, 2] must broadcast to the input's shape [2]", e.Message);
    }

    [Fact]
    public void Pos_weight_weighs_the_positive_term_per_class_and_stays_finite()
    {
        // −(p·t·log σ(x) + (1 − t)·log(1 − σ(x))), p broadcast over the last (class) dimension [3, 3, 0.5]:
        // x = 0.5, t = 1: −3·log σ(0.5) = 1.4222310; x = −1, t = 0: −log(1 − σ(−1)) = 0.3132617;
        // x = 2, t = 1: −0.5·log σ(2) = 0.0634640.
        var x = On(Tensor.FromArray([0.5f, -1f, 2f, 0.5f, -1f, 2f], 2, 3)).RequireGrad();
        var t = On(Tensor.FromArray([1f, 0f, 1f, 1f, 0f, 1f], 2, 3));
        var posWeight = On(Tensor.FromArray([3f, 3f, 0.5f], 3));
        Close([1.4222310, 0.3132617, 0.0634640, 1.4222310, 0.3132617, 0.0634640],
            F.BCEWithLogitsLoss(x, t, Reduction.None, posWeight: posWeight));

        // d/dx = (1 − t) − (1 + (p − 1)t)·(1 − σ(x)): x = 0.5, t = 1, p = 3: −3·(1 − 0.6224593) = −1.1326222.
        F.BCEWithLogitsLoss(x, t, Reduction.Sum, posWeight: posWeight).Backward();
        Assert.Equal(-1.1326222, x.Grad!.ToArray()[0], Tol);

        // Logits of ±100 overflow neither e^x nor log σ: (1 − t)·x + l·softplus(−x) = 100 and 2·100.
        var extreme = On(Tensor.FromArray([100f, -100f], 2));
        Close([100, 200], F.BCEWithLogitsLoss(extreme, On(Tensor.FromArray([0f, 1f], 2)), Reduction.None,
            posWeight: On(Tensor.FromArray([2f], 1))), 1e-4);
    }

    [Fact]
    public void Kl_divergence_in_all_four_reductions()
    {
        // input = log q with q rows [0.25, 0.75]; target p rows [0.5, 0.5] and [0, 1]. Pointwise p·(log p − log q), 0
        // where p = 0: [0.5 ln 2, 0.5 ln(2/3), 0, −ln 0.75] = [0.3465736, −0.2027326, 0, 0.2876821]; sum 0.4315231,
        // mean over 4 elements 0.1078808, batchmean over 2 rows 0.2157616.
        var input = On(Tensor.FromArray([MathF.Log(0.25f), MathF.Log(0.75f), MathF.Log(0.25f), MathF.Log(0.75f)], 2, 2)).RequireGrad();
        var target = On(Tensor.FromArray([0.5f, 0.5f, 0f, 1f], 2, 2));
        Close([0.3465736, -0.2027326, 0, 0.2876821], F.KLDivLoss(input, target, Reduction.None));
        Assert.Equal(0.4315231, F.KLDivLoss(input, target, Reduction.Sum).Item(), Tol);
        Assert.Equal(0.1078808, F.KLDivLoss(input, target).Item(), Tol); // PyTorch's default: mean
        var batchMean = F.KLDivLoss(input, target, Reduction.BatchMean);
        Assert.Equal(0.2157616, batchMean.Item(), Tol);
        // d/dinput = −p / batch.
        batchMean.Backward();
        Close([-0.25, -0.25, 0, -0.5], input.Grad!);

        // log_target: the target given as log p gives the same divergence (where p > 0).
        var logTarget = On(Tensor.FromArray([MathF.Log(0.5f), MathF.Log(0.5f)], 1, 2));
        var firstRow = On(Tensor.FromArray([MathF.Log(0.25f), MathF.Log(0.75f)], 1, 2));
        Assert.Equal(0.3465736 - 0.2027326, F.KLDivLoss(firstRow, logTarget, Reduction.Sum, logTarget: true).Item(), Tol);
        Assert.Equal(0.3465736 - 0.2027326, F.KLDivLoss(firstRow, logTarget, Reduction.BatchMean, logTarget: true).Item(), Tol);
    }

    [Fact]
    public void Batch_mean_is_refused_by_every_loss_but_kl_divergence()
    {
        var x = On(Tensor.FromArray([0.2f, 0.7f], 2));
        var e = Assert.Throws<ArgumentException>(() => F.MSELoss(x, x, Reduction.BatchMean));
        Assert.Contains("MSELoss: reduction BatchMean is only defined for KLDivLoss", e.Message);
        Assert.Throws<ArgumentException>(() => F.BCELoss(x, x, Reduction.BatchMean));
        Assert.Throws<ArgumentException>(() => F.CrossEntropy(On(Tensor.Zeros(1, 2)), On(Tensor.Zeros(1)), Reduction.BatchMean));
    }
}

public sealed class WeightedLossValueTestsOnCpu : WeightedLossValueTests
{
    protected override Device Device => Device.Cpu;
}

public sealed class WeightedLossValueTestsOnReference : WeightedLossValueTests
{
    protected override Device Device => Device.Reference;
}
