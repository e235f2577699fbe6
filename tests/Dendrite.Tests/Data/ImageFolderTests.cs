using System.Globalization;
using Dendrite.Data;
using Dendrite.IO;
using Dendrite.Optim;
using Dendrite.Tests.TestSupport;
using Dendrite.Tests.Training;
using Dendrite.Training;
using Xunit.Abstractions;

namespace Dendrite.Tests.Data;

public class ImageFolderTests(ITestOutputHelper output)
{
    /// <summary>
    /// Writes <paramref name="count"/> images of <paramref name="data"/> as root/&lt;label&gt;/&lt;index&gt;.png (ten class
    /// folders for MNIST) and returns, in the folder's sample order, the dataset index each file came from.
    /// </summary>
    internal static int[] WritePngFolder(TensorDataset data, int count, string root)
    {
        for (int i = 0; i < count; i++)
        {
            var (image, label) = data[i];
            string folder = Path.Combine(root, ((int)label.Item()).ToString(CultureInfo.InvariantCulture));
            Directory.CreateDirectory(folder);
            var pixels = image.ToArray().Select(v => (byte)MathF.Round(v * 255)).ToArray();
            // Plain writes: Png.Write's atomic, flushed-to-disk write costs a disk sync per file, minutes for 10,000.
            File.WriteAllBytes(Path.Combine(folder, i.ToString("D5", CultureInfo.InvariantCulture) + ".png"),
                Png.Encode(pixels, image.Shape[2], image.Shape[1], image.Shape[0]));
        }
        return [.. new ImageFolder(root, channels: 1).Files.Select(f => int.Parse(Path.GetFileNameWithoutExtension(f), CultureInfo.InvariantCulture))];
    }

    [Fact]
    public void Class_folders_give_sorted_class_names_and_labels_and_mismatched_sizes_are_named()
    {
        using var dir = new TempDirectory();
        foreach (var (cls, name, size) in new[] { ("dog", "b.png", 2), ("cat", "a.png", 2), ("dog", "a.png", 3) })
        {
            Directory.CreateDirectory(Path.Combine(dir.Path, cls));
            Png.Write(Path.Combine(dir.Path, cls, name), Tensor.Full(new Shape(3, size, size), 0.5f));
        }
        File.WriteAllText(Path.Combine(dir.Path, "dog", "notes.txt"), "not an image, skipped");
        var folder = new ImageFolder(dir.Path);
        Assert.Equal(["cat", "dog"], folder.ClassNames);
        Assert.Equal([0, 1, 1], Enumerable.Range(0, 3).Select(folder.LabelOf));
        Assert.EndsWith(Path.Combine("dog", "a.png"), folder.Files[1]);
        var e = Assert.Throws<ShapeMismatchException>(() => folder.GetBatch([0, 1]));
        Assert.Contains("a batch needs one size", e.Message);
        var resized = new ImageFolder(dir.Path, transform: new Resize(2));
        var (x, y) = resized.GetBatch([0, 1, 2]);
        Assert.Equal(new Shape(3, 3, 2, 2), x.Shape);
        Assert.Equal([0f, 1f, 1f], y.ToArray());
        Assert.All(x.ToArray(), v => Assert.Equal(128 / 255f, v));
        var (one, label) = resized[2];
        Assert.Equal(new Shape(3, 2, 2), one.Shape);
        Assert.Equal(1f, label.Item());
    }

    [Fact]
    public void Mnist_test_set_as_png_folders_trains_like_the_idx_path()
    {
        // The MNIST test set written out as ten class folders of PNGs; the folder's samples are the same pixels as the
        // IDX tensors, so the same model, seeds and order train to the same bits. Per-sample augmentation then trains
        // through the folder to about the same accuracy.
        using var dir = new TempDirectory();
        var idx = MnistData.Test;
        int[] source = WritePngFolder(idx, idx.Count, dir.Path);
        var folder = new ImageFolder(dir.Path, channels: 1);
        Assert.Equal(10, folder.ClassNames.Count);
        Assert.Equal(10000, folder.Count);
        var sameOrder = new Subset(idx, source);
        Assert.Equal(sameOrder.GetBatch([0, 4321, 9999]).Input.ToArray(), folder.GetBatch([0, 4321, 9999]).Input.ToArray());

        History Train(IDataset data, IDataset validation)
        {
            var model = FitTests.W1(seed: 1);
            return model.Fit(data, new Adam(model.Parameters(), lr: 1e-3f), Losses.CrossEntropy, epochs: 2, batchSize: 64,
                validation: validation, seed: 1, verbose: false);
        }
        var idxParts = Splits.Stratified(sameOrder, 0.2, seed: 3);
        var folderParts = Splits.Stratified(folder, 0.2, seed: 3);
        Assert.Equal(idxParts.Test.Indices, folderParts.Test.Indices);
        var fromIdx = Train(idxParts.Train, idxParts.Test);
        var fromPng = Train(folderParts.Train, folderParts.Test);
        Assert.Equal(fromIdx["loss"], fromPng["loss"]);
        Assert.Equal(fromIdx["val_accuracy"], fromPng["val_accuracy"]);

        var augmented = new ImageFolder(dir.Path, channels: 1, transform: new RandomCrop(28, padding: 2), seed: 4);
        var fromAugmented = Train(new Subset(augmented, folderParts.Train.Indices), folderParts.Test);
        output.WriteLine($"held-out accuracy: IDX {fromIdx["val_accuracy"][^1]:P2}, PNG folder {fromPng["val_accuracy"][^1]:P2}, " +
                         $"PNG folder with RandomCrop {fromAugmented["val_accuracy"][^1]:P2}");
        Assert.True(fromIdx["val_accuracy"][^1] >= 0.9, $"IDX path {fromIdx["val_accuracy"][^1]:P2}");
        Assert.True(fromAugmented["val_accuracy"][^1] >= fromIdx["val_accuracy"][^1] - 0.02,
            $"augmented {fromAugmented["val_accuracy"][^1]:P2} vs {fromIdx["val_accuracy"][^1]:P2}");
    }
}
