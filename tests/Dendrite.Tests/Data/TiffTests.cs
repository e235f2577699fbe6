using System.Buffers.Binary;
using Dendrite.Data;
using Dendrite.Tests.TestSupport;

namespace Dendrite.Tests.Data;

/// <summary>TIFF files written byte by byte here, from the TIFF 6.0 baseline layout, with known sample values.</summary>
public class TiffTests
{
    private static readonly ushort[] s_values16 = [0, 1, 255, 256, 4095, 30000, 65534, 65535, 12345, 54321, 7, 40000];

    /// <summary>Header, image data (strips as given), then one IFD with the tags sorted by number.</summary>
    internal static byte[] Write(bool little, int width, int height, int bits, IReadOnlyList<byte[]> strips, int rowsPerStrip,
        int compression = 1, int photometric = 1, IEnumerable<(ushort Tag, uint Value)>? extra = null)
    {
        var bytes = new List<byte>();
        void U16(ushort v)
        {
            var b = new byte[2];
            if (little) BinaryPrimitives.WriteUInt16LittleEndian(b, v);
            else BinaryPrimitives.WriteUInt16BigEndian(b, v);
            bytes.AddRange(b);
        }
        void U32(uint v)
        {
            var b = new byte[4];
            if (little) BinaryPrimitives.WriteUInt32LittleEndian(b, v);
            else BinaryPrimitives.WriteUInt32BigEndian(b, v);
            bytes.AddRange(b);
        }
        bytes.AddRange(little ? "II"u8.ToArray() : "MM"u8.ToArray());
        U16(42);
        U32(0); // IFD offset, patched below
        var offsets = new List<uint>();
        foreach (var strip in strips)
        {
            offsets.Add((uint)bytes.Count);
            bytes.AddRange(strip);
        }
        // Strip offsets and counts as LONG arrays after the data (inline when there is one strip).
        uint offsetsAt = (uint)bytes.Count;
        foreach (var o in offsets) U32(o);
        uint countsAt = (uint)bytes.Count;
        foreach (var s in strips) U32((uint)s.Length);
        if (bytes.Count % 2 == 1) bytes.Add(0);
        uint ifd = (uint)bytes.Count;
        var tags = new List<(ushort Tag, ushort Type, uint Count, uint Value)>
        {
            (256, 4, 1, (uint)width), (257, 4, 1, (uint)height), (258, 3, 1, (uint)bits), (259, 3, 1, (uint)compression),
            (262, 3, 1, (uint)photometric), (273, 4, (uint)strips.Count, strips.Count == 1 ? offsets[0] : offsetsAt),
            (277, 3, 1, 1), (278, 4, 1, (uint)rowsPerStrip), (279, 4, (uint)strips.Count, strips.Count == 1 ? (uint)strips[0].Length : countsAt),
        };
        foreach (var (tag, value) in extra ?? []) tags.Add((tag, 4, 1, value));
        tags.Sort((a, b) => a.Tag.CompareTo(b.Tag));
        U16((ushort)tags.Count);
        foreach (var (tag, type, count, value) in tags)
        {
            U16(tag);
            U16(type);
            U32(count);
            // A single SHORT sits in the first two bytes of the value field.
            if (type == 3 && count == 1)
            {
                U16((ushort)value);
                U16(0);
            }
            else
            {
                U32(value);
            }
        }
        U32(0);
        var result = bytes.ToArray();
        if (little) BinaryPrimitives.WriteUInt32LittleEndian(result.AsSpan(4), ifd);
        else BinaryPrimitives.WriteUInt32BigEndian(result.AsSpan(4), ifd);
        return result;
    }

    private static byte[] Samples16(bool little, ReadOnlySpan<ushort> values)
    {
        var b = new byte[values.Length * 2];
        for (int i = 0; i < values.Length; i++)
            if (little) BinaryPrimitives.WriteUInt16LittleEndian(b.AsSpan(2 * i), values[i]);
            else BinaryPrimitives.WriteUInt16BigEndian(b.AsSpan(2 * i), values[i]);
        return b;
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public void Sixteen_bit_strips_decode_to_the_values_written_in_either_byte_order(bool little)
    {
        // 4 wide, 3 high, two strips of 2 rows and 1 row.
        var strips = new[] { Samples16(little, s_values16.AsSpan(0, 8)), Samples16(little, s_values16.AsSpan(8, 4)) };
        var image = Tiff.Decode(Write(little, 4, 3, 16, strips, rowsPerStrip: 2), "grey16.tif");
        Assert.Equal((4, 3, 16), (image.Width, image.Height, image.BitsPerSample));
        Assert.Equal(s_values16, image.Samples);
    }

    [Fact]
    public void Sixteen_bit_file_loads_as_a_tensor_divided_by_65535()
    {
        using var dir = new TempDirectory();
        string path = dir.File("grey16.tiff");
        File.WriteAllBytes(path, Write(true, 4, 3, 16, [Samples16(true, s_values16)], rowsPerStrip: 3));
        var tensor = ImageFile.Load(path, channels: 1);
        Assert.Equal(new Shape(1, 3, 4), tensor.Shape);
        Assert.Equal(s_values16.Select(v => v * (1f / 65535)), tensor.ToArray());
        var rgb = ImageFile.Load(path, channels: 3);
        Assert.Equal(tensor.ToArray(), rgb.ToArray()[24..]);
    }

    [Fact]
    public void PackBits_eight_bit_and_white_is_zero_decode()
    {
        // Row of 6: literal run "1 2 3" (header 2), then 200 repeated three times (header −2 = 0xFE), then a no-op −128.
        byte[] packed = [2, 1, 2, 3, 0xFE, 200, 0x80];
        var image = Tiff.Decode(Write(false, 6, 1, 8, [packed], 1, compression: 32773), "packbits.tif");
        Assert.Equal([1, 2, 3, 200, 200, 200], image.Samples);
        var inverted = Tiff.Decode(Write(true, 2, 1, 8, [[0, 55]], 1, photometric: 0), "white-is-zero.tif");
        Assert.Equal([255, 200], inverted.Samples);
    }

    [Fact]
    public void Unsupported_or_damaged_files_name_file_and_offset()
    {
        var lzw = Write(true, 2, 1, 8, [[1, 2]], 1, compression: 5);
        var e = Assert.Throws<DataFormatException>(() => Tiff.Decode(lzw, "lzw.tif"));
        Assert.Matches(@"^lzw\.tif: offset \d+: Compression 5 is not supported \(supported: 1, 32773\)\.$", e.Message);
        var truncated = Write(true, 4, 3, 16, [Samples16(true, s_values16)], 3)[..10];
        var t = Assert.Throws<DataFormatException>(() => Tiff.Decode(truncated, "cut.tif"));
        Assert.StartsWith("cut.tif: offset ", t.Message);
        Assert.Contains("runs past the end of the file (10 bytes)", t.Message);
        var notTiff = Assert.Throws<DataFormatException>(() => Tiff.Decode("GIF89a.."u8.ToArray(), "x.tif"));
        Assert.Equal("x.tif: offset 0: not a TIFF file (it should start with \"II*\\0\" or \"MM\\0*\").", notTiff.Message);
        var tiled = Write(true, 2, 1, 8, [[1, 2]], 1, extra: [(322, 16)]);
        Assert.Contains("tiled images are not supported", Assert.Throws<DataFormatException>(() => Tiff.Decode(tiled, "t.tif")).Message);
    }
}
