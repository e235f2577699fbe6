using Dendrite.Examples.HeartbeatConv1d;

namespace Dendrite.Tests.Examples;

public class HeartbeatConv1dExampleTests
{
    [Fact]
    public void Signals_carry_the_beat_at_the_labelled_position()
    {
        var data = HeartbeatExample.Signals(400, 48, 24, 45, new Generator(7));

        Assert.Equal(new Shape(400, 1, 48), data.Inputs.Shape);
        var mean = new double[3];
        for (int i = 0; i < 400; i++)
        {
            int start = (int)data.Targets[i];
            Assert.InRange(start, 24, 45);
            for (int k = 0; k < 3; k++) mean[k] += data.Inputs[i, 0, start + k] / 400.0;
        }
        // The beat [1, −1, 0.5] plus noise of σ 0.1: the mean over 400 signals is within 0.02 (4σ/√400).
        Assert.Equal([1.0, -1.0, 0.5], mean, (a, b) => Math.Abs(a - b) < 0.02);
        Assert.Equal(data.Inputs.ToArray(), HeartbeatExample.Signals(400, 48, 24, 45, new Generator(7)).Inputs.ToArray());
    }

    [Fact]
    public void Conv_net_scores_shift_with_the_signal()
    {
        Torch.ManualSeed(3);
        var net = HeartbeatExample.ConvNet();
        var x = Tensor.Zeros(1, 1, 48);
        var shifted = Tensor.Zeros(1, 1, 48);
        float[] beat = [0.3f, 1f, -1f, 0.5f, -0.2f];
        for (int k = 0; k < beat.Length; k++)
        {
            x[0, 0, 5 + k] = beat[k];
            shifted[0, 0, 30 + k] = beat[k];
        }

        Tensor a, b;
        using (Tensor.NoGrad()) (a, b) = (net.Call(x), net.Call(shifted));

        // Translation equivariance: the same scores, 25 positions later (away from the zero-padded ends).
        for (int t = 2; t < 20; t++) Assert.Equal(a[0, t], b[0, t + 25], 5);
    }

    [Theory]
    [InlineData(1ul)]
    [InlineData(2ul)]
    [InlineData(3ul)]
    public void Conv1d_net_finds_beats_at_unseen_positions_and_the_dense_net_does_not(ulong seed)
    {
        var r = HeartbeatExample.Run(trainCount: 600, testCount: 200, epochs: 4, seed: seed);

        Assert.True(r.DenseSeen >= 0.8, $"dense net at seen positions: {r.DenseSeen:P1}");   // it learned the task…
        Assert.True(r.DenseUnseen <= 0.2, $"dense net at unseen positions: {r.DenseUnseen:P1}");   // …only where it saw it
        Assert.True(r.ConvUnseen >= 0.9, $"Conv1d net at unseen positions: {r.ConvUnseen:P1}");
        Assert.True(r.ConvUnseen - r.DenseUnseen >= 0.5);
    }

    [Fact]
    public void A_beat_that_does_not_fit_is_refused() =>
        Assert.Contains("do not fit", Assert.Throws<ArgumentOutOfRangeException>(
            () => HeartbeatExample.Signals(10, 48, 40, 46, new Generator(1))).Message);
}
