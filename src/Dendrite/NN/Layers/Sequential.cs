namespace Dendrite.NN;

/// <summary>Modules applied in order; children are named "0", "1", … as in PyTorch, so state-dict keys read "0.weight".</summary>
public sealed class Sequential : Module
{
    private readonly List<Module> _layers = [];

    /// <summary>Which layers run together as one fused op: planned once for the layers there are (PyTorch's fuse_modules).</summary>
    private FusionSegment[]? _plan;

    public Sequential(params Module[] layers)
    {
        foreach (var layer in layers) Add(layer);
    }

    public Sequential Add(Module layer)
    {
        ArgumentNullException.ThrowIfNull(layer);
        AddModule(_layers.Count.ToString(System.Globalization.CultureInfo.InvariantCulture), layer);
        _layers.Add(layer);
        _plan = null;
        return this;
    }

    public int Count => _layers.Count;
    public Module this[int index] => _layers[index];

    public override Tensor Forward(Tensor input)
    {
        var x = input;
        foreach (var segment in _plan ??= FusionPlan.Of(_layers))
            x = !segment.Fuses(x) || AnyHooked(segment) ? RunEach(segment, x) : segment.RunFused(_layers, x);
        return x;
    }

    /// <summary>The segment's layers one by one, through <see cref="Module.Call"/> so that their forward hooks run.</summary>
    private Tensor RunEach(FusionSegment segment, Tensor x)
    {
        for (int i = segment.First; i < segment.First + segment.Count; i++) x = _layers[i].Call(x);
        return x;
    }

    /// <summary>A hooked layer is run on its own, so that its hook sees its own output.</summary>
    private bool AnyHooked(FusionSegment segment)
    {
        for (int i = segment.First; i < segment.First + segment.Count; i++)
            if (_layers[i].HasForwardHooks) return true;
        return false;
    }
}
