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

    private static Tensor FromStb(byte[] bytes, string path, int channels)
    {
        ImageResult image;
        try
        {
            image = ImageResult.FromMemory(bytes, channels == 1 ? ColorComponents.Grey : ColorComponents.RedGreenBlue);
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            // stb_image reports a damaged or unsupported file with a bare Exception ("unknown image type", "bad png
            // sig"…).
            throw new DataFormatException($"{path}: not an image StbImageSharp can decode ({e.Message}).", e);
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
