using System.Buffers.Binary;
using System.IO.Compression;

namespace Dendrite.Data;

/// <summary>
/// Reads IDX files, the format MNIST ships in (gzip-compressed when the name ends in .gz): a big-endian header of two
/// zero bytes, a type code (0x08 = unsigned byte), the number of dimensions, one 32-bit size per dimension, then the data.
/// Every field is checked; errors name the file, the offset and what was expected.
/// </summary>
public static class IdxReader
{
    /// <summary>The dimensions and raw bytes of an unsigned-byte IDX file with <paramref name="expectedRank"/> dimensions.</summary>
    public static (int[] Dims, byte[] Data) ReadBytes(string path, int expectedRank)
    {
        if (!File.Exists(path)) throw new FileNotFoundException($"IDX file not found: {path}", path);
        byte[] raw;
        try
        {
            using var file = File.OpenRead(path);
            using Stream stream = path.EndsWith(".gz", StringComparison.OrdinalIgnoreCase) ? new GZipStream(file, CompressionMode.Decompress) : file;
            using var memory = new MemoryStream();
            stream.CopyTo(memory);
            raw = memory.ToArray();
        }
        catch (InvalidDataException e)
        {
            throw new DataFormatException($"{path}: not a valid gzip stream ({e.Message}).", e);
        }
        return Parse(path, raw, expectedRank);
    }

    internal static (int[] Dims, byte[] Data) Parse(string path, byte[] raw, int expectedRank)
    {
        if (raw.Length < 4) throw new DataFormatException($"{path}: truncated at offset {raw.Length}: the 4-byte magic number needs 4 bytes, the file has {raw.Length}.");
        uint magic = BinaryPrimitives.ReadUInt32BigEndian(raw);
        uint expectedMagic = 0x0800u | (uint)expectedRank;
        if (magic != expectedMagic)
        {
            string what = raw[0] == 0x1F && raw[1] == 0x8B ? " (it looks gzip-compressed: give it a .gz name)" : "";
            throw new DataFormatException($"{path}: wrong magic number 0x{magic:X8} at offset 0, expected 0x{expectedMagic:X8} (unsigned bytes, {expectedRank} dimension{(expectedRank == 1 ? "" : "s")}){what}.");
        }
        int headerEnd = 4 + 4 * expectedRank;
        if (raw.Length < headerEnd)
            throw new DataFormatException($"{path}: truncated header: {expectedRank} dimension sizes end at offset {headerEnd}, the file has {raw.Length} bytes.");
        var dims = new int[expectedRank];
        long count = 1;
        for (int d = 0; d < expectedRank; d++)
        {
            uint size = BinaryPrimitives.ReadUInt32BigEndian(raw.AsSpan(4 + 4 * d));
            if (size == 0 || size > int.MaxValue)
                throw new DataFormatException($"{path}: dimension {d} at offset {4 + 4 * d} has invalid size {size}.");
            dims[d] = (int)size;
            count *= size;
        }
        long expectedLength = headerEnd + count;
        if (raw.Length < expectedLength)
            throw new DataFormatException($"{path}: truncated data: dimensions [{string.Join(", ", dims)}] need {count} bytes from offset {headerEnd} (file length {expectedLength}), the file has {raw.Length} bytes.");
        if (raw.Length > expectedLength)
            throw new DataFormatException($"{path}: {raw.Length - expectedLength} unexpected bytes after the data, from offset {expectedLength}.");
        return (dims, raw.AsSpan(headerEnd).ToArray());
    }
}
