using Dendrite.Autograd;
using Dendrite.NN;
using Dendrite.Tests.Ops;

namespace Dendrite.Tests.NN;

public class RecurrentCellTests
{
    [Fact]
    public void Stepping_an_LSTMCell_by_hand_matches_the_LSTM_layer_with_the_same_weights()
    {
        var g = new Generator(6);
        var cell = new LSTMCell(3, 4, generator: g);
        var x = Tensor.Randn(new Shape(5, 2, 3), g);
        Tensor? h = null, c = null;
        var outputs = new List<Tensor>();
        for (int t = 0; t < 5; t++)
        {
            (h, c) = cell.Forward(F.Reshape(F.Slice(x, t, 1), 2, 3), h, c);
            outputs.Add(h);
        }
        var layer = F.LSTM(x, null, null, cell.Weights);

        RecurrentValueTests.AssertClose(layer.Output, F.Stack([.. outputs], 0), 1e-6f, "outputs");
        RecurrentValueTests.AssertClose(F.Reshape(layer.C!, 2, 4), c!, 1e-6f, "c");
        Assert.Equal(["weight_ih", "weight_hh", "bias_ih", "bias_hh"], cell.NamedParameters().Select(p => p.Name));
        Assert.Equal(new Shape(16, 3), cell.Weights[0].Shape);
    }

    [Fact]
    public void Cell_gradients_match_central_differences()
    {
        var g = new Generator(7);
        var gru = new GRUCell(3, 4, generator: g);
        var rnn = new RNNCell(3, 4, generator: g);
        var lstm = new LSTMCell(3, 4, generator: g);
        var x = Tensor.Randn(new Shape(2, 3), g).RequireGrad();
        var h = Tensor.Randn(new Shape(2, 4), g).RequireGrad();
        var c = Tensor.Randn(new Shape(2, 4), g).RequireGrad();

        Assert.True(GradCheck.Run(a => gru.Forward(a[0], a[1]), [x, h, .. gru.Parameters()]).Passed);
        Assert.True(GradCheck.Run(a => rnn.Forward(a[0], a[1]), [x, h, .. rnn.Parameters()]).Passed);
        var result = GradCheck.Run(a =>
        {
            var (h1, c1) = lstm.Forward(a[0], a[1], a[2]);
            return F.Cat([h1, c1], 1);
        }, [x, h, c, .. lstm.Parameters()]);
        Assert.True(result.Passed, result.Report);
    }

    [Fact]
    public void Unbatched_steps_and_bad_shapes()
    {
        var gru = new GRUCell(3, 4);
        Assert.Equal(new Shape(4), gru.Forward(Tensor.Randn(3), null).Shape);
        Assert.Equal(new Shape(2, 4), gru.Forward(Tensor.Randn(2, 3)).Shape);
        var e = Assert.Throws<ShapeMismatchException>(() => gru.Forward(Tensor.Randn(2, 5), null));
        Assert.Contains("GRUCell(3, 4): expected input [N, 3] or [3], got [2, 5]", e.Message);
        e = Assert.Throws<ShapeMismatchException>(() => gru.Forward(Tensor.Randn(2, 3), Tensor.Zeros(3, 4)));
        Assert.Contains("h must have shape [2, 4], got [3, 4]", e.Message);
        Assert.Equal("LSTMCell(3, 4, bias=False)", new LSTMCell(3, 4, bias: false).ToString());
        Assert.Equal("RNNCell(3, 4, nonlinearity='relu')", new RNNCell(3, 4, nonlinearity: "relu").ToString());
    }
}
