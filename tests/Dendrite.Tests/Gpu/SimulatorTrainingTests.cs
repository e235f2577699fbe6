using Dendrite.Data;
using Dendrite.Gpu;
using Dendrite.IO;
using Dendrite.NN;
using Dendrite.Optim;
using Dendrite.Tests.TestSupport;

namespace Dendrite.Tests.Gpu;

/// <summary>
/// Acceptance 2 of issue 17: the W2 architecture (conv 3×3, conv 3×3, max-pool 2, dropout 0.25, fc, ReLU, dropout 0.5,
/// fc), its channels and image cut so that the simulator runs it in seconds, trains 5 Adam steps on the GPU backend to
/// the CPU backend's losses within 1e-4 relative (dropout masks drawn from the same streams, so the same), and a model
/// saved on the simulator loads on the CPU with the same outputs.
/// </summary>
// Dropout masks come from the process-wide default generator, reseeded here: no test may draw from it meanwhile.
[Collection(ProcessStateCollection.Name)]
public class SimulatorTrainingTests
{
    private static Sequential SmallW2() => new(
        new Conv2d(1, 4, 3), new ReLU(),
        new Conv2d(4, 8, 3), new ReLU(), new MaxPool2d(2), new Dropout(0.25f),
        new Flatten(), new Linear(8 * 5 * 5, 16), new ReLU(), new Dropout(0.5f), new Linear(16, 10));

    private static (Tensor X, Tensor Y) Batch(int step)
    {
        var g = new Generator(100 + (ulong)step);
        var x = Tensor.Randn(new Shape(8, 1, 14, 14), g);
        var labels = Enumerable.Range(0, 8).Select(i => (float)((i * 3 + step) % 10)).ToArray();
        return (x, Tensor.FromArray(labels, 8));
    }

    private static (List<float> Losses, Module Model) Train(Device device)
    {
        Torch.ManualSeed(11);
        var model = SmallW2();
        model.To(device);
        Torch.ManualSeed(12); // the dropout masks
        var optimizer = new Adam(model.Parameters(), lr: 1e-2f);
        return (Steps(model, optimizer, device, 0, 5), model);
    }

    /// <summary>Training steps [from, to) of <see cref="Batch"/> on <paramref name="device"/>; their losses.</summary>
    private static List<float> Steps(Module model, Optimizer optimizer, Device device, int from, int to)
    {
        var losses = new List<float>();
        model.Train();
        for (int step = from; step < to; step++)
        {
            var (x, y) = Batch(step);
            var loss = F.CrossEntropy(model.Call(x.To(device)), y.To(device));
            optimizer.ZeroGrad();
            loss.Backward();
            optimizer.Step();
            losses.Add(loss.Item());
        }
        return losses;
    }

    private static void AssertLossesAgree(List<float> expected, List<float> actual, string what)
    {
        Assert.Equal(expected.Count, actual.Count);
        for (int i = 0; i < expected.Count; i++)
            Assert.True(Math.Abs(actual[i] - expected[i]) <= 1e-4 * Math.Abs(expected[i]), $"{what}, step {i}: {actual[i]} against {expected[i]}");
    }

    [Fact]
    public void W2_trains_five_steps_on_the_simulator_to_the_cpu_losses_and_saves_for_the_cpu()
    {
        var (cpuLosses, _) = Train(Device.Cpu);
        var (gpuLosses, gpuModel) = Train(Device.Simulator);

        for (int i = 0; i < 5; i++)
            Assert.True(Math.Abs(gpuLosses[i] - cpuLosses[i]) <= 1e-4 * Math.Abs(cpuLosses[i]),
                $"step {i}: simulator {gpuLosses[i]}, cpu {cpuLosses[i]}");
        Assert.NotEqual(cpuLosses[0], cpuLosses[^1]); // it did train

        string path = Path.Combine(Path.GetTempPath(), $"dendrite-gpu-{Guid.NewGuid():N}.safetensors");
        try
        {
            gpuModel.Eval();
            gpuModel.Save(path);
            var loaded = ModelFile.Load(path);
            loaded.Eval();
            var (x, _) = Batch(9);
            var onGpu = gpuModel.Call(x.To(Device.Simulator)).ToArray();
            var onCpu = loaded.Call(x).ToArray();
            Assert.Equal(Device.Cpu, loaded.Parameters()[0].Device);
            for (int i = 0; i < onCpu.Length; i++)
                Assert.True(Math.Abs(onGpu[i] - onCpu[i]) <= 1e-5 * (1 + Math.Abs(onCpu[i])), $"output {i}: simulator {onGpu[i]}, cpu {onCpu[i]}");
        }
        finally
        {
            File.Delete(path);
        }
    }

    [Fact]
    public void A_cpu_checkpoint_resumes_on_the_simulator_and_a_model_file_loads_onto_it()
    {
        // Three steps on the CPU, a checkpoint, then steps 3 and 4 twice: on the CPU as it was, and on the simulator
        // after loading the checkpoint into a fresh model and optimiser there (weights and Adam's moments uploaded).
        Torch.ManualSeed(11);
        var model = SmallW2();
        Torch.ManualSeed(12);
        var optimizer = new Adam(model.Parameters(), lr: 1e-2f);
        Steps(model, optimizer, Device.Cpu, 0, 3);
        using var dir = new TempDirectory();
        string checkpoint = Path.Combine(dir.Path, "resume.safetensors");
        Checkpoint.Save(checkpoint, model, optimizer, null, new TrainingProgress(1, 3, []));
        var generator = Generator.Default.GetState();
        var cpuLosses = Steps(model, optimizer, Device.Cpu, 3, 5);

        Torch.ManualSeed(99); // other initial weights: the checkpoint must replace them all
        var resumed = SmallW2();
        resumed.To(Device.Simulator);
        var resumedOptimizer = new Adam(resumed.Parameters(), lr: 1e-3f);
        var progress = Checkpoint.Load(checkpoint, resumed, resumedOptimizer);
        Assert.Equal(3, progress.Step);
        Assert.Equal(generator, Generator.Default.GetState()); // the dropout stream resumes where it was
        Assert.All(resumed.Parameters(), p => Assert.Same(Device.Simulator, p.Device));
        Assert.Equal(1e-2f, resumedOptimizer.ParamGroups[0].Lr);
        AssertLossesAgree(cpuLosses, Steps(resumed, resumedOptimizer, Device.Simulator, 3, 5), "resumed on the simulator");

        // The CPU model's file, loaded straight onto the simulator, and into a model already there.
        string file = Path.Combine(dir.Path, "model.safetensors");
        model.Eval();
        model.Save(file);
        var loaded = ModelFile.Load(file, Device.Simulator);
        Assert.All(loaded.Parameters(), p => Assert.Same(Device.Simulator, p.Device));
        Torch.ManualSeed(98);
        var into = SmallW2();
        into.To(Device.Simulator);
        into.LoadWeights(file);
        var (x, _) = Batch(9);
        var expected = model.Call(x).ToArray();
        foreach (var onSimulator in new[] { loaded, into })
        {
            onSimulator.Eval();
            var actual = onSimulator.Call(x.To(Device.Simulator)).ToArray();
            for (int i = 0; i < expected.Length; i++)
                Assert.True(Math.Abs(actual[i] - expected[i]) <= 1e-5 * (1 + Math.Abs(expected[i])), $"output {i}: simulator {actual[i]}, cpu {expected[i]}");
        }
        Assert.Same(Device.Simulator, Checkpoint.LoadModel(checkpoint, Device.Simulator).Parameters()[0].Device);
    }
}
