using Dendrite.Backends;
using Dendrite.Gpu;
using Dendrite.NN;
using Dendrite.Tests.TestSupport;
using Dendrite.Training;

namespace Dendrite.Tests.Gpu;

/// <summary>
/// Values that reach a GPU device from the host (issue 17: pinned staging for the DataLoader's batches, weights loaded
/// onto any device): staged uploads, in one piece and in chunks, and <see cref="Tensor.CopyFrom(Tensor)"/> between
/// devices, which loading a state dict, a model file or a checkpoint, and restoring the best weights, go through.
/// </summary>
[Collection(ProcessStateCollection.Name)] // the simulator's backend serves one thread at a time
public class SimulatorLoadingTests
{
    private static Backend Simulator => Device.Simulator.Backend;

    [Theory]
    [InlineData(1)]
    [InlineData(1000)]
    [InlineData(GpuBackend.UploadChunk)]
    [InlineData(GpuBackend.UploadChunk + 1)]
    [InlineData(2 * GpuBackend.UploadChunk + 777)] // three chunks: both staging buffers, one of them twice
    public void Uploads_go_through_the_staging_buffers_in_chunks_and_arrive_whole(int length)
    {
        var values = new float[length];
        for (int i = 0; i < length; i++) values[i] = i * 0.25f - 7f;
        var storage = Simulator.Upload(values);
        var back = new float[length];
        Simulator.Download(storage, back);
        Assert.Equal(values, back);

        // A queued kernel and a later upload: the upload waits for neither, and both results are whole.
        var doubled = Simulator.Upload(values);
        Simulator.Accumulate(doubled, storage);
        var again = Simulator.Upload(values.AsSpan(0, Math.Min(length, 5)));
        Simulator.Download(doubled, back);
        Assert.Equal(values.Select(v => 2 * v), back);
        var five = new float[again.Length];
        Simulator.Download(again, five);
        Assert.Equal(values[..five.Length], five);
    }

    [Fact]
    public void CopyFrom_fills_a_tensor_on_either_device_from_the_other()
    {
        var host = Tensor.FromArray([1f, -2f, 3.5f, 4f, 0f, -6f], 2, 3);
        var onSimulator = Tensor.Zeros(2, 3).To(Device.Simulator);
        onSimulator.CopyFrom(host);
        Assert.Equal(host.ToArray(), onSimulator.ToArray());

        var back = Tensor.Zeros(2, 3);
        back.CopyFrom(F.Mul(onSimulator, 2f));
        Assert.Equal([2f, -4f, 7f, 8f, 0f, -12f], back.ToArray());

        onSimulator.CopyFrom([9f, 8f, 7f, 6f, 5f, 4f]);
        Assert.Equal([9f, 8f, 7f, 6f, 5f, 4f], onSimulator.ToArray());

        var e = Assert.Throws<ArgumentException>(() => onSimulator.CopyFrom(Tensor.Zeros(3, 2)));
        Assert.Contains("shape [3, 2] into a tensor of shape [2, 3]", e.Message);
        e = Assert.Throws<ArgumentException>(() => onSimulator.CopyFrom([1f, 2f]));
        Assert.Contains("2 values for a tensor [2, 3] of 6", e.Message);
        Assert.Equal([9f, 8f, 7f, 6f, 5f, 4f], onSimulator.ToArray()); // nothing copied
    }

    [Fact]
    public void A_host_state_dict_loads_into_a_model_on_the_simulator_and_early_stopping_restores_its_best_weights()
    {
        var source = new Linear(3, 2, generator: new Generator(1));
        var model = new Linear(3, 2, generator: new Generator(2));
        model.To(Device.Simulator);
        model.LoadStateDict(source.StateDict());
        Assert.Equal(source.Weight.ToArray(), model.Weight.ToArray());
        Assert.Same(Device.Simulator, model.Weight.Device);

        // Epoch 0 is the best; epoch 1 changes the weights and is worse; the end restores epoch 0's, on the device.
        var stopping = new EarlyStopping(monitor: "loss", patience: 5, restoreBestWeights: true);
        stopping.OnTrainBegin(model, 2);
        stopping.OnEpochEnd(0, new Dictionary<string, double> { ["loss"] = 1.0 });
        var best = model.Weight.ToArray();
        model.Weight.CopyFrom(new float[6]);
        stopping.OnEpochEnd(1, new Dictionary<string, double> { ["loss"] = 2.0 });
        stopping.OnTrainEnd(new History());
        Assert.True(stopping.RestoredBestWeights);
        Assert.Equal(best, model.Weight.ToArray());
        Assert.Same(Device.Simulator, model.Weight.Device);
    }
}
