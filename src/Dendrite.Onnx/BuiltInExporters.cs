using Dendrite.NN;

namespace Dendrite.Onnx;

/// <summary>
/// The ONNX nodes of each built-in layer, one registration per layer type (opset 17). A new layer adds one entry here,
/// next to its JSON entry in Dendrite.IO's BuiltInLayers; the export table test fails until it also has a row there.
/// </summary>
internal static class BuiltInExporters
{
    internal static void RegisterAll()
    {
        OnnxExport.Register<Sequential>((m, g, x) =>
        {
            var value = x;
            for (int i = 0; i < m.Count; i++) value = g.Emit(m[i], value);
            return value.Name;
        });
        OnnxExport.Register<Identity>((_, g, x) => g.Node("Identity", [x.Name]));
        OnnxExport.Register<Flatten>((m, g, x) => g.Node("Reshape", [x.Name, g.Int64Initializer("shape", FlattenShape(m, x.Shape))]));
        OnnxExport.Register<Linear>(EmitLinear);

        OnnxExport.Register<ReLU>((_, g, x) => g.Node("Relu", [x.Name]));
        OnnxExport.Register<Sigmoid>((_, g, x) => g.Node("Sigmoid", [x.Name]));
        OnnxExport.Register<Tanh>((_, g, x) => g.Node("Tanh", [x.Name]));
        OnnxExport.Register<SiLU>((_, g, x) => g.Node("Mul", [x.Name, g.Node("Sigmoid", [x.Name])]));
        OnnxExport.Register<LeakyReLU>((m, g, x) => g.Node("LeakyRelu", [x.Name], new OnnxAttribute("alpha", m.NegativeSlope)));
        OnnxExport.Register<ELU>((m, g, x) => g.Node("Elu", [x.Name], new OnnxAttribute("alpha", m.Alpha)));
        OnnxExport.Register<Softplus>(EmitSoftplus);
        OnnxExport.Register<GELU>(EmitGelu);
        OnnxExport.Register<Softmax>((m, g, x) => g.Node("Softmax", [x.Name], new OnnxAttribute("axis", (long)m.Dim)));
        OnnxExport.Register<LogSoftmax>((m, g, x) => g.Node("LogSoftmax", [x.Name], new OnnxAttribute("axis", (long)m.Dim)));
        OnnxExport.Register<Maxout>(EmitMaxout);

        OnnxExport.Register<Conv1d>((m, g, x) => EmitConv("Conv", g, x, m.Weight, m.Bias, [m.KernelSize], [m.Stride],
            ConvPads(m.Padding, [m.KernelSize], [m.Dilation]), [m.Dilation], m.Groups));
        OnnxExport.Register<Conv2d>((m, g, x) => EmitConv("Conv", g, x, m.Weight, m.Bias, [m.KernelSize.H, m.KernelSize.W], [m.Stride.H, m.Stride.W],
            ConvPads(m.Padding, [m.KernelSize.H, m.KernelSize.W], [m.Dilation.H, m.Dilation.W]), [m.Dilation.H, m.Dilation.W], m.Groups));
        // PyTorch's transposed-convolution weight [In, Out/groups, k…] is ONNX's ConvTranspose layout too.
        OnnxExport.Register<ConvTranspose1d>((m, g, x) => EmitConv("ConvTranspose", g, x, m.Weight, m.Bias, [m.KernelSize], [m.Stride],
            [m.Padding, m.Padding], [m.Dilation], m.Groups, new OnnxAttribute("output_padding", new long[] { m.OutputPadding })));
        OnnxExport.Register<ConvTranspose2d>((m, g, x) => EmitConv("ConvTranspose", g, x, m.Weight, m.Bias, [m.KernelSize.H, m.KernelSize.W],
            [m.Stride.H, m.Stride.W], [m.Padding.H, m.Padding.W, m.Padding.H, m.Padding.W], [m.Dilation.H, m.Dilation.W], m.Groups,
            new OnnxAttribute("output_padding", new long[] { m.OutputPadding.H, m.OutputPadding.W })));

        OnnxExport.Register<MaxPool1d>((m, g, x) => g.Node("MaxPool", [x.Name], Kernel(m.KernelSize), Strides(m.Stride), Pads(m.Padding),
            new OnnxAttribute("dilations", new long[] { m.Dilation }), CeilMode(m.CeilMode)));
        OnnxExport.Register<MaxPool2d>((m, g, x) => g.Node("MaxPool", [x.Name], Kernel(m.KernelSize.H, m.KernelSize.W), Strides(m.Stride.H, m.Stride.W),
            Pads(m.Padding.H, m.Padding.W), new OnnxAttribute("dilations", new long[] { m.Dilation.H, m.Dilation.W }), CeilMode(m.CeilMode)));
        OnnxExport.Register<AvgPool1d>((m, g, x) => g.Node("AveragePool", [x.Name], Kernel(m.KernelSize), Strides(m.Stride), Pads(m.Padding),
            CeilMode(m.CeilMode), new OnnxAttribute("count_include_pad", m.CountIncludePad ? 1L : 0L)));
        OnnxExport.Register<AvgPool2d>((m, g, x) => g.Node("AveragePool", [x.Name], Kernel(m.KernelSize.H, m.KernelSize.W), Strides(m.Stride.H, m.Stride.W),
            Pads(m.Padding.H, m.Padding.W), CeilMode(m.CeilMode), new OnnxAttribute("count_include_pad", m.CountIncludePad ? 1L : 0L)));
        OnnxExport.Register<AdaptiveAvgPool1d>((m, g, x) => EmitAdaptiveAvgPool(g, x, [m.OutputSize]));
        OnnxExport.Register<AdaptiveAvgPool2d>((m, g, x) => EmitAdaptiveAvgPool(g, x, [m.OutputSize.H, m.OutputSize.W]));
        OnnxExport.Register<AdaptiveMaxPool1d>((m, g, x) => EmitAdaptiveMaxPool(g, x, [m.OutputSize]));
        OnnxExport.Register<AdaptiveMaxPool2d>((m, g, x) => EmitAdaptiveMaxPool(g, x, [m.OutputSize.H, m.OutputSize.W]));
        OnnxExport.Register<GlobalAvgPool2d>((_, g, x) => g.Node("Flatten", [g.Node("GlobalAveragePool", [x.Name])], new OnnxAttribute("axis", 1L)));
        OnnxExport.Register<Upsample>(EmitUpsample);

        OnnxExport.Register<BatchNorm1d>(EmitBatchNorm);
        OnnxExport.Register<BatchNorm2d>(EmitBatchNorm);
        OnnxExport.Register<BasicBlock>(EmitBasicBlock);
        OnnxExport.Register<LayerNorm>(EmitLayerNorm);
        OnnxExport.Register<Dropout>((_, g, x) => g.Node("Identity", [x.Name])); // exported in eval mode, where dropout is the identity
        OnnxExport.Register<Dropout2d>((_, g, x) => g.Node("Identity", [x.Name]));
        OnnxExport.Register<Unflatten>((m, g, x) => g.Node("Reshape", [x.Name, g.Int64Initializer("shape", UnflattenShape(m, x.Shape))]));
        OnnxExport.Register<ZeroPad2d>(EmitZeroPad);
        RecurrentExporters.RegisterAll();
    }

    private static OnnxAttribute Kernel(params int[] k) => new("kernel_shape", Longs(k));
    private static OnnxAttribute Strides(params int[] s) => new("strides", Longs(s));
    // ONNX pads list every dimension's start, then every dimension's end.
    private static OnnxAttribute Pads(params int[] p) => new("pads", Longs([.. p, .. p]));
    private static OnnxAttribute CeilMode(bool ceil) => new("ceil_mode", ceil ? 1L : 0L);
    private static long[] Longs(int[] values) => [.. values.Select(v => (long)v)];

    private static int[] ConvPads(ConvPadding padding, int[] kernel, int[] dilation)
    {
        int[] amount = kernel.Length == 1 ? [padding.Amount.H] : [padding.Amount.H, padding.Amount.W];
        var before = new int[kernel.Length];
        var after = new int[kernel.Length];
        for (int d = 0; d < kernel.Length; d++)
        {
            int extent = dilation[d] * (kernel[d] - 1);
            (before[d], after[d]) = padding.Mode switch
            {
                "same" => (extent / 2, extent - extent / 2), // the odd zero goes after, as in PyTorch
                "valid" => (0, 0),
                _ => (amount[d], amount[d]),
            };
        }
        return [.. before, .. after];
    }

    private static string EmitConv(string op, OnnxGraph g, OnnxValue x, Tensor weight, Tensor? bias, int[] kernel, int[] strides, int[] pads,
        int[] dilations, int groups, params OnnxAttribute[] extra)
    {
        string[] inputs = bias is null ? [x.Name, g.Initializer("weight", weight)] : [x.Name, g.Initializer("weight", weight), g.Initializer("bias", bias)];
        return g.Node(op, inputs, [new("kernel_shape", Longs(kernel)), new("strides", Longs(strides)), new("pads", Longs(pads)),
            new("dilations", Longs(dilations)), new("group", (long)groups), .. extra]);
    }

    // Adaptive pooling is a plain average pooling when each output cell covers the same number of inputs.
    private static string EmitAdaptiveAvgPool(OnnxGraph g, OnnxValue x, int[] output) =>
        EmitAdaptivePool(g, x, output, "average", "GlobalAveragePool", "AveragePool");

    private static string EmitAdaptiveMaxPool(OnnxGraph g, OnnxValue x, int[] output) =>
        EmitAdaptivePool(g, x, output, "max", "GlobalMaxPool", "MaxPool");

    /// <summary>Adaptive pooling as ONNX can say it: global pooling to 1, else equal windows (the output divides the input).</summary>
    private static string EmitAdaptivePool(OnnxGraph g, OnnxValue x, int[] output, string kind, string global, string windowed)
    {
        var input = x.Shape.AsSpan()[2..].ToArray();
        if (output.All(o => o == 1)) return g.Node(global, [x.Name]);
        if (input.Zip(output).Any(p => p.First % p.Second != 0))
            throw new NotSupportedException(
                $"ONNX export: adaptive {kind} pooling from {new Shape(input)} to {new Shape(output)} has unequal windows, which ONNX cannot express.");
        int[] window = [.. input.Zip(output, (i, o) => i / o)];
        return g.Node(windowed, [x.Name], Kernel(window), Strides(window));
    }

    // Nearest neighbour at the output size Dendrite computes, source index ⌊dst · in / out⌋ ("asymmetric", "floor").
    // The sizes come from the input's own batch and channels, so the batch stays symbolic.
    private static string EmitUpsample(Upsample m, OnnxGraph g, OnnxValue x)
    {
        int outH = m.Size?.H ?? (int)MathF.Floor(x.Shape[-2] * m.ScaleFactor!.Value);
        int outW = m.Size?.W ?? (int)MathF.Floor(x.Shape[-1] * m.ScaleFactor!.Value);
        string batchAndChannels = g.Node("Shape", [x.Name], new OnnxAttribute("start", 0L), new OnnxAttribute("end", (long)x.Shape.Rank - 2));
        string sizes = g.Node("Concat", [batchAndChannels, g.Int64Initializer("size", outH, outW)], new OnnxAttribute("axis", 0L));
        return g.Node("Resize", [x.Name, "", "", sizes], new OnnxAttribute("mode", "nearest"),
            new OnnxAttribute("coordinate_transformation_mode", "asymmetric"), new OnnxAttribute("nearest_mode", "floor"));
    }

    // Evaluation mode: y = (x − running_mean) / √(running_var + ε) · γ + β per channel.
    private static string EmitBatchNorm(BatchNormBase m, OnnxGraph g, OnnxValue x)
    {
        if (m.RunningMean is null || m.RunningVar is null)
            throw new NotSupportedException(
                $"ONNX export: {m.GetType().Name} without running statistics normalises with each batch's own, which an inference graph does not do.");
        string scale = g.Initializer("weight", m.Weight ?? Tensor.Ones(m.NumFeatures));
        string shift = g.Initializer("bias", m.Bias ?? Tensor.Zeros(m.NumFeatures));
        return g.Node("BatchNormalization", [x.Name, scale, shift, g.Initializer("running_mean", m.RunningMean), g.Initializer("running_var", m.RunningVar)],
            new OnnxAttribute("epsilon", m.Eps));
    }

    /// <summary>ReLU(bn2(conv2(ReLU(bn1(conv1(x))))) + shortcut(x)), each child through its own emitter.</summary>
    private static string EmitBasicBlock(BasicBlock m, OnnxGraph g, OnnxValue x)
    {
        var bn1 = g.Emit(m.Bn1, g.Emit(m.Conv1, x));
        var relu1 = new OnnxValue(g.Node("Relu", [bn1.Name]), F.ReLU(bn1.Sample));
        var residual = g.Emit(m.Bn2, g.Emit(m.Conv2, relu1));
        var shortcut = m.Downsample is null ? x : g.Emit(m.Downsample, x);
        return g.Node("Relu", [g.Node("Add", [residual.Name, shortcut.Name])]);
    }

    private static string EmitLayerNorm(LayerNorm m, OnnxGraph g, OnnxValue x)
    {
        string scale = g.Initializer("weight", m.Weight ?? Tensor.Ones(m.NormalizedShape));
        string shift = g.Initializer("bias", m.Bias ?? Tensor.Zeros(m.NormalizedShape));
        return g.Node("LayerNormalization", [x.Name, scale, shift], new OnnxAttribute("axis", (long)-m.NormalizedShape.Length),
            new OnnxAttribute("epsilon", m.Eps));
    }

    private static long[] UnflattenShape(Unflatten m, Shape input)
    {
        int dim = input.NormalizeDim(m.Dim);
        if (dim == 0) throw new NotSupportedException("ONNX export: Unflatten of dimension 0 (the batch) is not supported.");
        var shape = new List<long>();
        for (int d = 0; d < dim; d++) shape.Add(0);
        shape.AddRange(m.Sizes.Select(s => (long)s));
        for (int d = dim + 1; d < input.Rank; d++) shape.Add(input[d]);
        return [.. shape];
    }

    // Padding (left, right, top, bottom) of the last two dimensions; ONNX lists all starts, then all ends.
    private static string EmitZeroPad(ZeroPad2d m, OnnxGraph g, OnnxValue x)
    {
        int rank = x.Shape.Rank;
        var pads = new long[2 * rank];
        (pads[rank - 2], pads[rank - 1], pads[2 * rank - 2], pads[2 * rank - 1]) = (m.Padding[2], m.Padding[0], m.Padding[3], m.Padding[1]);
        return g.Node("Pad", [x.Name, g.Int64Initializer("pads", pads)], new OnnxAttribute("mode", "constant"));
    }

    // Reshape's 0 copies the input's size at the same index (the batch stays symbolic); -1 is inferred. Sizes after the
    // merged range move to new indices, so they are written out.
    private static long[] FlattenShape(Flatten m, Shape input)
    {
        int start = input.NormalizeDim(m.StartDim), end = input.NormalizeDim(m.EndDim);
        var shape = new List<long>();
        for (int d = 0; d < start; d++) shape.Add(0);
        shape.Add(start == 0 ? -1 : input.Product(start, end + 1));
        for (int d = end + 1; d < input.Rank; d++) shape.Add(input[d]);
        return [.. shape];
    }

    // x·Wᵀ + b: Gemm for the usual [N, In] input; MatMul with Wᵀ stored transposed for inputs of other ranks.
    private static string EmitLinear(Linear m, OnnxGraph g, OnnxValue x)
    {
        if (x.Shape.Rank == 2)
        {
            string[] inputs = m.Bias is null ? [x.Name, g.Initializer("weight", m.Weight)] : [x.Name, g.Initializer("weight", m.Weight), g.Initializer("bias", m.Bias)];
            return g.Node("Gemm", inputs, new OnnxAttribute("transB", 1L));
        }
        string y = g.Node("MatMul", [x.Name, g.Initializer("weight_t", m.Weight.Transpose(0, 1).Clone())]);
        return m.Bias is null ? y : g.Node("Add", [y, g.Initializer("bias", m.Bias)]);
    }

    // PyTorch: log(1 + e^(βx)) / β, and x itself where βx > threshold. ONNX's Softplus has no β or threshold; above the
    // threshold (default 20) the two differ by log(1 + e^−20) ≈ 2e−9, far below float resolution of such x.
    private static string EmitSoftplus(Softplus m, OnnxGraph g, OnnxValue x)
    {
        if (m.Beta == 1f) return g.Node("Softplus", [x.Name]);
        string scaled = g.Node("Mul", [x.Name, g.Scalar("beta", m.Beta)]);
        return g.Node("Div", [g.Node("Softplus", [scaled]), g.Scalar("beta", m.Beta)]);
    }

    // Opset 17 has no Gelu node (it came in opset 20), so compose it from its definition.
    private static string EmitGelu(GELU m, OnnxGraph g, OnnxValue x)
    {
        string inner;
        if (m.Approximate == "tanh")
        {
            // 0.5·x·(1 + tanh(√(2/π)·(x + 0.044715·x³)))
            string cube = g.Node("Mul", [x.Name, g.Node("Mul", [x.Name, x.Name])]);
            string sum = g.Node("Add", [x.Name, g.Node("Mul", [cube, g.Scalar("c", 0.044715f)])]);
            inner = g.Node("Tanh", [g.Node("Mul", [sum, g.Scalar("sqrt_2_over_pi", MathF.Sqrt(2f / MathF.PI))])]);
        }
        else
        {
            // 0.5·x·(1 + erf(x / √2))
            inner = g.Node("Erf", [g.Node("Mul", [x.Name, g.Scalar("rsqrt2", 1f / MathF.Sqrt(2f))])]);
        }
        string onePlus = g.Node("Add", [inner, g.Scalar("one", 1f)]);
        return g.Node("Mul", [g.Node("Mul", [x.Name, onePlus]), g.Scalar("half", 0.5f)]);
    }

    // Groups of k consecutive features along dim: reshape [..., C, ...] to [..., C/k, k, ...] and take the max over k.
    private static string EmitMaxout(Maxout m, OnnxGraph g, OnnxValue x)
    {
        int dim = x.Shape.NormalizeDim(m.Dim);
        if (dim == 0) throw new NotSupportedException("ONNX export: Maxout over dimension 0 (the batch) is not supported.");
        var shape = new List<long> { 0 };
        for (int d = 1; d < x.Shape.Rank; d++)
        {
            if (d == dim)
            {
                shape.Add(x.Shape[d] / m.PoolSize);
                shape.Add(m.PoolSize);
            }
            else
            {
                shape.Add(d < dim ? 0 : x.Shape[d]);
            }
        }
        string grouped = g.Node("Reshape", [x.Name, g.Int64Initializer("shape", [.. shape])]);
        return g.Node("ReduceMax", [grouped], new OnnxAttribute("axes", new long[] { dim + 1 }), new OnnxAttribute("keepdims", 0L));
    }
}
