using Dendrite.Examples.HandDesignedFilters;
using Dendrite.Tests.TestSupport;
using StbImageSharp;

namespace Dendrite.Tests.Examples;

public class HandDesignedFiltersExampleTests
{
    [Fact]
    public void Diagonal_pattern_scores_3_1_and_0_as_in_the_lecture() =>
        Assert.Equal(new[] { 3f, 1f, 0f }, HandDesignedFiltersExample.PatternScores());

    [Fact]
    public void A_vertical_line_excites_only_the_vertical_detector()
    {
        var image = Tensor.Zeros(7, 7);
        for (int y = 0; y < 7; y++) image[y, 3] = 1f;

        var maps = HandDesignedFiltersExample.FeatureMaps(image);

        Assert.Equal(new Shape(1, 4, 7, 7), maps.Shape);
        // On the line: 2 + 2 + 2 for the vertical detector; the others see 2 − 1 − 1 along their own direction = 0.
        Assert.Equal(new[] { 6f, 0f, 0f, 0f }, Enumerable.Range(0, 4).Select(d => maps[0, d, 3, 3]));
        // Beside the line the vertical detector sees it with its −1 column: −3.
        Assert.Equal(-3f, maps[0, 0, 3, 2]);
    }

    [Fact]
    public void Detectors_ignore_flat_regions()
    {
        var maps = HandDesignedFiltersExample.FeatureMaps(Tensor.Ones(5, 5));
        for (int d = 0; d < 4; d++) Assert.Equal(0f, maps[0, d, 2, 2]);   // each detector sums to zero
    }

    [Fact]
    public void Pictures_are_the_digit_the_detectors_and_four_maps()
    {
        using var dir = new TempDirectory();
        var (digit, _) = MnistData.Test[0];

        var files = HandDesignedFiltersExample.WritePictures(dir.Path, digit);

        var decoded = files.Select(f => ImageResult.FromMemory(File.ReadAllBytes(f), ColorComponents.Default)).ToArray();
        Assert.Equal((28, 28), (decoded[0].Width, decoded[0].Height));
        Assert.Equal((4 * 50 + 2, 52), (decoded[1].Width, decoded[1].Height));     // 3×3 × 16 = 48-pixel tiles
        Assert.Equal((4 * 114 + 2, 116), (decoded[2].Width, decoded[2].Height));   // 28×28 × 4 = 112-pixel tiles
        var detectors = decoded[1];
        // The vertical detector's top row −1, 2, −1: black, white, black, 16 pixels each; grey lines between tiles.
        Assert.Equal(0, detectors.Data[2 * detectors.Width + 2]);
        Assert.Equal(255, detectors.Data[2 * detectors.Width + 2 + 16]);
        Assert.Equal(0, detectors.Data[2 * detectors.Width + 2 + 32]);
        Assert.Equal(128, detectors.Data[0]);
    }
}
