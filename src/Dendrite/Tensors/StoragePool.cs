namespace Dendrite;

/// <summary>
/// Float buffers kept for reuse, bucketed by exact length: a training step asks for the same shapes every time, so
/// exact lengths hit, and a buffer is never larger than its tensor (spans over it stay exact).
/// </summary>
internal static class StoragePool
{
    private static readonly Dictionary<int, Stack<float[]>> s_buckets = [];
    private static readonly Stack<TensorScope> s_scopes = new();
    private static readonly Lock s_lock = new();

    public static float[] Rent(int length)
    {
        if (length == 0) return [];
        lock (s_lock)
        {
            if (s_buckets.TryGetValue(length, out var stack) && stack.Count > 0) return stack.Pop();
        }
        return GC.AllocateUninitializedArray<float>(length);
    }

    public static void Return(float[] array)
    {
        if (array.Length == 0) return;
        lock (s_lock)
        {
            if (!s_buckets.TryGetValue(array.Length, out var stack)) s_buckets[array.Length] = stack = new Stack<float[]>();
            stack.Push(array);
        }
    }

    public static TensorScope? RentScope()
    {
        lock (s_lock) return s_scopes.Count > 0 ? s_scopes.Pop() : null;
    }

    public static void ReturnScope(TensorScope scope)
    {
        lock (s_lock) s_scopes.Push(scope);
    }
}
