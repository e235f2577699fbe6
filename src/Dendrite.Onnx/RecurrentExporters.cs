using Dendrite.NN;

namespace Dendrite.Onnx;

/// <summary>
/// ONNX nodes for the recurrent layers (opset 17's RNN, LSTM and GRU operators) and embeddings. PyTorch and ONNX store
/// the same weights with the gates in different orders: LSTM i, f, g, o against ONNX's i, o, f, c; GRU r, z, n against
/// z, r, h (with linear_before_reset = 1, PyTorch's form). ONNX takes the input time-major, [T, N, I], and gives
/// Y [T, D, N, H] and Y_h [D, N, H].
/// </summary>
internal static class RecurrentExporters
{
    internal static void RegisterAll()
    {
        OnnxExport.Register<RNN>((m, g, x) => EmitSequence(m, g, x.Name).Output);
        OnnxExport.Register<LSTM>((m, g, x) => EmitSequence(m, g, x.Name).Output);
        OnnxExport.Register<GRU>((m, g, x) => EmitSequence(m, g, x.Name).Output);
        OnnxExport.Register<RNNCell>((m, g, x) => EmitCell(g, x, "RNN", m.Weights, m.HiddenSize, [new OnnxAttribute("activations", new[] { Activation(m.Nonlinearity) })]));
        OnnxExport.Register<LSTMCell>((m, g, x) => EmitCell(g, x, "LSTM", m.Weights, m.HiddenSize, []));
        OnnxExport.Register<GRUCell>((m, g, x) => EmitCell(g, x, "GRU", m.Weights, m.HiddenSize, [new OnnxAttribute("linear_before_reset", 1L)]));
        // Indices arrive as floats (Dendrite's one element type); Gather wants integers.
        OnnxExport.Register<Embedding>((m, g, x) => g.Node("Gather",
            [g.Initializer("weight", m.Weight), g.Node("Cast", [x.Name], new OnnxAttribute("to", (long)OnnxProto.Int64))], new OnnxAttribute("axis", 0L)));
        OnnxExport.Register<RecurrentClassifier>(EmitClassifier);
    }

    private static string Activation(string nonlinearity) => nonlinearity == "relu" ? "Relu" : "Tanh";

    private static (string Op, int[] Order, OnnxAttribute[] Extra) Kind(RNNBase m) => m switch
    {
        LSTM => ("LSTM", [0, 3, 1, 2], []),
        GRU => ("GRU", [1, 0, 2], [new OnnxAttribute("linear_before_reset", 1L)]),
        RNN rnn => ("RNN", [0], [new OnnxAttribute("activations", Enumerable.Repeat(Activation(rnn.Nonlinearity), rnn.Directions).ToArray())]),
        _ => throw new NotSupportedException($"ONNX export: recurrent layer {m.GetType().Name} is not supported."),
    };

    /// <summary>The layer's output sequence (laid out as Forward gives it) and the top layer's final states Y_h [D, N, H].</summary>
    private static (string Output, string LastH) EmitSequence(RNNBase m, OnnxGraph g, string input, string prefix = "")
    {
        var (op, order, extra) = Kind(m);
        int h = m.HiddenSize, d = m.Directions, perCell = m.Bias ? 4 : 2;
        string x = m.BatchFirst ? g.Node("Transpose", [input], new OnnxAttribute("perm", new long[] { 1, 0, 2 })) : input;
        string lastH = "";
        for (int layer = 0; layer < m.NumLayers; layer++)
        {
            var cells = Enumerable.Range(0, d).Select(dir => m.FlatWeights.Skip((layer * d + dir) * perCell).Take(perCell).ToArray()).ToArray();
            string tag = prefix + "l" + layer;
            var inputs = new List<string>
            {
                x,
                g.Initializer(tag + ".W", Stack(cells.Select(c => Reorder(c[0], order, h)))),
                g.Initializer(tag + ".R", Stack(cells.Select(c => Reorder(c[1], order, h)))),
            };
            if (m.Bias) inputs.Add(g.Initializer(tag + ".B", Stack(cells.Select(c => Concat(Reorder(c[2], order, h), Reorder(c[3], order, h))))));
            var outputs = g.Node(op, [.. inputs], 2, [new OnnxAttribute("hidden_size", (long)h),
                new OnnxAttribute("direction", m.Bidirectional ? "bidirectional" : "forward"), .. extra]);
            // Y [T, D, N, H] → [T, N, D·H], the next layer's input and Dendrite's output layout.
            string perStep = g.Node("Transpose", [outputs[0]], new OnnxAttribute("perm", new long[] { 0, 2, 1, 3 }));
            x = g.Node("Reshape", [perStep, g.Int64Initializer(tag + ".shape", 0, 0, -1)]);
            lastH = outputs[1];
        }
        string output = m.BatchFirst ? g.Node("Transpose", [x], new OnnxAttribute("perm", new long[] { 1, 0, 2 })) : x;
        return (output, lastH);
    }

    // One step from zero states: a sequence of length one.
    private static string EmitCell(OnnxGraph g, OnnxValue x, string op, IReadOnlyList<Tensor> weights, int h, OnnxAttribute[] extra)
    {
        if (x.Shape.Rank != 2) throw new NotSupportedException($"ONNX export: {op} cell input must be [N, I], got {x.Shape}.");
        int[] order = op switch { "LSTM" => [0, 3, 1, 2], "GRU" => [1, 0, 2], _ => [0] };
        string step = g.Node("Unsqueeze", [x.Name, g.Int64Initializer("axes", 0)]);
        var inputs = new List<string>
        {
            step, g.Initializer("W", Stack([Reorder(weights[0], order, h)])), g.Initializer("R", Stack([Reorder(weights[1], order, h)])),
        };
        if (weights.Count == 4) inputs.Add(g.Initializer("B", Stack([Concat(Reorder(weights[2], order, h), Reorder(weights[3], order, h))])));
        var outputs = g.Node(op, [.. inputs], 2, [new OnnxAttribute("hidden_size", (long)h), .. extra]);
        return g.Node("Squeeze", [outputs[1], g.Int64Initializer("axes", 0)]);
    }

    // logits = fc(h_n of the top layer, directions side by side): Y_h [D, N, H] → [N, D·H].
    private static string EmitClassifier(RecurrentClassifier m, OnnxGraph g, OnnxValue x)
    {
        var (_, lastH) = EmitSequence(m.Rnn, g, x.Name, "rnn.");
        string batchMajor = g.Node("Transpose", [lastH], new OnnxAttribute("perm", new long[] { 1, 0, 2 }));
        string state = g.Node("Reshape", [batchMajor, g.Int64Initializer("state_shape", 0, -1)]);
        int n = x.Shape[m.Rnn.BatchFirst ? 0 : 1];
        return g.Emit(m.Fc, new OnnxValue(state, Tensor.Zeros(n, m.Rnn.Directions * m.Rnn.HiddenSize))).Name;
    }

    /// <summary>Rows of <paramref name="w"/> ([G·H, …] or [G·H]) in blocks of H, rearranged into <paramref name="order"/>.</summary>
    private static Tensor Reorder(Tensor w, int[] order, int h)
    {
        int row = w.Numel / w.Shape[0];
        var result = Tensor.Empty(w.Shape.ToArray());
        for (int k = 0; k < order.Length; k++)
            w.Data.Slice(order[k] * h * row, h * row).CopyTo(result.Data.Slice(k * h * row, h * row));
        return result;
    }

    private static Tensor Concat(Tensor a, Tensor b) => F.Cat([a, b], 0);

    private static Tensor Stack(IEnumerable<Tensor> parts) => F.Stack([.. parts], 0);
}
