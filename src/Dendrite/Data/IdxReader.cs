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
    /// <remarks>
    /// The header is read and its declared size (64-bit) compared with what the file holds before the data is read:
    /// dimensions such as [16, 2^30, 2^30] in a small file are refused without allocating, and a compressed file is never
    /// decompressed past the size its header declares.
    /// </remarks>
    /// <exception cref="DataFormatException">The file is malformed; the message names it, the offset and the sizes.</exception>
    public static (int[] Dims, byte[] Data) ReadBytes(string path, int expectedRank)
    {
        if (!File.Exists(path)) throw new FileNotFoundException($"IDX file not found: {path}", path);
        bool compressed = path.EndsWith(".gz", StringComparison.OrdinalIgnoreCase);
        try
        {
            using var file = File.OpenRead(path);
            using Stream stream = compressed ? new GZipStream(file, CompressionMode.Decompress) : file;
            var header = new byte[4 + 4 * expectedRank];
            int got = stream.ReadAtLeast(header, header.Length, throwOnEndOfStream: false);
            var (dims, count) = ParseHeader(path, header.AsSpan(0, got), expectedRank);
            if (!compressed) CheckLength(path, dims, count, header.Length, file.Length);
            var (data, read) = compressed ? ReadGrowing(stream, count) : (new byte[count], 0);
            if (!compressed) read = stream.ReadAtLeast(data, data.Length, throwOnEndOfStream: false);
            long length = header.Length + read;
            if (read < count) CheckLength(path, dims, count, header.Length, length);
            long trailing = CountTrailing(stream);
            if (trailing > 0)
                throw new DataFormatException($"{path}: {(trailing > MaxTrailingCounted ? $"more than {MaxTrailingCounted}" : trailing)} " +
                    $"unexpected bytes after the data, from offset {length}.");
            return (dims, data);
        }
        catch (InvalidDataException e)
        {
            throw new DataFormatException($"{path}: not a valid gzip stream ({e.Message}).", e);
        }
    }

    // A compressed file's length says nothing of its data's: the buffer grows (doubling) with what actually arrives, up
    // to the declared size, so a damaged header declaring 2 GB costs only what the stream holds.
    private static (byte[] Data, int Read) ReadGrowing(Stream stream, long count)
    {
        var buffer = new byte[Math.Min(count, 1 << 16)];
        int filled = 0;
        while (filled < count)
        {
            if (filled == buffer.Length) Array.Resize(ref buffer, (int)Math.Min(count, 2L * buffer.Length));
            int n = stream.Read(buffer, filled, buffer.Length - filled);
            if (n == 0) break;
            filled += n;
        }
        return (buffer, filled);
    }

    private const int MaxTrailingCounted = 1 << 20;

    // Counts what follows the data, but stops past a megabyte: a compressed file could expand without end.
    private static long CountTrailing(Stream stream)
    {
        Span<byte> buffer = stackalloc byte[4096];
        long total = 0;
        int n;
        while (total <= MaxTrailingCounted && (n = stream.Read(buffer)) > 0) total += n;
        return total;
    }

    internal static (int[] Dims, byte[] Data) Parse(string path, byte[] raw, int expectedRank)
    {
        int headerEnd = 4 + 4 * expectedRank;
        var (dims, count) = ParseHeader(path, raw.AsSpan(0, Math.Min(raw.Length, headerEnd)), expectedRank);
        CheckLength(path, dims, count, headerEnd, raw.Length);
        return (dims, raw.AsSpan(headerEnd).ToArray());
    }

    // The magic number and the dimension sizes, with the data size they declare computed in 64 bits: three sizes of up
    // to 2^31 multiply past 2^63, so each product is checked against the largest array a file can be read into.
    private static (int[] Dims, long Count) ParseHeader(string path, ReadOnlySpan<byte> header, int expectedRank)
    {
        if (header.Length < 4) throw new DataFormatException($"{path}: truncated at offset {header.Length}: the 4-byte magic number needs 4 bytes, the file has {header.Length}.");
        uint magic = BinaryPrimitives.ReadUInt32BigEndian(header);
        uint expectedMagic = 0x0800u | (uint)expectedRank;
        if (magic != expectedMagic)
        {
            string what = header[0] == 0x1F && header[1] == 0x8B ? " (it looks gzip-compressed: give it a .gz name)" : "";
            throw new DataFormatException($"{path}: wrong magic number 0x{magic:X8} at offset 0, expected 0x{expectedMagic:X8} (unsigned bytes, {expectedRank} dimension{(expectedRank == 1 ? "" : "s")}){what}.");
        }
        int headerEnd = 4 + 4 * expectedRank;
        if (header.Length < headerEnd)
            throw new DataFormatException($"{path}: truncated header: {expectedRank} dimension sizes end at offset {headerEnd}, the file has {header.Length} bytes.");
        var dims = new int[expectedRank];
        long count = 1;
        for (int d = 0; d < expectedRank; d++)
        {
            uint size = BinaryPrimitives.ReadUInt32BigEndian(header[(4 + 4 * d)..]);
            if (size == 0 || size > int.MaxValue)
                throw new DataFormatException($"{path}: dimension {d} at offset {4 + 4 * d} has invalid size {size}.");
            dims[d] = (int)size;
            if (count > Array.MaxLength / size)
                throw new DataFormatException($"{path}: dimensions [{string.Join(", ", dims.Take(d + 1))}{(d + 1 < expectedRank ? ", …" : "")}] " +
                    $"declare more than {Array.MaxLength} bytes of data, more than one array holds; the header is damaged.");
            count *= size;
        }
        return (dims, count);
    }

    private static void CheckLength(string path, int[] dims, long count, int headerEnd, long fileLength)
    {
        long expectedLength = headerEnd + count;
        if (fileLength < expectedLength)
            throw new DataFormatException($"{path}: truncated data: dimensions [{string.Join(", ", dims)}] need {count} bytes from offset {headerEnd} (file length {expectedLength}), the file has {fileLength} bytes.");
        if (fileLength > expectedLength)
            throw new DataFormatException($"{path}: {fileLength - expectedLength} unexpected bytes after the data, from offset {expectedLength}.");
    }
}
