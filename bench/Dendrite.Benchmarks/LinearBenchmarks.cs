using BenchmarkDotNet.Attributes;

namespace Dendrite.Benchmarks;

/// <summary>
/// F.Linear forward + backward at W1's sizes, batch 128: one layer's share of a training step. The weight and bias are
/// leaves that need gradients; their gradients are zeroed in place each time, as Trainer.Fit's ZeroGrad does.
/// </summary>
[MemoryDiagnoser]
public class LinearBenchmarks
{
    private Tensor _x = null!;
    private Tensor _weight = null!;
    private Tensor _bias = null!;
    private Tensor _dy = null!;

    /// <summary>in→out of the three layers of the W1 net.</summary>
    [Params("784-512", "512-512", "512-10")]
    public string Layer { get; set; } = "784-512";

    [Params(128)]
    public int Batch { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        var parts = Layer.Split('-');
        int inF = int.Parse(parts[0]), outF = int.Parse(parts[1]);
        Torch.ManualSeed(1);
        _x = Tensor.Randn(Batch, inF);
        _weight = Tensor.Randn(outF, inF).RequireGrad();
        _bias = Tensor.Randn(outF).RequireGrad();
        _dy = Tensor.Randn(Batch, outF);
    }

    [Benchmark]
    public Tensor Forward()
    {
        using var noGrad = Tensor.NoGrad();
        return F.Linear(_x, _weight, _bias);
    }

    [Benchmark]
    public Tensor ForwardBackward()
    {
        _weight.Grad?.Data.Clear();
        _bias.Grad?.Data.Clear();
        var y = F.Linear(_x, _weight, _bias);
        y.Backward(_dy);
        return y;
    }
}
