using System.Buffers.Binary;

namespace Dendrite.Data;

/// <summary>A greyscale raster read from a TIFF file: raw samples, one per pixel, row-major.</summary>
/// <param name="BitsPerSample">8 or 16; samples lie in [0, 2^bits − 1], black at 0.</param>
public sealed record TiffImage(int Width, int Height, int BitsPerSample, ushort[] Samples);

/// <summary>
/// Reads baseline greyscale TIFF, the format microscopes write: 8- or 16-bit samples, one per pixel, in strips,
/// uncompressed or PackBits-compressed, little- (II) or big-endian (MM), BlackIsZero or WhiteIsZero (then inverted
/// so black is 0). The first image of a multi-page file is read.
/// </summary>
/// <remarks>
/// Our own small reader, as issue 18 allows: the pure managed alternatives are a large port of libtiff (LibTiff.Net)
/// or part of a whole imaging library under a split commercial licence (ImageSharp), and the baseline subset above
/// fits in one file, tested against files written byte by byte. Tiles, LZW/Deflate compression, colour and float
/// samples are refused with a message naming the file, the tag and its byte offset.
/// </remarks>
public static class Tiff
{
    private const ushort ImageWidth = 256, ImageLength = 257, BitsPerSampleTag = 258, Compression = 259;
    private const ushort Photometric = 262, StripOffsets = 273, SamplesPerPixel = 277, RowsPerStrip = 278;
    private const ushort StripByteCounts = 279, PlanarConfiguration = 284, TileWidth = 322, SampleFormat = 339;
    private const int NoCompression = 1, PackBits = 32773;

    /// <summary>Reads the first image of the TIFF file at <paramref name="path"/>.</summary>
    /// <exception cref="DataFormatException">The file is not a baseline greyscale TIFF of the kinds above; the message
    /// names
    /// the file and the byte offset of the problem.</exception>
    public static TiffImage Read(string path)
    {
        if (!File.Exists(path)) throw new FileNotFoundException($"Tiff: file not found: {path}", path);
        return Decode(File.ReadAllBytes(path), path);
    }

    /// <summary>Whether <paramref name="header"/> starts with a TIFF signature ("II*\0" or "MM\0*").</summary>
    public static bool IsTiff(ReadOnlySpan<byte> header) =>
        header.Length >= 4 && (header[..4].SequenceEqual("II*\0"u8) || header[..4].SequenceEqual("MM\0*"u8));

    /// <summary>Decodes TIFF bytes; <paramref name="source"/> names them in messages.</summary>
    public static TiffImage Decode(byte[] bytes, string source)
    {
        var file = new Reader(bytes, source);
        if (!IsTiff(bytes)) file.Fail(0, "not a TIFF file (it should start with \"II*\\0\" or \"MM\\0*\")");
        long ifd = file.UInt32(4);
        if (ifd < 8) file.Fail(4, $"the first image directory offset {ifd} points into the header");
        int entries = file.UInt16(ifd);
        var tags = new Dictionary<ushort, (long Offset, uint[] Values)>();
        for (int e = 0; e < entries; e++)
        {
            long at = ifd + 2 + 12L * e;
            ushort tag = file.UInt16(at);
            tags[tag] = (at, file.Values(at));
        }
        uint Single(ushort tag, uint? fallback, string name)
        {
            if (tags.TryGetValue(tag, out var entry)) return entry.Values[0];
            return fallback ?? throw file.Failure(ifd, $"the required tag {name} ({tag}) is missing");
        }
        void Require(ushort tag, string name, uint value, params uint[] allowed)
        {
            if (!allowed.Contains(value))
            {
                long at = tags.TryGetValue(tag, out var entry) ? entry.Offset : ifd;
                file.Fail(at, $"{name} {value} is not supported (supported: {string.Join(", ", allowed)})");
            }
        }
        uint widthTag = Single(ImageWidth, null, "ImageWidth");
        uint heightTag = Single(ImageLength, null, "ImageLength");
        // Checked before the raster is allocated: a 200-byte file can declare 65535 × 65535 pixels.
        if ((ulong)widthTag * heightTag > (ulong)ImageFile.MaxPixels || widthTag > int.MaxValue || heightTag > int.MaxValue)
            file.Fail(ifd, $"{widthTag}x{heightTag} pixels are more than ImageFile.MaxPixels = {ImageFile.MaxPixels}");
        int width = (int)widthTag;
        int height = (int)heightTag;
        uint bits = Single(BitsPerSampleTag, 1, "BitsPerSample");
        uint compression = Single(Compression, NoCompression, "Compression");
        uint photometric = Single(Photometric, null, "PhotometricInterpretation");
        Require(BitsPerSampleTag, "BitsPerSample", bits, 8, 16);
        Require(Compression, "Compression", compression, NoCompression, PackBits);
        Require(Photometric,
            "PhotometricInterpretation (only greyscale: 0 WhiteIsZero, 1 BlackIsZero)", photometric, 0, 1);
        Require(SamplesPerPixel, "SamplesPerPixel", Single(SamplesPerPixel, 1, "SamplesPerPixel"), 1);
        Require(PlanarConfiguration, "PlanarConfiguration", Single(PlanarConfiguration, 1, "PlanarConfiguration"), 1);
        Require(SampleFormat, "SampleFormat (only unsigned integers)", Single(SampleFormat, 1, "SampleFormat"), 1);
        if (tags.ContainsKey(TileWidth)) file.Fail(tags[TileWidth].Offset,
            "tiled images are not supported, only strips");
        if (!tags.TryGetValue(StripOffsets, out var offsets)) file.Fail(ifd,
            "the required tag StripOffsets (273) is missing");
        if (!tags.TryGetValue(StripByteCounts, out var counts)) file.Fail(ifd,
            "the required tag StripByteCounts (279) is missing");
        if (offsets.Values.Length != counts.Values.Length)
            file.Fail(counts.Offset,
                $"{offsets.Values.Length} strip offsets but {counts.Values.Length} strip byte counts");
        long rowsPerStrip = Math.Min(Single(RowsPerStrip, uint.MaxValue, "RowsPerStrip"), (uint)height);
        int bytesPerSample = (int)bits / 8;
        int rowBytes = checked(width * bytesPerSample);
        var raster = new byte[checked((long)rowBytes * height)];
        long expectedStrips = height == 0 ? 0 : (height + rowsPerStrip - 1) / rowsPerStrip;
        if (offsets.Values.Length < expectedStrips)
            file.Fail(offsets.Offset,
                $"{offsets.Values.Length} strips for {height} rows of {rowsPerStrip} per strip (expected " +
                $"{expectedStrips})");
        for (int s = 0; s < expectedStrips; s++)
        {
            int rows = (int)Math.Min(rowsPerStrip, height - s * rowsPerStrip);
            var target = raster.AsSpan((int)(s * rowsPerStrip * rowBytes), rows * rowBytes);
            var strip = file.Slice(offsets.Values[s], counts.Values[s], $"strip {s}");
            if (compression == NoCompression)
            {
                if (strip.Length < target.Length)
                    file.Fail(offsets.Values[s], $"strip {s} holds {strip.Length} bytes, {target.Length} are needed");
                strip[..target.Length].CopyTo(target);
            }
            else
            {
                UnpackBits(strip, target, file, offsets.Values[s], s);
            }
        }
        var samples = new ushort[checked(width * height)];
        ushort max = bits == 8 ? byte.MaxValue : ushort.MaxValue;
        for (int i = 0; i < samples.Length; i++)
        {
            ushort v = bits == 8 ? raster[i]
                : file.LittleEndian ? BinaryPrimitives.ReadUInt16LittleEndian(raster.AsSpan(2 * i))
                : BinaryPrimitives.ReadUInt16BigEndian(raster.AsSpan(2 * i));
            samples[i] = photometric == 0 ? (ushort)(max - v) : v;
        }
        return new TiffImage(width, height, (int)bits, samples);
    }

    /// <summary>PackBits (Apple's run-length code, TIFF compression 32773): n ≥ 0 copies n + 1 bytes, −127 ≤ n ≤ −1
    /// repeats the next byte 1 − n times, −128 is skipped.</summary>
    private static void UnpackBits(ReadOnlySpan<byte> packed, Span<byte> target, Reader file, long stripOffset, int strip)
    {
        int i = 0, o = 0;
        while (o < target.Length)
        {
            if (i >= packed.Length)
                file.Fail(stripOffset + i, $"PackBits strip {strip} ends after {o} of {target.Length} bytes");
            sbyte n = (sbyte)packed[i++];
            if (n >= 0)
            {
                int count = n + 1;
                if (i + count > packed.Length || o + count > target.Length)
                    file.Fail(stripOffset + i - 1, $"PackBits literal run of {count} bytes overruns strip {strip}");
                packed.Slice(i, count).CopyTo(target[o..]);
                i += count;
                o += count;
            }
            else if (n != -128)
            {
                int count = 1 - n;
                if (i >= packed.Length || o + count > target.Length)
                    file.Fail(stripOffset + i - 1, $"PackBits repeat run of {count} bytes overruns strip {strip}");
                target.Slice(o, count).Fill(packed[i++]);
                o += count;
            }
        }
    }

    /// <summary>
    /// Byte-order-aware reads that fail with the file name and offset instead of running off the end.
    /// </summary>
    private sealed class Reader(byte[] bytes, string source)
    {
        public bool LittleEndian { get; } = bytes.Length >= 2 && bytes[0] == (byte)'I';

        public ushort UInt16(long at) => LittleEndian
            ? BinaryPrimitives.ReadUInt16LittleEndian(Slice(at, 2, "a 16-bit value"))
            : BinaryPrimitives.ReadUInt16BigEndian(Slice(at, 2, "a 16-bit value"));

        public uint UInt32(long at) => LittleEndian
            ? BinaryPrimitives.ReadUInt32LittleEndian(Slice(at, 4, "a 32-bit value"))
            : BinaryPrimitives.ReadUInt32BigEndian(Slice(at, 4, "a 32-bit value"));

        /// <summary>The values of the 12-byte directory entry at <paramref name="at"/> (BYTE, SHORT or LONG).</summary>
        public uint[] Values(long at)
        {
            ushort type = UInt16(at + 2);
            uint count = UInt32(at + 4);
            int size = type switch { 1 => 1, 3 => 2, 4 => 4, _ => 0 };
            if (size == 0) return [0];
            if (count > int.MaxValue / 4) Fail(at + 4, $"tag {UInt16(at)} claims {count} values");
            // Values that fit in four bytes sit in the entry itself; longer ones at the offset it holds.
            long start = size * (long)count <= 4 ? at + 8 : UInt32(at + 8);
            var values = new uint[count];
            for (int k = 0; k < count; k++)
                values[k] = size switch
                {
                    1 => Slice(start + k, 1, "a byte value")[0],
                    2 => UInt16(start + 2L * k),
                    _ => UInt32(start + 4L * k),
                };
            return values.Length == 0 ? [0] : values;
        }

        public ReadOnlySpan<byte> Slice(long at, long length, string what)
        {
            if (at < 0 || length < 0 || at + length > bytes.Length)
                Fail(at, $"{what} of {length} bytes runs past the end of the file ({bytes.Length} bytes)");
            return bytes.AsSpan((int)at, (int)length);
        }

        public DataFormatException Failure(long at, string message) => new($"{source}: offset {at}: {message}.");

        [System.Diagnostics.CodeAnalysis.DoesNotReturn]
        public void Fail(long at, string message) => throw Failure(at, message);
    }
}
