using System.Buffers.Binary;
using System.IO.Compression;

namespace Dendrite.IO;

/// <summary>
/// Writes tensors as PNG images (8-bit greyscale or RGB), so a user can look at inputs, reconstructions, samples,
/// feature maps and weights. Files are written atomically (<see cref="AtomicFile"/>).
/// </summary>
/// <remarks>
/// Layouts: [H, W] and [1, H, W] become greyscale, [3, H, W] (channels first, as PyTorch) becomes RGB. Values map to
/// 0…255 by <see cref="PixelScale"/>: <see cref="PixelScale.Unit"/> (the default) reads them as intensities in [0, 1],
/// clamping outside; <see cref="PixelScale.MinMax"/> stretches the tensor's own range. NaN is an error, never a pixel.
/// The encoder is ours: unfiltered scanlines compressed by <see cref="ZLibStream"/>, one IDAT chunk, CRC-32 per chunk.
/// </remarks>
public static class Png
{
    private static ReadOnlySpan<byte> Signature => [0x89, (byte)'P', (byte)'N', (byte)'G', 0x0D, 0x0A, 0x1A, 0x0A];

    /// <summary>Writes one image, [H, W], [1, H, W] (greyscale) or [3, H, W] (RGB), to <paramref name="path"/>.</summary>
    /// <exception cref="ShapeMismatchException">The tensor has another shape.</exception>
    /// <exception cref="ArgumentException">A value is NaN.</exception>
    public static void Write(string path, Tensor image, PixelScale scale = PixelScale.Unit)
    {
        var (channels, height, width) = ImageLayout(image, "Png.Write");
        var pixels = ToBytes(image.Data, channels, height * width, scale, "Png.Write");
        WritePixels(path, pixels, width, height, channels);
    }

    /// <summary>
    /// Writes a batch [N, C, H, W] (C = 1 or 3) or [N, H, W] as one image: tiles in rows of <paramref name="columns"/>,
    /// <paramref name="padding"/> pixels apart and around, as torchvision's <c>save_image</c> / <c>make_grid</c>.
    /// </summary>
    /// <param name="padValue">Intensity of the padding in [0, 1] (0 black, 1 white), applied after scaling.</param>
    public static void WriteGrid(string path, Tensor images, int columns = 8, int padding = 2, float padValue = 0f,
        PixelScale scale = PixelScale.Unit)
    {
        int c, h, w;
        if (images.Rank == 3) (c, h, w) = (1, images.Shape[1], images.Shape[2]);
        else if (images.Rank == 4 && (images.Shape[1] == 1 || images.Shape[1] == 3))
            (c, h, w) = (images.Shape[1], images.Shape[2], images.Shape[3]);
        else
            throw new ShapeMismatchException(
                $"Png.WriteGrid: expected a batch [N, 1, H, W], [N, 3, H, W] or [N, H, W], got {images.Shape}.");
        int n = images.Shape[0];
        if (n == 0) throw new ArgumentException("Png.WriteGrid: the batch is empty; there is nothing to draw.");
        if (columns < 1) throw new ArgumentOutOfRangeException(nameof(columns), $"Png.WriteGrid: columns must be >= 1, got {columns}.");
        if (padding < 0) throw new ArgumentOutOfRangeException(nameof(padding), $"Png.WriteGrid: padding must be >= 0, got {padding}.");
        if (!(padValue >= 0f && padValue <= 1f))
            throw new ArgumentOutOfRangeException(nameof(padValue), $"Png.WriteGrid: padValue must lie in [0, 1], got {padValue}.");

        var tiles = ToBytes(images.Data, c, h * w, scale, "Png.WriteGrid");   // scaled over the whole batch
        int cols = Math.Min(columns, n);
        int rows = (n + cols - 1) / cols;
        int gridW = cols * (w + padding) + padding;
        int gridH = rows * (h + padding) + padding;
        var grid = new byte[gridW * gridH * c];
        grid.AsSpan().Fill((byte)MathF.Round(padValue * 255f));
        for (int i = 0; i < n; i++)
        {
            int top = padding + i / cols * (h + padding);
            int left = padding + i % cols * (w + padding);
            for (int y = 0; y < h; y++)
                tiles.AsSpan((i * h + y) * w * c, w * c).CopyTo(grid.AsSpan(((top + y) * gridW + left) * c, w * c));
        }
        WritePixels(path, grid, gridW, gridH, c);
    }

    /// <summary>
    /// Writes equally shaped images ([H, W], [1, H, W] or [3, H, W]) as a grid; see
    /// <see cref="WriteGrid(string, Tensor, int, int, float, PixelScale)"/>.
    /// </summary>
    public static void WriteGrid(string path, IReadOnlyList<Tensor> images, int columns = 8, int padding = 2,
        float padValue = 0f, PixelScale scale = PixelScale.Unit)
    {
        if (images.Count == 0) throw new ArgumentException("Png.WriteGrid: the list is empty; there is nothing to draw.");
        var first = images[0].Shape;
        var (c, h, w) = ImageLayout(images[0], "Png.WriteGrid");
        var batch = Tensor.Empty(images.Count, c, h, w);
        for (int i = 0; i < images.Count; i++)
        {
            if (images[i].Shape != first)
                throw new ShapeMismatchException(
                    $"Png.WriteGrid: every image must have the first one's shape {first}, but image {i} has {images[i].Shape}.");
            images[i].Data.CopyTo(batch.Data.Slice(i * c * h * w, c * h * w));
        }
        WriteGrid(path, batch, columns, padding, padValue, scale);
    }

    /// <summary>
    /// Writes raw 8-bit pixels, row-major with interleaved channels (1 = greyscale, 3 = RGB, 4 = RGBA), atomically.
    /// </summary>
    public static void WritePixels(string path, ReadOnlySpan<byte> pixels, int width, int height, int channels)
    {
        byte[] file = Encode(pixels, width, height, channels);
        AtomicFile.Write(path, s => s.Write(file));
    }

    /// <summary>The PNG file for raw 8-bit pixels (row-major, channels interleaved: 1 grey, 2 grey+alpha, 3 RGB, 4 RGBA).</summary>
    public static byte[] Encode(ReadOnlySpan<byte> pixels, int width, int height, int channels)
    {
        if (width < 1 || height < 1)
            throw new ArgumentOutOfRangeException(nameof(width), $"Png.Encode: width and height must be >= 1, got {width}x{height}.");
        byte colorType = channels switch
        {
            1 => 0,
            2 => 4,
            3 => 2,
            4 => 6,
            _ => throw new ArgumentOutOfRangeException(nameof(channels), $"Png.Encode: channels must be 1, 2, 3 or 4, got {channels}."),
        };
        long expected = (long)width * height * channels;
        if (pixels.Length != expected)
            throw new ArgumentException($"Png.Encode: {width}x{height}x{channels} needs {expected} bytes, got {pixels.Length}.");

        var file = new MemoryStream();
        file.Write(Signature);
        Span<byte> header = stackalloc byte[13];
        BinaryPrimitives.WriteInt32BigEndian(header, width);
        BinaryPrimitives.WriteInt32BigEndian(header[4..], height);
        header[8] = 8;           // bits per sample
        header[9] = colorType;
        header[10] = 0;          // compression: deflate
        header[11] = 0;          // filter method 0 (five per-row filters)
        header[12] = 0;          // no interlace
        WriteChunk(file, "IHDR"u8, header);

        var compressed = new MemoryStream();
        using (var zlib = new ZLibStream(compressed, CompressionLevel.Optimal, leaveOpen: true))
        {
            int stride = width * channels;
            for (int y = 0; y < height; y++)
            {
                // Filter type 0 (None) on every row: simple, and deflate alone keeps MNIST-like images small.
                zlib.WriteByte(0);
                zlib.Write(pixels.Slice(y * stride, stride));
            }
        }
        WriteChunk(file, "IDAT"u8, compressed.GetBuffer().AsSpan(0, (int)compressed.Length));
        WriteChunk(file, "IEND"u8, []);
        return file.ToArray();
    }

    private static void WriteChunk(Stream stream, ReadOnlySpan<byte> type, ReadOnlySpan<byte> data)
    {
        Span<byte> word = stackalloc byte[4];
        BinaryPrimitives.WriteInt32BigEndian(word, data.Length);
        stream.Write(word);
        stream.Write(type);
        stream.Write(data);
        BinaryPrimitives.WriteUInt32BigEndian(word, Crc32.Append(Crc32.Append(0, type), data));   // type and data, not length
        stream.Write(word);
    }

    internal static (int Channels, int Height, int Width) ImageLayout(Tensor image, string op) => image.Rank switch
    {
        2 => (1, image.Shape[0], image.Shape[1]),
        3 when image.Shape[0] is 1 or 3 => (image.Shape[0], image.Shape[1], image.Shape[2]),
        _ => throw new ShapeMismatchException(
            $"{op}: expected an image [H, W], [1, H, W] or [3, H, W], got {image.Shape}. Hint: for a batch use Png.WriteGrid."),
    };

    /// <summary>
    /// Channel-first floats [blocks, channels, planeSize] (as tensors hold images) to interleaved bytes
    /// [blocks, planeSize, channels], scaled by <paramref name="scale"/> over all of <paramref name="values"/>.
    /// </summary>
    internal static byte[] ToBytes(ReadOnlySpan<float> values, int channels, int planeSize, PixelScale scale, string op)
    {
        for (int i = 0; i < values.Length; i++)
            if (float.IsNaN(values[i]))
                throw new ArgumentException($"{op}: value {i} of the tensor is NaN; it has no pixel intensity.");
        float low = 0f, high = 1f;
        if (scale == PixelScale.MinMax && values.Length > 0)
        {
            low = float.PositiveInfinity;
            high = float.NegativeInfinity;
            foreach (float v in values)
            {
                low = MathF.Min(low, v);
                high = MathF.Max(high, v);
            }
        }
        float factor = high > low ? 255f / (high - low) : 0f;
        var bytes = new byte[values.Length];
        int blockSize = channels * planeSize;
        for (int i = 0; i < values.Length; i++)
        {
            int block = i / blockSize;
            int ch = i % blockSize / planeSize;
            int p = i % planeSize;
            // Subtract before scaling so MinMax puts the minimum exactly at 0 and the maximum exactly at 255.
            float v = Math.Clamp((values[i] - low) * factor, 0f, 255f);
            bytes[(block * planeSize + p) * channels + ch] = (byte)MathF.Round(v, MidpointRounding.AwayFromZero);
        }
        return bytes;
    }
}
