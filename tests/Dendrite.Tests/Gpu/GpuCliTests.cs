using Dendrite.Gpu;
using Dendrite.Tests.TestSupport;

namespace Dendrite.Tests.Gpu;

/// <summary>
/// Acceptance 3 of issue 17: <c>dendrite devices</c> lists the simulator and says when there is no CUDA device, and
/// <c>--device cuda:0</c> on such a machine is one line and a non-zero exit, before any data is read.
/// </summary>
[Collection(ProcessStateCollection.Name)]
public class GpuCliTests
{
    private static bool HasCuda => GpuDevices.List().Any(line => line.StartsWith("cuda:", StringComparison.Ordinal));

    [Fact]
    public void Devices_lists_the_simulator_the_cpu_and_cublas()
    {
        var (code, output, error) = CliRunner.Run("devices");

        Assert.Equal(0, code);
        Assert.Equal("", error);
        Assert.Contains("cpu: ", output);
        Assert.Contains("simulator: ", output);
        Assert.Contains("cuBLAS: ", output);
        if (!HasCuda) Assert.Contains("no CUDA device", output);
    }

    [Theory]
    [InlineData("train", "mnist-mlp")]
    [InlineData("eval", "no-such-model.safetensors")]
    [InlineData("predict", "no-such-model.safetensors", "digit.png")]
    public void Device_cuda_without_a_gpu_is_one_line_and_a_failure(params string[] command)
    {
        if (HasCuda) return; // a GPU machine: there the device exists
        var (code, output, error) = CliRunner.Run([.. command, "--device", "cuda:0"]);

        Assert.NotEqual(0, code);
        Assert.Equal("", output);
        Assert.Single(error.TrimEnd().Split('\n'));
        Assert.Contains("no CUDA device found", error);
    }

    [Fact]
    public void An_unknown_device_is_named()
    {
        var (code, _, error) = CliRunner.Run("train", "mnist-mlp", "--device", "tpu");
        Assert.NotEqual(0, code);
        Assert.Contains("'tpu' is not a device", error);
    }
}
