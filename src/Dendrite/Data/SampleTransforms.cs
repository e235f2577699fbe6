namespace Dendrite.Data;

/// <summary>
/// A transformation of one image [C, H, W] as it is loaded (torchvision's per-sample transforms), drawing any
/// randomness from the generator it is given. Unlike <see cref="IImageTransform"/>, which works on a batch of equal
/// sizes, a sample transform may change the size, so it can bring images of different sizes to one.
/// </summary>
public interface ISampleTransform
{
    Tensor Apply(Tensor image, Generator generator);
}

/// <summary>Sample transforms applied one after another.</summary>
public sealed class SampleCompose(params ISampleTransform[] transforms) : ISampleTransform
{
    public IReadOnlyList<ISampleTransform> Transforms { get; } = transforms;

    public Tensor Apply(Tensor image, Generator generator)
    {
        foreach (var t in Transforms) image = t.Apply(image, generator);
        return image;
    }
}

/// <summary>
/// Mirrors the image left to right with probability <see cref="Probability"/> (torchvision's RandomHorizontalFlip).
/// </summary>
public sealed class RandomHorizontalFlip(float probability = 0.5f) : ISampleTransform
{
    public float Probability { get; } = probability is >= 0 and <= 1 ? probability
        : throw new ArgumentOutOfRangeException(nameof(probability),
            $"RandomHorizontalFlip: probability must be in [0, 1], got {probability}.");

    public Tensor Apply(Tensor image, Generator generator)
    {
        var (c, h, w) = ImageShape.Of(image, nameof(RandomHorizontalFlip));
        if (generator.NextFloat() >= Probability) return image;
        var output = Tensor.Empty(c, h, w);
        var src = image.Data;
        var dst = output.Data;
        for (int row = 0; row < c * h; row++)
            for (int x = 0; x < w; x++) dst[row * w + x] = src[row * w + w - 1 - x];
        return output;
    }
}

/// <summary>
/// The central <see cref="Height"/> × <see cref="Width"/> window (torchvision's CenterCrop; odd margins put the extra
/// pixel at the bottom/right).
/// </summary>
public sealed class CenterCrop(int height, int width) : ISampleTransform
{
    public CenterCrop(int size) : this(size, size) { }

    public int Height { get; } = ImageShape.Positive(height, nameof(CenterCrop));
    public int Width { get; } = ImageShape.Positive(width, nameof(CenterCrop));

    public Tensor Apply(Tensor image, Generator generator)
    {
        var (_, h, w) = ImageShape.Of(image, nameof(CenterCrop));
        ImageShape.Fits(h, w, Height, Width, 0, nameof(CenterCrop));
        return ImageShape.Crop(image, (h - Height) / 2, (w - Width) / 2, Height, Width, 0, 0f);
    }
}

/// <summary>
/// A <see cref="Height"/> × <see cref="Width"/> window at a random place (torchvision's RandomCrop), after padding
/// every side with <see cref="Padding"/> pixels of value <see cref="Fill"/>: a small random shift of the content.
/// </summary>
public sealed class RandomCrop(int height, int width, int padding = 0, float fill = 0f) : ISampleTransform
{
    public RandomCrop(int size, int padding = 0) : this(size, size, padding) { }

    public int Height { get; } = ImageShape.Positive(height, nameof(RandomCrop));
    public int Width { get; } = ImageShape.Positive(width, nameof(RandomCrop));
    public int Padding { get; } = padding >= 0 ? padding : throw new ArgumentOutOfRangeException(nameof(padding),
        $"RandomCrop: padding must be >= 0, got {padding}.");
    public float Fill { get; } = fill;

    public Tensor Apply(Tensor image, Generator generator)
    {
        var (_, h, w) = ImageShape.Of(image, nameof(RandomCrop));
        ImageShape.Fits(h, w, Height, Width, Padding, nameof(RandomCrop));
        int top = generator.NextInt(h + 2 * Padding - Height + 1);
        int left = generator.NextInt(w + 2 * Padding - Width + 1);
        return ImageShape.Crop(image, top, left, Height, Width, Padding, Fill);
    }
}

/// <summary>
/// Resizes to <see cref="Height"/> × <see cref="Width"/> by bilinear interpolation with pixel centres aligned
/// (PyTorch's <c>interpolate(mode="bilinear", align_corners=False)</c>, without antialiasing: shrinking by more than
/// half skips pixels, so crop or resize in steps for large reductions).
/// </summary>
public sealed class Resize(int height, int width) : ISampleTransform
{
    public Resize(int size) : this(size, size) { }

    public int Height { get; } = ImageShape.Positive(height, nameof(Resize));
    public int Width { get; } = ImageShape.Positive(width, nameof(Resize));

    public Tensor Apply(Tensor image, Generator generator)
    {
        var (c, h, w) = ImageShape.Of(image, nameof(Resize));
        if (h == Height && w == Width) return image;
        var output = Tensor.Empty(c, Height, Width);
        var src = image.Data;
        var dst = output.Data;
        float sy = (float)h / Height, sx = (float)w / Width;
        for (int y = 0; y < Height; y++)
        {
            float fy = Math.Max(0f, (y + 0.5f) * sy - 0.5f);
            int y0 = Math.Min((int)fy, h - 1), y1 = Math.Min(y0 + 1, h - 1);
            float wy = fy - y0;
            for (int x = 0; x < Width; x++)
            {
                float fx = Math.Max(0f, (x + 0.5f) * sx - 0.5f);
                int x0 = Math.Min((int)fx, w - 1), x1 = Math.Min(x0 + 1, w - 1);
                float wx = fx - x0;
                for (int ch = 0; ch < c; ch++)
                {
                    int p = ch * h * w;
                    float top = src[p + y0 * w + x0] * (1 - wx) + src[p + y0 * w + x1] * wx;
                    float bottom = src[p + y1 * w + x0] * (1 - wx) + src[p + y1 * w + x1] * wx;
                    dst[(ch * Height + y) * Width + x] = top * (1 - wy) + bottom * wy;
                }
            }
        }
        return output;
    }
}

/// <summary>
/// Random brightness, contrast and saturation (torchvision's ColorJitter, without hue): each factor is drawn from
/// U(max(0, 1 − j), 1 + j) and applied in that fixed order, results clamped to [0, 1]. Brightness scales the pixels;
/// contrast blends with the image's mean grey level; saturation blends with the pixel's grey level (RGB only; a grey
/// image has none to change). torchvision draws the order at random too; a fixed order keeps runs easy to reason about.
/// </summary>
public sealed class ColorJitter(float brightness = 0f, float contrast = 0f, float saturation = 0f) : ISampleTransform
{
    public float Brightness { get; } = NonNegative(brightness, nameof(brightness));
    public float Contrast { get; } = NonNegative(contrast, nameof(contrast));
    public float Saturation { get; } = NonNegative(saturation, nameof(saturation));

    public Tensor Apply(Tensor image, Generator generator)
    {
        var (c, h, w) = ImageShape.Of(image, nameof(ColorJitter));
        float b = Factor(Brightness, generator), k = Factor(Contrast, generator), s = Factor(Saturation, generator);
        var output = Tensor.Empty(c, h, w);
        var src = image.Data;
        var dst = output.Data;
        int plane = h * w;
        for (int i = 0; i < dst.Length; i++) dst[i] = Math.Clamp(src[i] * b, 0f, 1f);
        if (k != 1f)
        {
            double sum = 0;
            for (int i = 0; i < plane; i++) sum += Grey(dst, i, plane, c);
            float mean = (float)(sum / plane);
            for (int i = 0; i < dst.Length; i++) dst[i] = Math.Clamp(k * dst[i] + (1 - k) * mean, 0f, 1f);
        }
        if (s != 1f && c == 3)
            for (int i = 0; i < plane; i++)
            {
                float grey = Grey(dst, i, plane, c);
                for (int ch = 0; ch < 3; ch++)
                    dst[ch * plane + i] = Math.Clamp(s * dst[ch * plane + i] + (1 - s) * grey, 0f, 1f);
            }
        return output;
    }

    /// <summary>ITU-R 601 luma, the weights torchvision's rgb_to_grayscale uses; a grey image is its own.</summary>
    private static float Grey(Span<float> d, int i, int plane, int c) =>
        c == 3 ? 0.299f * d[i] + 0.587f * d[plane + i] + 0.114f * d[2 * plane + i] : d[i];

    private static float Factor(float jitter, Generator generator) =>
        jitter == 0 ? 1f : Math.Max(0f, 1 - jitter) + generator.NextFloat() * (1 + jitter - Math.Max(0f, 1 - jitter));

    private static float NonNegative(float value, string name) => value >= 0 ? value
        : throw new ArgumentOutOfRangeException(name, $"ColorJitter: {name} must be >= 0, got {value}.");
}

/// <summary>Shape checks and the crop that the sample transforms share.</summary>
internal static class ImageShape
{
    public static (int C, int H, int W) Of(Tensor image, string transform) => image.Rank == 3
        ? (image.Shape[0], image.Shape[1], image.Shape[2])
        : throw new ShapeMismatchException($"{transform}: expected one image [C, H, W], got {image.Shape}.");

    public static int Positive(int size, string transform) => size >= 1 ? size
        : throw new ArgumentOutOfRangeException(nameof(size), $"{transform}: sizes must be >= 1, got {size}.");

    public static void Fits(int h, int w, int height, int width, int padding, string transform)
    {
        if (height > h + 2 * padding || width > w + 2 * padding)
            throw new ShapeMismatchException(
                $"{transform}: a {height}x{width} window does not fit a {h}x{w} " +
                $"image{(padding > 0 ? $" padded by {padding}" : "")}. Hint: Resize first.");
    }

    /// <summary>
    /// The window at (top, left) of the image padded by <paramref name="padding"/> on every side with
    /// <paramref name="fill"/>.
    /// </summary>
    public static Tensor Crop(Tensor image, int top, int left, int height, int width, int padding, float fill)
    {
        var (c, h, w) = Of(image, nameof(Crop));
        var output = Tensor.Empty(c, height, width);
        var src = image.Data;
        var dst = output.Data;
        for (int ch = 0; ch < c; ch++)
            for (int y = 0; y < height; y++)
                for (int x = 0; x < width; x++)
                {
                    int sy = top + y - padding, sx = left + x - padding;
                    bool inside = (uint)sy < (uint)h && (uint)sx < (uint)w;
                    dst[(ch * height + y) * width + x] = inside ? src[(ch * h + sy) * w + sx] : fill;
                }
        return output;
    }
}
