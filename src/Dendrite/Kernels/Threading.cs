namespace Dendrite.Kernels;

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

    /// <summary>Runs body(i) for i in [0, count), in parallel when worth it; each index exactly once.</summary>
    internal static void For(int count, Action<int> body, bool parallel = true)
    {
        if (count == 1 || !parallel || s_numThreads == 1)
        {
            for (int i = 0; i < count; i++) body(i);
            return;
        }
        Parallel.For(0, count, new ParallelOptions { MaxDegreeOfParallelism = s_numThreads }, body);
    }
}
