using System.Buffers.Binary;
using System.Runtime.Intrinsics.X86;

namespace Dendrite.IO;

/// <summary>
/// CRC-32C (Castagnoli): reflected polynomial 0x82F63B78, initial value and final XOR 0xFFFFFFFF, the checksum of
/// TFRecord files (TensorBoard event files) and LevelDB. The SSE4.2 <c>crc32</c> instruction computes exactly this
/// polynomial, eight bytes per step; without it a byte-wise table does the same.
/// </summary>
internal static class Crc32C
{
    private static readonly uint[] s_table = BuildTable();

    private static uint[] BuildTable()
    {
        var table = new uint[256];
        for (uint n = 0; n < 256; n++)
        {
            uint c = n;
            for (int k = 0; k < 8; k++) c = (c & 1) != 0 ? 0x82F63B78u ^ (c >> 1) : c >> 1;
            table[n] = c;
        }
        return table;
    }

    /// <summary>Continues a running CRC-32C (start with 0) over <paramref name="data"/>.</summary>
    public static uint Append(uint crc, ReadOnlySpan<byte> data)
    {
        if (!Sse42.IsSupported) return AppendScalar(crc, data);
        uint c = ~crc;
        int i = 0;
        if (Sse42.X64.IsSupported)
        {
            ulong wide = c;
            for (; i + 8 <= data.Length; i += 8) wide = Sse42.X64.Crc32(wide, BinaryPrimitives.ReadUInt64LittleEndian(data[i..]));
            c = (uint)wide;
        }
        for (; i < data.Length; i++) c = Sse42.Crc32(c, data[i]);
        return ~c;
    }

    /// <summary>The table-driven path, used where SSE4.2 is missing; tests compare the two.</summary>
    internal static uint AppendScalar(uint crc, ReadOnlySpan<byte> data)
    {
        uint c = ~crc;
        foreach (byte b in data) c = s_table[(c ^ b) & 0xFF] ^ (c >> 8);
        return ~c;
    }

    /// <summary>
    /// The CRC as TFRecord stores it: rotated right by 15 bits plus a constant, because a CRC computed over data that
    /// holds CRCs is otherwise weak (LevelDB's and TensorFlow's <c>crc32c::Mask</c>).
    /// </summary>
    public static uint Mask(uint crc) => ((crc >> 15) | (crc << 17)) + 0xa282ead8u;
}
