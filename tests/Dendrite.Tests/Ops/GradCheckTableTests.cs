using Dendrite.Autograd;
using Dendrite.Tests.TestSupport;

namespace Dendrite.Tests.Ops;

/// <summary>
/// Acceptance: every differentiable op, on at least two shapes (broadcasting included), passes a central-difference
/// gradient check with relative error below 1e-2 in float32, on every test device (inputs made on the host and moved).
/// </summary>
public partial class GradCheckTableTests
{
    // ε = 1e-3 (OpCase.Eps): in float32 (unit roundoff u ≈ 6e-8) the quotient's rounding error ≈ u·|y|/ε = 6e-5·|y|
    // and its truncation error ≈ ε²·|f‴|/6 < 1e-4 for |f‴| < 600 (Log at 0.2 has 250): both far under rtol.
    // Inputs sit at least 0.05 ≫ ε away from every kink (Domain.Avoid, Domain.Distinct, OffsetPair).
    private const float RTol = 1e-2f;
    private const float ATol = 1e-3f;
    private const ulong Seed = 1;

    public static TheoryData<OpCase, string> CasesOnDevices => TestDevices.OnEach(Cases());

    [Theory, MemberData(nameof(CasesOnDevices))]
    public void Backward_matches_central_differences(OpCase op, string device)
    {
        var inputs = MakeInputs(op, new Generator(Seed), TestDevices.Named(device));

        var y = op.Fn(inputs);
        Assert.Equal(new Shape(op.Output), y.Shape);
        Assert.Same(TestDevices.Named(device), y.Device);

        var result = GradCheck.Run(op.Fn, inputs, op.Eps, RTol, ATol, new Generator(Seed + 1));
        Assert.True(result.Passed, $"{op.Name}: {result.Report}");
        Assert.Equal(inputs.Length, result.Inputs.Count);
    }

    [Fact]
    public void GradCheck_reports_the_input_and_element_of_a_wrong_gradient()
    {
        // y = 2x forward, but a backward that forgets the factor 2 for element 3 only.
        Func<Tensor, Tensor> broken = x => Tape.Record(F.Mul(x, 2f).Detach(), "Broken", [x], dy =>
        {
            var dx = F.Mul(dy, 2f);
            dx.Data[3] = dy.Data[3];
            return [dx];
        });
        Func<Tensor[], Tensor> f = x => F.Add(x[0], F.Sum(broken(x[1])));
        var a = Tensor.Ones(2, 3).RequireGrad();
        var b = Tensor.Ones(4).RequireGrad();

        var result = GradCheck.Run(f, [a, b]);

        Assert.False(result.Passed);
        Assert.True(result.Inputs[0].Passed);
        Assert.False(result.Inputs[1].Passed);
        Assert.Equal(3, result.Inputs[1].WorstElement);
        Assert.Contains("input 1 [4]: MISMATCH", result.Report);
        Assert.Contains("element 3 [3]", result.Report);
        var e = Assert.Throws<GradCheckException>(() => GradCheck.Assert(f, [a, b]));
        Assert.Equal(e.Result.Report, e.Message);
        Assert.Null(a.Grad); // the check leaves the inputs' gradients as it found them
    }

    [Fact]
    public void GradCheck_rejects_inputs_it_cannot_check()
    {
        var e = Assert.Throws<ArgumentException>(() => GradCheck.Run(x => F.Exp(x[0]), [Tensor.Ones(3)]));
        Assert.Contains("RequireGrad", e.Message);
        var nonLeaf = F.Exp(Tensor.Ones(3).RequireGrad());
        e = Assert.Throws<ArgumentException>(() => GradCheck.Run(x => F.Exp(x[0]), [nonLeaf]));
        Assert.Contains("not a leaf (made by Exp)", e.Message);
    }

    private static Tensor[] MakeInputs(OpCase op, Generator g, Device device)
    {
        var onHost = op.Make?.Invoke(g)
            ?? op.Shapes.Select((s, i) => (op.Domains?[i] ?? op.Domain).Sample(g, s)).ToArray();
        var inputs = onHost.Select(x => x.To(device)).ToArray();
        Assert.Equal(op.Shapes.Length, inputs.Length);
        for (int i = 0; i < inputs.Length; i++)
        {
            Assert.Equal(new Shape(op.Shapes[i]), inputs[i].Shape);
            inputs[i].RequireGrad();
        }
        return inputs;
    }

    internal static IEnumerable<OpCase> Cases()
    {
        IEnumerable<OpCase>[] groups =
        [
            Elementwise(), MatMul(), Shapes(), Reductions(), Activations(), Losses(), Graphs(), Empty(), Convolutions(),
            Pooling(), Normalization(), Selection(), WeightedLosses(),
        ];
        return groups.SelectMany(g => g);
    }

    private static readonly Domain OffZero = new() { Avoid = [0f] };
    private static readonly Domain NoTies = new() { Distinct = true, Margin = 0.01f };
    private static readonly Domain Probability = new(0.1f, 0.9f);

    private static IEnumerable<OpCase> Elementwise()
    {
        var divisor = new Domain { Avoid = [0f], Margin = 0.3f };
        var binary = new (string, Func<Tensor, Tensor, Tensor>, Domain[]?)[]
        {
            ("add", F.Add, null),
            ("sub", F.Sub, null),
            ("mul", F.Mul, null),
            ("div", F.Div, [divisor, divisor]),
            ("pow", F.Pow, [new(0.5f, 2f), new()]),
        };
        // Same shapes, a row vector, both sides broadcasting, and 0-dimensional operands on either side.
        int[][][] pairs =
            [[[3, 4], [3, 4]], [[3, 4], [4]], [[4, 1], [2, 1, 3]], [[2, 1, 3], [4, 1]], [[], [2, 3]], [[5], []]];
        foreach (var (name, fn, domains) in binary)
            foreach (var pair in pairs)
            {
                int[] output = BroadcastShape(pair[0], pair[1]);
                yield return new($"{name} {Dims(pair[0])}∘{Dims(pair[1])}", x => fn(x[0], x[1]), pair, output)
                {
                    Domains = domains,
                };
            }

        yield return new("add scalar [3,4]", x => F.Add(x[0], 1.5f), [[3, 4]], [3, 4]);
        yield return new("add scalar operator [2,3,2]", x => 2f + x[0], [[2, 3, 2]], [2, 3, 2]);
        yield return new("sub scalar operator [3,4]", x => x[0] - 1.5f, [[3, 4]], [3, 4]);
        yield return new("rsub scalar operator [5]", x => 2f - x[0], [[5]], [5]);
        yield return new("mul scalar [3,4]", x => F.Mul(x[0], 2.5f), [[3, 4]], [3, 4]);
        yield return new("mul scalar operator [2,3,2]", x => -3f * x[0], [[2, 3, 2]], [2, 3, 2]);
        yield return new("div scalar operator [3,4]", x => x[0] / 4f, [[3, 4]], [3, 4]);
        yield return new("div scalar operator [1,5]", x => x[0] / -0.5f, [[1, 5]], [1, 5]);

        yield return new("neg [3,4]", x => F.Neg(x[0]), [[3, 4]], [3, 4]);
        yield return new("neg []", x => -x[0], [[]], []);
        yield return new("pow 2 [3,4]", x => F.Pow(x[0], 2f), [[3, 4]], [3, 4]);
        yield return new("pow 3 [2,3,2]", x => F.Pow(x[0], 3f), [[2, 3, 2]], [2, 3, 2]);
        yield return new("pow 0.5 [3,4]", x => F.Pow(x[0], 0.5f), [[3, 4]], [3, 4]) { Domain = Domain.Positive };
        yield return new("pow -1.5 [5]", x => F.Pow(x[0], -1.5f), [[5]], [5]) { Domain = Domain.Positive };
        yield return new("pow 0 [4]", x => F.Pow(x[0], 0f), [[4]], [4]);
        yield return new("exp [3,4]", x => F.Exp(x[0]), [[3, 4]], [3, 4]);
        yield return new("exp [2,1,3]", x => F.Exp(x[0]), [[2, 1, 3]], [2, 1, 3]);
        yield return new("log [3,4]", x => F.Log(x[0]), [[3, 4]], [3, 4]) { Domain = Domain.Positive };
        yield return new("log [5]", x => F.Log(x[0]), [[5]], [5]) { Domain = Domain.Positive };
        yield return new("sqrt [3,4]", x => F.Sqrt(x[0]), [[3, 4]], [3, 4]) { Domain = Domain.Positive };
        yield return new("sqrt [2,3,2]", x => F.Sqrt(x[0]), [[2, 3, 2]], [2, 3, 2]) { Domain = Domain.Positive };
        yield return new("abs [3,4]", x => F.Abs(x[0]), [[3, 4]], [3, 4]) { Domain = OffZero };
        yield return new("abs [5]", x => F.Abs(x[0]), [[5]], [5]) { Domain = OffZero };
        yield return new("clamp [-0.5,0.5] [3,4]", x => F.Clamp(x[0], -0.5f, 0.5f), [[3, 4]], [3, 4])
        {
            Domain = new() { Avoid = [-0.5f, 0.5f] },
        };
        yield return new("clamp min 0 [2,3,2]", x => F.Clamp(x[0], min: 0f), [[2, 3, 2]], [2, 3, 2])
        {
            Domain = OffZero,
        };
        yield return new("clamp max 1 [5]", x => F.Clamp(x[0], max: 1f), [[5]], [5])
        {
            Domain = new() { Avoid = [1f] },
        };
    }

    private static IEnumerable<OpCase> MatMul()
    {
        // 2-D, 1-D on either or both sides, batched with equal, missing and size-1 (broadcast) batch dimensions.
        int[][][] cases =
        [
            [[3, 4], [4, 5], [3, 5]],
            [[4], [4], []],
            [[4], [4, 5], [5]],
            [[3, 4], [4], [3]],
            [[2, 3, 4], [2, 4, 5], [2, 3, 5]],
            [[2, 3, 4], [4, 5], [2, 3, 5]],
            [[3, 4], [2, 4, 5], [2, 3, 5]],
            [[2, 1, 3, 4], [3, 4, 2], [2, 3, 3, 2]],
            [[2, 1, 3, 4], [1, 3, 4, 2], [2, 3, 3, 2]],
            [[4], [2, 4, 3], [2, 3]],
            [[2, 3, 4], [4], [2, 3]],
        ];
        foreach (var c in cases)
            yield return new($"matmul {Dims(c[0])}@{Dims(c[1])}", x => F.MatMul(x[0], x[1]), [c[0], c[1]], c[2]);

        // K = 300 spans two of the GEMM's K blocks (256), so the accumulate-across-blocks path is differentiated too.
        // Its outputs (≈ 20) carry float32 rounding of ≈ 1e-5 that ε = 1e-3 magnifies to ≈ 1e-3 in the quotient. A
        // product is linear in each operand, so central differences have no truncation error at any ε: ε = 1e-2 cuts
        // the rounding noise (measured: max error 1.8e-3 → 2.4e-4) and hides nothing.
        yield return new("matmul [2,300]@[300,3]", x => F.MatMul(x[0], x[1]), [[2, 300], [300, 3]], [2, 3])
        {
            Eps = 1e-2f,
        };

        Func<Tensor[], Tensor> linear = x => F.Linear(x[0], x[1], x[2]);
        yield return new("linear [5,4]·[3,4]+[3]", linear, [[5, 4], [3, 4], [3]], [5, 3]);
        yield return new("linear [2,3,4]·[3,4]+[3]", linear, [[2, 3, 4], [3, 4], [3]], [2, 3, 3]);
        yield return new("linear [1,2]·[5,2]+[5]", linear, [[1, 2], [5, 2], [5]], [1, 5]);
        yield return new("linear [4]·[3,4] no bias", x => F.Linear(x[0], x[1]), [[4], [3, 4]], [3]);
    }

    private static IEnumerable<OpCase> Shapes()
    {
        yield return new("transpose [3,4] 0,1", x => F.Transpose(x[0], 0, 1), [[3, 4]], [4, 3]);
        yield return new("transpose [2,3,4] 0,2", x => F.Transpose(x[0], 0, 2), [[2, 3, 4]], [4, 3, 2]);
        yield return new("transpose [2,3,4] -1,-2", x => x[0].Transpose(-1, -2), [[2, 3, 4]], [2, 4, 3]);
        yield return new("permute [2,3,4] 2,0,1", x => F.Permute(x[0], 2, 0, 1), [[2, 3, 4]], [4, 2, 3]);
        yield return new("permute [2,3] 1,0", x => F.Permute(x[0], 1, 0), [[2, 3]], [3, 2]);
        yield return new("reshape [3,4]→[2,6]", x => F.Reshape(x[0], 2, 6), [[3, 4]], [2, 6]);
        yield return new("reshape [2,3,4]→[4,-1]", x => F.Reshape(x[0], 4, -1), [[2, 3, 4]], [4, 6]);
        yield return new("reshape [1]→[]", x => F.Reshape(x[0]), [[1]], []);
        yield return new("flatten [2,3,4]", x => F.Flatten(x[0]), [[2, 3, 4]], [24]);
        yield return new("flatten [2,3,4] from 1", x => F.Flatten(x[0], 1), [[2, 3, 4]], [2, 12]);
        yield return new("flatten [2,3,4] 0..1", x => F.Flatten(x[0], 0, 1), [[2, 3, 4]], [6, 4]);
        yield return new("flatten [2,3,4,2] 1..2", x => F.Flatten(x[0], 1, 2), [[2, 3, 4, 2]], [2, 12, 2]);
        yield return new("flatten []", x => F.Flatten(x[0]), [[]], [1]);
        yield return new("slice [5,3] 1+3", x => F.Slice(x[0], 1, 3), [[5, 3]], [3, 3]);
        yield return new("slice [4] 2+2", x => F.Slice(x[0], 2, 2), [[4]], [2]);
        yield return new("slice [3,2,2] 0+1", x => x[0].Slice(0, 1), [[3, 2, 2]], [1, 2, 2]);
        yield return new("cat [2,3]+[4,3] dim 0", x => F.Cat([x[0], x[1]], 0), [[2, 3], [4, 3]], [6, 3]);
        yield return new("cat [2,3]+[2,1] dim 1", x => F.Cat([x[0], x[1]], 1), [[2, 3], [2, 1]], [2, 4]);
        yield return new("cat three dim -2", x => F.Cat([x[0], x[1], x[2]], -2), [[2, 1, 2], [2, 3, 2], [2, 2, 2]],
            [2, 6, 2]);
        yield return new("stack 2×[3,4] dim 0", x => F.Stack([x[0], x[1]], 0), [[3, 4], [3, 4]], [2, 3, 4]);
        yield return new("stack 2×[2,3] dim 1", x => F.Stack([x[0], x[1]], 1), [[2, 3], [2, 3]], [2, 2, 3]);
        yield return new("stack 3×[3] dim -1", x => F.Stack([x[0], x[1], x[2]], -1), [[3], [3], [3]], [3, 3]);
    }

    private static IEnumerable<OpCase> Reductions()
    {
        // Each as a whole reduction, along one dimension, and along several.
        var reductions = new (string, Func<Tensor, Tensor>, Func<Tensor, int, bool, Tensor>,
            Func<Tensor, int[], bool, Tensor>)[]
        {
            ("sum", F.Sum, F.Sum, F.Sum),
            ("mean", F.Mean, F.Mean, F.Mean),
            ("max", F.Max, F.Max, F.Max),
        };
        foreach (var (name, all, one, many) in reductions)
        {
            var d = name == "max" ? NoTies : new Domain();
            yield return new($"{name} all [3,4]", x => all(x[0]), [[3, 4]], []) { Domain = d };
            yield return new($"{name} all [2,3,4]", x => all(x[0]), [[2, 3, 4]], []) { Domain = d };
            yield return new($"{name} dim 1 [3,4]", x => one(x[0], 1, false), [[3, 4]], [3]) { Domain = d };
            yield return new($"{name} dim 0 [1,4]", x => one(x[0], 0, false), [[1, 4]], [4]) { Domain = d };
            yield return new($"{name} dim 0 keepDim [2,3,4]", x => one(x[0], 0, true), [[2, 3, 4]], [1, 3, 4])
            {
                Domain = d,
            };
            yield return new($"{name} dim -1 keepDim [2,3,4]", x => one(x[0], -1, true), [[2, 3, 4]], [2, 3, 1])
            {
                Domain = d,
            };
            yield return new($"{name} dims 0,2 [2,3,4]", x => many(x[0], [0, 2], false), [[2, 3, 4]], [3])
            {
                Domain = d,
            };
            yield return new($"{name} dims 0,-1 keepDim [2,3,4]", x => many(x[0], [0, -1], true), [[2, 3, 4]],
                [1, 3, 1])
            {
                Domain = d,
            };
        }
    }

    private static IEnumerable<OpCase> Activations()
    {
        var unary = new (string, Func<Tensor, Tensor>, Domain)[]
        {
            ("sigmoid", F.Sigmoid, new()),
            ("tanh", F.Tanh, new()),
            ("relu", F.ReLU, OffZero),
            ("leaky_relu 0.01", x => F.LeakyReLU(x), OffZero),
            ("leaky_relu 0.2", x => F.LeakyReLU(x, 0.2f), OffZero),
            ("elu 1", x => F.ELU(x), OffZero),
            ("elu 0.5", x => F.ELU(x, 0.5f), OffZero),
            ("softplus", x => F.Softplus(x), new()),
            ("softplus beta 2", x => F.Softplus(x, beta: 2f), new()),
            // βx > threshold switches to the identity: x = 0.5 is a jump, kept off.
            ("softplus beta 2 threshold 1", x => F.Softplus(x, beta: 2f, threshold: 1f), new() { Avoid = [0.5f] }),
            ("gelu", x => F.GELU(x), new()),
            ("gelu tanh", x => F.GELU(x, "tanh"), new()),
            ("silu", F.SiLU, new()),
        };
        foreach (var (name, fn, domain) in unary)
        {
            yield return new($"{name} [3,4]", x => fn(x[0]), [[3, 4]], [3, 4]) { Domain = domain };
            yield return new($"{name} [2,3,2]", x => fn(x[0]), [[2, 3, 2]], [2, 3, 2]) { Domain = domain };
        }

        var alongDim = new (string, Func<Tensor, int, Tensor>)[]
        {
            ("softmax", F.Softmax),
            ("log_softmax", F.LogSoftmax),
        };
        foreach (var (name, fn) in alongDim)
        {
            yield return new($"{name} dim -1 [3,4]", x => fn(x[0], -1), [[3, 4]], [3, 4]);
            yield return new($"{name} dim 0 [3,4]", x => fn(x[0], 0), [[3, 4]], [3, 4]);
            yield return new($"{name} dim 1 [2,3,4]", x => fn(x[0], 1), [[2, 3, 4]], [2, 3, 4]);
            yield return new($"{name} dim 0 [5]", x => fn(x[0], 0), [[5]], [5]);
            yield return new($"{name} dim 1 [1,3]", x => fn(x[0], 1), [[1, 3]], [1, 3]);
        }

        yield return new("maxout 2 [3,6]", x => F.Maxout(x[0], 2), [[3, 6]], [3, 3]) { Domain = NoTies };
        yield return new("maxout 2 dim 1 [2,4,3]", x => F.Maxout(x[0], 2, 1), [[2, 4, 3]], [2, 2, 3])
        {
            Domain = NoTies,
        };
        yield return new("maxout 3 [6]", x => F.Maxout(x[0], 3), [[6]], [2]) { Domain = NoTies };
    }

    // Class-index targets are constants captured by the cases: they are not differentiated. They live on the host, and
    // each case moves them to its inputs' device.
    private static readonly Tensor Labels4 = Tensor.FromArray([0f, 2f, 1f, 2f], 4);
    private static readonly Tensor Labels4Ignored = Tensor.FromArray([0f, -100f, 1f, 2f], 4);
    private static readonly Tensor Labels2x4 = Tensor.FromArray([0f, 1f, 2f, 1f, 2f, 2f, 0f, 1f], 2, 4);
    private static readonly Tensor Label1 = Tensor.Scalar(1f);

    private static IEnumerable<OpCase> Losses()
    {
        foreach (var r in new[] { Reduction.Mean, Reduction.Sum, Reduction.None })
        {
            bool none = r == Reduction.None;
            foreach (int[] shape in new[] { new[] { 5 }, [2, 3, 2] })
            {
                string s = $"{Dims(shape)} {r}";
                int[][] both = [shape, shape];
                int[] per = none ? shape : [];
                yield return new($"mse {s}", x => F.MSELoss(x[0], x[1], r), both, per);
                yield return new($"l1 {s}", x => F.L1Loss(x[0], x[1], r), both, per)
                {
                    Make = g => OffsetPair(g, shape, [0f]),
                };
                yield return new($"smooth_l1 {s}", x => F.SmoothL1Loss(x[0], x[1], r), both, per)
                {
                    Make = g => OffsetPair(g, shape, [-1f, 1f]),
                };
                yield return new($"smooth_l1 beta 0.5 {s}", x => F.SmoothL1Loss(x[0], x[1], r, beta: 0.5f), both, per)
                {
                    Make = g => OffsetPair(g, shape, [-0.5f, 0.5f]),
                };
                yield return new($"huber {s}", x => F.HuberLoss(x[0], x[1], r), both, per)
                {
                    Make = g => OffsetPair(g, shape, [-1f, 1f]),
                };
                yield return new($"huber delta 0.5 {s}", x => F.HuberLoss(x[0], x[1], r, delta: 0.5f), both, per)
                {
                    Make = g => OffsetPair(g, shape, [-0.5f, 0.5f]),
                };
                yield return new($"bce {s}", x => F.BCELoss(x[0], x[1], r), both, per) { Domain = Probability };
                yield return new($"bce_with_logits {s}", x => F.BCEWithLogitsLoss(x[0], x[1], r), both, per)
                {
                    Domains = [new(-3f, 3f), new(0f, 1f)],
                };
            }

            int[] n = none ? [4] : [], nl = none ? [2, 4] : [], one = [];
            yield return new($"cross_entropy [4,3] index {r}",
                x => F.CrossEntropy(x[0], Labels4.To(x[0].Device), r), [[4, 3]], n);
            yield return new($"cross_entropy [4,3] index smoothing 0.1 {r}",
                x => F.CrossEntropy(x[0], Labels4.To(x[0].Device), r, labelSmoothing: 0.1f), [[4, 3]], n);
            yield return new($"cross_entropy [4,3] ignoreIndex {r}",
                x => F.CrossEntropy(x[0], Labels4Ignored.To(x[0].Device), r), [[4, 3]], n);
            yield return new($"cross_entropy [4,3] ignoreIndex smoothing 0.2 {r}",
                x => F.CrossEntropy(x[0], Labels4Ignored.To(x[0].Device), r, labelSmoothing: 0.2f), [[4, 3]], n);
            // Probability targets are the softmax of a second input, so the gradient to the target is checked too.
            yield return new($"cross_entropy [4,3] probabilities {r}",
                x => F.CrossEntropy(x[0], F.Softmax(x[1], 1), r), [[4, 3], [4, 3]], n);
            yield return new($"cross_entropy [4,3] probabilities smoothing 0.2 {r}",
                x => F.CrossEntropy(x[0], F.Softmax(x[1], 1), r, labelSmoothing: 0.2f), [[4, 3], [4, 3]], n);
            // Targets need not sum to 1: the input gradient is then softmax·Σq − q, not softmax − q.
            yield return new($"cross_entropy [4,3] unnormalised probabilities {r}",
                x => F.CrossEntropy(x[0], x[1], r), [[4, 3], [4, 3]], n) { Domains = [new(), new(0.1f, 1f)] };
            yield return new($"cross_entropy [2,3,4] index {r}",
                x => F.CrossEntropy(x[0], Labels2x4.To(x[0].Device), r), [[2, 3, 4]], nl);
            yield return new($"cross_entropy [2,3,4] index smoothing 0.1 {r}",
                x => F.CrossEntropy(x[0], Labels2x4.To(x[0].Device), r, labelSmoothing: 0.1f), [[2, 3, 4]], nl);
            yield return new($"cross_entropy [2,3,4] probabilities smoothing 0.1 {r}",
                x => F.CrossEntropy(x[0], F.Softmax(x[1], 1), r, labelSmoothing: 0.1f),
                [[2, 3, 4], [2, 3, 4]], nl);
            yield return new($"cross_entropy [3] index {r}",
                x => F.CrossEntropy(x[0], Label1.To(x[0].Device), r), [[3]], one);
            yield return new($"cross_entropy [3] probabilities {r}",
                x => F.CrossEntropy(x[0], F.Softmax(x[1], 0), r), [[3], [3]], one);

            yield return new($"nll [4,3] {r}", x => F.NLLLoss(x[0], Labels4.To(x[0].Device), r), [[4, 3]], n);
            yield return new($"nll [4,3] ignoreIndex {r}",
                x => F.NLLLoss(x[0], Labels4Ignored.To(x[0].Device), r), [[4, 3]], n);
            yield return new($"nll [2,3,4] {r}", x => F.NLLLoss(x[0], Labels2x4.To(x[0].Device), r), [[2, 3, 4]], nl);
            yield return new($"nll [3] {r}", x => F.NLLLoss(x[0], Label1.To(x[0].Device), r), [[3]], one);
            yield return new($"nll of log_softmax [4,3] {r}",
                x => F.NLLLoss(F.LogSoftmax(x[0], 1), Labels4.To(x[0].Device), r), [[4, 3]], n);
        }
    }

    /// <summary>The tape itself: a tensor read twice by one op, a value reaching the output along two paths.</summary>
    private static IEnumerable<OpCase> Graphs()
    {
        yield return new("mul x·x [3,4]", x => F.Mul(x[0], x[0]), [[3, 4]], [3, 4]);
        yield return new("add x+x [5]", x => F.Add(x[0], x[0]), [[5]], [5]);
        yield return new("diamond e·e + Σe [3,4]", x =>
        {
            var e = F.Exp(x[0]);
            return F.Add(F.Mul(e, e), F.Sum(e, 1, keepDim: true));
        }, [[3, 4]], [3, 4]);
        yield return new("two-layer mlp [4,3]",
            x => F.CrossEntropy(F.Linear(F.Tanh(F.Linear(x[0], x[1], x[2])), x[3]), Labels4.To(x[0].Device)),
            [[4, 3], [5, 3], [5], [3, 5]], []);
    }

    /// <summary>Size-0 dimensions: nothing to compare, but forward and backward must run and keep the shapes.</summary>
    private static IEnumerable<OpCase> Empty()
    {
        yield return new("add [0,3]+[3]", x => F.Add(x[0], x[1]), [[0, 3], [3]], [0, 3]);
        yield return new("sum all [0,3]", x => F.Sum(x[0]), [[0, 3]], []);
        yield return new("sum dim 0 [0,3]", x => F.Sum(x[0], 0), [[0, 3]], [3]);
        yield return new("sum dim 1 [2,0,3]", x => F.Sum(x[0], 1), [[2, 0, 3]], [2, 3]);
        yield return new("sum dim 1 [2,0]", x => F.Sum(x[0], 1), [[2, 0]], [2]);
        yield return new("matmul [0,4]@[4,2]", x => F.MatMul(x[0], x[1]), [[0, 4], [4, 2]], [0, 2]);
        yield return new("matmul [2,0]@[0,3]", x => F.MatMul(x[0], x[1]), [[2, 0], [0, 3]], [2, 3]);
        yield return new("softmax [0,3]", x => F.Softmax(x[0], 1), [[0, 3]], [0, 3]);
        yield return new("softmax [2,0] dim 1", x => F.Softmax(x[0], 1), [[2, 0]], [2, 0]);
        yield return new("log_softmax [2,0,3] dim 1", x => F.LogSoftmax(x[0], 1), [[2, 0, 3]], [2, 0, 3]);
        yield return new("cat [0,3]+[2,3]", x => F.Cat([x[0], x[1]]), [[0, 3], [2, 3]], [2, 3]);
    }

    /// <summary>An input and a target whose difference keeps <see cref="Domain.Margin"/> off a loss's kinks.</summary>
    private static Tensor[] OffsetPair(Generator g, int[] shape, float[] kinks)
    {
        var input = new Domain().Sample(g, shape);
        var difference = new Domain(-2.5f, 2.5f) { Avoid = kinks }.Sample(g, shape);
        return [input, F.Sub(input, difference)];
    }

    private static string Dims(int[] shape) => "[" + string.Join(",", shape) + "]";

    /// <summary>NumPy's broadcast of two shapes, written out apart from the library's so that it checks it.</summary>
    private static int[] BroadcastShape(int[] a, int[] b)
    {
        int rank = Math.Max(a.Length, b.Length);
        var result = new int[rank];
        for (int i = 1; i <= rank; i++)
        {
            int da = i <= a.Length ? a[^i] : 1, db = i <= b.Length ? b[^i] : 1;
            result[^i] = Math.Max(da, db);
        }
        return result;
    }
}
