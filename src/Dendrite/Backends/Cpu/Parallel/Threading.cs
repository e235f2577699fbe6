namespace Dendrite.Backends.Cpu;

/// <summary>
/// How many threads the kernels use: all cores by default, <c>DENDRITE_NUM_THREADS</c> or <see cref="NumThreads"/> to change it.
/// Work is split over independent outputs only, so results never depend on the thread count.
/// </summary>
public static class Threading
{
    private static int s_numThreads = ReadEnvironment();

    public static int NumThreads
    {
        get => s_numThreads;
        set => s_numThreads = value >= 1 ? value : throw new ArgumentOutOfRangeException(nameof(value), $"NumThreads must be >= 1, got {value}.");
    }

    private static int ReadEnvironment()
    {
        var text = Environment.GetEnvironmentVariable("DENDRITE_NUM_THREADS");
        return int.TryParse(text, out int n) && n >= 1 ? n : Environment.ProcessorCount;
    }

    /// <summary>
    /// Threads a kernel started on this thread can use: 1 inside another kernel's parallel task (nested work runs
    /// inline), else <see cref="NumThreads"/>. Kernels check it to take a serial path that allocates no closures.
    /// </summary>
    internal static int Available => WorkerPool.IsInsideTask ? 1 : s_numThreads;

    private static WorkerPool? s_pool;
    private static readonly Lock s_poolLock = new();

    /// <summary>Runs body(i) for i in [0, count), in parallel when worth it; each index exactly once.</summary>
    internal static void For(int count, Action<int> body, bool parallel = true)
    {
        if (count == 1 || !parallel || s_numThreads == 1)
        {
            for (int i = 0; i < count; i++) body(i);
            return;
        }
        Pool().Run(count, body);
    }

    /// <summary>The worker pool for the current thread count (the caller is one of the threads).</summary>
    private static WorkerPool Pool()
    {
        var pool = s_pool;
        if (pool is not null && pool.Workers == s_numThreads - 1) return pool;
        lock (s_poolLock)
        {
            // A pool of the old size keeps its (sleeping, background) threads; sizes rarely change.
            if (s_pool is null || s_pool.Workers != s_numThreads - 1) s_pool = new WorkerPool(s_numThreads - 1);
            return s_pool;
        }
    }
}
