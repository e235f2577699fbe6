using System.Text.Json.Nodes;
using Dendrite.NN;

namespace Dendrite.IO;

/// <summary>
/// How each built-in layer describes itself as JSON and is rebuilt: one registration per layer, keys named as
/// PyTorch's constructor arguments. A new layer type adds one line here (and one in Dendrite.Onnx's OnnxExporters for
/// ONNX export); the save/load table test fails until it also has a row there.
/// </summary>
internal static class BuiltInLayers
{
    internal static void RegisterAll()
    {
        Architecture.RegisterContainer<Sequential>("Sequential", _ => [], (_, children) => new Sequential([.. children.Select(c => c.Module)]));
        Architecture.Register<Identity>("Identity", _ => [], _ => new Identity());
        Architecture.Register<Flatten>("Flatten", m => new() { ["start_dim"] = m.StartDim, ["end_dim"] = m.EndDim },
            c => new Flatten(c.Int("start_dim", 1), c.Int("end_dim", -1)));
        Architecture.Register<Linear>("Linear", m => new() { ["in_features"] = m.In, ["out_features"] = m.Out, ["bias"] = m.Bias is not null },
            c => new Linear(c.Int("in_features"), c.Int("out_features"), c.Bool("bias", true)));

        Architecture.Register<ReLU>("ReLU", _ => [], _ => new ReLU());
        Architecture.Register<Sigmoid>("Sigmoid", _ => [], _ => new Sigmoid());
        Architecture.Register<Tanh>("Tanh", _ => [], _ => new Tanh());
        Architecture.Register<SiLU>("SiLU", _ => [], _ => new SiLU());
        Architecture.Register<LeakyReLU>("LeakyReLU", m => new() { ["negative_slope"] = m.NegativeSlope },
            c => new LeakyReLU(c.Float("negative_slope", 0.01f)));
        Architecture.Register<ELU>("ELU", m => new() { ["alpha"] = m.Alpha }, c => new ELU(c.Float("alpha", 1f)));
        Architecture.Register<Softplus>("Softplus", m => new() { ["beta"] = m.Beta, ["threshold"] = m.Threshold },
            c => new Softplus(c.Float("beta", 1f), c.Float("threshold", 20f)));
        Architecture.Register<GELU>("GELU", m => new() { ["approximate"] = m.Approximate }, c => new GELU(c.String("approximate", "none")));
        Architecture.Register<Softmax>("Softmax", m => new() { ["dim"] = m.Dim }, c => new Softmax(c.Int("dim", -1)));
        Architecture.Register<LogSoftmax>("LogSoftmax", m => new() { ["dim"] = m.Dim }, c => new LogSoftmax(c.Int("dim", -1)));
        Architecture.Register<Maxout>("Maxout", m => new() { ["pool_size"] = m.PoolSize, ["dim"] = m.Dim },
            c => new Maxout(c.Int("pool_size"), c.Int("dim", -1)));

        Architecture.Register<Conv1d>("Conv1d", m => new()
        {
            ["in_channels"] = m.In, ["out_channels"] = m.Out, ["kernel_size"] = m.KernelSize, ["stride"] = m.Stride,
            ["padding"] = LayerConfig.Write(m.Padding), ["dilation"] = m.Dilation, ["groups"] = m.Groups, ["bias"] = m.Bias is not null,
        }, c => new Conv1d(c.Int("in_channels"), c.Int("out_channels"), c.Int("kernel_size"), c.Int("stride", 1),
            c.ConvPadding("padding", 0), c.Int("dilation", 1), c.Int("groups", 1), c.Bool("bias", true)));
        Architecture.Register<Conv2d>("Conv2d", m => new()
        {
            ["in_channels"] = m.In, ["out_channels"] = m.Out, ["kernel_size"] = LayerConfig.Write(m.KernelSize), ["stride"] = LayerConfig.Write(m.Stride),
            ["padding"] = LayerConfig.Write(m.Padding), ["dilation"] = LayerConfig.Write(m.Dilation), ["groups"] = m.Groups, ["bias"] = m.Bias is not null,
        }, c => new Conv2d(c.Int("in_channels"), c.Int("out_channels"), c.Size2d("kernel_size"), c.Size2d("stride", 1),
            c.ConvPadding("padding", 0), c.Size2d("dilation", 1), c.Int("groups", 1), c.Bool("bias", true)));
        Architecture.Register<ConvTranspose1d>("ConvTranspose1d", m => new()
        {
            ["in_channels"] = m.In, ["out_channels"] = m.Out, ["kernel_size"] = m.KernelSize, ["stride"] = m.Stride, ["padding"] = m.Padding,
            ["output_padding"] = m.OutputPadding, ["groups"] = m.Groups, ["bias"] = m.Bias is not null, ["dilation"] = m.Dilation,
        }, c => new ConvTranspose1d(c.Int("in_channels"), c.Int("out_channels"), c.Int("kernel_size"), c.Int("stride", 1), c.Int("padding", 0),
            c.Int("output_padding", 0), c.Int("groups", 1), c.Bool("bias", true), c.Int("dilation", 1)));
        Architecture.Register<ConvTranspose2d>("ConvTranspose2d", m => new()
        {
            ["in_channels"] = m.In, ["out_channels"] = m.Out, ["kernel_size"] = LayerConfig.Write(m.KernelSize), ["stride"] = LayerConfig.Write(m.Stride),
            ["padding"] = LayerConfig.Write(m.Padding), ["output_padding"] = LayerConfig.Write(m.OutputPadding), ["groups"] = m.Groups,
            ["bias"] = m.Bias is not null, ["dilation"] = LayerConfig.Write(m.Dilation),
        }, c => new ConvTranspose2d(c.Int("in_channels"), c.Int("out_channels"), c.Size2d("kernel_size"), c.Size2d("stride", 1),
            c.Size2d("padding", 0), c.Size2d("output_padding", 0), c.Int("groups", 1), c.Bool("bias", true), c.Size2d("dilation", 1)));

        Architecture.Register<MaxPool1d>("MaxPool1d", m => new()
        {
            ["kernel_size"] = m.KernelSize, ["stride"] = m.Stride, ["padding"] = m.Padding, ["dilation"] = m.Dilation, ["ceil_mode"] = m.CeilMode,
        }, c => new MaxPool1d(c.Int("kernel_size"), c.Has("stride") ? c.Int("stride") : null, c.Int("padding", 0), c.Int("dilation", 1), c.Bool("ceil_mode", false)));
        Architecture.Register<MaxPool2d>("MaxPool2d", m => new()
        {
            ["kernel_size"] = LayerConfig.Write(m.KernelSize), ["stride"] = LayerConfig.Write(m.Stride), ["padding"] = LayerConfig.Write(m.Padding),
            ["dilation"] = LayerConfig.Write(m.Dilation), ["ceil_mode"] = m.CeilMode,
        }, c => new MaxPool2d(c.Size2d("kernel_size"), c.Has("stride") ? c.Size2d("stride") : null, c.Size2d("padding", 0), c.Size2d("dilation", 1),
            c.Bool("ceil_mode", false)));
        Architecture.Register<AvgPool1d>("AvgPool1d", m => new()
        {
            ["kernel_size"] = m.KernelSize, ["stride"] = m.Stride, ["padding"] = m.Padding, ["ceil_mode"] = m.CeilMode, ["count_include_pad"] = m.CountIncludePad,
        }, c => new AvgPool1d(c.Int("kernel_size"), c.Has("stride") ? c.Int("stride") : null, c.Int("padding", 0), c.Bool("ceil_mode", false),
            c.Bool("count_include_pad", true)));
        Architecture.Register<AvgPool2d>("AvgPool2d", m => new()
        {
            ["kernel_size"] = LayerConfig.Write(m.KernelSize), ["stride"] = LayerConfig.Write(m.Stride), ["padding"] = LayerConfig.Write(m.Padding),
            ["ceil_mode"] = m.CeilMode, ["count_include_pad"] = m.CountIncludePad,
        }, c => new AvgPool2d(c.Size2d("kernel_size"), c.Has("stride") ? c.Size2d("stride") : null, c.Size2d("padding", 0), c.Bool("ceil_mode", false),
            c.Bool("count_include_pad", true)));
        Architecture.Register<AdaptiveAvgPool1d>("AdaptiveAvgPool1d", m => new() { ["output_size"] = m.OutputSize }, c => new AdaptiveAvgPool1d(c.Int("output_size")));
        Architecture.Register<AdaptiveAvgPool2d>("AdaptiveAvgPool2d", m => new() { ["output_size"] = LayerConfig.Write(m.OutputSize) },
            c => new AdaptiveAvgPool2d(c.Size2d("output_size")));
        Architecture.Register<AdaptiveMaxPool1d>("AdaptiveMaxPool1d", m => new() { ["output_size"] = m.OutputSize }, c => new AdaptiveMaxPool1d(c.Int("output_size")));
        Architecture.Register<AdaptiveMaxPool2d>("AdaptiveMaxPool2d", m => new() { ["output_size"] = LayerConfig.Write(m.OutputSize) },
            c => new AdaptiveMaxPool2d(c.Size2d("output_size")));
        Architecture.Register<GlobalAvgPool2d>("GlobalAvgPool2d", _ => [], _ => new GlobalAvgPool2d());
        Architecture.Register<Upsample>("Upsample", m => m.Size is { } size
                ? new() { ["size"] = LayerConfig.Write(size), ["mode"] = m.Mode }
                : new() { ["scale_factor"] = m.ScaleFactor, ["mode"] = m.Mode },
            c => c.Has("size") ? new Upsample(size: c.Size2d("size"), mode: c.String("mode", "nearest"))
                : new Upsample(c.Float("scale_factor"), mode: c.String("mode", "nearest")));

        Architecture.Register<BatchNorm1d>("BatchNorm1d", DescribeBatchNorm,
            c => new BatchNorm1d(c.Int("num_features"), c.Float("eps", 1e-5f), c.Float("momentum", 0.1f), c.Bool("affine", true), c.Bool("track_running_stats", true)));
        Architecture.Register<BatchNorm2d>("BatchNorm2d", DescribeBatchNorm,
            c => new BatchNorm2d(c.Int("num_features"), c.Float("eps", 1e-5f), c.Float("momentum", 0.1f), c.Bool("affine", true), c.Bool("track_running_stats", true)));
        Architecture.Register<BasicBlock>("BasicBlock", m => new() { ["in_channels"] = m.In, ["out_channels"] = m.Out, ["stride"] = m.Stride },
            c => new BasicBlock(c.Int("in_channels"), c.Int("out_channels"), c.Int("stride", 1)));
        Architecture.Register<LayerNorm>("LayerNorm", m => new()
        {
            ["normalized_shape"] = new JsonArray([.. m.NormalizedShape.Select(d => (JsonNode)d)]), ["eps"] = m.Eps, ["elementwise_affine"] = m.Weight is not null,
        }, c => new LayerNorm(c.Ints("normalized_shape"), c.Float("eps", 1e-5f), c.Bool("elementwise_affine", true)));
        Architecture.Register<Dropout>("Dropout", m => new() { ["p"] = m.P }, c => new Dropout(c.Float("p", 0.5f)));
        Architecture.Register<Dropout2d>("Dropout2d", m => new() { ["p"] = m.P }, c => new Dropout2d(c.Float("p", 0.5f)));
        Architecture.Register<Unflatten>("Unflatten", m => new() { ["dim"] = m.Dim, ["unflattened_size"] = new JsonArray([.. m.Sizes.Select(d => (JsonNode)d)]) },
            c => new Unflatten(c.Int("dim"), c.Ints("unflattened_size")));
        Architecture.Register<ZeroPad2d>("ZeroPad2d", m => new() { ["padding"] = new JsonArray([.. m.Padding.Select(d => (JsonNode)d)]) },
            c => c.Ints("padding") is [var l, var r, var t, var b] ? new ZeroPad2d(l, r, t, b)
                : throw new InvalidDataException($"{c.Where}: \"padding\" must hold 4 integers (left, right, top, bottom)."));

        Architecture.Register<Embedding>("Embedding", m => new() { ["num_embeddings"] = m.NumEmbeddings, ["embedding_dim"] = m.EmbeddingDim, ["padding_idx"] = m.PaddingIdx },
            c => new Embedding(c.Int("num_embeddings"), c.Int("embedding_dim"), c.NullableInt("padding_idx")));
        Architecture.Register<RNN>("RNN", m => DescribeRnn(m, m.Nonlinearity), c => new RNN(c.Int("input_size"), c.Int("hidden_size"), c.Int("num_layers", 1),
            c.String("nonlinearity", "tanh"), c.Bool("bias", true), c.Bool("batch_first", false), c.Float("dropout", 0f), c.Bool("bidirectional", false)));
        Architecture.Register<LSTM>("LSTM", m => DescribeRnn(m, null), c => new LSTM(c.Int("input_size"), c.Int("hidden_size"), c.Int("num_layers", 1),
            c.Bool("bias", true), c.Bool("batch_first", false), c.Float("dropout", 0f), c.Bool("bidirectional", false)));
        Architecture.Register<GRU>("GRU", m => DescribeRnn(m, null), c => new GRU(c.Int("input_size"), c.Int("hidden_size"), c.Int("num_layers", 1),
            c.Bool("bias", true), c.Bool("batch_first", false), c.Float("dropout", 0f), c.Bool("bidirectional", false)));
        Architecture.Register<RNNCell>("RNNCell", m => DescribeCell(m, m.Nonlinearity),
            c => new RNNCell(c.Int("input_size"), c.Int("hidden_size"), c.Bool("bias", true), c.String("nonlinearity", "tanh")));
        Architecture.Register<LSTMCell>("LSTMCell", m => DescribeCell(m, null), c => new LSTMCell(c.Int("input_size"), c.Int("hidden_size"), c.Bool("bias", true)));
        Architecture.Register<GRUCell>("GRUCell", m => DescribeCell(m, null), c => new GRUCell(c.Int("input_size"), c.Int("hidden_size"), c.Bool("bias", true)));
        // Its constructor builds "fc" itself from the network and the class count; the saved fc description is not needed.
        Architecture.RegisterContainer<RecurrentClassifier>("RecurrentClassifier", m => new() { ["num_classes"] = m.Fc.Out },
            (c, children) => new RecurrentClassifier(children.FirstOrDefault(ch => ch.Name == "rnn").Module as RNNBase
                ?? throw new InvalidDataException($"{c.Where}: child \"rnn\" must be an RNN, LSTM or GRU."), c.Int("num_classes")));
    }

    /// <summary>
    /// The tensors (state dict names and shapes, without the layer's prefix) the built-in layer <paramref name="type"/>
    /// described by <paramref name="c"/> will hold, worked out from the description alone so that sizes can be checked
    /// before anything is allocated; every size field is checked positive here. Null for a type that is not built in or
    /// is a container (<see cref="Architecture"/> walks those). The save/load table test compares this with the state
    /// dict of every built layer.
    /// </summary>
    internal static IEnumerable<(string Name, long[] Shape)>? State(string type, LayerConfig c) => type switch
    {
        "Linear" => WithBias(c, [Size(c, "out_features"), Size(c, "in_features")]),
        "Conv1d" or "Conv2d" => ConvState(c, transposed: false, twoD: type == "Conv2d"),
        "ConvTranspose1d" or "ConvTranspose2d" => ConvState(c, transposed: true, twoD: type == "ConvTranspose2d"),
        "BatchNorm1d" or "BatchNorm2d" => BatchNormState(c),
        "LayerNorm" => LayerNormState(c),
        "BasicBlock" => BasicBlockState(c),
        "Embedding" => [("weight", [Size(c, "num_embeddings"), Size(c, "embedding_dim")])],
        "RNN" => RnnState(c, 1),
        "LSTM" => RnnState(c, 4),
        "GRU" => RnnState(c, 3),
        "RNNCell" => CellState(c, 1),
        "LSTMCell" => CellState(c, 4),
        "GRUCell" => CellState(c, 3),
        "Sequential" or "RecurrentClassifier" => null,
        _ => s_stateless.Contains(type) ? [] : null,
    };

    private static readonly HashSet<string> s_stateless =
    [
        "Identity", "Flatten", "ReLU", "Sigmoid", "Tanh", "SiLU", "LeakyReLU", "ELU", "Softplus", "GELU", "Softmax",
        "LogSoftmax", "Maxout", "MaxPool1d", "MaxPool2d", "AvgPool1d", "AvgPool2d", "AdaptiveAvgPool1d", "AdaptiveMaxPool1d", "AdaptiveMaxPool2d",
        "AdaptiveAvgPool2d", "GlobalAvgPool2d", "Upsample", "Dropout", "Dropout2d", "Unflatten", "ZeroPad2d",
    ];

    /// <summary>The fc layer RecurrentClassifier builds on its recurrent child: [num_classes, directions · hidden].</summary>
    internal static IEnumerable<(string Name, long[] Shape)> RecurrentClassifierHead(LayerConfig classifier, LayerConfig rnn)
    {
        long directions = rnn.Bool("bidirectional", false) ? 2 : 1;
        long classes = Size(classifier, "num_classes");
        return [("fc.weight", [classes, directions * Size(rnn, "hidden_size")]), ("fc.bias", [classes])];
    }

    private static long Size(LayerConfig c, string key) => Positive(c, key, c.Int(key));

    private static long Positive(LayerConfig c, string key, int value) => value > 0 ? value
        : throw new InvalidDataException($"{c.Where}: \"{key}\" must be a positive integer, got {value}.");

    private static IEnumerable<(string, long[])> WithBias(LayerConfig c, long[] weight) =>
        c.Bool("bias", true) ? [("weight", weight), ("bias", [weight[0]])] : [("weight", weight)];

    private static IEnumerable<(string, long[])> ConvState(LayerConfig c, bool transposed, bool twoD)
    {
        long input = Size(c, "in_channels"), output = Size(c, "out_channels"), groups = Size(c, "groups", 1);
        if (input % groups != 0 || output % groups != 0)
            throw new InvalidDataException($"{c.Where}: \"groups\" {groups} must divide in_channels {input} and out_channels {output}.");
        long[] kernel = twoD ? Kernel2d(c) : [Size(c, "kernel_size")];
        long[] weight = transposed ? [input, output / groups, .. kernel] : [output, input / groups, .. kernel];
        return c.Bool("bias", true) ? [("weight", weight), ("bias", [output])] : [("weight", weight)];
    }

    private static long Size(LayerConfig c, string key, int fallback) => c.Has(key) ? Size(c, key) : fallback;

    private static long[] Kernel2d(LayerConfig c)
    {
        var k = c.Size2d("kernel_size");
        return [Positive(c, "kernel_size", k.H), Positive(c, "kernel_size", k.W)];
    }

    private static IEnumerable<(string, long[])> BatchNormState(LayerConfig c)
    {
        long features = Size(c, "num_features");
        var state = new List<(string, long[])>();
        if (c.Bool("affine", true)) state.AddRange([("weight", [features]), ("bias", [features])]);
        if (c.Bool("track_running_stats", true))
            state.AddRange([("running_mean", [features]), ("running_var", [features]), ("num_batches_tracked", [])]);
        return state;
    }

    /// <summary>
    /// BasicBlock's state in its StateDict order: the parameters (conv1, bn1, conv2, bn2, then the projection's when the
    /// stride or the channel count changes), then the batch norms' buffers in the same order.
    /// </summary>
    private static IEnumerable<(string, long[])> BasicBlockState(LayerConfig c)
    {
        long input = Size(c, "in_channels"), output = Size(c, "out_channels"), stride = Size(c, "stride", 1);
        string[] norms = stride != 1 || input != output ? ["bn1", "bn2", "downsample.1"] : ["bn1", "bn2"];
        var state = new List<(string, long[])>
        {
            ("conv1.weight", [output, input, 3, 3]), ("bn1.weight", [output]), ("bn1.bias", [output]),
            ("conv2.weight", [output, output, 3, 3]), ("bn2.weight", [output]), ("bn2.bias", [output]),
        };
        if (norms.Length == 3)
            state.AddRange([("downsample.0.weight", [output, input, 1, 1]), ("downsample.1.weight", [output]), ("downsample.1.bias", [output])]);
        foreach (var norm in norms)
            state.AddRange([(norm + ".running_mean", [output]), (norm + ".running_var", [output]), (norm + ".num_batches_tracked", [])]);
        return state;
    }

    private static IEnumerable<(string, long[])> LayerNormState(LayerConfig c)
    {
        int[] shape = c.Ints("normalized_shape");
        if (shape.Length == 0 || shape.Any(d => d < 1))
            throw new InvalidDataException($"{c.Where}: \"normalized_shape\" must hold positive integers, got [{string.Join(", ", shape)}].");
        long[] dims = [.. shape.Select(d => (long)d)];
        return c.Bool("elementwise_affine", true) ? [("weight", dims), ("bias", dims)] : [];
    }

    // Layers times directions times 2 or 4 tensors, counted before one is listed: num_layers = 2^31 − 1 is refused here,
    // in the description, rather than by building two billion layers.
    private static IEnumerable<(string, long[])> RnnState(LayerConfig c, long gates)
    {
        long input = Size(c, "input_size"), hidden = Size(c, "hidden_size"), layers = Size(c, "num_layers", 1);
        long directions = c.Bool("bidirectional", false) ? 2 : 1;
        bool bias = c.Bool("bias", true);
        long tensors = layers * directions * (bias ? 4 : 2);
        if (tensors > Architecture.MaxTensors)
            throw new InvalidDataException($"{c.Where}: \"num_layers\" {layers} gives {tensors} parameter tensors, more than the " +
                $"{Architecture.MaxTensors} a description may hold.");
        return Enumerate();

        IEnumerable<(string, long[])> Enumerate()
        {
            for (long layer = 0; layer < layers; layer++)
                for (long d = 0; d < directions; d++)
                {
                    string suffix = string.Create(System.Globalization.CultureInfo.InvariantCulture, $"_l{layer}{(d == 1 ? "_reverse" : "")}");
                    yield return ("weight_ih" + suffix, [gates * hidden, layer == 0 ? input : directions * hidden]);
                    yield return ("weight_hh" + suffix, [gates * hidden, hidden]);
                    if (!bias) continue;
                    yield return ("bias_ih" + suffix, [gates * hidden]);
                    yield return ("bias_hh" + suffix, [gates * hidden]);
                }
        }
    }

    private static IEnumerable<(string, long[])> CellState(LayerConfig c, long gates)
    {
        long input = Size(c, "input_size"), hidden = Size(c, "hidden_size");
        (string, long[])[] weights = [("weight_ih", [gates * hidden, input]), ("weight_hh", [gates * hidden, hidden])];
        return c.Bool("bias", true) ? [.. weights, ("bias_ih", [gates * hidden]), ("bias_hh", [gates * hidden])] : weights;
    }

    private static JsonObject DescribeRnn(RNNBase m, string? nonlinearity)
    {
        var json = new JsonObject { ["input_size"] = m.InputSize, ["hidden_size"] = m.HiddenSize, ["num_layers"] = m.NumLayers };
        if (nonlinearity is not null) json["nonlinearity"] = nonlinearity;
        json["bias"] = m.Bias;
        json["batch_first"] = m.BatchFirst;
        json["dropout"] = m.Dropout;
        json["bidirectional"] = m.Bidirectional;
        return json;
    }

    private static JsonObject DescribeCell(RecurrentCellBase m, string? nonlinearity)
    {
        var json = new JsonObject { ["input_size"] = m.InputSize, ["hidden_size"] = m.HiddenSize, ["bias"] = m.Weights.Count == 4 };
        if (nonlinearity is not null) json["nonlinearity"] = nonlinearity;
        return json;
    }

    private static JsonObject DescribeBatchNorm(BatchNormBase m) => new()
    {
        ["num_features"] = m.NumFeatures, ["eps"] = m.Eps, ["momentum"] = m.Momentum, ["affine"] = m.Weight is not null,
        ["track_running_stats"] = m.RunningMean is not null,
    };
}
