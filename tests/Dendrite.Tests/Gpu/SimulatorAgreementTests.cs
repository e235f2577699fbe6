using Dendrite.Backends;
using Dendrite.Backends.Reference;
using Dendrite.Gpu;
using Dendrite.Tests.Backends;
using Dendrite.Tests.TestSupport;

namespace Dendrite.Tests.Gpu;

/// <summary>
/// Acceptance 1 of issue 17: every <see cref="Backend"/> method of the GPU backend, run by ILGPU's simulator (the CPU
/// accelerator executes the kernels exactly, shared memory and barriers included), agrees with the scalar reference
/// over the agreement table's awkward shapes, under the same tolerance; copies, masks, maxima and indices to the bit.
/// </summary>
[Collection(ProcessStateCollection.Name)] // the simulator's backend serves one thread at a time
public class SimulatorAgreementTests
{
    private static Backend Simulator => Device.Simulator.Backend;

    /// <summary>
    /// The agreement table's cases whose longest sum has at most 128 terms: the simulator runs each GPU thread as an OS
    /// thread and each barrier as a rendezvous, so the k = 300 products would take tens of seconds each.
    /// </summary>
    public static TheoryData<AgreementCase> Cases()
    {
        var data = new TheoryData<AgreementCase>();
        foreach (var row in BackendAgreementTests.Cases)
            if (row.Terms <= 128) data.Add(row);
        return data;
    }

    [Theory, MemberData(nameof(Cases))]
    public void Simulator_and_reference_agree(AgreementCase c) => c.AssertAgree(Simulator, ReferenceBackend.Instance);

    [Fact]
    public void Storages_round_trip_slice_and_report_their_backend()
    {
        var values = Enumerable.Range(0, 65).Select(i => i * 0.5f).ToArray();
        var storage = Simulator.Upload(values);
        Assert.False(Simulator.IsHost);
        Assert.IsType<GpuStorage>(storage);
        var back = new float[65];
        Simulator.Download(storage, back);
        Assert.Equal(values, back);
        var slice = storage.Slice(10, 5);
        var part = new float[5];
        Simulator.Download(slice, part);
        Assert.Equal(values[10..15], part);
        Assert.Equal(0, Simulator.Allocate(0).Length);
        Assert.Contains("GEMM by the own tiled kernel", ((GpuBackend)Simulator).Description);
        Assert.Equal("simulator", Device.Simulator.Name);
        Assert.Same(Device.Simulator, Device.Simulator);
    }

    [Fact]
    public void FindOutside_names_the_first_offender()
    {
        Assert.Equal(1, Simulator.FindOutside(Simulator.Upload([0.2f, float.NaN, 2f]), 0f, 1f));
        Assert.Equal(2, Simulator.FindOutside(Simulator.Upload([0f, 1f, -1f, 3f]), 0f, 1f));
        Assert.Equal(-1, Simulator.FindOutside(Simulator.Upload([0f, 0.5f, 1f]), 0f, 1f));
    }

    [Fact]
    public void A_cpu_storage_is_refused_with_a_message_naming_the_backend()
    {
        var e = Assert.Throws<ArgumentException>(() => Simulator.Fill(Device.Cpu.Backend.Allocate(3), 1f));
        Assert.Contains("simulator", e.Message);
    }

    [Fact]
    public void No_cuda_device_is_one_clear_line()
    {
        if (GpuDevices.List().Any(line => line.StartsWith("cuda:", StringComparison.Ordinal))) return; // a GPU machine
        var e = Assert.Throws<InvalidOperationException>(() => Device.Cuda(0));
        Assert.StartsWith("no CUDA device found: ILGPU sees", e.Message);
        Assert.DoesNotContain('\n', e.Message);
        Assert.Contains(GpuDevices.List(), line => line.StartsWith("no CUDA device", StringComparison.Ordinal));
    }
}
