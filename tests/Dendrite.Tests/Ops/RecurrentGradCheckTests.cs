using Dendrite.Autograd;
using Dendrite.NN;
using Dendrite.Tests.TestSupport;

namespace Dendrite.Tests.Ops;

/// <summary>
/// Acceptance 1 of issue 5: backpropagation through time of RNN, LSTM and GRU matches central differences for 1 and 2
/// layers, one and two directions, batch 1 and larger, with and without initial states (and with a padding mask).
/// Every input is checked at once: x, h0, c0 and every weight and bias, against output, h_n and c_n together.
/// </summary>
public class RecurrentGradCheckTests
{
    /// <summary>Every case on every test device (the device's name shows in the test's name).</summary>
    public static TheoryData<string, int, bool, int, bool, string> Cases()
    {
        var data = new TheoryData<string, int, bool, int, bool, string>();
        foreach (var device in TestDevices.All)
        {
            foreach (var cell in new[] { "rnn", "lstm", "gru" })
            {
                data.Add(cell, 1, false, 1, false, device.Name);
                data.Add(cell, 1, false, 3, true, device.Name);
                data.Add(cell, 1, true, 1, true, device.Name);
                data.Add(cell, 2, false, 2, false, device.Name);
                data.Add(cell, 2, true, 3, true, device.Name);
                data.Add(cell, 2, true, 1, false, device.Name);
            }
            // ReLU on one layer only: with two, some of the ~100 pre-activations tend to sit within ε of the kink at 0,
            // where no finite difference can agree. RecurrentValueTests compares its two-layer gradients with a twin.
            data.Add("rnn-relu", 1, false, 3, true, device.Name);
            data.Add("rnn-relu", 1, true, 1, false, device.Name);
        }
        return data;
    }

    [Theory, MemberData(nameof(Cases))]
    public void Backpropagation_through_time_matches_central_differences(string cell, int layers, bool bidirectional, int batch,
        bool initialStates, string device) =>
        Check(cell, layers, bidirectional, batch, initialStates, device, steps: 4, inputSize: 3, hidden: 4);

    /// <summary>One case of the table at the given sizes (the simulator runs it at smaller ones).</summary>
    internal static void Check(string cell, int layers, bool bidirectional, int batch, bool initialStates, string device,
        int steps, int inputSize, int hidden)
    {
        var g = new Generator(11);
        var module = Create(cell, inputSize, hidden, layers, bidirectional, g);
        int directions = bidirectional ? 2 : 1;
        var inputs = new List<Tensor> { Tensor.Randn(new Shape(steps, batch, inputSize), g) };
        if (initialStates)
        {
            inputs.Add(Tensor.Randn(new Shape(layers * directions, batch, hidden), g));
            if (cell == "lstm") inputs.Add(Tensor.Randn(new Shape(layers * directions, batch, hidden), g));
        }
        int weightsFrom = inputs.Count;
        inputs.AddRange(module.FlatWeights.Select(w => w.Detach().Clone()));
        var onDevice = inputs.Select(t => t.To(TestDevices.Named(device)).RequireGrad()).ToList();

        Func<Tensor[], Tensor> f = a =>
        {
            var h0 = initialStates ? a[1] : null;
            var c0 = initialStates && cell == "lstm" ? a[2] : null;
            var weights = a[weightsFrom..];
            var r = Run(cell, a[0], h0, c0, weights, layers, bidirectional, mask: null, batchFirst: false);
            return Flatten(r);
        };

        var result = GradCheck.Run(f, [.. onDevice], generator: new Generator(12));
        Assert.True(result.Passed, $"{cell}, {layers} layers, bidirectional {bidirectional}, batch {batch}, states {initialStates}, {device}: {result.Report}");
    }

    [Theory]
    [InlineData("rnn")]
    [InlineData("lstm")]
    [InlineData("gru")]
    public void Gradients_flow_through_masked_batch_first_sequences(string cell)
    {
        // Three sequences of lengths 4, 2 and 3, padded to 4; the padded steps' inputs get no gradient.
        var g = new Generator(21);
        var module = Create(cell, 2, 3, 2, true, g);
        var x = Tensor.Randn(new Shape(3, 4, 2), g).RequireGrad();
        var mask = Tensor.FromArray([1f, 1, 1, 1, 1, 1, 0, 0, 1, 1, 1, 0], 3, 4);
        var h0 = Tensor.Randn(new Shape(4, 3, 3), g).RequireGrad();
        var weights = module.FlatWeights.Select(w => w.Detach().Clone().RequireGrad()).ToArray();
        Tensor[] inputs = [x, h0, .. weights];

        var result = GradCheck.Run(a => Flatten(Run(cell, a[0], a[1], null, a[2..], 2, true, mask, batchFirst: true)), inputs);

        Assert.True(result.Passed, result.Report);
        var dx = x.Grad;
        Assert.Null(dx); // GradCheck leaves gradients as it found them; compute one directly
        Flatten(Run(cell, x, h0, null, weights, 2, true, mask, batchFirst: true)).Sum().Backward();
        Assert.All(new[] { (1, 2), (1, 3), (2, 3) }, p => Assert.Equal([0f, 0f], new[] { x.Grad![p.Item1, p.Item2, 0], x.Grad[p.Item1, p.Item2, 1] }));
        Assert.NotEqual(0f, x.Grad![1, 1, 0]);
    }

    [Fact]
    public void Embedding_gradient_matches_central_differences_and_skips_the_padding_row()
    {
        var weight = Tensor.Randn(new Shape(5, 3), new Generator(3)).RequireGrad();
        var indices = Tensor.FromArray([1f, 4f, 1f, 0f, 2f, 0f], 2, 3);

        var result = GradCheck.Run(a => F.Embedding(indices, a[0]), [weight]);
        Assert.True(result.Passed, result.Report);

        // With padding_idx 0, PyTorch's rule: the padding row receives no gradient.
        F.Embedding(indices, weight, paddingIdx: 0).Sum().Backward();
        Assert.Equal([0f, 0f, 0f, 2f, 2f, 2f, 1f, 1f, 1f, 0f, 0f, 0f, 1f, 1f, 1f], weight.Grad!.ToArray());
    }

    internal static RNNBase Create(string cell, int inputSize, int hidden, int layers, bool bidirectional, Generator g) => cell switch
    {
        "lstm" => new LSTM(inputSize, hidden, layers, bidirectional: bidirectional, generator: g),
        "gru" => new GRU(inputSize, hidden, layers, bidirectional: bidirectional, generator: g),
        "rnn-relu" => new RNN(inputSize, hidden, layers, "relu", bidirectional: bidirectional, generator: g),
        _ => new RNN(inputSize, hidden, layers, bidirectional: bidirectional, generator: g),
    };

    internal static RnnOutput Run(string cell, Tensor x, Tensor? h0, Tensor? c0, Tensor[] weights, int layers, bool bidirectional,
        Tensor? mask, bool batchFirst) => cell switch
    {
        "lstm" => F.LSTM(x, h0, c0, weights, layers, bidirectional, batchFirst, mask: mask),
        "gru" => F.GRU(x, h0, weights, layers, bidirectional, batchFirst, mask: mask),
        "rnn-relu" => F.RNN(x, h0, weights, layers, "relu", bidirectional, batchFirst, mask: mask),
        _ => F.RNN(x, h0, weights, layers, "tanh", bidirectional, batchFirst, mask: mask),
    };

    /// <summary>Output, h_n and c_n in one vector, so one check covers the gradients arriving through each.</summary>
    internal static Tensor Flatten(RnnOutput r) => r.C is null
        ? F.Cat([F.Reshape(r.Output, -1), F.Reshape(r.H, -1)])
        : F.Cat([F.Reshape(r.Output, -1), F.Reshape(r.H, -1), F.Reshape(r.C, -1)]);
}
