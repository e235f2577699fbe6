namespace Dendrite.Optim;

/// <summary>
/// Base of the learning-rate schedules, as <c>torch.optim.lr_scheduler</c>: each <see cref="Step"/> advances the count and
/// sets every group's learning rate from <see cref="LrAt"/>. Constructing a scheduler sets the rate for count 0.
/// </summary>
public abstract class LRScheduler
{
    protected LRScheduler(Optimizer optimizer)
    {
        Optimizer = optimizer;
        Apply();
    }

    public Optimizer Optimizer { get; }

    /// <summary>Steps taken so far (epochs for epoch schedules, batches for one-cycle); PyTorch's <c>last_epoch</c>.</summary>
    public int LastEpoch { get; private set; }

    /// <summary>The learning rate for a group whose initial rate is <paramref name="initialLr"/> at count <paramref name="t"/>.</summary>
    protected abstract float LrAt(float initialLr, int t);

    /// <summary>Optional second schedule for momentum (β₁ for Adam); null leaves it alone.</summary>
    protected virtual float? MomentumAt(int t) => null;

    public void Step()
    {
        LastEpoch++;
        Apply();
    }

    /// <summary>Moves to count <paramref name="t"/> directly (used when resuming).</summary>
    public void SetCount(int t)
    {
        LastEpoch = t;
        Apply();
    }

    private void Apply()
    {
        foreach (var g in Optimizer.ParamGroups)
        {
            g.Lr = LrAt(g.InitialLr, LastEpoch);
            if (MomentumAt(LastEpoch) is { } m && g.Momentum is not null) g.Momentum = m;
        }
    }

    /// <summary>Current learning rate of each group.</summary>
    public IReadOnlyList<float> GetLastLr() => Optimizer.ParamGroups.Select(g => g.Lr).ToList();
}

/// <summary>γ·gamma^⌊t / stepSize⌋: the rate decays by <see cref="Gamma"/> every <see cref="StepSize"/> epochs.</summary>
public sealed class StepLR(Optimizer optimizer, int stepSize, double gamma = 0.1) : LRScheduler(optimizer)
{
    public int StepSize { get; } = stepSize > 0 ? stepSize : throw new ArgumentOutOfRangeException(nameof(stepSize), $"StepLR: stepSize must be positive, got {stepSize}.");
    public float Gamma { get; } = (float)gamma;

    protected override float LrAt(float initialLr, int t) => initialLr * MathF.Pow(Gamma, t / StepSize);
}

/// <summary>
/// η_min + (γ − η_min)(1 + cos(π·t / T_max)) / 2, the closed form PyTorch documents for <c>CosineAnnealingLR</c>
/// (SGDR without restarts, Loshchilov &amp; Hutter, 2017).
/// </summary>
public sealed class CosineAnnealingLR(Optimizer optimizer, int tMax, double etaMin = 0) : LRScheduler(optimizer)
{
    public int TMax { get; } = tMax > 0 ? tMax : throw new ArgumentOutOfRangeException(nameof(tMax), $"CosineAnnealingLR: tMax must be positive, got {tMax}.");
    public float EtaMin { get; } = (float)etaMin;

    protected override float LrAt(float initialLr, int t) =>
        (float)(EtaMin + (initialLr - EtaMin) * (1 + Math.Cos(Math.PI * t / TMax)) / 2);
}

/// <summary>
/// The one-cycle policy (Smith &amp; Topin, 2018), as PyTorch's <c>OneCycleLR</c> with cosine annealing, stepped once per
/// batch: the rate rises from maxLr/divFactor to maxLr over the first pctStart of the steps, then falls to
/// maxLr/(divFactor·finalDivFactor); momentum (β₁ for Adam) moves the opposite way between maxMomentum and baseMomentum.
/// </summary>
public sealed class OneCycleLR : LRScheduler
{
    private readonly float _maxLr, _initialLr, _minLr, _baseMomentum, _maxMomentum;
    private readonly int _totalSteps;
    private readonly double _warmupEnd;
    private readonly bool _cycleMomentum;

    public OneCycleLR(Optimizer optimizer, float maxLr, int totalSteps, float pctStart = 0.3f, float divFactor = 25f,
        float finalDivFactor = 1e4f, bool cycleMomentum = true, float baseMomentum = 0.85f, float maxMomentum = 0.95f)
        : base(Validate(optimizer, totalSteps, pctStart, cycleMomentum))
    {
        (_maxLr, _totalSteps, _cycleMomentum, _baseMomentum, _maxMomentum) = (maxLr, totalSteps, cycleMomentum, baseMomentum, maxMomentum);
        _initialLr = maxLr / divFactor;
        _minLr = _initialLr / finalDivFactor;
        _warmupEnd = (double)pctStart * totalSteps - 1;
        SetCount(0);
    }

    private static Optimizer Validate(Optimizer optimizer, int totalSteps, float pctStart, bool cycleMomentum)
    {
        // PyTorch refuses too, rather than silently not cycling: the user asked for a momentum schedule.
        if (cycleMomentum && optimizer.ParamGroups.Any(g => g.Momentum is null))
            throw new ArgumentException($"OneCycleLR: {optimizer.GetType().Name} has no momentum or beta1 to cycle. " +
                "Hint: pass cycleMomentum: false.", nameof(optimizer));
        if (totalSteps <= 0) throw new ArgumentOutOfRangeException(nameof(totalSteps), $"OneCycleLR: totalSteps must be positive, got {totalSteps}.");
        if (pctStart <= 0 || pctStart >= 1) throw new ArgumentOutOfRangeException(nameof(pctStart), $"OneCycleLR: pctStart must be in (0, 1), got {pctStart}.");
        return optimizer;
    }

    private static float Anneal(float start, float end, double pct) =>
        (float)(end + (start - end) / 2.0 * (Math.Cos(Math.PI * pct) + 1));

    // In double: near the end of the cycle 1 + cos(π·pct) is small, and a float pct costs the rate ~1e-6 relative.
    private (double Pct, bool Warmup) Phase(int t)
    {
        if (t > _totalSteps)
            throw new InvalidOperationException($"OneCycleLR: stepped {t} times, more than totalSteps = {_totalSteps}.");
        if (t <= _warmupEnd) return (t / _warmupEnd, true);
        return ((t - _warmupEnd) / (_totalSteps - 1 - _warmupEnd), false);
    }

    protected override float LrAt(float initialLr, int t)
    {
        if (_totalSteps == 0) return initialLr; // called from the base constructor, before the fields are set
        var (pct, warmup) = Phase(t);
        return warmup ? Anneal(_initialLr, _maxLr, pct) : Anneal(_maxLr, _minLr, pct);
    }

    protected override float? MomentumAt(int t)
    {
        if (_totalSteps == 0 || !_cycleMomentum) return null;
        var (pct, warmup) = Phase(t);
        return warmup ? Anneal(_maxMomentum, _baseMomentum, pct) : Anneal(_baseMomentum, _maxMomentum, pct);
    }
}
