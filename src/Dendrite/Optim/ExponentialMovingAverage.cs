using Dendrite.NN;

namespace Dendrite.Optim;

/// <summary>
/// Keeps an exponential moving average of a model's weights in a second model of the same architecture, as PyTorch's
/// <c>AveragedModel(model, multi_avg_fn=get_ema_multi_avg_fn(decay))</c>: after each optimiser step,
/// <see cref="Update"/> sets θ̄ ← decay·θ̄ + (1 − decay)·θ for every parameter, and copies the buffers (batch norm's
/// running statistics). The average smooths the step-to-step jitter of noisy training, which is why GANs sample from
/// it (Karras et al., 2018; Brock et al., 2019).
/// </summary>
public sealed class ExponentialMovingAverage
{
    private readonly Parameter[] _live;
    private readonly Parameter[] _averaged;
    private readonly Tensor[] _liveBuffers;
    private readonly Tensor[] _averagedBuffers;

    /// <summary>
    /// Starts the average at <paramref name="model"/>'s current weights, copied into <paramref name="average"/>, which
    /// must be a separately built instance of the same architecture.
    /// </summary>
    /// <exception cref="ArgumentException">The two models' parameters or buffers differ in names or shapes, or they are one object.</exception>
    public ExponentialMovingAverage(Module model, Module average, float decay = 0.999f)
    {
        if (ReferenceEquals(model, average))
            throw new ArgumentException("ExponentialMovingAverage: the average needs its own copy of the model, not the model itself.", nameof(average));
        if (!(decay >= 0f && decay < 1f))
            throw new ArgumentOutOfRangeException(nameof(decay), $"ExponentialMovingAverage: decay must lie in [0, 1), got {decay}.");
        (Model, Average, Decay) = (model, average, decay);
        (_live, _averaged) = Pair(model.NamedParameters().ToList(), average.NamedParameters().ToList(), "parameter");
        (_liveBuffers, _averagedBuffers) = Pair(model.NamedBuffers().ToList(), average.NamedBuffers().ToList(), "buffer");
        for (int i = 0; i < _live.Length; i++)
        {
            _live[i].Backend.Copy(_live[i].Storage, _averaged[i].Storage);
            _averaged[i].MarkModified();
        }
        CopyBuffers();
    }

    /// <summary>The model being trained.</summary>
    public Module Model { get; }

    /// <summary>The model holding the averaged weights; sample or evaluate with this one.</summary>
    public Module Average { get; }

    /// <summary>How much of the old average each update keeps (0.999: the last ~1,000 steps weigh most).</summary>
    public float Decay { get; }

    /// <summary>Moves the average toward the model's current weights and copies its buffers. Call after each optimiser step.</summary>
    public void Update()
    {
        for (int i = 0; i < _live.Length; i++)
        {
            _averaged[i].Backend.MovingAverageUpdate(_averaged[i].Storage, _live[i].Storage, Decay);
            _averaged[i].MarkModified();
        }
        CopyBuffers();
    }

    // Running statistics are already averages over recent batches; averaging them again would only make them lag.
    private void CopyBuffers()
    {
        for (int i = 0; i < _liveBuffers.Length; i++) _liveBuffers[i].Backend.Copy(_liveBuffers[i].Storage, _averagedBuffers[i].Storage);
    }

    private static (T[] Live, T[] Averaged) Pair<T>(List<(string Name, T Tensor)> live, List<(string Name, T Tensor)> averaged, string what)
        where T : Tensor
    {
        if (live.Count != averaged.Count)
            throw new ArgumentException($"ExponentialMovingAverage: the model has {live.Count} {what}s but the average has {averaged.Count}; build both the same way.");
        for (int i = 0; i < live.Count; i++)
        {
            if (live[i].Name != averaged[i].Name || live[i].Tensor.Shape != averaged[i].Tensor.Shape)
                throw new ArgumentException(
                    $"ExponentialMovingAverage: {what} {i} is '{live[i].Name}' {live[i].Tensor.Shape} in the model but '{averaged[i].Name}' {averaged[i].Tensor.Shape} in the average; build both the same way.");
        }
        return (live.Select(p => p.Tensor).ToArray(), averaged.Select(p => p.Tensor).ToArray());
    }
}
