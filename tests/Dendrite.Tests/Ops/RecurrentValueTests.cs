using Dendrite.NN;
using Dendrite.Tests.TestSupport;
using static Dendrite.Tests.Ops.RecurrentGradCheckTests;

namespace Dendrite.Tests.Ops;

/// <summary>The fused recurrent layers against a step-by-step twin and hand-computed steps, on each device.</summary>
public abstract class RecurrentValueTests : DeviceTests
{
    /// <summary>
    /// The cases of <see cref="Fused_layers_match_a_step_by_step_twin_in_values_and_gradients"/>: batches of 16 and more
    /// take the CPU's row-split path (each thread runs its rows through the whole sequence); an odd number of steps
    /// leaves the initial-state gradient in the scratch buffer, to be copied back; 7 steps start from no initial state.
    /// </summary>
    protected virtual IEnumerable<(int Layers, bool Bidirectional, int Batch, bool Masked, int Steps)> FusedCases =>
    [
        (1, false, 1, false, 6), (2, true, 3, false, 6), (2, true, 3, true, 6), (1, false, 4, true, 6),
        (1, true, 37, true, 5), (2, true, 20, false, 6), (1, false, 16, true, 7),
    ];

    [Theory]
    [InlineData("lstm")]
    [InlineData("gru")]
    [InlineData("rnn")]
    [InlineData("rnn-relu")]
    public void Fused_layers_match_a_step_by_step_twin_in_values_and_gradients(string cell)
    {
        foreach (var (layers, bidirectional, batch, masked, steps) in FusedCases)
        {
            var g = new Generator(5);
            var module = Create(cell, 3, 5, layers, bidirectional, g);
            module.To(Device);
            int states = layers * (bidirectional ? 2 : 1);
            var x1 = On(Tensor.Randn(new Shape(steps, batch, 3), g)).RequireGrad();
            var h1 = On(Tensor.Randn(new Shape(states, batch, 5), g)).RequireGrad();
            var c1 = On(Tensor.Randn(new Shape(states, batch, 5), g)).RequireGrad();
            var w1 = module.FlatWeights.Select(w => w.Detach().Clone().RequireGrad()).ToArray();
            var (x2, h2, c2) = (x1.Detach().Clone().RequireGrad(), h1.Detach().Clone().RequireGrad(), c1.Detach().Clone().RequireGrad());
            var w2 = w1.Select(w => w.Detach().Clone().RequireGrad()).ToArray();
            var lengths = new[] { steps, 2, 4, 1 };
            var present = Enumerable.Range(0, batch * steps).Select(i => i % steps < lengths[i / steps % 4] ? 1f : 0f).ToArray();
            var mask = masked ? On(Tensor.FromArray(present, batch, steps)) : null;
            var c0 = cell == "lstm" ? c1 : null;

            // One case starts from no initial state at all (zeros, whose first W_hh product is skipped).
            bool noInitialState = steps == 7;
            if (noInitialState)
            {
                h2 = On(Tensor.Zeros(h1.Shape)).RequireGrad();
                c2 = On(Tensor.Zeros(c1.Shape)).RequireGrad();
            }
            var fused = Run(cell, x1, noInitialState ? null : h1, noInitialState ? null : c0, w1, layers, bidirectional, mask, batchFirst: false);
            var twin = RecurrentReference.Run(cell, x2, h2, cell == "lstm" ? c2 : null, w2, layers, bidirectional, mask);

            string what = $"{cell}, {layers} layers, bidirectional {bidirectional}, batch {batch}, masked {masked}, {steps} steps";
            AssertClose(twin.Output, fused.Output, 1e-5f, what + ": output");
            AssertClose(twin.H, fused.H, 1e-5f, what + ": h_n");
            if (cell == "lstm") AssertClose(twin.C!, fused.C!, 1e-5f, what + ": c_n");

            // The same weighting of every output on both sides, then compare every input's gradient.
            var wy = On(Tensor.Randn(fused.Output.Shape, g));
            var wh = On(Tensor.Randn(fused.H.Shape, g));
            var wc = cell == "lstm" ? On(Tensor.Randn(fused.H.Shape, g)) : null;
            Loss(fused.Output, fused.H, fused.C, wy, wh, wc).Backward();
            Loss(twin.Output, twin.H, twin.C, wy, wh, wc).Backward();
            AssertClose(x2.Grad!, x1.Grad!, 1e-4f, what + ": dx");
            if (!noInitialState)
            {
                AssertClose(h2.Grad!, h1.Grad!, 1e-4f, what + ": dh0");
                if (cell == "lstm") AssertClose(c2.Grad!, c1.Grad!, 1e-4f, what + ": dc0");
            }
            for (int i = 0; i < w1.Length; i++) AssertClose(w2[i].Grad!, w1[i].Grad!, 1e-4f, $"{what}: d{module.NamedParameters().ElementAt(i).Name}");
        }

        static Tensor Loss(Tensor y, Tensor h, Tensor? c, Tensor wy, Tensor wh, Tensor? wc)
        {
            var s = F.Add(F.Sum(F.Mul(y, wy)), F.Sum(F.Mul(h, wh)));
            return c is null ? s : F.Add(s, F.Sum(F.Mul(c, wc!)));
        }
    }

    [Theory]
    [InlineData("lstm")]
    [InlineData("gru")]
    [InlineData("rnn")]
    public void Bias_free_layers_give_what_zero_biases_give(string cell)
    {
        // A batch of 20 takes the CPU's row-split path, where each step projects its input without a bias row.
        var g = new Generator(9);
        var module = Create(cell, 3, 5, 1, bidirectional: true, g);
        module.To(Device);
        var x = On(Tensor.Randn(new Shape(6, 20, 3), g));
        var withBias = module.FlatWeights.Select((w, i) => (i % 4 < 2 ? w.Detach().Clone() : On(Tensor.Zeros(w.Shape))).RequireGrad()).ToArray();
        var withoutBias = withBias.Where((_, i) => i % 4 < 2).Select(w => w.Detach().Clone().RequireGrad()).ToArray();
        var biased = Run(cell, x, null, null, withBias, 1, true, null, batchFirst: false);
        var free = Run(cell, x, null, null, withoutBias, 1, true, null, batchFirst: false);
        AssertClose(biased.Output, free.Output, 1e-6f, $"{cell}: output");
        AssertClose(biased.H, free.H, 1e-6f, $"{cell}: h_n");
        F.Sum(F.Mul(biased.Output, biased.Output)).Backward();
        F.Sum(F.Mul(free.Output, free.Output)).Backward();
        for (int i = 0; i < withoutBias.Length; i++)
            AssertClose(withBias[i / 2 * 4 + i % 2].Grad!, withoutBias[i].Grad!, 1e-5f, $"{cell}: weight {i}");
    }

    [Fact]
    public void One_LSTM_step_gives_the_hand_computed_state()
    {
        // I = H = 1. Rows of W_ih, W_hh and b_ih are the gates i, f, g, o; b_hh = 0. x = 1, h0 = 0.5, c0 = −0.2.
        // pre = W_ih·x + W_hh·h0 + b = (0.5 + 0.05 + 0.1, −0.3 + 0.1 + 0, 0.8 − 0.2 − 0.1, 0.2 + 0.15 + 0.2)
        //     = (0.65, −0.2, 0.5, 0.55)
        // i = σ(0.65) = 0.657010, f = σ(−0.2) = 0.450166, g = tanh(0.5) = 0.462117, o = σ(0.55) = 0.634136
        // c1 = f·c0 + i·g = −0.090033 + 0.303616 = 0.213583;  h1 = o·tanh(c1) = 0.634136 · 0.210387 = 0.133418
        var weights = new[]
        {
            On(Tensor.FromArray([0.5f, -0.3f, 0.8f, 0.2f], 4, 1)),
            On(Tensor.FromArray([0.1f, 0.2f, -0.4f, 0.3f], 4, 1)),
            On(Tensor.FromArray([0.1f, 0f, -0.1f, 0.2f])), On(Tensor.Zeros(4)),
        };
        var r = F.LSTM(On(Tensor.FromArray([1f], 1, 1, 1)), On(Tensor.FromArray([0.5f], 1, 1, 1)),
            On(Tensor.FromArray([-0.2f], 1, 1, 1)), weights);

        Assert.Equal(0.2135826f, r.C![0, 0, 0], 1e-6f);
        Assert.Equal(0.1334177f, r.H[0, 0, 0], 1e-6f);
        Assert.Equal(0.1334177f, r.Output[0, 0, 0], 1e-6f);
    }

    [Fact]
    public void One_GRU_step_gives_the_hand_computed_state()
    {
        // Gates r, z, n. x = 1, h0 = 0.5; W_ih = (0.5, −0.3, 0.8), W_hh = (0.1, 0.2, −0.4),
        // b_ih = (0.1, 0, −0.1), b_hh = (0.2, −0.1, 0.3).
        // r = σ(0.5 + 0.1 + 0.05 + 0.2) = σ(0.85) = 0.700567;  z = σ(−0.3 + 0 + 0.1 − 0.1) = σ(−0.3) = 0.425557
        // n = tanh(0.8 − 0.1 + r·(−0.2 + 0.3)) = tanh(0.770057) = 0.646962   (reset after: r scales W_hn·h + b_hn)
        // h1 = (1 − z)·n + z·h0 = 0.574443·0.646962 + 0.425557·0.5 = 0.584421
        var weights = new[]
        {
            On(Tensor.FromArray([0.5f, -0.3f, 0.8f], 3, 1)), On(Tensor.FromArray([0.1f, 0.2f, -0.4f], 3, 1)),
            On(Tensor.FromArray([0.1f, 0f, -0.1f])), On(Tensor.FromArray([0.2f, -0.1f, 0.3f])),
        };
        var r = F.GRU(On(Tensor.FromArray([1f], 1, 1, 1)), On(Tensor.FromArray([0.5f], 1, 1, 1)), weights);

        Assert.Equal(0.5844215f, r.H[0, 0, 0], 1e-6f);
    }

    [Theory]
    [InlineData("tanh", 0.6910695f)]   // tanh(0.5·1 + 0.1·0.5 + 0.1 + 0.2) = tanh(0.85)
    [InlineData("relu", 0.85f)]        // max(0.85, 0)
    public void One_RNN_step_gives_the_hand_computed_state(string nonlinearity, float expected)
    {
        var weights = new[] { On(Tensor.FromArray([0.5f], 1, 1)), On(Tensor.FromArray([0.1f], 1, 1)),
            On(Tensor.FromArray([0.1f])), On(Tensor.FromArray([0.2f])) };
        var r = F.RNN(On(Tensor.FromArray([1f], 1, 1, 1)), On(Tensor.FromArray([0.5f], 1, 1, 1)), weights,
            nonlinearity: nonlinearity);
        Assert.Equal(expected, r.H[0, 0, 0], 1e-6f);
    }

    [Theory]
    [InlineData("rnn")]
    [InlineData("lstm")]
    [InlineData("gru")]
    public void A_sequence_padded_to_50_steps_with_a_mask_ends_in_the_unpadded_state(string cell)
    {
        // Acceptance 2 of issue 5: for each cell, in both directions (a bidirectional layer holds one of each), the
        // final state of a sequence padded to length 50 equals that of the sequence alone, to 1e-6.
        var g = new Generator(8);
        var module = Create(cell, 4, 6, 2, true, g);
        module.To(Device);
        int[] lengths = [7, 50, 23];
        var padded = On(Tensor.Randn(new Shape(3, 50, 4), g));    // batch first; steps past each length are padding
        var hostMask = Tensor.Zeros(3, 50);
        for (int n = 0; n < 3; n++)
            for (int t = 0; t < lengths[n]; t++) hostMask[n, t] = 1f;
        var mask = On(hostMask);
        var h0 = On(Tensor.Randn(new Shape(4, 3, 6), g));
        var c0 = On(Tensor.Randn(new Shape(4, 3, 6), g));

        var batched = Run(cell, padded, h0, cell == "lstm" ? c0 : null, [.. module.FlatWeights], 2, true, mask, batchFirst: true);

        for (int n = 0; n < 3; n++)
        {
            var alone = Tensor.Empty(1, lengths[n], 4);
            padded.ToArray().AsSpan(n * 200, lengths[n] * 4).CopyTo(alone.Data);
            var (h0Row, c0Row) = (On(Row(h0, n)), cell == "lstm" ? On(Row(c0, n)) : null);
            var r = Run(cell, On(alone), h0Row, c0Row, [.. module.FlatWeights], 2, true, null, batchFirst: true);
            for (int s = 0; s < 4; s++)   // layer 0 forward, layer 0 reverse, layer 1 forward, layer 1 reverse
                for (int j = 0; j < 6; j++)
                {
                    Assert.Equal(r.H[s, 0, j], batched.H[s, n, j], 1e-6f);
                    if (cell == "lstm") Assert.Equal(r.C![s, 0, j], batched.C![s, n, j], 1e-6f);
                }
            // Outputs agree on the real steps and are 0 on the padding.
            for (int t = 0; t < 50; t++)
                for (int j = 0; j < 12; j++)
                    Assert.Equal(t < lengths[n] ? r.Output[0, t, j] : 0f, batched.Output[n, t, j], 1e-6f);
        }

        static Tensor Row(Tensor state, int n)
        {
            var row = Tensor.Empty(state.Shape[0], 1, state.Shape[2]);
            for (int s = 0; s < state.Shape[0]; s++)
                for (int j = 0; j < state.Shape[2]; j++) row[s, 0, j] = state[s, n, j];
            return row;
        }
    }

    [Fact]
    public void Batch_first_and_unbatched_inputs_give_the_time_major_results()
    {
        var g = new Generator(9);
        var lstm = new LSTM(3, 4, bidirectional: true, generator: g);
        lstm.To(Device);
        var x = On(Tensor.Randn(new Shape(5, 2, 3), g));           // [T, N, I]
        var timeMajor = lstm.Forward(x, null);
        var batchFirst = F.LSTM(F.Transpose(x, 0, 1), null, null, lstm.FlatWeights, bidirectional: true, batchFirst: true);
        AssertClose(F.Transpose(timeMajor.Output, 0, 1), batchFirst.Output, 0f, "batch_first output");
        AssertClose(timeMajor.H, batchFirst.H, 0f, "batch_first h_n");

        var second = Tensor.Empty(5, 3);
        for (int t = 0; t < 5; t++)
            for (int i = 0; i < 3; i++) second[t, i] = x[t, 1, i];
        var unbatched = lstm.Forward(On(second), null);
        Assert.Equal(new Shape(5, 8), unbatched.Output.Shape);
        Assert.Equal(new Shape(2, 4), unbatched.H.Shape);
        for (int t = 0; t < 5; t++)
            for (int j = 0; j < 8; j++) Assert.Equal(timeMajor.Output[t, 1, j], unbatched.Output[t, j], 1e-6f);
    }

    [Fact]
    public void The_reverse_direction_reads_the_sequence_backwards()
    {
        // A bidirectional layer's reverse half equals a one-directional layer, with the reverse weights, on the
        // reversed sequence, its outputs reversed back in time.
        var g = new Generator(10);
        var bi = new GRU(2, 3, bidirectional: true, generator: g);
        bi.To(Device);
        var x = On(Tensor.Randn(new Shape(4, 1, 2), g));
        var reversed = Tensor.Empty(4, 1, 2);
        var xs = x.ToArray();
        for (int t = 0; t < 4; t++) xs.AsSpan(t * 2, 2).CopyTo(reversed.Data.Slice((3 - t) * 2, 2));

        var both = bi.Forward(x, null);
        var alone = F.GRU(On(reversed), null, bi.FlatWeights.Skip(4).ToArray());

        for (int t = 0; t < 4; t++)
            for (int j = 0; j < 3; j++) Assert.Equal(alone.Output[3 - t, 0, j], both.Output[t, 0, 3 + j], 1e-6f);
        for (int j = 0; j < 3; j++) Assert.Equal(alone.H[0, 0, j], both.H[1, 0, j], 1e-6f);
    }

    [Fact]
    public void Shapes_that_do_not_fit_are_named()
    {
        var lstm = new LSTM(3, 4, numLayers: 2, batchFirst: true);
        lstm.To(Device);
        var e = Assert.Throws<ShapeMismatchException>(() => lstm.Forward(On(Tensor.Zeros(2, 5, 7))));
        Assert.Contains("LSTM(3, 4): expected input [N, T, 3] or unbatched [T, 3], got [2, 5, 7]", e.Message);

        e = Assert.Throws<ShapeMismatchException>(() => lstm.Forward(On(Tensor.Zeros(2, 5, 3)),
            On(Tensor.Zeros(1, 2, 4))));
        Assert.Contains("h0 must have shape [2, 2, 4]", e.Message);
        Assert.Contains("got [1, 2, 4]", e.Message);

        e = Assert.Throws<ShapeMismatchException>(() => lstm.Forward(On(Tensor.Zeros(2, 5, 3)), null, null,
            On(Tensor.Ones(5, 2))));
        Assert.Contains("mask must have shape [2, 5]", e.Message);

        var a = Assert.Throws<ArgumentException>(() => lstm.Forward(On(Tensor.Zeros(2, 5, 3)), null, null,
            On(Tensor.Full(new Shape(2, 5), 0.5f))));
        Assert.Contains("mask values must be 0 or 1, got 0.5 at position 0", a.Message);

        e = Assert.Throws<ShapeMismatchException>(() =>
            F.GRU(On(Tensor.Zeros(5, 2, 6)), null, [On(Tensor.Zeros(12, 3)), On(Tensor.Zeros(12, 4))]));
        Assert.Contains("GRU: weight_ih_l0 must have shape [12, 6] (the input's last dimension is 6), got [12, 3]", e.Message);
        var count = Assert.Throws<ArgumentException>(() => F.RNN(On(Tensor.Zeros(5, 2, 3)), null,
            [On(Tensor.Zeros(4, 3))]));
        Assert.Contains("expected 4 parameters", count.Message);
    }

    internal static void AssertClose(Tensor expected, Tensor actual, float tolerance, string what)
    {
        Assert.True(expected.Shape == actual.Shape, $"{what}: shape {actual.Shape}, expected {expected.Shape}");
        var e = expected.ToArray();
        var a = actual.ToArray();
        for (int i = 0; i < e.Length; i++)
            Assert.True(MathF.Abs(e[i] - a[i]) <= tolerance * Math.Max(1f, MathF.Abs(e[i])),
                $"{what}: element {i} is {a[i]}, expected {e[i]}");
    }
}

public sealed class RecurrentValueTestsOnCpu : RecurrentValueTests
{
    protected override Device Device => Device.Cpu;
}

public sealed class RecurrentValueTestsOnReference : RecurrentValueTests
{
    protected override Device Device => Device.Reference;
}
