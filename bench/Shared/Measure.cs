using System.Diagnostics;

namespace Dendrite.Bench;

/// <summary>Timing helpers shared by the harness and the peer, so both systems are timed by the same rules.</summary>
public static class Measure
{
    public static double Median(IReadOnlyList<double> values)
    {
        if (values.Count == 0) return double.NaN;
        var sorted = values.ToArray();
        Array.Sort(sorted);
        int mid = sorted.Length / 2;
        return sorted.Length % 2 == 1 ? sorted[mid] : 0.5 * (sorted[mid - 1] + sorted[mid]);
    }

    /// <summary>
    /// Median seconds of one call of <paramref name="body"/>: <paramref name="warmup"/> untimed calls, then
    /// <paramref name="samples"/> timed samples. A sample is the mean of k back-to-back calls, with k the smallest power of
    /// two that makes a sample last at least <paramref name="minSampleSeconds"/> (k = 1 for anything slow), so tiny
    /// calls are not lost in the clock's resolution.
    /// </summary>
    public static double MedianSeconds(Action body, int samples, int warmup, double minSampleSeconds = 0.01)
    {
        WarmUp(body, warmup);
        int k = 1;
        while (true)
        {
            double t = Time(body, k);
            if (t >= minSampleSeconds || k >= 1 << 20) break;
            k *= 2;
        }
        var times = new double[samples];
        for (int s = 0; s < samples; s++) times[s] = Time(body, k) / k;
        return Median(times);
    }

    /// <summary>Median seconds over <paramref name="samples"/> single calls, each timed on its own (latency).</summary>
    public static double MedianLatency(Action body, int samples, int warmup)
    {
        WarmUp(body, warmup);
        var times = new double[samples];
        for (int s = 0; s < samples; s++) times[s] = Time(body, 1);
        return Median(times);
    }

    /// <summary>
    /// At least <paramref name="calls"/> calls and at least <see cref="WarmUpSeconds"/> of them: .NET compiles a hot
    /// method's optimised code in the background some 100 ms after its 30th call, so a count alone can end the warm-up
    /// while the quick first-tier code still runs, and a few hundred fast calls would time exactly that.
    /// </summary>
    private static void WarmUp(Action body, int calls)
    {
        long start = Stopwatch.GetTimestamp();
        for (int i = 0; i < calls || Stopwatch.GetElapsedTime(start).TotalSeconds < WarmUpSeconds; i++) body();
    }

    private const double WarmUpSeconds = 1.0;

    private static double Time(Action body, int count)
    {
        long start = Stopwatch.GetTimestamp();
        for (int i = 0; i < count; i++) body();
        return Stopwatch.GetElapsedTime(start).TotalSeconds;
    }
}
