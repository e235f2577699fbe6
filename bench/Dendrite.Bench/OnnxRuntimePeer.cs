using Dendrite.Cli;
using Dendrite.Data;
using Dendrite.NN;
using Dendrite.Onnx;
using Microsoft.ML.OnnxRuntime;

namespace Dendrite.Bench;

/// <summary>
/// The second peer of ../shared/bench/PROTOCOL.md: the inference workloads ("infer", W5, W6's inference) run by ONNX
/// Runtime (CPU execution provider) on the ONNX file Dendrite exports of the same freshly built net (the protocol
/// seed). It runs in the harness process, after all of Dendrite's workloads (its native thread pool then cannot
/// disturb them), with the same inputs and the same <see cref="Measure"/> rules, and reports figures under Dendrite's
/// ids so the table pairs them.
/// </summary>
internal static class OnnxRuntimePeer
{
    /// <summary>The workloads this peer runs, in the harness's order.</summary>
    public static readonly string[] Workloads = ["infer", "w5", "w6"];

    /// <summary>The ONNX Runtime version (of the native library this process loaded).</summary>
    public static string Version => OrtEnv.Instance().GetVersionString();

    /// <summary>
    /// Session settings a user tuning for throughput would pick: all cores for the operators (intra-op threads), one
    /// inter-op thread (the graphs are chains), every graph optimisation (constant folding, Conv+BatchNorm+ReLU fusion,
    /// NCHWc layouts).
    /// </summary>
    private static SessionOptions Options()
    {
        var options = new SessionOptions
        {
            IntraOpNumThreads = Protocol.AllCores,
            InterOpNumThreads = 1,
            ExecutionMode = ExecutionMode.ORT_SEQUENTIAL,
            GraphOptimizationLevel = GraphOptimizationLevel.ORT_ENABLE_ALL,
        };
        return options;
    }

    /// <summary>"infer": the W1 net, batch-1 latency and batch-256 throughput on MNIST test images.</summary>
    public static IEnumerable<Figure> Inference(string? dataDirectory, bool quick) =>
        Infer("infer", Presets.MnistMlp, MnistInputs(dataDirectory), new Shape(1, 28, 28), quick, rate: null);

    /// <summary>W5: the W2 net the same way, and its batch-256 throughput as GFLOP/s.</summary>
    public static IEnumerable<Figure> CnnInference(string? dataDirectory, bool quick) =>
        Infer("w5", Presets.MnistCnn, MnistInputs(dataDirectory), new Shape(1, 28, 28), quick, Protocol.CnnInferRate);

    /// <summary>W6's inference: the ResNet on the first 256 generated images (no batch-1 row, as on the other sides).</summary>
    public static IEnumerable<Figure> ResNetInference(bool quick)
    {
        var batch = DendriteWorkloads.ResNetData(Protocol.InferBatch).Inputs;
        return Infer("w6", DendriteWorkloads.ResNet, (null, batch),
            new Shape(Protocol.ResNetChannels, Protocol.ResNetSize, Protocol.ResNetSize), quick, Protocol.ResNetInferRate);
    }

    private static (Tensor One, Tensor Batch) MnistInputs(string? dataDirectory)
    {
        var (_, test) = Mnist.Load(dataDirectory);
        return (test.GetBatch([0]).Input, test.GetBatch([.. Enumerable.Range(0, Protocol.InferBatch)]).Input);
    }

    /// <summary>
    /// Exports a fresh <paramref name="build"/>() (the protocol seed, as the Dendrite side builds it) and times
    /// session.Run as Dendrite's Infer times Forward: the median latency of <paramref name="inputs"/>.One (when given)
    /// and the median time of <paramref name="inputs"/>.Batch. Inputs are bound once; each call's output is freed.
    /// </summary>
    private static IEnumerable<Figure> Infer(string workload, Func<Module> build, (Tensor? One, Tensor Batch) inputs, Shape sampleShape,
        bool quick, Func<double, Figure>? rate)
    {
        Torch.ManualSeed((ulong)Protocol.Seed);
        byte[] model = OnnxExport.ToBytes(build(), sampleShape);
        using var options = Options();
        using var session = new InferenceSession(model, options);
        using var runOptions = new RunOptions();
        string[] inputNames = ["input"], outputNames = ["output"];

        double Time(Tensor x, int samples, int warmup)
        {
            using var value = OrtValue.CreateTensorValueFromMemory(x.ToArray(), [.. x.Shape.Select(d => (long)d)]);
            OrtValue[] bound = [value];
            return Measure.MedianLatency(() =>
            {
                using var outputs = session.Run(runOptions, inputNames, bound, outputNames);
            }, samples, warmup);
        }

        if (inputs.One is { } one) yield return Protocol.Latency(workload, Time(one, Protocol.LatencySamples(quick), warmup: 200));
        double perBatch = Time(inputs.Batch, Protocol.ThroughputSamples(quick), warmup: 10);
        yield return Protocol.Throughput(workload, perBatch);
        if (rate is not null) yield return rate(perBatch);
    }
}
