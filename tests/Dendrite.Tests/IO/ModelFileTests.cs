using System.Text.Json.Nodes;
using Dendrite.IO;
using Dendrite.NN;
using Dendrite.Tests.TestSupport;

namespace Dendrite.Tests.IO;

/// <summary>Model files: architecture JSON + safetensors weights in one file, rebuilt with ModelFile.Load.</summary>
public class ModelFileTests
{
    /// <summary>One row per built-in layer type: how to build it, with non-default arguments, and an input shape.</summary>
    public sealed record LayerCase(string Type, Func<Module> Create, int[] InputShape, Func<Tensor>? Input = null)
    {
        public override string ToString() => Type;
    }

    public static IReadOnlyList<LayerCase> Layers { get; } =
    [
        new("Linear", () => new Linear(5, 3), [4, 5]),
        new("Linear", () => new Linear(5, 3, bias: false), [2, 6, 5]),
        new("Identity", () => new Identity(), [2, 3]),
        new("Flatten", () => new Flatten(), [2, 3, 4, 5]),
        new("Flatten", () => new Flatten(0, 2), [2, 3, 4, 5]),
        new("ReLU", () => new ReLU(), [3, 4]),
        new("Sigmoid", () => new Sigmoid(), [3, 4]),
        new("Tanh", () => new Tanh(), [3, 4]),
        new("SiLU", () => new SiLU(), [3, 4]),
        new("LeakyReLU", () => new LeakyReLU(0.2f), [3, 4]),
        new("ELU", () => new ELU(0.7f), [3, 4]),
        new("Softplus", () => new Softplus(2f, 3f), [3, 4]),
        new("GELU", () => new GELU("tanh"), [3, 4]),
        new("Softmax", () => new Softmax(0), [3, 4]),
        new("LogSoftmax", () => new LogSoftmax(1), [3, 4]),
        new("Maxout", () => new Maxout(2, 1), [3, 6]),
        new("Conv1d", () => new Conv1d(4, 6, 3, stride: 2, padding: 1, dilation: 1, groups: 2), [2, 4, 11]),
        new("Conv1d", () => new Conv1d(3, 5, 4, padding: "same", dilation: 2, bias: false), [2, 3, 9]),
        new("Conv2d", () => new Conv2d(2, 4, (3, 2), stride: (2, 1), padding: (1, 0), dilation: 1), [2, 2, 7, 6]),
        new("Conv2d", () => new Conv2d(4, 4, 3, padding: "valid", groups: 4, bias: false), [1, 4, 6, 6]),
        new("Conv2d", () => new Conv2d(2, 3, 3, padding: "same", dilation: (2, 1)), [1, 2, 7, 7]),
        new("ConvTranspose1d", () => new ConvTranspose1d(4, 2, 3, stride: 2, padding: 1, outputPadding: 1), [2, 4, 5]),
        new("ConvTranspose2d", () => new ConvTranspose2d(4, 6, (3, 2), stride: 2, padding: (1, 0), outputPadding: 1, groups: 2), [2, 4, 5, 4]),
        new("MaxPool1d", () => new MaxPool1d(3, stride: 2, padding: 1), [2, 3, 9]),
        new("MaxPool2d", () => new MaxPool2d((2, 3), stride: 1, padding: (1, 1), dilation: (1, 2)), [2, 3, 6, 7]),
        new("MaxPool2d", () => new MaxPool2d(2, ceilMode: true), [2, 3, 7, 7]),
        new("AvgPool1d", () => new AvgPool1d(2, padding: 1, countIncludePad: false), [2, 3, 7]),
        new("AvgPool2d", () => new AvgPool2d(3, stride: 2, padding: 1, ceilMode: true), [2, 3, 8, 8]),
        new("AdaptiveAvgPool1d", () => new AdaptiveAvgPool1d(3), [2, 3, 7]),
        new("AdaptiveAvgPool2d", () => new AdaptiveAvgPool2d((2, 3)), [2, 3, 7, 8]),
        new("AdaptiveMaxPool1d", () => new AdaptiveMaxPool1d(3), [2, 3, 7]),
        new("AdaptiveMaxPool2d", () => new AdaptiveMaxPool2d((2, 3)), [2, 3, 7, 8]),
        new("GlobalAvgPool2d", () => new GlobalAvgPool2d(), [2, 3, 4, 5]),
        new("Upsample", () => new Upsample(scaleFactor: 2f), [1, 2, 3, 4]),
        new("Upsample", () => new Upsample(size: (5, 7)), [1, 2, 3, 4]),
        new("BatchNorm1d", () => TrainedNorm(new BatchNorm1d(3, eps: 1e-3f, momentum: 0.3f), [5, 3, 4]), [5, 3, 4]),
        new("BatchNorm2d", () => TrainedNorm(new BatchNorm2d(3), [4, 3, 2, 2]), [4, 3, 2, 2]),
        new("BatchNorm2d", () => new BatchNorm2d(3, affine: false, trackRunningStats: false), [4, 3, 2, 2]),
        new("BasicBlock", () => TrainedNorm(new BasicBlock(2, 3, stride: 2), [4, 2, 5, 5]), [2, 2, 5, 5]),
        new("BasicBlock", () => new BasicBlock(3, 3), [2, 3, 4, 4]),
        new("LayerNorm", () => new LayerNorm([3, 4], eps: 1e-4f), [2, 3, 4]),
        new("LayerNorm", () => new LayerNorm(4, elementwiseAffine: false), [2, 4]),
        new("Dropout", () => new Dropout(0.3f), [4, 5]),
        new("Dropout2d", () => new Dropout2d(0.2f), [2, 3, 4, 4]),
        new("Unflatten", () => new Unflatten(1, 2, 3, 2), [2, 12]),
        new("ZeroPad2d", () => new ZeroPad2d(1, 2, 0, 3), [2, 3, 4, 5]),
        new("Embedding", () => new Embedding(7, 3, paddingIdx: 2), [2, 4], () => Tensor.FromArray([0, 2, 6, 1, 3, 3, 5, 4], 2, 4)),
        new("RNN", () => new RNN(3, 4, numLayers: 2, nonlinearity: "relu", batchFirst: true), [2, 5, 3]),
        new("LSTM", () => new LSTM(3, 4, bidirectional: true), [5, 2, 3]),
        new("LSTM", () => new LSTM(3, 4, numLayers: 2, bias: false, batchFirst: true, dropout: 0.2f), [2, 5, 3]),
        new("GRU", () => new GRU(3, 4, numLayers: 2, bidirectional: true, batchFirst: true), [2, 5, 3]),
        new("RNNCell", () => new RNNCell(3, 4, nonlinearity: "relu"), [2, 3]),
        new("LSTMCell", () => new LSTMCell(3, 4), [2, 3]),
        new("GRUCell", () => new GRUCell(3, 4, bias: false), [2, 3]),
        new("RecurrentClassifier", () => new RecurrentClassifier(new GRU(3, 4, bidirectional: true, batchFirst: true), 5), [2, 6, 3]),
        new("Sequential", () => new Sequential(new Flatten(), new Linear(12, 8), new ReLU(),
            new Sequential(new Linear(8, 8), new Tanh()), new Linear(8, 2)), [2, 3, 4]),
    ];

    public static TheoryData<LayerCase> LayerCases => [.. Layers];

    /// <summary>A norm layer with running statistics away from their initial values (a few training-mode batches).</summary>
    private static Module TrainedNorm(Module norm, int[] shape)
    {
        var rng = new Generator(9);
        for (int i = 0; i < 3; i++) norm.Forward(Tensor.Randn(new Shape(shape), rng) * 3f + 1f);
        return norm;
    }

    [Theory, MemberData(nameof(LayerCases))]
    public void Save_then_Load_reproduces_the_outputs_bit_for_bit(LayerCase layer)
    {
        using var dir = new TempDirectory();
        var model = layer.Create();
        // Parameters away from their initial values, so a Load that silently re-initialised would show.
        var rng = new Generator(3);
        foreach (var p in model.Parameters()) Init.Normal(p, 0f, 1f, rng);
        var x = layer.Input?.Invoke() ?? Tensor.Randn(new Shape(layer.InputShape), new Generator(4));
        model.Eval(); // Dropout off, BatchNorm on its running statistics: the outputs depend on the saved state alone
        var expected = model.Forward(x).ToArray();
        string path = dir.File("model.safetensors");

        model.Save(path);
        var loaded = ModelFile.Load(path).Eval();

        Assert.IsType(model.GetType(), loaded);
        Assert.Equal(model.ToString(), loaded.ToString());
        Assert.Equal(model.StateDict().Keys, loaded.StateDict().Keys);
        Assert.Equal(expected, loaded.Forward(x).ToArray()); // exact float equality
    }

    [Fact]
    public void Every_registered_layer_type_has_a_row_in_the_table()
    {
        var covered = Layers.Select(l => l.Type).ToHashSet();
        var missing = Architecture.RegisteredTypes.Keys.Where(t => !covered.Contains(t)).ToList();
        Assert.True(missing.Count == 0, "add a row to ModelFileTests.Layers for: " + string.Join(", ", missing));
        foreach (var layer in Layers) Assert.Equal(Architecture.RegisteredTypes[layer.Type], layer.Create().GetType());
    }

    [Fact]
    public void Every_public_layer_of_the_library_has_a_registered_description()
    {
        var registered = Architecture.RegisteredTypes.Values.ToHashSet();
        // ModuleList and ModuleDict are holders, not layers: they compute nothing (Forward throws, as in PyTorch), so they
        // have no description of their own to run; the module that calls their children is the one described.
        Type[] holders = [typeof(ModuleList), typeof(ModuleDict)];
        var missing = typeof(Module).Assembly.GetTypes()
            .Where(t => t.IsPublic && !t.IsAbstract && t.IsSubclassOf(typeof(Module)) && !registered.Contains(t) && !holders.Contains(t))
            .Select(t => t.Name).Order().ToList();
        Assert.True(missing.Count == 0,
            "register these layers in src/Dendrite/IO/BuiltInLayers.cs (and Dendrite.Onnx's BuiltInExporters; see docs/saving-and-exporting.md): "
            + string.Join(", ", missing));
    }

    [Fact]
    public void The_architecture_reads_as_PyTorch_constructor_arguments()
    {
        var model = new Sequential(new Flatten(), new Linear(784, 10));

        var json = Architecture.Describe(model);

        Assert.Equal("""{"type":"Sequential","children":{"0":{"type":"Flatten","start_dim":1,"end_dim":-1},"1":{"type":"Linear","in_features":784,"out_features":10,"bias":true}}}""",
            json.ToJsonString());
    }

    [Fact]
    public void The_weights_carry_PyTorch_state_dict_names_and_the_input_shape_is_kept()
    {
        using var dir = new TempDirectory();
        string path = dir.File("m.safetensors");
        new Sequential(new Flatten(), new Linear(4, 3), new ReLU(), new Linear(3, 2)).Save(path, inputShape: new Shape(2, 2));

        Assert.Equal(["1.weight", "1.bias", "3.weight", "3.bias"], SafeTensors.Load(path).Keys);
        Assert.Equal("pt", SafeTensors.ReadMetadata(path)["format"]);
        Assert.Equal(new Shape(2, 2), ModelFile.ReadInputShape(path));
        Assert.Equal(new Shape(2, 2), ModelFile.LoadWithInfo(path).InputShape);
    }

    [Fact]
    public void LoadWeights_reads_a_bare_safetensors_file_by_name()
    {
        using var dir = new TempDirectory();
        string path = dir.File("w.safetensors");
        var source = new Sequential(new Linear(3, 2));
        SafeTensors.Save(path, source.StateDict());
        var target = new Sequential(new Linear(3, 2));

        var report = target.LoadWeights(path);

        Assert.True(report.IsExactMatch);
        Assert.Equal(source[0].StateDict()["weight"].ToArray(), target[0].StateDict()["weight"].ToArray());
    }

    [Fact]
    public void LoadWeights_names_every_missing_unexpected_and_mismatched_key()
    {
        using var dir = new TempDirectory();
        string path = dir.File("w.safetensors");
        SafeTensors.Save(path, new Dictionary<string, Tensor>
        {
            ["0.weight"] = Tensor.Zeros(2, 4), // the model's is [2, 3]
            ["0.extra"] = Tensor.Zeros(1),
        });
        var model = new Sequential(new Linear(3, 2));

        var e = Assert.Throws<InvalidDataException>(() => model.LoadWeights(path));

        Assert.Equal($"{path} does not fit Sequential: missing keys 0.bias; unexpected keys 0.extra; shape mismatch for 0.weight: model [2, 3], file [2, 4].", e.Message);
    }

    [Fact]
    public void Non_strict_LoadWeights_reports_missing_and_unexpected_keys_and_loads_the_rest()
    {
        using var dir = new TempDirectory();
        string path = dir.File("w.safetensors");
        SafeTensors.Save(path, new Dictionary<string, Tensor> { ["0.weight"] = Tensor.Ones(2, 3), ["head.weight"] = Tensor.Ones(1) });
        var model = new Sequential(new Linear(3, 2));

        var report = model.LoadWeights(path, strict: false);

        Assert.Equal(["0.bias"], report.Missing);
        Assert.Equal(["head.weight"], report.Unexpected);
        Assert.Empty(report.Mismatched);
        Assert.All(((Linear)model[0]).Weight.ToArray(), v => Assert.Equal(1f, v));
    }

    private sealed class Custom : Module
    {
        public override Tensor Forward(Tensor input) => input;
    }

    [Fact]
    public void Saving_an_unregistered_module_says_how_to_register_it()
    {
        using var dir = new TempDirectory();
        var e = Assert.Throws<ArgumentException>(() => new Sequential(new Linear(2, 2), new Custom()).Save(dir.File("m.safetensors")));

        Assert.Contains("model.1 is a Custom", e.Message);
        Assert.Contains("Architecture.Register<Custom>", e.Message);
        Assert.Empty(Directory.GetFiles(dir.Path));
    }

    [Fact]
    public void A_custom_module_once_registered_saves_and_loads()
    {
        Architecture.Register<Scale>("Tests.Scale", m => new() { ["factor"] = m.Factor }, c => new Scale(c.Float("factor")));
        using var dir = new TempDirectory();
        string path = dir.File("m.safetensors");
        new Sequential(new Scale(2.5f)).Save(path);

        var loaded = (Sequential)ModelFile.Load(path);

        Assert.Equal(2.5f, ((Scale)loaded[0]).Factor);
    }

    private sealed class Scale(float factor) : Module
    {
        public float Factor { get; } = factor;
        public override Tensor Forward(Tensor input) => input * Factor;
    }

    [Theory]
    [InlineData("""{"type":"Conv9d"}""", "unknown layer type \"Conv9d\"")]
    [InlineData("""{"type":"Linear","in_features":3}""", "model (Linear): missing \"out_features\"")]
    [InlineData("""{"type":"Linear","in_features":"three","out_features":2}""", "\"in_features\" must be an integer, got \"three\"")]
    [InlineData("""{"type":"Linear","in_features":0,"out_features":2}""", "\"in_features\" must be a positive integer, got 0")]
    [InlineData("""{"type":"Sequential"}""", "missing \"children\"")]
    [InlineData("""{"children":{}}""", "missing \"type\"")]
    public void A_bad_architecture_names_the_layer_and_the_problem(string json, string expected)
    {
        var e = Assert.Throws<InvalidDataException>(() => Architecture.FromJson(json));
        Assert.Contains(expected, e.Message);
    }

    [Fact]
    public void An_unknown_layer_type_is_marked_with_its_name_for_tools_and_only_that_error_is()
    {
        // The dendrite tool reads the mark to suggest --plugin; a model file wraps the error with its path.
        string json = """{"type":"Sequential","children":{"0":{"type":"ScaledTanh","init":1}}}""";
        var e = Assert.Throws<InvalidDataException>(() => Architecture.FromJson(json));
        Assert.Equal("ScaledTanh", e.Data[Architecture.UnknownLayerTypeKey]);
        using var dir = new TempDirectory();
        string path = dir.File("m.safetensors");
        SafeTensors.Save(path, new Dictionary<string, Tensor>(), new Dictionary<string, string> { [ModelFile.ArchitectureKey] = json });
        var wrapped = Assert.Throws<InvalidDataException>(() => ModelFile.Load(path));
        Assert.StartsWith(path + ": architecture: model.0: unknown layer type \"ScaledTanh\"", wrapped.Message);
        Assert.Equal("ScaledTanh", wrapped.InnerException?.Data[Architecture.UnknownLayerTypeKey]);

        var other = Assert.Throws<InvalidDataException>(() => Architecture.FromJson("""{"type":"Linear","in_features":3}"""));
        Assert.Null(other.Data[Architecture.UnknownLayerTypeKey]);
    }

    [Fact]
    public void A_weights_only_file_is_not_a_model_file_and_says_what_to_do()
    {
        using var dir = new TempDirectory();
        string path = dir.File("w.safetensors");
        SafeTensors.Save(path, new Linear(2, 2).StateDict());

        var e = Assert.Throws<InvalidDataException>(() => ModelFile.Load(path));

        Assert.Contains("no architecture", e.Message);
        Assert.Contains("LoadWeights", e.Message);
    }
}
