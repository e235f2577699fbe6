using System.Diagnostics;
using System.Globalization;
using Dendrite;
using Dendrite.Cli;
using Dendrite.Data;
using Dendrite.Gpu;
using Dendrite.Optim;
using Dendrite.Training;
using ILGPU.Runtime.Cuda;

// The device check of issue 17 (bench/gpu/run.sh): on cuda:0, one W2 training epoch (MNIST, batch 64, Adam 1e-3),
// W5 inference (batch 256 throughput, batch 1 latency), and the own tiled GEMM against cuBLAS at n = 1024 and 4096.
// Rates are reported against the GPU's FP32 peak: 2 FLOPs (one FMA) × 128 FP32 lanes per SM × SMs × clock.

CultureInfo.DefaultThreadCurrentCulture = CultureInfo.InvariantCulture;
Device device;
try
{
    device = Device.Cuda(0);
}
catch (InvalidOperationException e)
{
    Console.Error.WriteLine($"gpu bench: {e.Message}");
    return 1;
}
var gpu = (GpuBackend)device.Backend;
var cuda = (CudaAccelerator)gpu.Accelerator;
double peakGflops = 2.0 * 128 * cuda.NumMultiprocessors * (cuda.ClockRate / 1e6); // ClockRate in kHz → GHz·… = GFLOP/s
Console.WriteLine(gpu.Description);
Console.WriteLine($"{cuda.Name}: {cuda.NumMultiprocessors} SMs at {cuda.ClockRate / 1000} MHz, FP32 peak ≈ {peakGflops:0} GFLOP/s (128 lanes/SM assumed)");

// W2: one epoch of training.
var (train, test) = Mnist.Load(args.Length > 0 ? args[0] : null);
Torch.ManualSeed(1);
var model = Presets.Create("mnist-cnn");
model.To(device);
var optimizer = new Adam(model.Parameters(), lr: 1e-3f);
const double w2FlopsPerImage = 3 * 2 * (26 * 26 * 32 * 9 + 24 * 24 * 64 * 32 * 9 + 9216 * 128 + 128 * 10); // forward + 2× backward
var clock = Stopwatch.StartNew();
var history = model.Fit(train, optimizer, Losses.CrossEntropy, epochs: 1, batchSize: 64, seed: 1, verbose: false);
gpu.Synchronize();
double epoch = clock.Elapsed.TotalSeconds;
double images = train.Count / epoch;
Console.WriteLine($"W2 epoch on cuda:0: {epoch:0.00} s, {images:0} images/s, {images * w2FlopsPerImage / 1e9 / peakGflops * 100:0.0}% of FP32 peak, loss {history["loss"][^1]:0.0000}");
var (_, accuracy) = model.Evaluate(test, Losses.CrossEntropy);
Console.WriteLine($"W2 test accuracy after one epoch: {accuracy * 100:0.00}%");

// W5: inference.
model.Eval();
using (Tensor.NoGrad())
{
    var batch = Tensor.Randn(new Shape(256, 1, 28, 28), new Generator(2)).To(device);
    model.Call(batch).ToArray();
    clock.Restart();
    const int reps = 20;
    for (int i = 0; i < reps; i++) model.Call(batch).ToArray();
    double rate = reps * 256 / clock.Elapsed.TotalSeconds;
    Console.WriteLine($"W5 batch 256 on cuda:0: {rate:0} images/s, {rate * w2FlopsPerImage / 3 / 1e9 / peakGflops * 100:0.0}% of FP32 peak");
    var one = Tensor.Randn(new Shape(1, 1, 28, 28), new Generator(3)).To(device);
    var latencies = new List<double>();
    for (int i = 0; i < 50; i++)
    {
        clock.Restart();
        model.Call(one).ToArray();
        latencies.Add(clock.Elapsed.TotalMicroseconds);
    }
    latencies.Sort();
    Console.WriteLine($"W5 batch 1 on cuda:0: median {latencies[25]:0} µs");
}

// GEMM: own tiled kernel against cuBLAS.
foreach (int n in new[] { 1024, 4096 })
{
    var g = new Generator(4);
    var a = gpu.Upload(Tensor.Randn(new Shape(n, n), g).ToArray());
    var b = gpu.Upload(Tensor.Randn(new Shape(n, n), g).ToArray());
    var c = gpu.Allocate(n * n);
    foreach (bool cublas in gpu.UsesCuBlas ? new[] { false, true } : new[] { false })
    {
        gpu.SquareGemm(a, b, c, n, cublas);
        gpu.Synchronize();
        int reps = n >= 4096 ? 5 : 20;
        clock.Restart();
        for (int i = 0; i < reps; i++) gpu.SquareGemm(a, b, c, n, cublas);
        gpu.Synchronize();
        double gflops = reps * 2.0 * n * n * n / clock.Elapsed.TotalSeconds / 1e9;
        Console.WriteLine($"GEMM n={n} {(cublas ? "cuBLAS" : "own tiled"),-9}: {gflops:0} GFLOP/s ({gflops / peakGflops * 100:0.0}% of FP32 peak)");
    }
    if (!gpu.UsesCuBlas) Console.WriteLine($"GEMM n={n} cuBLAS: not loaded");
}
return 0;
