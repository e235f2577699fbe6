using Dendrite.NN;

namespace Dendrite.Tests.NN;

public class RecurrentLayerTests
{
    [Fact]
    public void Parameters_carry_PyTorch_names_and_shapes_layer_by_layer_and_direction_by_direction()
    {
        var gru = new GRU(5, 3, numLayers: 2, bidirectional: true);
        var names = gru.NamedParameters().Select(p => $"{p.Name} {p.Parameter.Shape}").ToArray();
        Assert.Equal(
        [
            "weight_ih_l0 [9, 5]", "weight_hh_l0 [9, 3]", "bias_ih_l0 [9]", "bias_hh_l0 [9]",
            "weight_ih_l0_reverse [9, 5]", "weight_hh_l0_reverse [9, 3]", "bias_ih_l0_reverse [9]", "bias_hh_l0_reverse [9]",
            "weight_ih_l1 [9, 6]", "weight_hh_l1 [9, 3]", "bias_ih_l1 [9]", "bias_hh_l1 [9]",
            "weight_ih_l1_reverse [9, 6]", "weight_hh_l1_reverse [9, 3]", "bias_ih_l1_reverse [9]", "bias_hh_l1_reverse [9]",
        ], names);
        Assert.Equal(["weight_ih_l0", "weight_hh_l0"], new LSTM(2, 4, bias: false).NamedParameters().Select(p => p.Name));
        Assert.Equal(new Shape(16, 2), new LSTM(2, 4).NamedParameters().First().Parameter.Shape);
    }

    [Fact]
    public void Initial_values_are_uniform_within_one_over_root_hidden()
    {
        var lstm = new LSTM(3, 16, generator: new Generator(1));
        var all = lstm.Parameters().SelectMany(p => p.ToArray()).ToArray();
        Assert.All(all, v => Assert.InRange(v, -0.25f, 0.25f));
        Assert.True(all.Max() > 0.2f && all.Min() < -0.2f);
    }

    [Fact]
    public void Outputs_and_states_are_shaped_as_in_PyTorch()
    {
        var lstm = new LSTM(3, 4, numLayers: 2, batchFirst: true, bidirectional: true);
        var r = lstm.Forward(Tensor.Randn(2, 7, 3), null);
        Assert.Equal(new Shape(2, 7, 8), r.Output.Shape);
        Assert.Equal(new Shape(4, 2, 4), r.H.Shape);
        Assert.Equal(new Shape(4, 2, 4), r.C!.Shape);
        Assert.Equal(new Shape(2, 8), r.LastLayerState(2).Shape);
        Assert.Null(new GRU(3, 4).Forward(Tensor.Randn(7, 2, 3), null).C);
        Assert.Equal(new Shape(7, 2, 4), new RNN(3, 4).Forward(Tensor.Randn(7, 2, 3)).Shape);
    }

    [Fact]
    public void The_last_layer_state_puts_both_directions_of_a_sample_side_by_side()
    {
        var gru = new GRU(2, 3, numLayers: 2, bidirectional: true);
        var r = gru.Forward(Tensor.Randn(4, 2, 2), null);
        var last = r.LastLayerState(2);
        for (int n = 0; n < 2; n++)
            for (int j = 0; j < 3; j++)
            {
                Assert.Equal(r.H[2, n, j], last[n, j]);       // layer 1, forward
                Assert.Equal(r.H[3, n, j], last[n, 3 + j]);   // layer 1, reverse
            }
    }

    [Fact]
    public void Dropout_acts_between_layers_in_training_only()
    {
        Torch.ManualSeed(3);
        var lstm = new LSTM(3, 8, numLayers: 2, dropout: 0.5f);
        var x = Tensor.Randn(5, 2, 3);
        var noDropout = F.LSTM(x, null, null, lstm.FlatWeights, numLayers: 2).Output.ToArray();

        var training = lstm.Forward(x).ToArray();
        lstm.Eval();
        var evaluation = lstm.Forward(x).ToArray();

        Assert.Equal(noDropout, evaluation);
        Assert.NotEqual(noDropout, training);
        // One layer: nothing lies between layers, so training changes nothing.
        var single = new LSTM(3, 8, dropout: 0.5f);
        Assert.Equal(F.LSTM(x, null, null, single.FlatWeights).Output.ToArray(), single.Forward(x).ToArray());
    }

    [Fact]
    public void Describes_itself_like_PyTorch()
    {
        Assert.Equal("LSTM(28, 128, batch_first=True)", new LSTM(28, 128, batchFirst: true).ToString());
        Assert.Equal("GRU(4, 8, num_layers=2, dropout=0.2, bidirectional=True)", new GRU(4, 8, 2, dropout: 0.2f, bidirectional: true).ToString());
        Assert.Equal("RNN(4, 8, nonlinearity='relu')", new RNN(4, 8, nonlinearity: "relu").ToString());
        Assert.Equal("Embedding(10, 3, padding_idx=0)", new Embedding(10, 3, paddingIdx: 0).ToString());
    }

    [Fact]
    public void Bad_sizes_are_rejected_with_the_layer_name()
    {
        Assert.Contains("LSTM: hiddenSize must be positive, got 0", Assert.Throws<ArgumentOutOfRangeException>(() => new LSTM(3, 0)).Message);
        Assert.Contains("GRU: dropout must be in [0, 1], got 1.5", Assert.Throws<ArgumentOutOfRangeException>(() => new GRU(3, 2, dropout: 1.5f)).Message);
        Assert.Contains("nonlinearity must be \"tanh\" or \"relu\"", Assert.Throws<ArgumentException>(() => new RNN(3, 2, nonlinearity: "gelu")).Message);
    }

    [Fact]
    public void Embedding_looks_up_rows_and_keeps_the_padding_row_at_zero()
    {
        var emb = new Embedding(4, 2, paddingIdx: -1, generator: new Generator(2));
        Assert.Equal(3, emb.PaddingIdx);
        Assert.Equal([0f, 0f], emb.Weight.ToArray()[6..]);
        var y = emb.Forward(Tensor.FromArray([2f, 3f, 0f], 3));
        Assert.Equal(new Shape(3, 2), y.Shape);
        Assert.Equal(emb.Weight.ToArray()[4..6], y.ToArray()[..2]);
        Assert.Equal([0f, 0f], y.ToArray()[2..4]);

        var e = Assert.Throws<ArgumentOutOfRangeException>(() => emb.Forward(Tensor.FromArray([1f, 4f])));
        Assert.Contains("Embedding: index 4 at position 1 is outside the table of 4 rows", e.Message);
        Assert.Throws<ArgumentOutOfRangeException>(() => emb.Forward(Tensor.FromArray([1.5f])));
    }
}
