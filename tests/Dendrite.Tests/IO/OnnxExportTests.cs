using Dendrite.Cli;
using Dendrite.NN;
using Dendrite.Onnx;
using Dendrite.Tests.TestSupport;
using Microsoft.ML.OnnxRuntime;
using Xunit.Abstractions;

namespace Dendrite.Tests.IO;

/// <summary>
/// ONNX export checked by ONNX Runtime: each exported model runs there, and its outputs match Dendrite's on random
/// inputs within 1e-4 relative (the largest difference over the largest output magnitude).
/// </summary>
public class OnnxExportTests(ITestOutputHelper output)
{
    /// <summary>One row per layer type with an ONNX emitter: the layer, alone or in a small net, and a sample shape.</summary>
    public sealed record ExportCase(string Name, Type LayerType, Func<Module> Create, int[] SampleShape, Func<int, Generator, Tensor>? Input = null)
    {
        public override string ToString() => Name;
    }

    public static IReadOnlyList<ExportCase> Cases { get; } =
    [
        new("W1 MLP", typeof(Sequential), Presets.MnistMlp, [1, 28, 28]),
        new("Linear", typeof(Linear), () => new Linear(6, 4), [6]),
        new("Linear on [N, T, In]", typeof(Linear), () => new Linear(6, 4), [3, 6]),
        new("Linear without bias", typeof(Linear), () => new Linear(6, 4, bias: false), [6]),
        new("Identity", typeof(Identity), () => new Identity(), [5]),
        new("Flatten", typeof(Flatten), () => new Flatten(), [2, 3, 4]),
        new("Flatten(2, 3)", typeof(Flatten), () => new Flatten(2, 3), [2, 3, 4]),
        new("Flatten(0, 1)", typeof(Flatten), () => new Flatten(0, 1), [2, 3, 4]),
        new("ReLU", typeof(ReLU), () => new ReLU(), [7]),
        new("Sigmoid", typeof(Sigmoid), () => new Sigmoid(), [7]),
        new("Tanh", typeof(Tanh), () => new Tanh(), [7]),
        new("SiLU", typeof(SiLU), () => new SiLU(), [7]),
        new("LeakyReLU", typeof(LeakyReLU), () => new LeakyReLU(0.2f), [7]),
        new("ELU", typeof(ELU), () => new ELU(0.7f), [7]),
        new("Softplus", typeof(Softplus), () => new Softplus(), [7]),
        new("Softplus beta 2", typeof(Softplus), () => new Softplus(2f), [7]),
        new("GELU", typeof(GELU), () => new GELU(), [7]),
        new("GELU tanh", typeof(GELU), () => new GELU("tanh"), [7]),
        new("Softmax", typeof(Softmax), () => new Softmax(), [7]),
        new("Softmax dim 1 of 3", typeof(Softmax), () => new Softmax(1), [4, 3]),
        new("LogSoftmax", typeof(LogSoftmax), () => new LogSoftmax(), [7]),
        new("Maxout", typeof(Maxout), () => new Maxout(3), [9]),
        new("Maxout dim 1 of 3", typeof(Maxout), () => new Maxout(2, 1), [4, 3]),
        new("W2 CNN", typeof(Sequential), Presets.MnistCnn, [1, 28, 28]),
        new("mnist-best (conv + batch norm)", typeof(BatchNorm2d), Presets.MnistBest, [1, 28, 28]),
        new("ConvTranspose2d net", typeof(ConvTranspose2d), () => new Sequential(
            new Conv2d(1, 8, 3, stride: 2, padding: 1), new ReLU(),
            new ConvTranspose2d(8, 4, 3, stride: 2, padding: 1, outputPadding: 1), new ReLU(),
            new ConvTranspose2d(4, 1, (3, 2), padding: (1, 0), dilation: (1, 2)), new Sigmoid()), [1, 12, 12]),
        new("ConvTranspose2d groups", typeof(ConvTranspose2d), () => new ConvTranspose2d(4, 6, 3, stride: 2, groups: 2, bias: false), [4, 5, 5]),
        new("Conv1d", typeof(Conv1d), () => new Conv1d(4, 6, 3, stride: 2, padding: 1, groups: 2), [4, 11]),
        new("Conv1d same", typeof(Conv1d), () => new Conv1d(3, 5, 4, padding: "same", dilation: 2, bias: false), [3, 9]),
        new("Conv2d", typeof(Conv2d), () => new Conv2d(2, 4, (3, 2), stride: (2, 1), padding: (1, 0)), [2, 7, 6]),
        new("Conv2d same dilated", typeof(Conv2d), () => new Conv2d(2, 3, 4, padding: "same", dilation: (2, 1)), [2, 9, 9]),
        new("ConvTranspose1d", typeof(ConvTranspose1d), () => new ConvTranspose1d(4, 2, 3, stride: 2, padding: 1, outputPadding: 1), [4, 5]),
        new("MaxPool1d", typeof(MaxPool1d), () => new MaxPool1d(3, stride: 2, padding: 1), [3, 9]),
        new("MaxPool2d", typeof(MaxPool2d), () => new MaxPool2d((2, 3), stride: 1, padding: (1, 1), dilation: (1, 2)), [3, 6, 7]),
        new("MaxPool2d 2x2 ceil mode", typeof(MaxPool2d), () => new MaxPool2d(2, ceilMode: true), [3, 7, 7]),
        new("AvgPool1d", typeof(AvgPool1d), () => new AvgPool1d(2, padding: 1, countIncludePad: false), [3, 7]),
        new("AvgPool2d", typeof(AvgPool2d), () => new AvgPool2d(3, stride: 2, padding: 1), [3, 8, 8]),
        new("AvgPool2d no pad count", typeof(AvgPool2d), () => new AvgPool2d(3, stride: 2, padding: 1, countIncludePad: false), [3, 8, 8]),
        new("AdaptiveAvgPool1d", typeof(AdaptiveAvgPool1d), () => new AdaptiveAvgPool1d(3), [3, 9]),
        new("AdaptiveAvgPool2d", typeof(AdaptiveAvgPool2d), () => new AdaptiveAvgPool2d((2, 3)), [3, 8, 9]),
        new("AdaptiveAvgPool2d to 1", typeof(AdaptiveAvgPool2d), () => new AdaptiveAvgPool2d(1), [3, 5, 7]),
        new("AdaptiveMaxPool1d", typeof(AdaptiveMaxPool1d), () => new AdaptiveMaxPool1d(3), [3, 9]),
        new("AdaptiveMaxPool2d", typeof(AdaptiveMaxPool2d), () => new AdaptiveMaxPool2d((2, 3)), [3, 8, 9]),
        new("AdaptiveMaxPool2d to 1", typeof(AdaptiveMaxPool2d), () => new AdaptiveMaxPool2d(1), [3, 5, 7]),
        new("GlobalAvgPool2d", typeof(GlobalAvgPool2d), () => new GlobalAvgPool2d(), [3, 4, 5]),
        new("Upsample scale", typeof(Upsample), () => new Upsample(scaleFactor: 2f), [2, 3, 4]),
        new("Upsample size", typeof(Upsample), () => new Upsample(size: (5, 7)), [2, 3, 4]),
        new("BatchNorm1d", typeof(BatchNorm1d), () => new BatchNorm1d(3, eps: 1e-3f), [3, 4]),
        new("BatchNorm1d on [N, C]", typeof(BatchNorm1d), () => new BatchNorm1d(3, affine: false), [3]),
        new("BatchNorm2d", typeof(BatchNorm2d), () => new BatchNorm2d(3), [3, 2, 2]),
        new("BasicBlock identity shortcut", typeof(BasicBlock), () => new BasicBlock(3, 3), [3, 6, 6]),
        new("BasicBlock stride 2 projection", typeof(BasicBlock), () => new BasicBlock(2, 4, stride: 2), [2, 7, 7]),
        new("W6 ResNet (bench)", typeof(BasicBlock), () => new Sequential(
            new Conv2d(3, 8, 3, padding: 1, bias: false), new BatchNorm2d(8), new ReLU(),
            new BasicBlock(8, 8), new BasicBlock(8, 16, stride: 2), new AdaptiveAvgPool2d(1), new Flatten(), new Linear(16, 10)), [3, 12, 12]),
        new("LayerNorm", typeof(LayerNorm), () => new LayerNorm([3, 4], eps: 1e-4f), [3, 4]),
        new("LayerNorm no affine", typeof(LayerNorm), () => new LayerNorm(4, elementwiseAffine: false), [4]),
        new("Dropout", typeof(Dropout), () => new Dropout(0.3f), [5]),
        new("Dropout2d", typeof(Dropout2d), () => new Dropout2d(0.2f), [3, 4, 4]),
        new("Unflatten", typeof(Unflatten), () => new Unflatten(1, 2, 3, 2), [12]),
        new("ZeroPad2d", typeof(ZeroPad2d), () => new ZeroPad2d(1, 2, 0, 3), [3, 4, 5]),
        new("W3 LSTM (mnist-lstm)", typeof(RecurrentClassifier), Presets.MnistLstm, [1, 28, 28]),
        new("LSTM 2 layers bidirectional", typeof(LSTM), () => new LSTM(3, 4, numLayers: 2, bidirectional: true), [2, 3]),
        new("LSTM batch first no bias", typeof(LSTM), () => new LSTM(3, 5, bias: false, batchFirst: true), [6, 3]),
        new("GRU bidirectional batch first", typeof(GRU), () => new GRU(3, 4, numLayers: 2, bidirectional: true, batchFirst: true), [6, 3]),
        new("RNN relu", typeof(RNN), () => new RNN(3, 4, numLayers: 2, nonlinearity: "relu", batchFirst: true), [6, 3]),
        new("RNN tanh bidirectional", typeof(RNN), () => new RNN(3, 4, bidirectional: true), [2, 3]),
        new("RNNCell", typeof(RNNCell), () => new RNNCell(3, 4, nonlinearity: "relu"), [3]),
        new("LSTMCell", typeof(LSTMCell), () => new LSTMCell(3, 4), [3]),
        new("GRUCell", typeof(GRUCell), () => new GRUCell(3, 4, bias: false), [3]),
        new("GRU classifier", typeof(RecurrentClassifier), () => new RecurrentClassifier(new GRU(3, 4, bidirectional: true, batchFirst: true), 5), [6, 3]),
        new("Embedding", typeof(Embedding), () => new Sequential(new Embedding(7, 3), new Flatten()), [4],
            (batch, rng) => Tensor.FromArray([.. Enumerable.Range(0, 4 * batch).Select(_ => (float)rng.NextInt(7))], batch, 4)),
        new("nested Sequential", typeof(Sequential), () => new Sequential(new Linear(4, 5), new Sequential(new Tanh(), new Linear(5, 3)), new Softmax()), [4]),
    ];

    public static TheoryData<ExportCase> CaseData => [.. Cases];

    /// <summary>max |a − b| / max |b|.</summary>
    private static double RelativeError(ReadOnlySpan<float> actual, ReadOnlySpan<float> expected)
    {
        double diff = 0, scale = 0;
        for (int i = 0; i < expected.Length; i++)
        {
            diff = Math.Max(diff, Math.Abs(actual[i] - expected[i]));
            scale = Math.Max(scale, Math.Abs(expected[i]));
        }
        return diff / Math.Max(scale, 1e-30);
    }

    /// <summary>Runs an exported model in ONNX Runtime on <paramref name="x"/> and returns the output.</summary>
    internal static (float[] Values, long[] Shape) RunOnnx(byte[] model, Tensor x)
    {
        using var session = new InferenceSession(model);
        using var input = OrtValue.CreateTensorValueFromMemory(x.ToArray(), x.Shape.Select(d => (long)d).ToArray());
        using var runOptions = new RunOptions();
        using var outputs = session.Run(runOptions, ["input"], [input], ["output"]);
        var output = outputs[0];
        return (output.GetTensorDataAsSpan<float>().ToArray(), output.GetTensorTypeAndShape().Shape);
    }

    [Theory, MemberData(nameof(CaseData))]
    public void ONNX_Runtime_matches_Dendrite_within_1e_4_relative(ExportCase c)
    {
        var model = c.Create();
        var rng = new Generator(21);
        foreach (var p in model.Parameters()) Init.Normal(p, 0f, 0.5f, rng);
        // Running statistics away from 0 and 1, so evaluation-mode BatchNorm is really tested.
        foreach (var (name, b) in model.NamedBuffers())
            if (name.EndsWith("running_mean", StringComparison.Ordinal)) Init.Normal(b, 0f, 0.5f, rng);
            else if (name.EndsWith("running_var", StringComparison.Ordinal)) Init.Uniform(b, 0.5f, 2f, rng);
        byte[] onnx = OnnxExport.ToBytes(model, new Shape(c.SampleShape));

        foreach (int batch in new[] { 1, 5 }) // the batch dimension is symbolic
        {
            var x = c.Input?.Invoke(batch, rng) ?? Tensor.Randn(new Shape([batch, .. c.SampleShape]), rng) * 2f;
            var expected = model.Eval().Forward(x);
            var (values, shape) = RunOnnx(onnx, x);

            Assert.Equal(expected.Shape.Select(d => (long)d), shape);
            double error = RelativeError(values, expected.Data);
            output.WriteLine($"{c.Name}, batch {batch}: relative error {error:E2}");
            Assert.True(error <= 1e-4, $"{c.Name}, batch {batch}: relative error {error:E2}");
        }
    }

    [Fact]
    public void Every_layer_type_with_a_JSON_description_has_an_emitter_and_a_row()
    {
        var covered = Cases.Select(c => c.LayerType).ToHashSet();
        var noRow = OnnxExport.RegisteredTypes.Where(t => !covered.Contains(t)).Select(t => t.Name).ToList();
        Assert.True(noRow.Count == 0, "add a row to OnnxExportTests.Cases for: " + string.Join(", ", noRow));
        var noEmitter = Dendrite.IO.Architecture.RegisteredTypes.Values
            .Where(t => t.Assembly == typeof(Module).Assembly && !OnnxExport.RegisteredTypes.Contains(t)).Select(t => t.Name).ToList();
        Assert.True(noEmitter.Count == 0, "add an ONNX emitter to BuiltInExporters for: " + string.Join(", ", noEmitter));
    }

    [Fact]
    public void Initializers_carry_the_PyTorch_state_dict_names()
    {
        byte[] onnx = OnnxExport.ToBytes(Presets.MnistMlp(), new Shape(1, 28, 28));
        using var session = new InferenceSession(onnx);

        Assert.Equal(["input"], session.InputMetadata.Keys);
        Assert.Equal(["output"], session.OutputMetadata.Keys);
        Assert.Equal([-1, 1, 28, 28], session.InputMetadata["input"].Dimensions);
        Assert.Equal([-1, 10], session.OutputMetadata["output"].Dimensions);
        string text = System.Text.Encoding.UTF8.GetString(onnx);
        foreach (var name in new[] { "1.weight", "1.bias", "3.weight", "5.bias" }) Assert.Contains(name, text);
    }

    private sealed class Unknown : Module
    {
        public override Tensor Forward(Tensor input) => input;
    }

    [Fact]
    public void A_layer_without_an_emitter_is_named()
    {
        var e = Assert.Throws<NotSupportedException>(() => OnnxExport.ToBytes(new Sequential(new Linear(2, 2), new Unknown()), new Shape(2)));
        Assert.Equal("ONNX export: layer \"1\" is a Unknown, which has no ONNX emitter. Hint: OnnxExport.Register<Unknown>(…).", e.Message);
    }

    [Fact]
    public void Save_writes_the_file_atomically_and_leaves_the_model_in_its_mode()
    {
        using var dir = new TempDirectory();
        var model = Presets.MnistMlp();
        string path = dir.File("mlp.onnx");

        OnnxExport.Save(model, path, new Shape(1, 28, 28));

        Assert.True(model.Training);
        Assert.Equal(OnnxExport.ToBytes(model, new Shape(1, 28, 28)), File.ReadAllBytes(path));
        Assert.Equal([path], Directory.GetFiles(dir.Path));
    }
}
