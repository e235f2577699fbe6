using Dendrite.NN;
using Dendrite.Optim;

namespace Dendrite.Tests.Optim;

/// <summary>
/// Learning-rate schedules against the closed forms in PyTorch's lr_scheduler documentation, the momentum/β₁ that
/// OneCycleLR sets, and ZeroGrad / Step semantics for missing and zeroed gradients.
/// </summary>
public class SchedulerTests
{
    private const double RelTol = 1e-6;

    private static Parameter Param(params float[] values) => new(Tensor.FromArray(values, values.Length));

    private static void AssertClose(double expected, double actual, string what) =>
        Assert.True(Math.Abs(actual - expected) <= RelTol * Math.Max(Math.Abs(expected), 1e-12),
            $"{what}: expected {expected:R}, got {actual:R}.");

    [Fact]
    public void StepLR_decays_by_gamma_every_step_size_epochs()
    {
        // PyTorch StepLR: lr_t = lr₀ · γ^⌊t / step_size⌋.
        var optimizer = new Sgd([Param(1f)], lr: 0.5f);
        var scheduler = new StepLR(optimizer, stepSize: 3, gamma: 0.4f);
        for (int t = 0; t <= 12; t++)
        {
            double expected = (double)0.5f * Math.Pow(0.4f, t / 3);
            Assert.Equal(t, scheduler.LastEpoch);
            AssertClose(expected, optimizer.ParamGroups[0].Lr, $"StepLR t={t}");
            AssertClose(expected, scheduler.GetLastLr()[0], $"StepLR GetLastLr t={t}");
            scheduler.Step();
        }
    }

    [Fact]
    public void CosineAnnealingLR_follows_the_closed_form()
    {
        // PyTorch CosineAnnealingLR: η_t = η_min + (η_max − η_min)(1 + cos(π t / T_max)) / 2, η_max the initial rate.
        // Past T_max the closed form (and PyTorch's recursive form) climbs back up; t runs to 2·T_max to cover that.
        const int tMax = 8;
        var optimizer = new Adam([Param(1f)], lr: 0.1f);
        var scheduler = new CosineAnnealingLR(optimizer, tMax, etaMin: 0.002f);
        for (int t = 0; t <= 2 * tMax; t++)
        {
            double expected = 0.002f + ((double)0.1f - 0.002f) * (1 + Math.Cos(Math.PI * t / tMax)) / 2;
            AssertClose(expected, optimizer.Lr, $"CosineAnnealingLR t={t}");
            scheduler.Step();
        }
    }

    /// <summary>
    /// PyTorch OneCycleLR, two phases, cosine annealing: initial = max_lr / div_factor, min = initial /
    /// final_div_factor; phase 1 ends at step pct_start·total − 1 (lr initial → max, momentum max → base), phase 2 at
    /// total − 1 (lr max → min, momentum base → max); pct = (t − phase start) / (phase end − phase start);
    /// anneal(a, b, pct) = b + (a − b)(1 + cos(π·pct)) / 2.
    /// </summary>
    private static (double Lr, double Momentum) OneCycle(int t, int total, double maxLr, double pctStart,
        double divFactor, double finalDivFactor, double baseMomentum, double maxMomentum)
    {
        static double Anneal(double a, double b, double pct) => b + (a - b) * (1 + Math.Cos(Math.PI * pct)) / 2;
        double initial = maxLr / divFactor, min = initial / finalDivFactor;
        double end1 = pctStart * total - 1, end2 = total - 1;
        if (t <= end1)
        {
            double pct = t / end1;
            return (Anneal(initial, maxLr, pct), Anneal(maxMomentum, baseMomentum, pct));
        }
        double pct2 = (t - end1) / (end2 - end1);
        return (Anneal(maxLr, min, pct2), Anneal(baseMomentum, maxMomentum, pct2));
    }

    [Fact]
    public void OneCycleLR_sets_lr_and_beta1_from_the_closed_form()
    {
        const int total = 20;
        var optimizer = new Adam([Param(1f)], lr: 1e-3f, beta1: 0.5f);
        var scheduler = new OneCycleLR(optimizer, maxLr: 0.1f, totalSteps: total, pctStart: 0.25f, divFactor: 10f,
            finalDivFactor: 100f, baseMomentum: 0.8f, maxMomentum: 0.9f);
        for (int t = 0; t <= total; t++) // PyTorch allows last_epoch = total_steps and refuses the step after it
        {
            var (lr, momentum) = OneCycle(t, total, 0.1f, 0.25f, 10f, 100f, 0.8f, 0.9f);
            AssertClose(lr, optimizer.Lr, $"OneCycleLR lr t={t}");
            AssertClose(momentum, optimizer.ParamGroups[0].Momentum!.Value, $"OneCycleLR beta1 t={t}");
            if (t < total) scheduler.Step();
        }
        var ex = Assert.Throws<InvalidOperationException>(scheduler.Step);
        Assert.Contains("totalSteps = 20", ex.Message);
    }

    [Fact]
    public void OneCycleLR_hits_initial_peak_and_final_rates()
    {
        var optimizer = new Sgd([Param(1f)], lr: 0.5f, momentum: 0.9f);
        var scheduler = new OneCycleLR(optimizer, maxLr: 0.2f, totalSteps: 10, pctStart: 0.3f, divFactor: 20f,
            finalDivFactor: 50f);
        var lrs = new List<float>();
        var momenta = new List<float>();
        for (int t = 0; t < 10; t++)
        {
            lrs.Add(optimizer.Lr);
            momenta.Add(optimizer.ParamGroups[0].Momentum!.Value);
            scheduler.Step();
        }
        // Phase 1 ends at 0.3·10 − 1 = 2: lr 0.01 → 0.2 and momentum 0.95 → 0.85 (defaults); at step 9 lr = 0.01 / 50.
        AssertClose(0.2f / 20f, lrs[0], "initial lr");
        AssertClose(0.95f, momenta[0], "initial momentum");
        AssertClose(0.2f, lrs[2], "peak lr");
        AssertClose(0.85f, momenta[2], "momentum at the peak");
        AssertClose(0.2f / 20f / 50f, lrs[9], "final lr");
        AssertClose(0.95f, momenta[9], "final momentum");
    }

    [Fact]
    public void OneCycleLR_momentum_reaches_an_sgd_built_without_momentum()
    {
        // PyTorch's OneCycleLR writes the group's momentum, and SGD reads it every step, so SGD(momentum = 0) under
        // OneCycleLR runs with the cycled momentum. Reference: b ← g at t = 1, else μ_t b + g; θ ← θ − γ_t b, with
        // (γ_t, μ_t) the schedule at count t − 1, the count the scheduler is at when step t runs.
        const int total = 6;
        float[] c = [0.5f, 1.5f, 1f], d = [-0.4f, 0.9f, 0.3f], theta0 = [1f, -1.2f, 0.8f];
        var w = Param(theta0);
        var optimizer = new Sgd([w], lr: 1f);
        var scheduler = new OneCycleLR(optimizer, maxLr: 0.1f, totalSteps: total, pctStart: 0.5f);
        double[] theta = theta0.Select(v => (double)v).ToArray(), b = new double[3];
        for (int t = 1; t <= total; t++)
        {
            optimizer.ZeroGrad();
            F.Sum(Tensor.FromArray(c, 3) * w * w + Tensor.FromArray(d, 3) * w).Backward();
            optimizer.Step();
            scheduler.Step();

            var (lr, mu) = OneCycle(t - 1, total, 0.1f, 0.5f, 25f, 1e4f, 0.85f, 0.95f);
            for (int i = 0; i < 3; i++)
            {
                double g = 2.0 * c[i] * theta[i] + d[i];
                b[i] = t == 1 ? g : mu * b[i] + g;
                theta[i] -= lr * b[i];
                AssertClose(theta[i], w.Data[i], $"step {t}, element {i}");
            }
        }
    }

    [Fact]
    public void OneCycleLR_momentum_reaches_an_rmsprop_built_without_momentum()
    {
        // The schedule overwrites the momentum before the first step, so the momentum given to the constructor no
        // longer matters: RMSprop built with 0 and with 0.3 must take the same steps (PyTorch reads group["momentum"]).
        float[] c = [0.5f, 1.5f, 1f], d = [-0.4f, 0.9f, 0.3f], theta0 = [1f, -1.2f, 0.8f];
        var trajectories = new List<float[]>();
        foreach (float momentum in new[] { 0f, 0.3f })
        {
            var w = Param(theta0);
            var optimizer = new RmsProp([w], lr: 1f, alpha: 0.9f, momentum: momentum);
            var scheduler = new OneCycleLR(optimizer, maxLr: 0.02f, totalSteps: 5);
            for (int t = 1; t <= 5; t++)
            {
                optimizer.ZeroGrad();
                F.Sum(Tensor.FromArray(c, 3) * w * w + Tensor.FromArray(d, 3) * w).Backward();
                optimizer.Step();
                scheduler.Step();
            }
            trajectories.Add(w.ToArray());
        }
        Assert.Equal(trajectories[1], trajectories[0]);
    }

    [Fact]
    public void OneCycleLR_beta1_drives_adam()
    {
        // Adam with the scheduled β₁ in both the moving average and the bias correction 1 − β₁ᵗ, as PyTorch reads
        // betas[0] from the group at every step.
        const int total = 5;
        float[] c = [0.5f, 1.5f, 1f], d = [-0.4f, 0.9f, 0.3f], theta0 = [1f, -1.2f, 0.8f];
        var w = Param(theta0);
        var optimizer = new Adam([w], lr: 1f, beta2: 0.9f);
        var scheduler = new OneCycleLR(optimizer, maxLr: 0.05f, totalSteps: total, pctStart: 0.4f, baseMomentum: 0.6f,
            maxMomentum: 0.9f);
        double[] theta = theta0.Select(v => (double)v).ToArray(), m = new double[3], v = new double[3];
        double beta2 = 0.9f, eps = 1e-8f;
        for (int t = 1; t <= total; t++)
        {
            optimizer.ZeroGrad();
            F.Sum(Tensor.FromArray(c, 3) * w * w + Tensor.FromArray(d, 3) * w).Backward();
            optimizer.Step();
            scheduler.Step();

            var (lr, beta1) = OneCycle(t - 1, total, 0.05f, 0.4f, 25f, 1e4f, 0.6f, 0.9f);
            for (int i = 0; i < 3; i++)
            {
                double g = 2.0 * c[i] * theta[i] + d[i];
                m[i] = beta1 * m[i] + (1 - beta1) * g;
                v[i] = beta2 * v[i] + (1 - beta2) * g * g;
                double mHat = m[i] / (1 - Math.Pow(beta1, t)), vHat = v[i] / (1 - Math.Pow(beta2, t));
                theta[i] -= lr * mHat / (Math.Sqrt(vHat) + eps);
                AssertClose(theta[i], w.Data[i], $"step {t}, element {i}");
            }
        }
    }

    [Fact]
    public void OneCycleLR_refuses_to_cycle_momentum_an_optimizer_lacks()
    {
        var ex = Assert.Throws<ArgumentException>(
            () => new OneCycleLR(new Adagrad([Param(1f)]), maxLr: 0.1f, totalSteps: 10));
        Assert.Contains("Adagrad", ex.Message);
        Assert.Contains("cycleMomentum: false", ex.Message);
        var optimizer = new Adadelta([Param(1f)]);
        _ = new OneCycleLR(optimizer, maxLr: 0.1f, totalSteps: 10, cycleMomentum: false);
        AssertClose(0.1f / 25f, optimizer.Lr, "lr without momentum cycling");
        Assert.Null(optimizer.ParamGroups[0].Momentum);
    }

    [Fact]
    public void ZeroGrad_sets_to_none_by_default_or_zero_fills_in_place()
    {
        var a = Param(1f, 2f);
        var b = Param(3f);
        var optimizer = new Sgd([a, b], lr: 0.1f);
        F.Sum(a * a).Backward();
        Assert.NotNull(a.Grad);
        Assert.Null(b.Grad);

        var grad = a.Grad!;
        optimizer.ZeroGrad(setToNone: false);
        Assert.Same(grad, a.Grad);
        Assert.Equal([0f, 0f], a.Grad!.ToArray());
        Assert.Null(b.Grad); // a missing gradient stays missing

        optimizer.ZeroGrad();
        Assert.Null(a.Grad);
        Assert.Null(b.Grad);
    }

    [Fact]
    public void Step_skips_parameters_without_grad_and_counts_steps_per_parameter()
    {
        // AdamW would shrink every parameter it touched (θ ← θ − γλθ), so an untouched value proves the skip.
        var a = Param(1f, -2f);
        var b = Param(3f);
        var optimizer = new AdamW([a, b], lr: 0.1f, weightDecay: 0.5f);
        F.Sum(a * a).Backward();
        optimizer.Step();
        Assert.Equal([3f], b.ToArray());
        Assert.NotEqual([1f, -2f], a.ToArray());
        Assert.False(optimizer.State().ContainsKey(b));

        // b's first gradient gets step 1 of its own (bias correction from 1), while a is at step 2, as in PyTorch.
        optimizer.ZeroGrad();
        (F.Sum(a * a) + F.Sum(b * b)).Backward();
        optimizer.Step();
        Assert.Equal(2, optimizer.State()[a].Step);
        Assert.Equal(1, optimizer.State()[b].Step);
        // Step 1 of Adam moves by lr·m̂/(√v̂ + ε) = lr·sign(g) after the decoupled shrink: 3·(1 − 0.05) − 0.1.
        Assert.Equal(3f * (1 - 0.1f * 0.5f) - 0.1f, b.Data[0], 1e-6f);
    }

    [Fact]
    public void Step_still_updates_with_a_zeroed_gradient()
    {
        // ZeroGrad(setToNone: false) leaves a zero gradient, not a missing one: weight decay still acts, θ ← θ − γλθ.
        var a = Param(2f);
        var optimizer = new Sgd([a], lr: 0.1f, weightDecay: 0.5f);
        F.Sum(a * a).Backward();
        optimizer.ZeroGrad(setToNone: false);
        optimizer.Step();
        Assert.Equal(2f * (1 - 0.1f * 0.5f), a.Data[0], 1e-6f);
    }
}
