namespace Dendrite.Autograd;

/// <summary>
/// Scope that switches gradient recording on or off for the current thread and restores the previous
/// state when disposed. Obtain it from <see cref="Tensor.NoGrad"/> or <see cref="Tensor.EnableGrad"/>.
/// </summary>
public readonly struct GradMode : IDisposable
{
    [ThreadStatic] private static bool t_disabled;

    private readonly bool _previousDisabled;

    private GradMode(bool previousDisabled) => _previousDisabled = previousDisabled;

    /// <summary>Whether ops are recorded on this thread right now.</summary>
    public static bool IsEnabled => !t_disabled;

    internal static GradMode Set(bool enabled)
    {
        var scope = new GradMode(t_disabled);
        t_disabled = !enabled;
        return scope;
    }

    public void Dispose() => t_disabled = _previousDisabled;
}
