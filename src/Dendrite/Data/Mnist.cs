namespace Dendrite.Data;

/// <summary>
/// The MNIST digits: 60,000 training and 10,000 test images of 28×28 pixels. Images come as [N, 1, 28, 28] with
/// pixels byte/255 in [0, 1] (no other normalisation), labels as class indices [N].
/// </summary>
public static class Mnist
{
    public const string TrainImages = "train-images-idx3-ubyte.gz";
    public const string TrainLabels = "train-labels-idx1-ubyte.gz";
    public const string TestImages = "t10k-images-idx3-ubyte.gz";
    public const string TestLabels = "t10k-labels-idx1-ubyte.gz";

    /// <summary>
    /// Loads both splits from <paramref name="directory"/>, or else from <c>DENDRITE_MNIST</c>, or else from the
    /// repository's vendored <c>data/mnist</c>, found by walking up from the working and the application directories.
    /// </summary>
    public static (TensorDataset Train, TensorDataset Test) Load(string? directory = null)
    {
        string dir = directory ?? FindDefaultDirectory();
        return (LoadSplit(dir, TrainImages, TrainLabels), LoadSplit(dir, TestImages, TestLabels));
    }

    /// <summary>One split from an images file and a labels file in <paramref name="directory"/>.</summary>
    public static TensorDataset LoadSplit(string directory, string imagesFile, string labelsFile)
    {
        if (!Directory.Exists(directory))
            throw new DirectoryNotFoundException($"MNIST directory not found: {directory}");
        string imagesPath = Path.Combine(directory, imagesFile), labelsPath = Path.Combine(directory, labelsFile);
        var (imageDims, pixels) = IdxReader.ReadBytes(imagesPath, 3);
        var (labelDims, labels) = IdxReader.ReadBytes(labelsPath, 1);
        if (imageDims[0] != labelDims[0])
            throw new DataFormatException($"{imagesPath} holds {imageDims[0]} images but {labelsPath} holds {labelDims[0]} labels.");
        foreach (var (b, i) in labels.Select((b, i) => (b, i)))
            if (b > 9) throw new DataFormatException($"{labelsPath}: label {b} at offset {8 + i} is not a digit 0-9.");
        var x = Tensor.Empty(imageDims[0], 1, imageDims[1], imageDims[2]);
        var xd = x.Data;
        for (int i = 0; i < pixels.Length; i++) xd[i] = pixels[i] / 255f;
        var y = Tensor.Empty(labelDims[0]);
        for (int i = 0; i < labels.Length; i++) y.Data[i] = labels[i];
        return new TensorDataset(x, y);
    }

    private static string FindDefaultDirectory() => FindDirectory() ?? throw new DirectoryNotFoundException(
        "MNIST data not found: no data/mnist folder with the four IDX .gz files above the working or application directory. " +
        "Pass a directory or set DENDRITE_MNIST.");

    /// <summary>
    /// The directory <see cref="Load"/> reads when given none: <c>DENDRITE_MNIST</c> when set, else a
    /// <c>data/mnist</c> folder holding the training images, found by walking up from the working directory and then
    /// from the application's (the dendrite tool carries one beside its assembly); null when there is none.
    /// </summary>
    public static string? FindDirectory()
    {
        var fromEnv = Environment.GetEnvironmentVariable("DENDRITE_MNIST");
        return !string.IsNullOrEmpty(fromEnv) ? fromEnv : VendoredData.Find("mnist", TrainImages);
    }
}
