using System.Diagnostics;
using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace Dendrite.Bench;

/// <summary>
/// W0: the machine's FMA peak, from 16 independent chains of fused multiply-adds on the widest vectors (Vector512 with
/// AVX-512, else Vector256 with FMA3), on one thread and on one thread per core at once. Sixteen chains cover the
/// latency × throughput of every current x86 core (4-cycle FMA, two pipes), so the figure is the issue rate.
/// </summary>
internal static class FmaPeak
{
    private const int Chains = 16;

    public static string Isa =>
        Avx512F.IsSupported ? "AVX-512 FMA on Vector512" :
        Fma.IsSupported ? "FMA3 on Vector256" :
        $"multiply + add on Vector<float> ({Vector<float>.Count} lanes, no FMA)";

    private static int Lanes => Avx512F.IsSupported ? 16 : Fma.IsSupported ? 8 : Vector<float>.Count;

    /// <summary>
    /// GFLOP/s of <paramref name="threads"/> threads each running the chains for about 0.2 s a sample: the median and the
    /// best of <paramref name="samples"/> samples.
    /// </summary>
    public static (double Median, double Best) GflopsPerSecond(int threads, int samples)
    {
        Run(1000); // compile before calibrating
        long iterations = 1_000_000;
        while (true)
        {
            long start = Stopwatch.GetTimestamp();
            Run(iterations);
            double t = Stopwatch.GetElapsedTime(start).TotalSeconds;
            if (t >= 0.05) { iterations = (long)(iterations * 0.2 / t); break; }
            iterations *= 4;
        }
        double flops = (double)iterations * Chains * Lanes * 2 * threads;
        var results = new double[samples];
        for (int s = 0; s < samples; s++) results[s] = flops / RunOnThreads(threads, iterations) / 1e9;
        return (Measure.Median(results), results.Max());
    }

    private static double RunOnThreads(int threads, long iterations)
    {
        if (threads == 1)
        {
            long start = Stopwatch.GetTimestamp();
            Run(iterations);
            return Stopwatch.GetElapsedTime(start).TotalSeconds;
        }
        using var barrier = new Barrier(threads + 1);
        var workers = new Thread[threads];
        for (int i = 0; i < threads; i++)
        {
            workers[i] = new Thread(() =>
            {
                barrier.SignalAndWait();
                Run(iterations);
            }) { IsBackground = true };
            workers[i].Start();
        }
        barrier.SignalAndWait();
        long begin = Stopwatch.GetTimestamp();
        foreach (var w in workers) w.Join();
        return Stopwatch.GetElapsedTime(begin).TotalSeconds;
    }

    private static float Run(long iterations) =>
        Avx512F.IsSupported ? Run512(iterations) : Fma.IsSupported ? Run256(iterations) : RunPortable(iterations);

    // a ← a·m + c converges to c/(1−m): no overflow, no subnormals, and the JIT cannot fold the loop away.
    [MethodImpl(MethodImplOptions.NoInlining | MethodImplOptions.AggressiveOptimization)]
    private static float Run512(long iterations)
    {
        var m = Vector512.Create(0.9999999f);
        var c = Vector512.Create(1e-7f);
        Vector512<float> a0 = Vector512.Create(0.01f), a1 = Vector512.Create(0.02f), a2 = Vector512.Create(0.03f), a3 = Vector512.Create(0.04f);
        Vector512<float> a4 = Vector512.Create(0.05f), a5 = Vector512.Create(0.06f), a6 = Vector512.Create(0.07f), a7 = Vector512.Create(0.08f);
        Vector512<float> a8 = Vector512.Create(0.09f), a9 = Vector512.Create(0.10f), a10 = Vector512.Create(0.11f), a11 = Vector512.Create(0.12f);
        Vector512<float> a12 = Vector512.Create(0.13f), a13 = Vector512.Create(0.14f), a14 = Vector512.Create(0.15f), a15 = Vector512.Create(0.16f);
        for (long i = 0; i < iterations; i++)
        {
            a0 = Avx512F.FusedMultiplyAdd(a0, m, c);
            a1 = Avx512F.FusedMultiplyAdd(a1, m, c);
            a2 = Avx512F.FusedMultiplyAdd(a2, m, c);
            a3 = Avx512F.FusedMultiplyAdd(a3, m, c);
            a4 = Avx512F.FusedMultiplyAdd(a4, m, c);
            a5 = Avx512F.FusedMultiplyAdd(a5, m, c);
            a6 = Avx512F.FusedMultiplyAdd(a6, m, c);
            a7 = Avx512F.FusedMultiplyAdd(a7, m, c);
            a8 = Avx512F.FusedMultiplyAdd(a8, m, c);
            a9 = Avx512F.FusedMultiplyAdd(a9, m, c);
            a10 = Avx512F.FusedMultiplyAdd(a10, m, c);
            a11 = Avx512F.FusedMultiplyAdd(a11, m, c);
            a12 = Avx512F.FusedMultiplyAdd(a12, m, c);
            a13 = Avx512F.FusedMultiplyAdd(a13, m, c);
            a14 = Avx512F.FusedMultiplyAdd(a14, m, c);
            a15 = Avx512F.FusedMultiplyAdd(a15, m, c);
        }
        return Vector512.Sum(((a0 + a1) + (a2 + a3)) + ((a4 + a5) + (a6 + a7)) + ((a8 + a9) + (a10 + a11)) + ((a12 + a13) + (a14 + a15)));
    }

    [MethodImpl(MethodImplOptions.NoInlining | MethodImplOptions.AggressiveOptimization)]
    private static float Run256(long iterations)
    {
        var m = Vector256.Create(0.9999999f);
        var c = Vector256.Create(1e-7f);
        Vector256<float> a0 = Vector256.Create(0.01f), a1 = Vector256.Create(0.02f), a2 = Vector256.Create(0.03f), a3 = Vector256.Create(0.04f);
        Vector256<float> a4 = Vector256.Create(0.05f), a5 = Vector256.Create(0.06f), a6 = Vector256.Create(0.07f), a7 = Vector256.Create(0.08f);
        Vector256<float> a8 = Vector256.Create(0.09f), a9 = Vector256.Create(0.10f), a10 = Vector256.Create(0.11f), a11 = Vector256.Create(0.12f);
        Vector256<float> a12 = Vector256.Create(0.13f), a13 = Vector256.Create(0.14f), a14 = Vector256.Create(0.15f), a15 = Vector256.Create(0.16f);
        for (long i = 0; i < iterations; i++)
        {
            a0 = Fma.MultiplyAdd(a0, m, c);
            a1 = Fma.MultiplyAdd(a1, m, c);
            a2 = Fma.MultiplyAdd(a2, m, c);
            a3 = Fma.MultiplyAdd(a3, m, c);
            a4 = Fma.MultiplyAdd(a4, m, c);
            a5 = Fma.MultiplyAdd(a5, m, c);
            a6 = Fma.MultiplyAdd(a6, m, c);
            a7 = Fma.MultiplyAdd(a7, m, c);
            a8 = Fma.MultiplyAdd(a8, m, c);
            a9 = Fma.MultiplyAdd(a9, m, c);
            a10 = Fma.MultiplyAdd(a10, m, c);
            a11 = Fma.MultiplyAdd(a11, m, c);
            a12 = Fma.MultiplyAdd(a12, m, c);
            a13 = Fma.MultiplyAdd(a13, m, c);
            a14 = Fma.MultiplyAdd(a14, m, c);
            a15 = Fma.MultiplyAdd(a15, m, c);
        }
        return Vector256.Sum(((a0 + a1) + (a2 + a3)) + ((a4 + a5) + (a6 + a7)) + ((a8 + a9) + (a10 + a11)) + ((a12 + a13) + (a14 + a15)));
    }

    [MethodImpl(MethodImplOptions.NoInlining | MethodImplOptions.AggressiveOptimization)]
    private static float RunPortable(long iterations)
    {
        var m = new Vector<float>(0.9999999f);
        var c = new Vector<float>(1e-7f);
        Span<Vector<float>> a = stackalloc Vector<float>[Chains];
        for (int k = 0; k < Chains; k++) a[k] = new Vector<float>(0.01f * (k + 1));
        for (long i = 0; i < iterations; i++)
            for (int k = 0; k < Chains; k++) a[k] = a[k] * m + c;
        var sum = Vector<float>.Zero;
        for (int k = 0; k < Chains; k++) sum += a[k];
        return Vector.Sum(sum);
    }
}
