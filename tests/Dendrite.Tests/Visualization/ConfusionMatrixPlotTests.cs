using Dendrite.Tests.TestSupport;
using Dendrite.Training;
using Dendrite.Visualization;
using StbImageSharp;

namespace Dendrite.Tests.Visualization;

// The PNG is read back by StbImageSharp, a decoder that shares no code with our writer.
public class ConfusionMatrixPlotTests
{
    [Fact]
    public void Squares_are_shaded_by_the_rows_share_and_the_file_decodes()
    {
        // Row 0: 3 of 3 right (full blue); row 1: 1 of 2 right (half), 1 wrong (half).
        var matrix = new ConfusionMatrix([0, 0, 0, 1, 1], [0, 0, 0, 1, 0]);
        using var dir = new TempDirectory();
        string path = dir.File("confusion.png");
        ConfusionMatrixPlot.Save(matrix, path, cell: 40);
        var image = ImageResult.FromMemory(File.ReadAllBytes(path), ColorComponents.RedGreenBlue);
        Assert.Equal(28 + 2 * 40 + 8, image.Width);
        Assert.Equal(image.Width, image.Height);
        Rgb At(int x, int y) => new(image.Data[(y * image.Width + x) * 3], image.Data[(y * image.Width + x) * 3 + 1], image.Data[(y * image.Width + x) * 3 + 2]);
        // A corner pixel of each square, clear of the count written in its middle.
        Assert.Equal(ConfusionMatrixPlot.Blend(1.0), At(28 + 1, 28 + 1));
        Assert.Equal(Rgb.White, At(28 + 40 + 1, 28 + 1));
        Assert.Equal(ConfusionMatrixPlot.Blend(0.5), At(28 + 1, 28 + 40 + 1));
        Assert.Equal(ConfusionMatrixPlot.Blend(0.5), At(28 + 40 + 1, 28 + 40 + 1));
        Assert.Equal(new Rgb(8, 69, 148), ConfusionMatrixPlot.Blend(1.0));
    }
}
