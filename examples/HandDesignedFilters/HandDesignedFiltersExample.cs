using Dendrite.IO;
using Dendrite.Visualization;

namespace Dendrite.Examples.HandDesignedFilters;

/// <summary>
/// Convolution before learning: 3×3 line detectors written by hand and slid over a digit with <see cref="F.Conv2d"/>,
/// and the lecture's "convolution is a pattern matcher" in three numbers.
/// </summary>
public static class HandDesignedFiltersExample
{
    /// <summary>The detectors' names, in the order of <see cref="Detectors"/>.</summary>
    public static IReadOnlyList<string> DetectorNames { get; } = ["vertical", "horizontal", "diagonal \\", "diagonal /"];

    /// <summary>
    /// Four line detectors as a Conv2d weight [4, 1, 3, 3]: 2 along the line and −1 beside it. Each sums to zero, so a
    /// flat region (all ink or all paper) scores 0 and only a line of the detector's direction scores high.
    /// </summary>
    public static Tensor Detectors() => Tensor.FromArray(
    [
        -1, 2, -1,    -1, 2, -1,    -1, 2, -1,      // vertical |
        -1, -1, -1,    2, 2, 2,     -1, -1, -1,     // horizontal —
         2, -1, -1,   -1, 2, -1,    -1, -1, 2,      // diagonal \ (top-left to bottom-right)
        -1, -1, 2,    -1, 2, -1,     2, -1, -1,     // diagonal / (top-right to bottom-left)
    ], 4, 1, 3, 3);

    /// <summary>
    /// The detectors' responses to <paramref name="image"/> ([H, W], [1, H, W] or [1, 1, H, W]): [1, 4, H, W], padded
    /// by one pixel so the maps keep the image's size.
    /// </summary>
    public static Tensor FeatureMaps(Tensor image)
    {
        int h = image.Shape[^2], w = image.Shape[^1];
        if (image.Numel != h * w)
            throw new ShapeMismatchException($"FeatureMaps: expected one greyscale image [H, W], [1, H, W] or [1, 1, H, W], got {image.Shape}.");
        using var _ = Tensor.NoGrad();
        return F.Conv2d(image.Reshape(1, 1, h, w), Detectors(), padding: 1);
    }

    /// <summary>The pattern of the lecture: a diagonal line, [1, 1, 3, 3] = [[1, 0, 0], [0, 1, 0], [0, 0, 1]].</summary>
    public static Tensor DiagonalPattern() => Tensor.FromArray([1, 0, 0, 0, 1, 0, 0, 0, 1], 1, 1, 3, 3);

    /// <summary>
    /// Three 3×3 patches side by side, one image [1, 1, 3, 9]: the diagonal itself; the other diagonal, which crosses it
    /// in the centre pixel only; and the same diagonal shifted one pixel right, which it never touches.
    /// </summary>
    public static Tensor Patches() => Tensor.FromArray(
    [
        1, 0, 0,   0, 0, 1,   0, 1, 0,
        0, 1, 0,   0, 1, 0,   0, 0, 1,
        0, 0, 1,   1, 0, 0,   0, 0, 0,
    ], 1, 1, 3, 9);

    /// <summary>
    /// The pattern scored against each patch by one convolution with stride 3: the sum of pattern × patch, pixel by
    /// pixel, counts the pixels where both are on. Returns 3, 1, 0.
    /// </summary>
    public static float[] PatternScores()
    {
        using var _ = Tensor.NoGrad();
        return F.Conv2d(Patches(), DiagonalPattern(), stride: 3).ToArray();   // [1, 1, 1, 3]
    }

    /// <summary>
    /// Writes into <paramref name="directory"/> the digit ("digit.png"), the four detectors ("detectors.png") and their
    /// feature maps ("feature-maps.png", in the order of <see cref="DetectorNames"/>, each map scaled to its own range).
    /// </summary>
    /// <returns>The files written.</returns>
    public static IReadOnlyList<string> WritePictures(string directory, Tensor image)
    {
        Directory.CreateDirectory(directory);
        string digit = Path.Combine(directory, "digit.png"), detectors = Path.Combine(directory, "detectors.png"),
            maps = Path.Combine(directory, "feature-maps.png");
        Png.Write(digit, image.Reshape(image.Shape[^2], image.Shape[^1]));
        ConvViz.WriteFilters(detectors, Detectors(), scale: 16);
        ConvViz.WriteFeatureMaps(maps, FeatureMaps(image), scale: 4);
        return [digit, detectors, maps];
    }
}
