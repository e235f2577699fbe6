namespace Dendrite.Tests.TestSupport;

/// <summary>
/// The devices every op test runs on (candle's test_device!, burn's shared backend tests): the fast CPU backend and
/// its scalar reference twin. A test names its device by <see cref="Device.Name"/>, so the name shows in its display.
/// </summary>
public static class TestDevices
{
    public static IReadOnlyList<Device> All { get; } = [Device.Cpu, Device.Reference];

    /// <summary>
    /// A device by name: one of <see cref="All"/>, or "simulator" (the GPU backend on ILGPU's CPU accelerator), which
    /// the GPU tests run the same tables on separately, since it is hundreds of times slower.
    /// </summary>
    public static Device Named(string name) =>
        name == Dendrite.Gpu.GpuDevices.Simulator.Name ? Dendrite.Gpu.GpuDevices.Simulator : All.Single(d => d.Name == name);

    /// <summary>Every row once per device, the device's name as the last argument.</summary>
    public static TheoryData<T, string> OnEach<T>(IEnumerable<T> rows)
    {
        var data = new TheoryData<T, string>();
        foreach (var row in rows)
            foreach (var device in All) data.Add(row, device.Name);
        return data;
    }
}
