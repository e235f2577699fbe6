using Dendrite.Backends;
using ILGPU;
using ILGPU.Runtime;

namespace Dendrite.Gpu;

/// <summary>
/// Storage in an accelerator's memory: a range [offset, offset + length) of one device buffer, shared by its views
/// as a <see cref="CpuStorage"/>'s range shares its array. The buffer is freed when no view holds it any more
/// (ILGPU's finaliser), or with the accelerator.
/// </summary>
public sealed class GpuStorage : Storage
{
    internal GpuStorage(GpuBackend backend, MemoryBuffer1D<float, Stride1D.Dense> buffer, int offset, int length)
    {
        Backend = backend;
        Buffer = buffer;
        Offset = offset;
        _length = length;
    }

    private readonly int _length;

    /// <summary>The backend whose accelerator holds the buffer.</summary>
    public GpuBackend Backend { get; }

    internal MemoryBuffer1D<float, Stride1D.Dense> Buffer { get; }

    /// <summary>Where this storage's values start in the buffer.</summary>
    public int Offset { get; }

    public override int Length => _length;

    /// <summary>The values as a kernel argument.</summary>
    internal ArrayView<float> View => Buffer.View.SubView(Offset, _length);

    public override Storage Slice(int offset, int length)
    {
        if (offset < 0 || length < 0 || (long)offset + length > _length)
            throw new ArgumentOutOfRangeException(nameof(offset), $"GpuStorage.Slice: [{offset}, {(long)offset + length}) is outside {_length} values.");
        return new GpuStorage(Backend, Buffer, Offset + offset, length);
    }
}
