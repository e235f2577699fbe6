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
