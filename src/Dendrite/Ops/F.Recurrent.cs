using Dendrite.Backends;

namespace Dendrite;

public static partial class F
{
    /// <summary>
    /// Elman recurrent network, as <c>torch.nn.RNN</c>: h_t = act(W_ih·x_t + b_ih + W_hh·h_(t−1) + b_hh) with act tanh or
    /// relu, over <paramref name="numLayers"/> stacked layers, optionally in both directions.
    /// </summary>
    /// <param name="input">[T, N, I] (batch_first: [N, T, I]) or unbatched [T, I].</param>
    /// <param name="h0">Initial hidden state [L·D, N, H] (unbatched [L·D, H]); zeros when null.</param>
    /// <param name="parameters">
    /// PyTorch's flat weights: for each layer, for each direction, W_ih [H, I_l], W_hh [H, H] and optionally b_ih, b_hh
    /// [H] (all four or no biases), where I_l is I for the first layer and D·H above it.
    /// </param>
    /// <param name="nonlinearity">"tanh" (the default) or "relu".</param>
    /// <param name="dropout">Dropout probability on the outputs of every layer but the last, in training only.</param>
    /// <param name="mask">
    /// Which steps are present, 1 or 0, shaped [N, T] whatever <paramref name="batchFirst"/> says (unbatched [T]). A
    /// step with 0 leaves the state untouched and outputs 0, so sequences padded at the end give exactly what they give
    /// unpadded, in both directions: this is what <c>pack_padded_sequence</c> achieves in PyTorch.
    /// </param>
    /// <exception cref="ShapeMismatchException">A shape does not fit; the message names the expected and actual shapes.</exception>
    public static RnnOutput RNN(Tensor input, Tensor? h0, IReadOnlyList<Tensor> parameters, int numLayers = 1,
        string nonlinearity = "tanh", bool bidirectional = false, bool batchFirst = false, float dropout = 0f,
        bool training = true, Tensor? mask = null)
    {
        var cell = nonlinearity switch
        {
            "tanh" => RecurrentCell.RnnTanh,
            "relu" => RecurrentCell.RnnRelu,
            _ => throw new ArgumentException($"RNN: nonlinearity must be \"tanh\" or \"relu\", got \"{nonlinearity}\"."),
        };
        return RecurrentNetwork(nameof(RNN), cell, input, h0, null, parameters, numLayers, bidirectional, batchFirst, dropout, training, mask);
    }

    /// <summary>
    /// Long short-term memory, as <c>torch.nn.LSTM</c> (Hochreiter &amp; Schmidhuber, 1997), gates in PyTorch's order
    /// i, f, g, o: i = σ(·), f = σ(·), g = tanh(·), o = σ(·) of W_ih·x_t + b_ih + W_hh·h_(t−1) + b_hh;
    /// c_t = f·c_(t−1) + i·g, h_t = o·tanh(c_t).
    /// </summary>
    /// <param name="c0">Initial cell state, shaped like <paramref name="h0"/>; zeros when null.</param>
    /// <param name="parameters">As for <see cref="RNN"/>, with W_ih [4H, I_l], W_hh [4H, H], biases [4H].</param>
    /// <inheritdoc cref="RNN" path="/param[@name='input' or @name='h0' or @name='dropout' or @name='mask']"/>
    /// <exception cref="ShapeMismatchException">A shape does not fit; the message names the expected and actual shapes.</exception>
    public static RnnOutput LSTM(Tensor input, Tensor? h0, Tensor? c0, IReadOnlyList<Tensor> parameters, int numLayers = 1,
        bool bidirectional = false, bool batchFirst = false, float dropout = 0f, bool training = true, Tensor? mask = null) =>
        RecurrentNetwork(nameof(LSTM), RecurrentCell.Lstm, input, h0, c0, parameters, numLayers, bidirectional, batchFirst, dropout, training, mask);

    /// <summary>
    /// Gated recurrent unit, as <c>torch.nn.GRU</c> (Cho et al., 2014) in PyTorch's "reset after" form, gates r, z, n:
    /// r = σ(W_ir·x + b_ir + W_hr·h + b_hr), z = σ(W_iz·x + b_iz + W_hz·h + b_hz),
    /// n = tanh(W_in·x + b_in + r·(W_hn·h + b_hn)), h_t = (1 − z)·n + z·h_(t−1).
    /// </summary>
    /// <param name="parameters">As for <see cref="RNN"/>, with W_ih [3H, I_l], W_hh [3H, H], biases [3H].</param>
    /// <inheritdoc cref="RNN" path="/param[@name='input' or @name='h0' or @name='dropout' or @name='mask']"/>
    /// <exception cref="ShapeMismatchException">A shape does not fit; the message names the expected and actual shapes.</exception>
    public static RnnOutput GRU(Tensor input, Tensor? h0, IReadOnlyList<Tensor> parameters, int numLayers = 1,
        bool bidirectional = false, bool batchFirst = false, float dropout = 0f, bool training = true, Tensor? mask = null) =>
        RecurrentNetwork(nameof(GRU), RecurrentCell.Gru, input, h0, null, parameters, numLayers, bidirectional, batchFirst, dropout, training, mask);

    private static RnnOutput RecurrentNetwork(string op, RecurrentCell cell, Tensor input, Tensor? h0, Tensor? c0,
        IReadOnlyList<Tensor> parameters, int numLayers, bool bidirectional, bool batchFirst, float dropout, bool training, Tensor? mask)
    {
        if (numLayers < 1) throw new ArgumentOutOfRangeException(nameof(numLayers), $"{op}: numLayers must be >= 1, got {numLayers}.");
        CheckDropoutProbability(op, dropout);
        if (input.Rank is not (2 or 3))
            throw new ShapeMismatchException(
                $"{op}: expected a 3-D input {(batchFirst ? "[N, T, I] (batch_first)" : "[T, N, I]")} or an unbatched 2-D [T, I], got {input.Shape}.");
        bool unbatched = input.Rank == 2;
        int steps = unbatched || !batchFirst ? input.Shape[0] : input.Shape[1];
        int batch = unbatched ? 1 : batchFirst ? input.Shape[0] : input.Shape[1];
        int inputSize = input.Shape[-1];
        if (steps < 1) throw new ShapeMismatchException($"{op}: the input {input.Shape} has no time steps.");
        int directions = bidirectional ? 2 : 1;
        int gates = RecurrentStep.GateCount(cell);
        var (hidden, hasBias) = CheckRecurrentParameters(op, parameters, numLayers, directions, gates, inputSize);

        var stateShape = unbatched ? new Shape(numLayers * directions, hidden) : new Shape(numLayers * directions, batch, hidden);
        h0 = CheckState(op, "h0", h0, stateShape, unbatched, batch, hidden);
        c0 = CheckState(op, "c0", c0, stateShape, unbatched, batch, hidden);
        if (c0 is not null && cell != RecurrentCell.Lstm) throw new ArgumentException($"{op}: only LSTM takes a cell state c0.");
        var maskValues = mask is null ? null : CheckMask(op, mask, input, unbatched, batch, steps);

        var x = unbatched ? Reshape(input, steps, 1, inputSize) : batchFirst ? Transpose(input, 0, 1) : input;
        int perLayer = directions * (hasBias ? 4 : 2);
        int outputLength = steps * batch * directions * hidden, stateLength = directions * batch * hidden;
        var hs = new Tensor[numLayers];
        var cs = new Tensor[numLayers];
        Tensor y = x;
        for (int layer = 0; layer < numLayers; layer++)
        {
            if (layer > 0) y = Dropout(y, dropout, training);
            var weights = new Tensor[perLayer];
            for (int i = 0; i < perLayer; i++) weights[i] = parameters[layer * perLayer + i];
            var layerH0 = h0 is null ? null : Slice(h0, layer * directions, directions);
            var layerC0 = c0 is null ? null : Slice(c0, layer * directions, directions);
            var packed = RecurrentLayer.Apply(op, cell, y, layerH0, layerC0, weights, directions, hidden, hasBias, maskValues);
            y = Reshape(Slice(packed, 0, outputLength), steps, batch, directions * hidden);
            hs[layer] = Reshape(Slice(packed, outputLength, stateLength), directions, batch, hidden);
            if (cell == RecurrentCell.Lstm) cs[layer] = Reshape(Slice(packed, outputLength + stateLength, stateLength), directions, batch, hidden);
        }
        var output = unbatched ? Reshape(y, steps, directions * hidden) : batchFirst ? Transpose(y, 0, 1) : y;
        var hN = numLayers == 1 ? hs[0] : Cat(hs, 0);
        var cN = cell != RecurrentCell.Lstm ? null : numLayers == 1 ? cs[0] : Cat(cs, 0);
        if (unbatched)
        {
            hN = Reshape(hN, stateShape.ToArray());
            if (cN is not null) cN = Reshape(cN, stateShape.ToArray());
        }
        return new RnnOutput(output, hN, cN);
    }

    private static (int Hidden, bool HasBias) CheckRecurrentParameters(string op, IReadOnlyList<Tensor> parameters,
        int numLayers, int directions, int gates, int inputSize)
    {
        int cells = numLayers * directions;
        bool hasBias = parameters.Count == cells * 4;
        if (!hasBias && parameters.Count != cells * 2)
            throw new ArgumentException(
                $"{op}: expected {cells * 4} parameters (W_ih, W_hh, b_ih, b_hh for each of {numLayers} layers × {directions} directions) " +
                $"or {cells * 2} without biases, got {parameters.Count}.");
        var whh = parameters[1];
        if (whh.Rank != 2 || whh.Shape[0] != gates * whh.Shape[1])
            throw new ShapeMismatchException($"{op}: weight_hh_l0 must be [{gates}·H, H], got {whh.Shape}.");
        int hidden = whh.Shape[1];
        int per = hasBias ? 4 : 2;
        for (int layer = 0; layer < numLayers; layer++)
            for (int d = 0; d < directions; d++)
            {
                int p = (layer * directions + d) * per;
                string suffix = $"_l{layer}{(d == 1 ? "_reverse" : "")}";
                int layerInput = layer == 0 ? inputSize : directions * hidden;
                Expect(op, "weight_ih" + suffix, parameters[p], new Shape(gates * hidden, layerInput),
                    layer == 0 ? $" (the input's last dimension is {inputSize})" : "");
                Expect(op, "weight_hh" + suffix, parameters[p + 1], new Shape(gates * hidden, hidden), "");
                if (hasBias)
                {
                    Expect(op, "bias_ih" + suffix, parameters[p + 2], new Shape(gates * hidden), "");
                    Expect(op, "bias_hh" + suffix, parameters[p + 3], new Shape(gates * hidden), "");
                }
            }
        return (hidden, hasBias);

        static void Expect(string op, string name, Tensor t, Shape expected, string hint)
        {
            if (t.Shape != expected)
                throw new ShapeMismatchException($"{op}: {name} must have shape {expected}{hint}, got {t.Shape}.");
        }
    }

    /// <summary>The state as [L·D, N, H] (unbatched states gain a batch of 1), after checking its shape.</summary>
    private static Tensor? CheckState(string op, string name, Tensor? state, Shape expected, bool unbatched, int batch, int hidden)
    {
        if (state is null) return null;
        if (state.Shape != expected)
            throw new ShapeMismatchException(
                $"{op}: {name} must have shape {expected} (num_layers·directions, {(unbatched ? "" : $"batch {batch}, ")}hidden {hidden}), got {state.Shape}.");
        return unbatched ? Reshape(state, expected[0], 1, hidden) : state;
    }

    /// <summary>The validated mask, its values as [N, T] (1 = present), outside the graph.</summary>
    private static Tensor CheckMask(string op, Tensor mask, Tensor input, bool unbatched, int batch, int steps)
    {
        var expected = unbatched ? new Shape(steps) : new Shape(batch, steps);
        if (mask.Shape != expected)
            throw new ShapeMismatchException($"{op}: mask must have shape {expected} ([batch, steps], 1 = present, 0 = padding), got {mask.Shape}.");
        CheckSameDevice(op, input, mask, "input", "mask");
        var values = HostValues(mask);
        for (int i = 0; i < values.Length; i++)
            if (values[i] is not (0f or 1f))
                throw new ArgumentException($"{op}: mask values must be 0 or 1, got {values[i]} at position {i}.");
        return mask.Detach();
    }
}
