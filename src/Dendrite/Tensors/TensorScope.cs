namespace Dendrite;

/// <summary>
/// A region whose tensors recycle their storage when it ends: <c>using (Tensor.Scope()) { … }</c>. Inside it, new
/// tensors take their storage from a pool, and disposing the scope gives every such buffer back for the next
/// region. A training step runs in one, so that from the second step on training takes no new memory: on the virtual
/// machines we measure on, the first touch of each fresh 4 KiB page costs about 12 µs, which dominates a step that
/// allocates its activations anew.
/// </summary>
/// <remarks>
/// Tensors created inside a scope must not be used after it ends: their storage then belongs to later tensors.
/// Copy what must survive with <see cref="Tensor.Clone"/> after the scope, or read it out (<see cref="Tensor.Item"/>,
/// <see cref="Tensor.ToArray"/>) inside. Gradients of leaves and everything made outside a scope are ordinary memory.
/// Scopes belong to the thread that opened them and nest; an inner scope returns only its own buffers.
/// </remarks>
public sealed class TensorScope : IDisposable
{
    [ThreadStatic] private static TensorScope? t_current;

    private readonly List<float[]> _rented = [];
    private TensorScope? _outer;
    private bool _open;

    private TensorScope() { }

    internal static TensorScope? Current => t_current;

    /// <summary>Opens a scope on this thread (reusing a pooled scope object, so opening one allocates nothing).</summary>
    internal static TensorScope Begin()
    {
        var scope = StoragePool.RentScope() ?? new TensorScope();
        scope._outer = t_current;
        scope._open = true;
        t_current = scope;
        return scope;
    }

    /// <summary>Storage for a tensor of <paramref name="length"/> elements, owned by this scope.</summary>
    internal float[] Rent(int length)
    {
        var array = StoragePool.Rent(length);
        _rented.Add(array);
        return array;
    }

    /// <summary>Runs <paramref name="action"/> outside any scope: what it allocates is ordinary, long-lived memory.</summary>
    internal static T Outside<T>(Func<T> action)
    {
        var saved = t_current;
        t_current = null;
        try { return action(); }
        finally { t_current = saved; }
    }

    /// <summary>
    /// Ends this scope on the thread that began it but keeps its buffers out of the pool, handing them to the caller:
    /// a batch built on a worker thread leaves with its storage, which <see cref="Adopt"/> gives to the consumer's scope.
    /// </summary>
    internal float[][] Detach()
    {
        if (!ReferenceEquals(t_current, this))
            throw new InvalidOperationException("TensorScope: scopes must end in the reverse order they began, on the thread that began them.");
        _open = false;
        t_current = _outer;
        _outer = null;
        float[][] rented = [.. _rented];
        _rented.Clear();
        StoragePool.ReturnScope(this);
        return rented;
    }

    /// <summary>Makes this scope the owner of <paramref name="rented"/> (from <see cref="Detach"/>): they return to the pool when it ends.</summary>
    internal void Adopt(float[][] rented) => _rented.AddRange(rented);

    /// <summary>Gives buffers that no scope adopted back to the pool (a prefetched batch nobody took).</summary>
    internal static void Release(float[][] rented)
    {
        foreach (var array in rented) StoragePool.Return(array);
    }

    public void Dispose()
    {
        if (!_open) return;
        if (!ReferenceEquals(t_current, this))
            throw new InvalidOperationException("TensorScope: scopes must end in the reverse order they began, on the thread that began them.");
        _open = false;
        t_current = _outer;
        _outer = null;
        foreach (var array in _rented) StoragePool.Return(array);
        _rented.Clear();
        StoragePool.ReturnScope(this);
    }
}
