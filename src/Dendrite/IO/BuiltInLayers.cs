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
            c => new Embedding(c.Int("num_embeddings"), c.Int("embedding_dim"), c.Has("padding_idx") ? c.Int("padding_idx") : null));
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
