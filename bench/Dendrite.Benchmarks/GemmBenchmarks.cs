using BenchmarkDotNet.Attributes;
using Dendrite.Backends;
using Dendrite.Backends.Cpu;

namespace Dendrite.Benchmarks;

/// <summary>W4 as a micro-benchmark: F.MatMul of two n×n float32 matrices, on 1 thread and on all cores.</summary>
[MemoryDiagnoser]
[Config(typeof(GflopsConfig))]
public class GemmBenchmarks
{
    private Tensor _a = null!;
    private Tensor _b = null!;

    [Params(128, 256, 512, 1024)]
    public int N { get; set; }

    [ParamsSource(nameof(ThreadCounts))]
    public int Threads { get; set; }

    public static IEnumerable<int> ThreadCounts => Environment.ProcessorCount == 1 ? [1] : [1, Environment.ProcessorCount];

    [GlobalSetup]
    public void Setup()
    {
        Threading.NumThreads = Threads;
        Torch.ManualSeed(1);
        _a = Tensor.Randn(N, N);
        _b = Tensor.Randn(N, N);
    }

    [Benchmark]
    public Tensor MatMul() => F.MatMul(_a, _b);
}
