using Dendrite.Bench;
using Dendrite.Cli;
using Dendrite.NN;
using Dendrite.Optim;
using Dendrite.Tests.TestSupport;
using Dendrite.Data;
using Dendrite.Training;

namespace Dendrite.Tests.NN;

/// <summary>
/// The W2 network written as PyTorch's examples/mnist writes it (a custom module calling F.ReLU, the public fused
/// op and F.Dropout) trains to the same bits as the Sequential preset, whose fusion plan runs the same fused op.
/// </summary>
// Dropout masks come from the process-wide default generator, reseeded here: no test may draw from it meanwhile.
[Collection(ProcessStateCollection.Name)]
public class CustomModuleFusionTests
{
    [Fact]
    public void A_custom_module_trains_W2_to_the_preset_bits()
    {
        var train = MnistData.Train.Take(192);
        var preset = Train(Presets.MnistCnn(), train, out var presetLosses);
        var custom = Train(new MnistNet(), train, out var customLosses);

        Assert.Equal(presetLosses, customLosses);
        var presetParameters = preset.Parameters();
        var customParameters = custom.Parameters();
        Assert.Equal(presetParameters.Count, customParameters.Count);
        for (int i = 0; i < presetParameters.Count; i++)
            Assert.Equal(Bits(presetParameters[i].ToArray()), Bits(customParameters[i].ToArray()));
        Assert.Contains(presetLosses, loss => loss != presetLosses[0]);   // it did train
    }

    [Fact]
    public void The_custom_module_runs_the_fused_kernel()
    {
        Torch.ManualSeed(3);
        var net = new MnistNet();
        var x = Tensor.Randn(new Shape(2, 1, 28, 28), new Generator(4));
        var recorded = new List<string>();
        for (var node = net.Call(x).GradFn; node is not null; node = node.Inputs[0].GradFn) recorded.Add(node.Op);
        Assert.Contains("ReLU+Conv2d+ReLU+MaxPool2d+Dropout", recorded);
    }

    /// <summary>Three Adam steps of batch 64 from seed 1's weights (copied in order), dropout on; the losses seen.</summary>
    private static Module Train(Module model, IDataset train, out List<float> losses)
    {
        Torch.ManualSeed(1);
        var reference = Presets.MnistCnn();
        var target = model.Parameters();
        var source = reference.Parameters();
        for (int i = 0; i < target.Count; i++) source[i].Data.CopyTo(target[i].Data);
        Torch.ManualSeed(2);   // the dropout masks
        var optimizer = new Adam(target, lr: 1e-3f);
        losses = [];
        model.Train();
        foreach (var (x, y) in new DataLoader(train, batchSize: 64, shuffle: true, seed: 5))
        {
            var loss = F.CrossEntropy(model.Call(x), y);
            optimizer.ZeroGrad();
            loss.Backward();
            optimizer.Step();
            losses.Add(loss.Item());
        }
        return model;
    }

    private static int[] Bits(float[] values) => values.Select(BitConverter.SingleToInt32Bits).ToArray();
}
