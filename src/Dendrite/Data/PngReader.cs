using System.Buffers.Binary;
using System.IO.Compression;

namespace Dendrite.Data;

/// <summary>
/// Decodes PNG images to grayscale in [0, 1], enough to feed a picture to a model: 8-bit grayscale, RGB, palette,
/// grayscale+alpha and RGBA, and 16-bit grayscale and RGB(A), non-interlaced. Colour becomes luminance
/// (0.299 R + 0.587 G + 0.114 B, ITU-R BT.601); alpha composites over black, the background of MNIST digits.
/// Errors name the file and the offset.
/// </summary>
public static class PngReader
{
    private static ReadOnlySpan<byte> Signature => [0x89, (byte)'P', (byte)'N', (byte)'G', 0x0D, 0x0A, 0x1A, 0x0A];

    /// <summary>The image as [height, width] pixels, row-major, each in [0, 1].</summary>
    public static (int Height, int Width, float[] Pixels) ReadGray(string path)
    {
        if (!File.Exists(path)) throw new FileNotFoundException($"PNG file not found: {path}", path);
        return Decode(path, File.ReadAllBytes(path));
    }

    internal static (int Height, int Width, float[] Pixels) Decode(string path, byte[] file)
    {
        if (file.Length < 8 || !file.AsSpan(0, 8).SequenceEqual(Signature))
            throw new DataFormatException($"{path}: not a PNG file (no PNG signature at offset 0).");
        int width = 0, height = 0, bitDepth = 0, colorType = -1;
        byte[]? palette = null;
        using var compressed = new MemoryStream();
        int at = 8;
        while (true)
        {
            if (at + 8 > file.Length) throw new DataFormatException($"{path}: truncated at offset {at}: no IEND chunk.");
            int length = BinaryPrimitives.ReadInt32BigEndian(file.AsSpan(at));
            string type = System.Text.Encoding.ASCII.GetString(file, at + 4, 4);
            if (length < 0 || at + 12L + length > file.Length)
                throw new DataFormatException($"{path}: chunk \"{type}\" at offset {at} claims {length} bytes, past the end of the file.");
            var data = file.AsSpan(at + 8, length);
            if (type == "IHDR")
            {
                if (length < 13) throw new DataFormatException($"{path}: IHDR at offset {at} is {length} bytes, expected 13.");
                (width, height, bitDepth, colorType) = (BinaryPrimitives.ReadInt32BigEndian(data), BinaryPrimitives.ReadInt32BigEndian(data[4..]), data[8], data[9]);
                if (data[12] != 0) throw new DataFormatException($"{path}: interlaced (Adam7) PNG is not supported; save it without interlacing.");
                bool supported = (bitDepth, colorType) is (8, 0 or 2 or 3 or 4 or 6) or (16, 0 or 2 or 4 or 6);
                if (!supported) throw new DataFormatException($"{path}: PNG with bit depth {bitDepth} and colour type {colorType} is not supported (8-bit, or 16-bit non-palette).");
                if (width <= 0 || height <= 0 || (long)width * height > 1 << 26)
                    throw new DataFormatException($"{path}: image size {width}×{height} is out of range.");
            }
            else if (type == "PLTE") palette = data.ToArray();
            else if (type == "IDAT") compressed.Write(data);
            else if (type == "IEND") break;
            at += 12 + length;
        }
        if (colorType < 0) throw new DataFormatException($"{path}: no IHDR chunk.");
        if (colorType == 3 && palette is null) throw new DataFormatException($"{path}: palette image without a PLTE chunk.");
        int channels = colorType switch { 0 or 3 => 1, 4 => 2, 2 => 3, _ => 4 };
        int bytesPerPixel = channels * bitDepth / 8;
        int stride = width * bytesPerPixel;
        var raw = new byte[(long)height * (stride + 1)];
        compressed.Position = 0;
        try
        {
            using var inflate = new ZLibStream(compressed, CompressionMode.Decompress);
            inflate.ReadExactly(raw);
        }
        catch (Exception e) when (e is InvalidDataException or EndOfStreamException)
        {
            throw new DataFormatException($"{path}: corrupted image data (IDAT): {e.Message}", e);
        }
        var pixels = new float[width * height];
        var previous = new byte[stride];
        var row = new byte[stride];
        for (int y = 0; y < height; y++)
        {
            int filter = raw[y * (stride + 1)];
            raw.AsSpan(y * (stride + 1) + 1, stride).CopyTo(row);
            Unfilter(path, filter, y, row, previous, bytesPerPixel);
            for (int x = 0; x < width; x++) pixels[y * width + x] = Gray(row.AsSpan(x * bytesPerPixel, bytesPerPixel), colorType, bitDepth, palette);
            (previous, row) = (row, previous);
        }
        return (height, width, pixels);
    }

    // The five filters of the PNG specification (section 9), undone in place; prior is the previous unfiltered row.
    private static void Unfilter(string path, int filter, int y, Span<byte> row, ReadOnlySpan<byte> prior, int bpp)
    {
        for (int i = 0; i < row.Length; i++)
        {
            int a = i >= bpp ? row[i - bpp] : 0, b = prior[i], c = i >= bpp ? prior[i - bpp] : 0;
            row[i] += filter switch
            {
                0 => 0,
                1 => (byte)a,
                2 => (byte)b,
                3 => (byte)((a + b) / 2),
                4 => (byte)Paeth(a, b, c),
                _ => throw new DataFormatException($"{path}: row {y} has unknown filter type {filter}."),
            };
        }
    }

    private static int Paeth(int a, int b, int c)
    {
        int p = a + b - c, pa = Math.Abs(p - a), pb = Math.Abs(p - b), pc = Math.Abs(p - c);
        return pa <= pb && pa <= pc ? a : pb <= pc ? b : c;
    }

    private static float Gray(ReadOnlySpan<byte> px, int colorType, int bitDepth, byte[]? palette)
    {
        // 16-bit samples are big-endian; their high byte is within 1/256 of the value, plenty for a model's input.
        int step = bitDepth / 8;
        switch (colorType)
        {
            case 0: return px[0] / 255f;
            case 3:
                int index = px[0] * 3;
                return index + 2 < palette!.Length ? Luma(palette[index] / 255f, palette[index + 1] / 255f, palette[index + 2] / 255f) : 0f;
            case 4: return px[0] / 255f * px[step] / 255f;
            case 2: return Luma(px[0] / 255f, px[step] / 255f, px[2 * step] / 255f);
            default: return Luma(px[0] / 255f, px[step] / 255f, px[2 * step] / 255f) * px[3 * step] / 255f;
        }
    }

    private static float Luma(float r, float g, float b) => 0.299f * r + 0.587f * g + 0.114f * b;
}
