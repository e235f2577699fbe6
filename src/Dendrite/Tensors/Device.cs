using Dendrite.Backends;
using Dendrite.Backends.Cpu;
using Dendrite.Backends.Reference;

namespace Dendrite;

/// <summary>
/// Where a tensor's values live and which <see cref="Backends.Backend"/> computes on them, as a user names it
/// (PyTorch's <c>torch.device</c>): <see cref="Cpu"/>, or a device an optional package provides (a GPU). Ops run on
/// their inputs' device; inputs on two devices are an error naming both.
/// </summary>
public sealed class Device
{
    /// <summary>A device named <paramref name="name"/> ("cuda:0") computing through <paramref name="backend"/>.</summary>
    public Device(string name, Backend backend)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(name);
        Name = name;
        Backend = backend;
    }

    /// <summary>The host's processor: the SIMD kernels, threaded over all cores.</summary>
    public static Device Cpu { get; } = new("cpu", CpuBackend.Instance);

    /// <summary>
    /// The host's processor through the scalar twin of every kernel: plain loops from the definitions, no SIMD, no
    /// threads, many times slower. For checking the fast backends (tests run every op on both), not for training.
    /// </summary>
    public static Device Reference { get; } = new("reference", ReferenceBackend.Instance);

    public string Name { get; }

    public Backend Backend { get; }

    /// <summary>Whether tensors here live in host memory, so host code may read them as spans (<see cref="Tensor.Data"/>).</summary>
    public bool IsHost => Backend.IsHost;

    public override string ToString() => Name;
}
