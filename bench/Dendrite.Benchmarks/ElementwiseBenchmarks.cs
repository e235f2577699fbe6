using BenchmarkDotNet.Attributes;

namespace Dendrite.Benchmarks;

/// <summary>Memory-bound elementwise ops on 1M floats (4 MB in, 4 MB out): ReLU, Add, Mul.</summary>
[MemoryDiagnoser]
public class ElementwiseBenchmarks
{
    private const int Length = 1 << 20;
    private Tensor _x = null!;
    private Tensor _y = null!;

    [GlobalSetup]
    public void Setup()
    {
        Torch.ManualSeed(1);
        _x = Tensor.Randn(Length);
        _y = Tensor.Randn(Length);
    }

    [Benchmark]
    public Tensor ReLU() => F.ReLU(_x);

    [Benchmark]
    public Tensor Add() => F.Add(_x, _y);

    [Benchmark]
    public Tensor Mul() => F.Mul(_x, _y);
}
