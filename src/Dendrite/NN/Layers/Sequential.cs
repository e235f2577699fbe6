namespace Dendrite.NN;

/// <summary>Modules applied in order; children are named "0", "1", … as in PyTorch, so state-dict keys read "0.weight".</summary>
public sealed class Sequential : Module
{
    private readonly List<Module> _layers = [];

    public Sequential(params Module[] layers)
    {
        foreach (var layer in layers) Add(layer);
    }

    public Sequential Add(Module layer)
    {
        AddModule(_layers.Count.ToString(System.Globalization.CultureInfo.InvariantCulture), layer);
        _layers.Add(layer);
        return this;
    }

    public int Count => _layers.Count;
    public Module this[int index] => _layers[index];

    public override Tensor Forward(Tensor input)
    {
        var x = input;
        for (int i = 0; i < _layers.Count; i++)
        {
            if (i + 3 < _layers.Count && _layers[i] is ReLU && _layers[i + 1] is Conv2d inner && _layers[i + 2] is ReLU
                && _layers[i + 3] is MaxPool2d innerPool && IsHalving(innerPool) && !AnyHooked(i, 4)
                && inner.ForwardReluMaxPool2x2(x, innerPool.CeilMode, reluInput: true, DropoutAfter(i + 3, out int innerDrop)) is { } innerPooled)
            {
                // The same, with the ReLU before the convolution read on the fly: its output is never written either.
                x = innerPooled;
                i += 3 + innerDrop;
                continue;
            }
            if (i + 2 < _layers.Count && _layers[i] is Conv2d conv && _layers[i + 1] is ReLU && _layers[i + 2] is MaxPool2d pool
                && IsHalving(pool) && !AnyHooked(i, 3)
                && conv.ForwardReluMaxPool2x2(x, pool.CeilMode, reluInput: false, DropoutAfter(i + 2, out int drop)) is { } pooled)
            {
                // Convolution, ReLU and 2×2 pooling in one pass where the convolution's 2×2 output tiles are the
                // pooling windows (Winograd's): same values and gradients, and the full-size activation never written.
                // A Dropout after them joins in: its backward product is taken as the pooled gradient is read.
                x = pooled;
                i += 2 + drop;
                continue;
            }
            if (_layers[i] is ReLU relu && i + 1 < _layers.Count && _layers[i + 1] is MaxPool2d or MaxPool1d
                && !relu.HasForwardHooks && !_layers[i + 1].HasForwardHooks)
            {
                // ReLU then max pooling, run as pooling then ReLU: max(relu(x)) = relu(max(x)) exactly, and so are the
                // gradients (ReLU keeps order, and a window whose max it zeroes passes no gradient either way). ReLU
                // then touches a quarter of the values, forward and backward: 9.4 MB less traffic each way in the W2 net.
                x = relu.Forward(_layers[i + 1].Forward(x));
                i++;
                continue;
            }
            x = _layers[i].Call(x);   // Call, so forward hooks on the layers run
        }
        return x;
    }

    /// <summary>The drop probability of an unhooked <see cref="Dropout"/> right after layer <paramref name="last"/> (0 in
    /// eval mode, where it passes its input), and in <paramref name="layers"/> whether there is one to take along.</summary>
    private float DropoutAfter(int last, out int layers)
    {
        layers = last + 1 < _layers.Count && _layers[last + 1] is Dropout { HasForwardHooks: false } ? 1 : 0;
        return layers == 1 && _layers[last + 1] is Dropout { Training: true } d ? d.P : 0f;
    }

    private bool AnyHooked(int first, int count)
    {
        for (int i = first; i < first + count; i++)
            if (_layers[i].HasForwardHooks) return true;
        return false;
    }

    private static bool IsHalving(MaxPool2d pool) =>
        pool.KernelSize == new Size2d(2, 2) && pool.Stride == new Size2d(2, 2) && pool.Padding == new Size2d(0, 0) && pool.Dilation == new Size2d(1, 1);
}
