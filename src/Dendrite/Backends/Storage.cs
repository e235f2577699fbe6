namespace Dendrite.Backends;

/// <summary>
/// A run of float32 values that a <see cref="Backend"/> owns and computes on: host memory for the CPU backends,
/// device memory for others. A tensor holds one (its view of a larger buffer, for reshapes and row slices), and the
/// ops hand storages to the backend; only the backend that made a storage reads its values.
/// </summary>
public abstract class Storage
{
    /// <summary>Number of float32 values.</summary>
    public abstract int Length { get; }

    /// <summary>The values [offset, offset + length) as a storage sharing these values (a view, not a copy).</summary>
    public abstract Storage Slice(int offset, int length);
}

/// <summary>
/// Storage in host memory: a range of a managed <c>float[]</c>, so nothing needs disposing. The CPU backends (the
/// fast one and the scalar reference) share it, and host-side code (readers, pictures, checkpoints) reads it as a span.
/// </summary>
public sealed class CpuStorage : Storage
{
    public CpuStorage(float[] array) : this(array, 0, array.Length) { }

    public CpuStorage(float[] array, int offset, int length)
    {
        if (offset < 0 || length < 0 || (long)offset + length > array.Length)
            throw new ArgumentException($"CpuStorage: [{offset}, {(long)offset + length}) does not fit an array of {array.Length} values.");
        Array = array;
        Offset = offset;
        _length = length;
    }

    private readonly int _length;

    /// <summary>The array holding the values (shared with other views of it).</summary>
    public float[] Array { get; }

    /// <summary>Where this storage's values start in <see cref="Array"/>.</summary>
    public int Offset { get; }

    public override int Length => _length;

    /// <summary>The values as a writable span.</summary>
    public Span<float> Span => Array.AsSpan(Offset, _length);

    public override Storage Slice(int offset, int length)
    {
        if (offset < 0 || length < 0 || (long)offset + length > _length)
            throw new ArgumentOutOfRangeException(nameof(offset), $"CpuStorage.Slice: [{offset}, {(long)offset + length}) is outside {_length} values.");
        return new CpuStorage(Array, Offset + offset, length);
    }
}
