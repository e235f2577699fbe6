using Dendrite.Cli;
using Dendrite.NN;

namespace Dendrite.Tests.NN;

public class SummaryTests
{
    [Fact]
    public void W1_net_has_669706_parameters_and_the_keras_table()
    {
        var summary = Presets.MnistMlp().Summary(1, 1, 28, 28);

        // 784·512 + 512 = 401,920; 512·512 + 512 = 262,656; 512·10 + 10 = 5,130; total 669,706.
        Assert.Equal(669_706, summary.TotalParameters);
        Assert.Equal(669_706, summary.TrainableParameters);
        Assert.Equal(0, summary.NonTrainableParameters);
        Assert.Equal(
            [("0", "Flatten", "[1, 784]", 0L), ("1", "Linear", "[1, 512]", 401_920L), ("2", "ReLU", "[1, 512]", 0L),
             ("3", "Linear", "[1, 512]", 262_656L), ("4", "ReLU", "[1, 512]", 0L), ("5", "Linear", "[1, 10]", 5_130L)],
            summary.Rows.Select(r => (r.Name, r.Type, r.OutputShape.ToString(), r.Parameters)));
        Assert.Equal("""
            Model: Sequential, input [1, 1, 28, 28]
            ===================================
            Layer (type)  Output Shape  Param #
            -----------------------------------
            0 (Flatten)   [1, 784]            0
            1 (Linear)    [1, 512]      401,920
            2 (ReLU)      [1, 512]            0
            3 (Linear)    [1, 512]      262,656
            4 (ReLU)      [1, 512]            0
            5 (Linear)    [1, 10]         5,130
            ===================================
            Total params: 669,706
            Trainable params: 669,706
            Non-trainable params: 0
            Output shape: [1, 10]

            """.ReplaceLineEndings("\n"), summary.ToString());
    }

    [Fact]
    public void W2_net_has_1199882_parameters()
    {
        var summary = Presets.MnistCnn().Summary(1, 1, 28, 28);

        // conv 1·32·9 + 32 = 320; conv 32·64·9 + 64 = 18,496; dense 9216·128 + 128 = 1,179,776; 128·10 + 10 = 1,290.
        Assert.Equal(1_199_882, summary.TotalParameters);
        Assert.Equal(0, summary.NonTrainableParameters);
        Assert.Equal(
            [("Conv2d", "[1, 32, 26, 26]", 320L), ("ReLU", "[1, 32, 26, 26]", 0L), ("Conv2d", "[1, 64, 24, 24]", 18_496L),
             ("ReLU", "[1, 64, 24, 24]", 0L), ("MaxPool2d", "[1, 64, 12, 12]", 0L), ("Dropout", "[1, 64, 12, 12]", 0L),
             ("Flatten", "[1, 9216]", 0L), ("Linear", "[1, 128]", 1_179_776L), ("ReLU", "[1, 128]", 0L),
             ("Dropout", "[1, 128]", 0L), ("Linear", "[1, 10]", 1_290L)],
            summary.Rows.Select(r => (r.Type, r.OutputShape.ToString(), r.Parameters)));
        Assert.Contains("Total params: 1,199,882\n", summary.ToString());
    }

    [Fact]
    public void Batch_norm_statistics_count_as_non_trainable()
    {
        var model = new Sequential(new Conv2d(1, 4, 3, bias: false), new BatchNorm2d(4), new Flatten(), new Linear(4 * 26 * 26, 2));

        var summary = model.Summary(2, 1, 28, 28);

        // Trainable: conv 4·9 = 36, BN γ and β 8, dense 2704·2 + 2 = 5,410. Non-trainable: the BN buffers.
        Assert.Equal(36 + 8 + 5_410, summary.TrainableParameters);
        Assert.Equal(4 + 4 + 1, summary.NonTrainableParameters);   // running mean and variance, num_batches_tracked
        Assert.Equal("[2, 4, 26, 26]", summary.Rows[1].OutputShape.ToString());
        Assert.True(model.Training);
    }

    [Fact]
    public void Nested_containers_are_indented_and_count_their_children()
    {
        var model = new Sequential(
            new Sequential(new Linear(4, 3), new Tanh()),
            new Linear(3, 2));

        var summary = model.Summary(5, 4);

        // Hooks fire when a module finishes, so the inner layers come before the block that holds them.
        Assert.Equal(
            [("0.0", 2, "[5, 3]", 15L), ("0.1", 2, "[5, 3]", 0L), ("0", 1, "[5, 3]", 15L), ("1", 1, "[5, 2]", 8L)],
            summary.Rows.Select(r => (r.Name, r.Depth, r.OutputShape.ToString(), r.Parameters)));
        Assert.Equal(23, summary.TotalParameters);
        Assert.Contains("\n  0.0 (Linear)", summary.ToString());
    }

    [Fact]
    public void Frozen_parameters_and_buffers_are_non_trainable()
    {
        var model = new WithBuffer();
        model.Layer.Bias!.RequiresGrad = false;

        var summary = model.Summary(2, 3);

        Assert.Equal(6, summary.TrainableParameters);              // 2·3 weights
        Assert.Equal(2 + 7, summary.NonTrainableParameters);       // frozen bias + 7-element buffer
        Assert.Equal(15, summary.TotalParameters);
    }

    [Fact]
    public void Summary_restores_the_mode_records_nothing_and_removes_its_hooks()
    {
        var model = Presets.MnistMlp();
        var seen = new List<Shape>();
        using var mine = model[1].RegisterForwardHook((_, _, output) => seen.Add(output.Shape));

        model.Summary(2, 784);
        var y = model.Call(Tensor.Zeros(3, 784));

        Assert.True(model.Training);
        Assert.Equal([new Shape(2, 512), new Shape(3, 512)], seen);   // the user's hook ran in both, and stays
        Assert.NotNull(y.GradFn);                                       // grad mode is back on after Summary
    }

    [Fact]
    public void Forward_hooks_run_on_call_not_on_forward_and_stop_when_disposed()
    {
        var layer = new Linear(2, 1);
        int calls = 0;
        Tensor? seenInput = null, seenOutput = null;
        var handle = layer.RegisterForwardHook((m, input, output) =>
        {
            Assert.Same(layer, m);
            calls++;
            (seenInput, seenOutput) = (input, output);
        });
        var x = Tensor.Ones(1, 2);

        var y = layer.Call(x);
        layer.Forward(x);
        handle.Dispose();
        layer.Call(x);
        handle.Dispose();   // twice is harmless

        Assert.Equal(1, calls);
        Assert.Same(x, seenInput);
        Assert.Same(y, seenOutput);
    }

    [Fact]
    public void A_wrong_input_shape_names_the_layer()
    {
        var e = Assert.ThrowsAny<ArgumentException>(() => Presets.MnistMlp().Summary(1, 1, 28, 27));
        Assert.Contains("Linear", e.Message);
    }

    private sealed class WithBuffer : Module
    {
        public WithBuffer()
        {
            Layer = AddModule("layer", new Linear(3, 2));
            AddBuffer("stats", Tensor.Zeros(7));
        }

        public Linear Layer { get; }

        public override Tensor Forward(Tensor input) => Layer.Call(input);
    }
}
