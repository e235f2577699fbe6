namespace Dendrite.Data;

/// <summary>
/// Images in one sub-folder per class (torchvision's <c>ImageFolder</c>): <c>root/cat/001.png</c>,
/// <c>root/dog/xyz.jpg</c>, …. Class names are the sub-folder names sorted ordinally, class k being ClassNames[k];
/// files are sorted by name within each class. Only the list of files is kept: images are decoded when a batch asks
/// for them (<see cref="ImageFile.Load"/>, then <see cref="Transform"/>), so folders larger than memory train as well.
/// Inputs are [N, C, H, W] in [0, 1], targets class indices [N]; for normalisation wrap the folder in a
/// <see cref="TransformedDataset"/> with <see cref="Normalize"/>.
/// </summary>
public sealed class ImageFolder : ILabeledDataset
{
    private readonly string[] _files;
    private readonly int[] _labels;
    private readonly Generator _generator;

    /// <param name="channels">1 (grey) or 3 (RGB): every image is converted to it.</param>
    /// <param name="transform">Per-sample transforms (crop, flip, resize, jitter); a batch's images must come out of
    /// it with one size. When null, they must already have one.</param>
    /// <param name="seed">Seeds the generator the transforms draw from, so augmented runs repeat.</param>
    /// <exception cref="DirectoryNotFoundException">The root does not exist.</exception>
    /// <exception cref="DataFormatException">The root has no class sub-folders or no images.</exception>
    public ImageFolder(string root, int channels = 3, ISampleTransform? transform = null, ulong seed = 0)
    {
        if (!Directory.Exists(root)) throw new DirectoryNotFoundException($"ImageFolder: folder not found: {root}");
        if (channels is not (1 or 3))
            throw new ArgumentOutOfRangeException(nameof(channels),
                $"ImageFolder: channels must be 1 or 3, got {channels}.");
        var classes = Directory.GetDirectories(root).Select(Path.GetFileName).OfType<string>()
            .Order(StringComparer.Ordinal).ToArray();
        if (classes.Length == 0)
            throw new DataFormatException(
                $"{root}: no class sub-folders; an image folder holds one folder of images per class.");
        var files = new List<string>();
        var labels = new List<int>();
        for (int k = 0; k < classes.Length; k++)
            foreach (var file in Directory.GetFiles(Path.Combine(root, classes[k]))
                         .Where(f => ImageFile.Extensions.Contains(Path.GetExtension(f))).Order(StringComparer.Ordinal))
            {
                files.Add(file);
                labels.Add(k);
            }
        if (files.Count == 0)
            throw new DataFormatException(
                $"{root}: the class folders hold no images ({string.Join(", ", ImageFile.Extensions)}).");
        (Root, Channels, Transform, ClassNames) = (root, channels, transform, classes);
        _files = [.. files];
        _labels = [.. labels];
        _generator = new Generator(seed);
    }

    public string Root { get; }
    public int Channels { get; }
    public ISampleTransform? Transform { get; }
    public IReadOnlyList<string> ClassNames { get; }

    /// <summary>The image files, in sample order.</summary>
    public IReadOnlyList<string> Files => _files;

    /// <summary>The generator the transforms draw from, so a checkpoint can resume the same augmentations.</summary>
    public Generator Generator => _generator;

    public int Count => _files.Length;

    public int LabelOf(int index) => _labels[index];

    public (Tensor Input, Tensor Target) this[int index]
    {
        get
        {
            var (x, y) = GetBatch([index]);
            return (x.Reshape(x.Shape.AsSpan()[1..].ToArray()), y.Reshape([]));
        }
    }

    /// <exception cref="ShapeMismatchException">Two images of the batch have different sizes after the transform; names
    /// both files.</exception>
    public (Tensor Input, Tensor Target) GetBatch(ReadOnlySpan<int> indices)
    {
        Tensor? batch = null;
        var targets = Tensor.Empty(indices.Length);
        for (int k = 0; k < indices.Length; k++)
        {
            int i = indices[k];
            if ((uint)i >= (uint)Count) throw new IndexOutOfRangeException(
                $"ImageFolder: index {i} is out of range for {Count} images.");
            var image = ImageFile.Load(_files[i], Channels);
            if (Transform is not null) image = Transform.Apply(image, _generator);
            batch ??= Tensor.Empty([indices.Length, .. image.Shape.ToArray()]);
            if (!image.Shape.AsSpan().SequenceEqual(batch.Shape.AsSpan()[1..]))
                throw new ShapeMismatchException(
                    $"ImageFolder: {_files[i]} is {image.Shape} but {_files[indices[0]]} is " +
                    $"{new Shape(batch.Shape.AsSpan()[1..].ToArray())}; " +
                    "a batch needs one size. Hint: pass a transform such as Resize or CenterCrop.");
            image.Data.CopyTo(batch.Data.Slice(k * image.Numel, image.Numel));
            targets.Data[k] = _labels[i];
        }
        return (batch ?? Tensor.Empty(0, Channels, 0, 0), targets);
    }
}
