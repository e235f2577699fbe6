using Dendrite.NN;
using Dendrite.Optim;

namespace Dendrite.Tests.Optim;

/// <summary>
/// Each optimiser's parameter trajectory over five steps against an independent double-precision reference written from
/// the algorithm boxes in PyTorch's documentation (torch.optim.SGD, Adam, AdamW, RMSprop, Adagrad, Adadelta).
/// </summary>
/// <remarks>
/// The fixed problem: two parameters, w (5 values) and u (19 values), and the loss L = Σ c⊙θ² + d⊙θ over both, so
/// ∂L/∂θ = 2c⊙θ + d changes every step. Dendrite differentiates L with its autograd; the reference uses that formula in
/// double. u has 19 values so that Adam's vectorised loop runs (8 or 16 lanes) and its scalar tail too.
/// Every element starts 1.0–1.3 from zero with its minimum at least 0.45 from zero on the same side, so no parameter
/// passes near zero and the first gradient is never small (a tiny first gradient would let float rounding flip Adam's
/// normalised first step).
/// </remarks>
public class OptimizerTrajectoryTests
{
    private const int Steps = 5;
    private const double RelTol = 1e-6;

    // Relative error is |θ − θ_ref| / max(|θ_ref|, Floor). The floor only guards a division by a value near zero; every
    // reference value here stays above 0.1, so the floor never binds and the check is purely relative.
    private const double Floor = 1e-3;

    private static readonly int[] Sizes = [5, 19];

    /// <summary>Starting values θ₀ and loss coefficients c, d, as floats: both sides start from equal numbers.</summary>
    private static (float[] Theta0, float[] C, float[] D) Problem()
    {
        int n = Sizes.Sum();
        var theta0 = new float[n];
        var c = new float[n];
        var d = new float[n];
        // θ₀ − θ* (toward zero when positive); the short 0.12 makes the gradient shrink fast, so AMSGrad's max binds.
        double[] distances = [0.12, 0.3, 0.55, -0.35, 0.2];
        for (int j = 0; j < n; j++)
        {
            double sign = j % 2 == 0 ? 1 : -1;
            double start = sign * (1.0 + 0.1 * (j % 4));
            double minimum = start - sign * distances[j % 5];
            c[j] = (float)(0.5 + 0.25 * (j % 3));
            theta0[j] = (float)start;
            d[j] = (float)(-2 * c[j] * minimum);
        }
        return (theta0, c, d);
    }

    private sealed record Case(Func<IEnumerable<Parameter>, Optimizer> Create, Func<IReference> Reference);

    private static Case SgdCase(float lr, float momentum = 0, float dampening = 0, float weightDecay = 0,
        bool nesterov = false) =>
        new(ps => new Sgd(ps, lr, momentum, dampening, weightDecay, nesterov),
            () => new SgdReference(lr, momentum, dampening, weightDecay, nesterov));

    private static Case AdamCase(float lr, float beta1 = 0.9f, float beta2 = 0.999f, float eps = 1e-8f,
        float weightDecay = 0, bool amsgrad = false) =>
        new(ps => new Adam(ps, lr, beta1, beta2, eps, weightDecay, amsgrad),
            () => new AdamReference(lr, beta1, beta2, eps, weightDecay, amsgrad, decoupled: false));

    private static Case AdamWCase(float lr, float beta1 = 0.9f, float beta2 = 0.999f, float eps = 1e-8f,
        float weightDecay = 1e-2f, bool amsgrad = false) =>
        new(ps => new AdamW(ps, lr, beta1, beta2, eps, weightDecay, amsgrad),
            () => new AdamReference(lr, beta1, beta2, eps, weightDecay, amsgrad, decoupled: true));

    private static Case RmsPropCase(float lr, float alpha = 0.99f, float eps = 1e-8f, float weightDecay = 0,
        float momentum = 0, bool centered = false) =>
        new(ps => new RmsProp(ps, lr, alpha, eps, weightDecay, momentum, centered),
            () => new RmsPropReference(lr, alpha, eps, weightDecay, momentum, centered));

    private static Case AdagradCase(float lr, float lrDecay = 0, float weightDecay = 0,
        float initialAccumulatorValue = 0, float eps = 1e-10f) =>
        new(ps => new Adagrad(ps, lr, lrDecay, weightDecay, initialAccumulatorValue, eps),
            () => new AdagradReference(lr, lrDecay, weightDecay, initialAccumulatorValue, eps));

    private static Case AdadeltaCase(float lr = 1f, float rho = 0.9f, float eps = 1e-6f, float weightDecay = 0) =>
        new(ps => new Adadelta(ps, lr, rho, eps, weightDecay), () => new AdadeltaReference(lr, rho, eps, weightDecay));

    // Hyperparameters are chosen so that each option visibly changes the trajectory (Options_change_the_trajectory
    // checks that): large eps values make the placement of ε matter, small β₂ lets AMSGrad's running max differ from v.
    private static readonly Dictionary<string, Case> Cases = new()
    {
        ["sgd plain"] = SgdCase(lr: 0.1f),
        ["sgd momentum dampening"] = SgdCase(lr: 0.05f, momentum: 0.9f, dampening: 0.3f),
        ["sgd nesterov"] = SgdCase(lr: 0.05f, momentum: 0.8f, nesterov: true),
        ["sgd weight decay"] = SgdCase(lr: 0.1f, weightDecay: 0.2f),
        ["sgd all"] = SgdCase(lr: 0.05f, momentum: 0.7f, dampening: 0.1f, weightDecay: 0.15f),
        ["adam default"] = AdamCase(lr: 1e-3f),
        ["adam lr betas eps"] = AdamCase(lr: 0.05f, beta1: 0.8f, beta2: 0.95f, eps: 0.1f),
        ["adam weight decay"] = AdamCase(lr: 0.05f, beta1: 0.85f, beta2: 0.95f, weightDecay: 0.3f),
        ["adam amsgrad"] = AdamCase(lr: 0.05f, beta1: 0.8f, beta2: 0.6f, eps: 1e-2f, amsgrad: true),
        ["adamw"] = AdamWCase(lr: 0.05f, beta1: 0.9f, beta2: 0.99f, weightDecay: 0.3f),
        ["adamw amsgrad"] =
            AdamWCase(lr: 0.05f, beta1: 0.8f, beta2: 0.6f, eps: 1e-2f, weightDecay: 0.3f, amsgrad: true),
        ["rmsprop plain"] = RmsPropCase(lr: 0.01f, alpha: 0.9f, eps: 0.05f),
        ["rmsprop centered"] = RmsPropCase(lr: 0.01f, alpha: 0.8f, centered: true),
        ["rmsprop momentum"] = RmsPropCase(lr: 0.01f, momentum: 0.7f),
        ["rmsprop weight decay"] = RmsPropCase(lr: 0.01f, alpha: 0.9f, weightDecay: 0.3f),
        ["rmsprop all"] =
            RmsPropCase(lr: 0.01f, alpha: 0.85f, eps: 1e-3f, weightDecay: 0.2f, momentum: 0.6f, centered: true),
        ["adagrad default"] = AdagradCase(lr: 0.1f),
        ["adagrad lr decay initial accumulator"] =
            AdagradCase(lr: 0.3f, lrDecay: 0.25f, initialAccumulatorValue: 0.5f, eps: 1e-3f),
        ["adagrad weight decay"] =
            AdagradCase(lr: 0.3f, lrDecay: 0.1f, weightDecay: 0.3f, initialAccumulatorValue: 0.1f),
        ["adadelta default"] = AdadeltaCase(),
        ["adadelta weight decay"] = AdadeltaCase(lr: 0.9f, rho: 0.8f, eps: 1e-3f, weightDecay: 0.3f),
    };

    public static TheoryData<string> CaseNames()
    {
        var data = new TheoryData<string>();
        foreach (var name in Cases.Keys) data.Add(name);
        return data;
    }

    [Theory, MemberData(nameof(CaseNames))]
    public void Trajectory_matches_the_documented_update_rule(string name)
    {
        var (theta0, c, d) = Problem();
        var parameters = Split(theta0).Select(v => new Parameter(Tensor.FromArray(v, v.Length))).ToArray();
        var coefC = Split(c).Select(v => Tensor.FromArray(v, v.Length)).ToArray();
        var coefD = Split(d).Select(v => Tensor.FromArray(v, v.Length)).ToArray();
        var optimizer = Cases[name].Create(parameters);

        var reference = Cases[name].Reference();
        double[] theta = theta0.Select(v => (double)v).ToArray();

        for (int t = 1; t <= Steps; t++)
        {
            optimizer.ZeroGrad();
            Tensor loss = Tensor.Scalar(0f);
            for (int k = 0; k < parameters.Length; k++)
                loss = loss + F.Sum(coefC[k] * parameters[k] * parameters[k]) + F.Sum(coefD[k] * parameters[k]);
            loss.Backward();
            optimizer.Step();

            reference.Step(theta, Gradient(theta, c, d), t);

            float[] actual = parameters.SelectMany(p => p.ToArray()).ToArray();
            for (int i = 0; i < theta.Length; i++)
            {
                double rel = Math.Abs(actual[i] - theta[i]) / Math.Max(Math.Abs(theta[i]), Floor);
                Assert.True(rel <= RelTol,
                    $"{name}: step {t}, element {i}: Dendrite {actual[i]:R}, reference {theta[i]:R}, " +
                    $"relative error {rel:E2}.");
            }
        }
    }

    /// <summary>
    /// Guards the test above against being vacuous: on this problem each option moves the reference trajectory by far
    /// more than the tolerance, so a library that ignored the option would fail.
    /// </summary>
    [Fact]
    public void Options_change_the_trajectory()
    {
        (string With, IReference A, IReference B)[] pairs =
        [
            ("momentum", new SgdReference(0.05f, 0.9f, 0, 0, false), new SgdReference(0.05f, 0, 0, 0, false)),
            ("dampening", new SgdReference(0.05f, 0.9f, 0.3f, 0, false), new SgdReference(0.05f, 0.9f, 0, 0, false)),
            ("nesterov", new SgdReference(0.05f, 0.8f, 0, 0, true), new SgdReference(0.05f, 0.8f, 0, 0, false)),
            ("sgd weight decay", new SgdReference(0.1f, 0, 0, 0.2f, false), new SgdReference(0.1f, 0, 0, 0, false)),
            ("adam eps", new AdamReference(0.05f, 0.8f, 0.95f, 0.1f, 0, false, false),
                new AdamReference(0.05f, 0.8f, 0.95f, 1e-8f, 0, false, false)),
            ("amsgrad", new AdamReference(0.05f, 0.8f, 0.6f, 1e-2f, 0, true, false),
                new AdamReference(0.05f, 0.8f, 0.6f, 1e-2f, 0, false, false)),
            ("decoupled decay", new AdamReference(0.05f, 0.9f, 0.99f, 1e-8f, 0.3f, false, true),
                new AdamReference(0.05f, 0.9f, 0.99f, 1e-8f, 0.3f, false, false)),
            ("rmsprop eps", new RmsPropReference(0.01f, 0.9f, 0.05f, 0, 0, false),
                new RmsPropReference(0.01f, 0.9f, 1e-8f, 0, 0, false)),
            ("centered", new RmsPropReference(0.01f, 0.8f, 1e-8f, 0, 0, true),
                new RmsPropReference(0.01f, 0.8f, 1e-8f, 0, 0, false)),
            ("rmsprop momentum", new RmsPropReference(0.01f, 0.99f, 1e-8f, 0, 0.7f, false),
                new RmsPropReference(0.01f, 0.99f, 1e-8f, 0, 0, false)),
            ("rmsprop weight decay", new RmsPropReference(0.01f, 0.9f, 1e-8f, 0.3f, 0, false),
                new RmsPropReference(0.01f, 0.9f, 1e-8f, 0, 0, false)),
            ("lr decay", new AdagradReference(0.3f, 0.25f, 0, 0.5f, 1e-3f),
                new AdagradReference(0.3f, 0, 0, 0.5f, 1e-3f)),
            ("initial accumulator", new AdagradReference(0.3f, 0.25f, 0, 0.5f, 1e-3f),
                new AdagradReference(0.3f, 0.25f, 0, 0, 1e-3f)),
            ("adagrad weight decay", new AdagradReference(0.3f, 0.1f, 0.3f, 0.1f, 1e-10f),
                new AdagradReference(0.3f, 0.1f, 0, 0.1f, 1e-10f)),
            ("adadelta weight decay", new AdadeltaReference(0.9f, 0.8f, 1e-3f, 0.3f),
                new AdadeltaReference(0.9f, 0.8f, 1e-3f, 0)),
        ];
        var (theta0, c, d) = Problem();
        foreach (var (with, a, b) in pairs)
        {
            double[] ta = Run(a, theta0, c, d), tb = Run(b, theta0, c, d);
            double maxDiff = ta.Zip(tb, (x, y) => Math.Abs(x - y)).Max();
            Assert.True(maxDiff > 1e-4, $"{with}: changes the 5-step trajectory by only {maxDiff:E2}.");
        }
    }

    [Fact]
    public void Problem_stays_away_from_zero()
    {
        var (theta0, c, d) = Problem();
        foreach (var (name, testCase) in Cases)
        {
            var reference = testCase.Reference();
            double[] theta = theta0.Select(v => (double)v).ToArray();
            for (int t = 1; t <= Steps; t++)
            {
                reference.Step(theta, Gradient(theta, c, d), t);
                double closest = theta.Min(x => Math.Abs(x));
                Assert.True(closest > 0.1, $"{name}: a parameter came within {closest:G3} of zero at step {t}.");
            }
        }
    }

    private static double[] Run(IReference reference, float[] theta0, float[] c, float[] d)
    {
        double[] theta = theta0.Select(v => (double)v).ToArray();
        for (int t = 1; t <= Steps; t++) reference.Step(theta, Gradient(theta, c, d), t);
        return theta;
    }

    private static double[] Gradient(double[] theta, float[] c, float[] d) =>
        theta.Select((v, i) => 2.0 * c[i] * v + d[i]).ToArray();

    private static float[][] Split(float[] values)
    {
        var parts = new float[Sizes.Length][];
        for (int k = 0, start = 0; k < Sizes.Length; start += Sizes[k], k++)
            parts[k] = values[start..(start + Sizes[k])];
        return parts;
    }

    /// <summary>One documented update, in double, over all elements (every rule here is elementwise).</summary>
    public interface IReference
    {
        void Step(double[] theta, double[] grad, int t);
    }

    // torch.optim.SGD: g ← g + λθ; if μ ≠ 0: b ← g at t = 1, else b ← μb + (1 − τ)g; g ← g + μb (Nesterov) or b;
    // θ ← θ − γg.
    private sealed class SgdReference(double lr, double momentum, double dampening, double weightDecay, bool nesterov)
        : IReference
    {
        private double[]? _b;

        public void Step(double[] theta, double[] grad, int t)
        {
            _b ??= new double[theta.Length];
            for (int i = 0; i < theta.Length; i++)
            {
                double g = grad[i] + weightDecay * theta[i];
                if (momentum != 0)
                {
                    _b[i] = t > 1 ? momentum * _b[i] + (1 - dampening) * g : g;
                    g = nesterov ? g + momentum * _b[i] : _b[i];
                }
                theta[i] -= lr * g;
            }
        }
    }

    // torch.optim.Adam: g ← g + λθ; m ← β₁m + (1 − β₁)g; v ← β₂v + (1 − β₂)g²; m̂ = m / (1 − β₁ᵗ);
    // AMSGrad: v_max ← max(v_max, v), v̂ = v_max / (1 − β₂ᵗ), else v̂ = v / (1 − β₂ᵗ); θ ← θ − γm̂ / (√v̂ + ε).
    // torch.optim.AdamW: θ ← θ − γλθ first and no λθ in g; the rest as Adam.
    private sealed class AdamReference(double lr, double beta1, double beta2, double eps, double weightDecay,
        bool amsgrad, bool decoupled) : IReference
    {
        private double[]? _m, _v, _vMax;

        public void Step(double[] theta, double[] grad, int t)
        {
            _m ??= new double[theta.Length];
            _v ??= new double[theta.Length];
            _vMax ??= new double[theta.Length];
            for (int i = 0; i < theta.Length; i++)
            {
                double g = grad[i];
                if (decoupled) theta[i] -= lr * weightDecay * theta[i];
                else g += weightDecay * theta[i];
                _m[i] = beta1 * _m[i] + (1 - beta1) * g;
                _v[i] = beta2 * _v[i] + (1 - beta2) * g * g;
                double mHat = _m[i] / (1 - Math.Pow(beta1, t));
                _vMax[i] = Math.Max(_vMax[i], _v[i]);
                double vHat = (amsgrad ? _vMax[i] : _v[i]) / (1 - Math.Pow(beta2, t));
                theta[i] -= lr * mHat / (Math.Sqrt(vHat) + eps);
            }
        }
    }

    // torch.optim.RMSprop: g ← g + λθ; v ← αv + (1 − α)g²; ṽ = v; centred: ḡ ← αḡ + (1 − α)g, ṽ ← ṽ − ḡ²;
    // μ > 0: b ← μb + g / (√ṽ + ε), θ ← θ − γb; else θ ← θ − γg / (√ṽ + ε).
    private sealed class RmsPropReference(double lr, double alpha, double eps, double weightDecay, double momentum,
        bool centered) : IReference
    {
        private double[]? _v, _gAve, _b;

        public void Step(double[] theta, double[] grad, int t)
        {
            _v ??= new double[theta.Length];
            _gAve ??= new double[theta.Length];
            _b ??= new double[theta.Length];
            for (int i = 0; i < theta.Length; i++)
            {
                double g = grad[i] + weightDecay * theta[i];
                _v[i] = alpha * _v[i] + (1 - alpha) * g * g;
                double vTilde = _v[i];
                if (centered)
                {
                    _gAve[i] = alpha * _gAve[i] + (1 - alpha) * g;
                    vTilde -= _gAve[i] * _gAve[i];
                }
                if (momentum > 0)
                {
                    _b[i] = momentum * _b[i] + g / (Math.Sqrt(vTilde) + eps);
                    theta[i] -= lr * _b[i];
                }
                else
                {
                    theta[i] -= lr * g / (Math.Sqrt(vTilde) + eps);
                }
            }
        }
    }

    // torch.optim.Adagrad: state_sum₀ = τ; γ̃ = γ / (1 + (t − 1)η); g ← g + λθ; state_sum ← state_sum + g²;
    // θ ← θ − γ̃g / (√state_sum + ε).
    private sealed class AdagradReference(double lr, double lrDecay, double weightDecay, double initialAccumulatorValue,
        double eps) : IReference
    {
        private double[]? _sum;

        public void Step(double[] theta, double[] grad, int t)
        {
            if (_sum is null)
            {
                _sum = new double[theta.Length];
                Array.Fill(_sum, initialAccumulatorValue);
            }
            double clr = lr / (1 + (t - 1) * lrDecay);
            for (int i = 0; i < theta.Length; i++)
            {
                double g = grad[i] + weightDecay * theta[i];
                _sum[i] += g * g;
                theta[i] -= clr * g / (Math.Sqrt(_sum[i]) + eps);
            }
        }
    }

    // torch.optim.Adadelta: g ← g + λθ; v ← ρv + (1 − ρ)g²; Δx = √(u + ε) / √(v + ε) · g; u ← ρu + (1 − ρ)Δx²;
    // θ ← θ − γΔx.
    private sealed class AdadeltaReference(double lr, double rho, double eps, double weightDecay) : IReference
    {
        private double[]? _v, _u;

        public void Step(double[] theta, double[] grad, int t)
        {
            _v ??= new double[theta.Length];
            _u ??= new double[theta.Length];
            for (int i = 0; i < theta.Length; i++)
            {
                double g = grad[i] + weightDecay * theta[i];
                _v[i] = rho * _v[i] + (1 - rho) * g * g;
                double delta = Math.Sqrt(_u[i] + eps) / Math.Sqrt(_v[i] + eps) * g;
                _u[i] = rho * _u[i] + (1 - rho) * delta * delta;
                theta[i] -= lr * delta;
            }
        }
    }
}
