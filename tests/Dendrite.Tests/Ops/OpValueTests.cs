using Dendrite.Tests.TestSupport;

namespace Dendrite.Tests.Ops;

/// <summary>
/// Forward values worked out by hand (derivations in comments) and seeded properties of a few ops, on each test device.
/// </summary>
public abstract class OpValueTests : DeviceTests
{
    private const double Tol = 1e-6;

    [Fact]
    public void Softmax_rows_sum_to_one_and_ignore_a_shift()
    {
        var g = new Generator(7);
        for (int trial = 0; trial < 20; trial++)
        {
            var x = On(Tensor.Randn(new Shape(4, 5), g));
            var y = F.Softmax(x, 1);
            var rowSums = F.Sum(y, 1).ToArray();
            Assert.All(rowSums, s => Assert.Equal(1.0, s, Tol));
            Assert.All(y.ToArray(), p => Assert.InRange(p, 0f, 1f));

            float shift = 100f * g.NextFloat() - 50f;
            var shifted = F.Softmax(F.Add(x, shift), 1).ToArray();
            Assert.Equal(y.ToArray(), shifted, (a, b) => Math.Abs(a - b) < 1e-6);
        }
    }

    [Fact]
    public void Softmax_is_stable_for_large_logits_and_matches_log_softmax()
    {
        // Without the max shift e^1000 overflows; shifted, [1000, 1001] behaves like [0, 1]: 1/(1+e), e/(1+e).
        var y = F.Softmax(On(Tensor.FromArray([1000f, 1001f], 1, 2)), 1).ToArray();
        Assert.Equal(0.2689414, y[0], Tol);
        Assert.Equal(0.7310586, y[1], Tol);
        var logY = F.LogSoftmax(On(Tensor.FromArray([1000f, 1001f], 1, 2)), 1).ToArray();
        Assert.Equal(Math.Log(0.2689414213699951), logY[0], 1e-5);
        Assert.Equal(Math.Log(0.7310585786300049), logY[1], 1e-5);
    }

    [Fact]
    public void CrossEntropy_of_a_two_class_example_matches_the_hand_computation()
    {
        // Row 0: logits [1, 2], class 0. softmax = [1/(1+e), e/(1+e)] = [0.2689414, 0.7310586];
        //        loss = −log(1/(1+e)) = log(1 + e) = 1.3132617. d/dlogits = softmax − onehot = [−0.7310586, 0.7310586].
        // Row 1: logits [0, 0], class 1. softmax = [0.5, 0.5]; loss = log 2 = 0.6931472; d/dlogits = [0.5, −0.5].
        // Mean = (1.3132617 + 0.6931472) / 2 = 1.0032044, and its gradient is each row's halved.
        var logits = On(Tensor.FromArray([1f, 2f, 0f, 0f], 2, 2)).RequireGrad();
        var target = On(Tensor.FromArray([0f, 1f], 2));

        var perSample = F.CrossEntropy(logits, target, Reduction.None).ToArray();
        Assert.Equal(1.3132617, perSample[0], Tol);
        Assert.Equal(0.6931472, perSample[1], Tol);

        var loss = F.CrossEntropy(logits, target);
        Assert.Equal(1.0032044, loss.Item(), Tol);
        loss.Backward();
        var expected = new[] { -0.7310586 / 2, 0.7310586 / 2, 0.25, -0.25 };
        Assert.Equal(expected, logits.Grad!.ToArray().Select(v => (double)v), (a, b) => Math.Abs(a - b) < Tol);
    }

    [Fact]
    public void CrossEntropy_with_label_smoothing_mixes_in_the_uniform_target()
    {
        // ε = 0.2 over C = 2: q = 0.8·[1, 0] + 0.1 = [0.9, 0.1]. With log p = [−1.3132617, −0.3132617] (logits [1, 2]):
        // loss = 0.9·1.3132617 + 0.1·0.3132617 = 1.2132617.
        var loss = F.CrossEntropy(On(Tensor.FromArray([1f, 2f], 1, 2)), On(Tensor.FromArray([0f], 1)),
            labelSmoothing: 0.2f);
        Assert.Equal(1.2132617, loss.Item(), Tol);
        // The same target given as probabilities [0.9, 0.1] gives the same loss.
        var probabilities = F.CrossEntropy(On(Tensor.FromArray([1f, 2f], 1, 2)),
            On(Tensor.FromArray([0.9f, 0.1f], 1, 2)));
        Assert.Equal(1.2132617, probabilities.Item(), Tol);
    }

    [Theory]
    [InlineData(1f, 0.8413447, 0.8411920)]
    [InlineData(0f, 0.0, 0.0)]
    [InlineData(-1f, -0.1586553, -0.1588080)]
    [InlineData(0.5f, 0.3457312, 0.3457140)]
    [InlineData(2f, 1.9544997, 1.9545977)]
    [InlineData(-3f, -0.0040497, -0.0036374)]
    public void GELU_matches_known_values(float x, double exact, double tanhApproximation)
    {
        // exact: x·Φ(x) = 0.5x(1 + erf(x/√2)); Φ(1) = 0.8413447 is the standard normal CDF at 1.
        // tanh: 0.5x(1 + tanh(√(2/π)(x + 0.044715x³))), PyTorch's approximate="tanh".
        var t = On(Tensor.FromArray([x], 1));
        Assert.Equal(exact, F.GELU(t).Item(), Tol);
        Assert.Equal(tanhApproximation, F.GELU(t, "tanh").Item(), Tol);
    }

    [Fact]
    public void SmoothL1_and_Huber_follow_their_pieces()
    {
        // d = input − target = [0.5, 2, −3].
        var input = On(Tensor.FromArray([0.5f, 2f, -3f], 3));
        var target = On(Tensor.Zeros(3));

        // β = δ = 1: quadratic 0.5·0.25 = 0.125 inside; |d| − 0.5 = 1.5 and 2.5 outside. The two losses coincide.
        Assert.Equal([0.125f, 1.5f, 2.5f], F.SmoothL1Loss(input, target, Reduction.None).ToArray());
        Assert.Equal([0.125f, 1.5f, 2.5f], F.HuberLoss(input, target, Reduction.None).ToArray());
        Assert.Equal(4.125, F.SmoothL1Loss(input, target, Reduction.Sum).Item(), Tol);
        Assert.Equal(1.375, F.HuberLoss(input, target).Item(), Tol);

        // β = 2: 0.5·d²/β = 0.0625; at |d| = β = 2 both pieces give 1; |d| − β/2 = 3 − 1 = 2.
        Assert.Equal([0.0625f, 1f, 2f], F.SmoothL1Loss(input, target, Reduction.None, beta: 2f).ToArray());
        // δ = 2: 0.5·d² = 0.125 and 0.5·4 = 2 inside; δ(|d| − δ/2) = 2·(3 − 1) = 4 outside. Huber = δ·SmoothL1(β = δ).
        Assert.Equal([0.125f, 2f, 4f], F.HuberLoss(input, target, Reduction.None, delta: 2f).ToArray());
    }

    [Fact]
    public void BCE_clamps_the_log_at_minus_100()
    {
        // −log(0) is infinite; PyTorch clamps each log at −100, so a confident wrong answer costs exactly 100.
        var p = On(Tensor.FromArray([0f, 1f, 0f, 1f], 4));
        var t = On(Tensor.FromArray([1f, 0f, 0f, 1f], 4));
        Assert.Equal([100f, 100f, 0f, 0f], F.BCELoss(p, t, Reduction.None).ToArray());
        Assert.Equal(50.0, F.BCELoss(p, t).Item(), Tol);

        // A finite case: −(0.7·log 0.6 + 0.3·log 0.4) = 0.6324652.
        Assert.Equal(0.6324652, F.BCELoss(On(Tensor.FromArray([0.6f], 1)), On(Tensor.FromArray([0.7f], 1))).Item(),
            Tol);
        // With logits: x = log(0.6/0.4) gives σ(x) = 0.6, so the same value.
        var logit = On(Tensor.FromArray([MathF.Log(1.5f)], 1));
        Assert.Equal(0.6324652, F.BCEWithLogitsLoss(logit, On(Tensor.FromArray([0.7f], 1))).Item(), Tol);
    }

    [Fact]
    public void Add_broadcasts_a_column_against_a_row()
    {
        // [2, 1] + [3] → [2, 3]: the column repeats across, the row down.
        var a = On(Tensor.FromArray([1f, 2f], 2, 1)).RequireGrad();
        var b = On(Tensor.FromArray([10f, 20f, 30f], 3)).RequireGrad();
        var y = F.Add(a, b);
        Assert.Equal(new Shape(2, 3), y.Shape);
        Assert.Equal([11f, 21f, 31f, 12f, 22f, 32f], y.ToArray());

        // The gradient of Σy sums over the broadcast dimension: each a[i] feeds 3 outputs, each b[j] feeds 2.
        F.Sum(y).Backward();
        Assert.Equal([3f, 3f], a.Grad!.ToArray());
        Assert.Equal([2f, 2f, 2f], b.Grad!.ToArray());
    }

    [Theory]
    [InlineData(new[] { 3, 4 }, new[] { 4 })]
    [InlineData(new[] { 2, 1, 3 }, new[] { 4, 1 })]
    [InlineData(new[] { 3, 1, 4 }, new[] { 2, 1 })]
    [InlineData(new[] { 1, 3 }, new[] { 2, 1 })]
    [InlineData(new[] { 2, 3, 1 }, new[] { 1, 3, 4 })]
    [InlineData(new[] { 2, 1, 3, 1 }, new[] { 1, 4, 1, 5 })]
    public void Binary_ops_broadcast_like_an_index_loop(int[] aShape, int[] bShape)
    {
        // The gradient check only shows that backward fits forward; this pins forward to NumPy's rule directly.
        var g = new Generator(5);
        var a = On(Tensor.Randn(new Shape(aShape), g));
        var b = F.Add(F.Abs(On(Tensor.Randn(new Shape(bShape), g))), 0.5f);
        var (aHost, bHost) = (a.To(Device.Cpu), b.To(Device.Cpu)); // the expected values read host copies
        var ops = new (Func<Tensor, Tensor, Tensor>, Func<float, float, float>)[]
        {
            (F.Add, (x, y) => x + y), (F.Sub, (x, y) => x - y), (F.Mul, (x, y) => x * y), (F.Div, (x, y) => x / y),
        };
        foreach (var (op, scalar) in ops)
        {
            var y = op(a, b);
            var expected = Naive(y.Shape, index => scalar(aHost[Project(index, aShape)], bHost[Project(index, bShape)]));
            Assert.Equal(expected, y.ToArray());
        }
    }

    [Theory]
    [InlineData(new[] { 2, 1, 3, 4 }, new[] { 3, 4, 2 })]
    [InlineData(new[] { 2, 1, 3, 4 }, new[] { 1, 3, 4, 2 })]
    [InlineData(new[] { 3, 4 }, new[] { 2, 4, 5 })]
    public void Batched_MatMul_matches_an_index_loop(int[] aShape, int[] bShape)
    {
        var g = new Generator(6);
        var a = On(Tensor.Randn(new Shape(aShape), g));
        var b = On(Tensor.Randn(new Shape(bShape), g));
        var y = F.MatMul(a, b);
        var (aHost, bHost) = (a.To(Device.Cpu), b.To(Device.Cpu)); // the expected values read host copies
        int k = aShape[^1];
        var expected = Naive(y.Shape, index =>
        {
            // y[..., i, j] = Σ_k a[..., i, k]·b[..., k, j], each operand's batch index projected by broadcasting.
            double sum = 0;
            for (int kk = 0; kk < k; kk++)
            {
                var ai = Project(index, aShape);
                ai[^1] = kk;
                var bi = Project(index, bShape);
                bi[^2] = kk;
                sum += (double)aHost[ai] * bHost[bi];
            }
            return (float)sum;
        });
        Assert.Equal(expected, y.ToArray(), (p, q) => Math.Abs(p - q) < 1e-5);
    }

    /// <summary>f at every multi-index of <paramref name="shape"/>, in row-major order.</summary>
    private static float[] Naive(Shape shape, Func<int[], float> f)
    {
        var result = new float[shape.Numel];
        var index = new int[shape.Rank];
        for (int i = 0; i < result.Length; i++)
        {
            result[i] = f(index);
            for (int d = shape.Rank - 1; d >= 0 && ++index[d] == shape[d]; d--) index[d] = 0;
        }
        return result;
    }

    /// <summary>The index into an operand of <paramref name="shape"/> that broadcasting pairs with outIndex.</summary>
    private static int[] Project(int[] outIndex, int[] shape)
    {
        var index = new int[shape.Length];
        for (int i = 1; i <= shape.Length; i++) index[^i] = shape[^i] == 1 ? 0 : outIndex[^i];
        return index;
    }
}

public sealed class OpValueTestsOnCpu : OpValueTests
{
    protected override Device Device => Device.Cpu;
}

public sealed class OpValueTestsOnReference : OpValueTests
{
    protected override Device Device => Device.Reference;
}
