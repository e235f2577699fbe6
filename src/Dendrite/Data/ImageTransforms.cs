using Dendrite.Backends;
using Dendrite.Backends.Cpu;

namespace Dendrite.Data;

/// <summary>A transformation of a batch of images [N, C, H, W], drawing any randomness from the generator it is given.</summary>
public interface IImageTransform
{
    Tensor Apply(Tensor images, Generator generator);
}

/// <summary>
/// Random rotation, translation and scaling per image (torchvision's RandomAffine): angle ~ U(−degrees, degrees),
/// shift ~ U(−translate, translate) × image size on each axis, scale ~ U(1 − scaleJitter, 1 + scaleJitter). Pixels are
/// sampled bilinearly from the inverse map; what comes from outside the image is <paramref name="fill"/>.
/// </summary>
public sealed class RandomAffine(float degrees = 0f, float translate = 0f, float scaleJitter = 0f, float fill = 0f) : IImageTransform
{
    public float Degrees { get; } = degrees >= 0 ? degrees : throw new ArgumentOutOfRangeException(nameof(degrees), $"RandomAffine: degrees must be >= 0, got {degrees}.");
    public float Translate { get; } = translate is >= 0 and < 1 ? translate : throw new ArgumentOutOfRangeException(nameof(translate), $"RandomAffine: translate must be in [0, 1), got {translate}.");
    public float ScaleJitter { get; } = scaleJitter is >= 0 and < 1 ? scaleJitter : throw new ArgumentOutOfRangeException(nameof(scaleJitter), $"RandomAffine: scaleJitter must be in [0, 1), got {scaleJitter}.");
    public float Fill { get; } = fill;

    public Tensor Apply(Tensor images, Generator generator)
    {
        if (images.Rank != 4)
            throw new ShapeMismatchException($"RandomAffine: expected images [N, C, H, W], got {images.Shape}.");
        int n = images.Shape[0], c = images.Shape[1], h = images.Shape[2], w = images.Shape[3];
        // Parameters are drawn in image order before any work is shared out, so the result does not depend on threads.
        var maps = new AffineMap[n];
        for (int i = 0; i < n; i++)
        {
            float angle = (2 * generator.NextFloat() - 1) * Degrees * MathF.PI / 180f;
            float dx = (2 * generator.NextFloat() - 1) * Translate * w, dy = (2 * generator.NextFloat() - 1) * Translate * h;
            float scale = 1 + (2 * generator.NextFloat() - 1) * ScaleJitter;
            maps[i] = AffineMap.Inverse(angle, scale, dx, dy, (w - 1) / 2f, (h - 1) / 2f);
        }
        var output = Tensor.Empty(images.Shape);
        var src = images.HostArray;
        var dst = output.HostArray;
        int srcOffset = images.HostOffset, dstOffset = output.HostOffset, plane = h * w;
        float fill = Fill;
        Threading.For(n, i =>
        {
            for (int ch = 0; ch < c; ch++)
                maps[i].Resample(src.AsSpan(srcOffset + (i * c + ch) * plane, plane), dst.AsSpan(dstOffset + (i * c + ch) * plane, plane), h, w, fill);
        });
        return output;
    }

    /// <summary>Output pixel (x, y) reads source point (a·x + b·y + tx, c·x + d·y + ty).</summary>
    private readonly record struct AffineMap(float A, float B, float Tx, float C, float D, float Ty)
    {
        /// <summary>The inverse of: rotate by angle and scale about the centre, then shift by (dx, dy).</summary>
        public static AffineMap Inverse(float angle, float scale, float dx, float dy, float cx, float cy)
        {
            float cos = MathF.Cos(angle) / scale, sin = MathF.Sin(angle) / scale;
            // p_src = R(−θ)/s · (p − centre − shift) + centre
            float a = cos, b = sin, c = -sin, d = cos;
            float ox = cx + dx, oy = cy + dy;
            return new AffineMap(a, b, cx - a * ox - b * oy, c, d, cy - c * ox - d * oy);
        }

        public void Resample(ReadOnlySpan<float> source, Span<float> target, int h, int w, float fill)
        {
            for (int y = 0; y < h; y++)
                for (int x = 0; x < w; x++)
                {
                    float sx = A * x + B * y + Tx, sy = C * x + D * y + Ty;
                    int x0 = (int)MathF.Floor(sx), y0 = (int)MathF.Floor(sy);
                    float fx = sx - x0, fy = sy - y0;
                    float v00 = Pixel(source, x0, y0, h, w, fill), v01 = Pixel(source, x0 + 1, y0, h, w, fill);
                    float v10 = Pixel(source, x0, y0 + 1, h, w, fill), v11 = Pixel(source, x0 + 1, y0 + 1, h, w, fill);
                    target[y * w + x] = (1 - fy) * ((1 - fx) * v00 + fx * v01) + fy * ((1 - fx) * v10 + fx * v11);
                }
        }

        private static float Pixel(ReadOnlySpan<float> source, int x, int y, int h, int w, float fill) =>
            (uint)x < (uint)w && (uint)y < (uint)h ? source[y * w + x] : fill;
    }
}

/// <summary>(x − mean) / std per channel, as torchvision's Normalize; one value broadcasts to every channel.</summary>
public sealed class Normalize(float[] mean, float[] std) : IImageTransform
{
    public Normalize(float mean, float std) : this([mean], [std]) { }

    public float[] Mean { get; } = mean;
    public float[] Std { get; } = std.All(s => s > 0) ? std : throw new ArgumentOutOfRangeException(nameof(std), "Normalize: every std must be positive.");

    public Tensor Apply(Tensor images, Generator generator)
    {
        if (images.Rank < 2) throw new ShapeMismatchException($"Normalize: expected [N, C, ...], got {images.Shape}.");
        int n = images.Shape[0], c = images.Shape[1], size = images.Numel / Math.Max(1, n * c);
        if (Mean.Length != 1 && Mean.Length != c || Std.Length != 1 && Std.Length != c)
            throw new ShapeMismatchException($"Normalize: {Mean.Length} means and {Std.Length} stds for {c} channels in {images.Shape}.");
        var output = Tensor.Empty(images.Shape);
        for (int i = 0; i < n; i++)
            for (int ch = 0; ch < c; ch++)
            {
                float inv = 1f / Std[Std.Length == 1 ? 0 : ch], m = Mean[Mean.Length == 1 ? 0 : ch];
                Normalization.Affine(images.Data.Slice((i * c + ch) * size, size), inv, -m * inv, output.Data.Slice((i * c + ch) * size, size));
            }
        return output;
    }
}

/// <summary>Transforms applied one after another.</summary>
public sealed class Compose(params IImageTransform[] transforms) : IImageTransform
{
    public IReadOnlyList<IImageTransform> Transforms { get; } = transforms;

    public Tensor Apply(Tensor images, Generator generator)
    {
        foreach (var t in Transforms) images = t.Apply(images, generator);
        return images;
    }
}

/// <summary>
/// A dataset whose input batches pass through <paramref name="transform"/> as they are taken: augmentation for
/// <see cref="DataLoader"/> and <c>Fit</c>. Its own generator, seeded once, makes the sequence of augmented batches
/// reproducible.
/// </summary>
public sealed class TransformedDataset(IDataset inner, IImageTransform transform, ulong seed = 0) : IDataset
{
    private readonly Generator _generator = new(seed);

    public IDataset Inner { get; } = inner;
    public IImageTransform Transform { get; } = transform;
    public int Count => Inner.Count;

    /// <summary>The generator's state, so a checkpoint can resume the same augmentations.</summary>
    public Generator Generator => _generator;

    public (Tensor Input, Tensor Target) this[int index]
    {
        get
        {
            var (x, y) = GetBatch([index]);
            return (x.Reshape(x.Shape.AsSpan()[1..].ToArray()), y.Reshape(y.Shape.AsSpan()[1..].ToArray()));
        }
    }

    public (Tensor Input, Tensor Target) GetBatch(ReadOnlySpan<int> indices)
    {
        var (x, y) = Inner.GetBatch(indices);
        return (Transform.Apply(x, _generator), y);
    }
}
