using StbImageSharp;

namespace Dendrite.Data;

/// <summary>
/// Decodes image files into tensors [C, H, W] with values in [0, 1] (torchvision's <c>ToTensor</c>): PNG, JPEG, BMP,
/// GIF and TGA through StbImageSharp (a pure managed port of stb_image), and greyscale TIFF through <see cref="Tiff"/>
/// (16-bit samples divided by 65535, 8-bit by 255). C is 1 (grey) or 3 (RGB) as asked, converting as needed:
/// grey is replicated to RGB, and RGB becomes grey as stb_image computes luma.
/// </summary>
public static class ImageFile
{
    /// <summary>The file extensions <see cref="Load"/> reads (lower case, with the dot).</summary>
    public static IReadOnlySet<string> Extensions { get; } =
        new HashSet<string>([".png",
            ".jpg", ".jpeg", ".bmp", ".gif", ".tga", ".tif", ".tiff"], StringComparer.OrdinalIgnoreCase);

    /// <summary>
    /// The most pixels (width × height) an image file may declare, checked from its header before anything is decoded or
    /// allocated: 2^26 (an 8192 × 8192 image) by default. Raise it for larger images.
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException">Set below 1 or above 2^30.</exception>
    public static long MaxPixels
    {
        get => Interlocked.Read(ref s_maxPixels);
        set => Interlocked.Exchange(ref s_maxPixels, value is >= 1 and <= 1L << 30 ? value
            : throw new ArgumentOutOfRangeException(nameof(value), $"ImageFile.MaxPixels must lie in [1, 2^30], got {value}."));
    }

    private static long s_maxPixels = 1L << 26;

    /// <summary>Loads <paramref name="path"/> as [channels, H, W] in [0, 1].</summary>
    /// <param name="channels">1 for grey, 3 for RGB.</param>
    /// <exception cref="DataFormatException">The file is not an image of a supported kind; the message names
    /// it.</exception>
    public static Tensor Load(string path, int channels = 3)
    {
        if (channels is not (1 or 3))
            throw new ArgumentOutOfRangeException(nameof(channels),
                $"ImageFile.Load: channels must be 1 (grey) or 3 (RGB), got {channels}.");
        if (!File.Exists(path)) throw new FileNotFoundException($"ImageFile: file not found: {path}", path);
        byte[] bytes = File.ReadAllBytes(path);
        return Tiff.IsTiff(bytes) ? FromTiff(Tiff.Decode(bytes, path), channels) : FromStb(bytes, path, channels);
    }

    private static Tensor FromTiff(TiffImage image, int channels)
    {
        int plane = image.Width * image.Height;
        float scale = 1f / ((1 << image.BitsPerSample) - 1);
        var tensor = Tensor.Empty(channels, image.Height, image.Width);
        var d = tensor.Data;
        for (int i = 0; i < plane; i++) d[i] = image.Samples[i] * scale;
        for (int c = 1; c < channels; c++) d[..plane].CopyTo(d[(c * plane)..]);
        return tensor;
    }

    private static ReadOnlySpan<byte> PngSignature => [0x89, (byte)'P', (byte)'N', (byte)'G', 0x0D, 0x0A, 0x1A, 0x0A];

    // stb_image grows its buffer for the compressed data to the lengths the chunks declare (up to 1 GB each) before it
    // reads them: a PNG whose chunk claims more bytes than the file holds is refused here first.
    private static void CheckPngChunks(byte[] bytes, string path)
    {
        long position = PngSignature.Length;
        while (position + 8 <= bytes.Length)
        {
            uint length = System.Buffers.Binary.BinaryPrimitives.ReadUInt32BigEndian(bytes.AsSpan((int)position));
            string type = MessageText.Printable(System.Text.Encoding.Latin1.GetString(bytes, (int)position + 4, 4));
            if (position + 12 + length > bytes.Length)
                throw new DataFormatException($"{path}: PNG chunk \"{type}\" at offset {position} declares {length} bytes of data, " +
                    $"past the end of the file ({bytes.Length} bytes).");
            if (type == "IEND") return;
            position += 12 + length;
        }
    }

    private static Tensor FromStb(byte[] bytes, string path, int channels)
    {
        if (bytes.AsSpan().StartsWith(PngSignature)) CheckPngChunks(bytes, path);
        ImageResult image;
        try
        {
            // The header alone first: stb_image allocates the decoded size before it finds the data missing.
            if (ImageInfo.FromStream(new MemoryStream(bytes, writable: false)) is { } info
                && (info.Width < 1 || info.Height < 1 || (long)info.Width * info.Height > MaxPixels))
                throw new DataFormatException(
                    $"{path}: the header declares {info.Width}x{info.Height} pixels; ImageFile.MaxPixels allows {MaxPixels}.");
            image = ImageResult.FromMemory(bytes, channels == 1 ? ColorComponents.Grey : ColorComponents.RedGreenBlue);
        }
        catch (Exception e) when (e is not (OutOfMemoryException or DataFormatException))
        {
            // stb_image reports a damaged or unsupported file with a bare Exception ("unknown image type", "bad png
            // sig"…).
            // For an unknown critical chunk its message is the chunk's type in a fixed buffer, NUL padding and all: drop the
            // NULs, escape the rest, and say what it is.
            string reason = MessageText.Printable(e.Message.Replace("\0", ""));
            if (e.Message.Contains('\0')) reason = $"unknown chunk type \"{reason}\"";
            throw new DataFormatException($"{path}: not an image StbImageSharp can decode ({reason}).", e);
        }
        int plane = image.Width * image.Height;
        var tensor = Tensor.Empty(channels, image.Height, image.Width);
        var d = tensor.Data;
        // stb gives interleaved HWC bytes; the tensor is CHW.
        for (int i = 0; i < plane; i++)
            for (int c = 0; c < channels; c++) d[c * plane + i] = image.Data[i * channels + c] / 255f;
        return tensor;
    }
}
