using System.Numerics.Tensors;
using Dendrite.IO;
using Dendrite.NN;
using Dendrite.Training;

namespace Dendrite.Generative;

/// <summary>
/// An objective look at generated digits: a classifier trained on real MNIST (the W2 network of
/// <c>dendrite train mnist-cnn</c>) labels each sample. Digits that look like digits get a confident label; a
/// generator that makes all ten digits, not a few, fills every class.
/// </summary>
public static class DigitJudge
{
    /// <summary>
    /// The W2 network (<see cref="W2Network"/>) with the weights <c>dendrite train mnist-cnn --out DIR</c> saved to
    /// <c>DIR/model.safetensors</c>, in eval mode.
    /// </summary>
    /// <exception cref="FileNotFoundException">No such file.</exception>
    /// <exception cref="ArgumentException">The file holds another network's weights.</exception>
    public static Module LoadClassifier(string path)
    {
        if (!File.Exists(path))
            throw new FileNotFoundException(
                $"DigitJudge: classifier weights not found: {path}. Train them with 'dendrite train mnist-cnn --out DIR' (writes DIR/model.safetensors).", path);
        var classifier = W2Network();
        var (missing, unexpected) = classifier.LoadStateDict(SafeTensors.Load(path), strict: false);
        if (missing.Count > 0 || unexpected.Count > 0)
            throw new ArgumentException(
                $"DigitJudge: {path} does not hold the mnist-cnn (W2) network's weights: missing {string.Join(", ", missing)}; unexpected {string.Join(", ", unexpected)}.");
        classifier.Eval();
        return classifier;
    }

    /// <summary>
    /// The W2 network of the benchmark protocol and of <c>dendrite train mnist-cnn</c>, PyTorch's examples/mnist net:
    /// two 3×3 convolutions, max pooling, dropout and two dense layers. A <see cref="Sequential"/> in this order, so
    /// its parameters carry the names (0.weight, 2.weight, 7.weight, 10.weight and their biases) the saved file uses.
    /// </summary>
    public static Sequential W2Network() => new(
        new Conv2d(1, 32, 3), new ReLU(), new Conv2d(32, 64, 3), new ReLU(), new MaxPool2d(2), new Dropout(0.25f),
        new Flatten(), new Linear(9216, 128), new ReLU(), new Dropout(0.5f), new Linear(128, 10));

    /// <summary>
    /// Labels <paramref name="images"/> [N, 1, 28, 28] (pixels in [0, 1]) with <paramref name="classifier"/> (logits
    /// [N, 10]) and counts the labels given with softmax probability at least <paramref name="threshold"/>. Given the
    /// classes the images were made to be (<paramref name="askedClasses"/> [N]), also counts the labels that match;
    /// given real digits (<paramref name="realImages"/>, <paramref name="realLabels"/>), also compares the
    /// <see cref="WithinClassSpread"/> of both.
    /// </summary>
    public static JudgeResult Judge(Module classifier, Tensor images, float threshold = 0.9f, Tensor? askedClasses = null,
        Tensor? realImages = null, Tensor? realLabels = null)
    {
        if (images.Rank != 4 || images.Shape[1] != 1 || images.Shape[2] != 28 || images.Shape[3] != 28)
            throw new ShapeMismatchException($"DigitJudge.Judge: expected images [N, 1, 28, 28], got {images.Shape}.");
        if (askedClasses is not null && askedClasses.Shape != new Shape(images.Shape[0]))
            throw new ShapeMismatchException($"DigitJudge.Judge: expected one asked class per image [{images.Shape[0]}], got {askedClasses.Shape}.");
        var probabilities = F.Softmax(classifier.Predict(images), 1);
        var result = Count(probabilities, threshold);
        int classes = probabilities.Shape[1];
        var labels = MostLikely(probabilities);
        if (askedClasses is not null)
            result = result with { MatchingAskedClass = labels.Where((label, i) => label == askedClasses.Data[i]).Count() };
        if (realImages is not null && realLabels is not null)
        {
            var realClass = realLabels.ToArray().Select(v => (int)v).ToArray();
            result = result with { Spread = (WithinClassSpread(images, labels, classes), WithinClassSpread(realImages, realClass, classes)) };
        }
        return result;
    }

    /// <summary>
    /// The mean Euclidean distance between two different images of the same class, averaged over the classes with at
    /// least two images (each class weighs the same). Measures diversity that a class histogram cannot see: copies of
    /// one digit per class give 0.
    /// </summary>
    public static double WithinClassSpread(Tensor images, int[] classOf, int classes)
    {
        int n = images.Shape[0], size = images.Numel / Math.Max(n, 1);
        if (classOf.Length != n)
            throw new ShapeMismatchException($"DigitJudge.WithinClassSpread: expected {n} class labels, got {classOf.Length}.");
        var pixels = images.Data;
        double total = 0;
        int counted = 0;
        for (int k = 0; k < classes; k++)
        {
            var members = Enumerable.Range(0, n).Where(i => classOf[i] == k).ToArray();
            if (members.Length < 2) continue;
            double sum = 0;
            for (int a = 0; a < members.Length; a++)
                for (int b = a + 1; b < members.Length; b++)
                    sum += TensorPrimitives.Distance(pixels.Slice(members[a] * size, size), pixels.Slice(members[b] * size, size));
            total += sum / (members.Length * (members.Length - 1) / 2);
            counted++;
        }
        return counted == 0 ? 0 : total / counted;
    }

    private static int[] MostLikely(Tensor probabilities)
    {
        int n = probabilities.Shape[0], classes = probabilities.Shape[1];
        var p = probabilities.Data;
        var best = new int[n];
        for (int i = 0; i < n; i++)
        {
            var row = p.Slice(i * classes, classes);
            for (int k = 1; k < classes; k++)
                if (row[k] > row[best[i]]) best[i] = k;
        }
        return best;
    }

    /// <summary>
    /// Counts, from class probabilities [N, C] (rows summing to 1), each row's most likely class, and those whose
    /// probability reaches <paramref name="threshold"/>.
    /// </summary>
    public static JudgeResult Count(Tensor probabilities, float threshold)
    {
        if (probabilities.Rank != 2)
            throw new ShapeMismatchException($"DigitJudge.Count: expected probabilities [N, C], got {probabilities.Shape}.");
        if (!(threshold > 0f && threshold <= 1f))
            throw new ArgumentOutOfRangeException(nameof(threshold), $"DigitJudge.Count: threshold must lie in (0, 1], got {threshold}.");
        int n = probabilities.Shape[0], classes = probabilities.Shape[1];
        var all = new int[classes];
        var confident = new int[classes];
        var p = probabilities.Data;
        var labels = MostLikely(probabilities);
        for (int i = 0; i < n; i++)
        {
            int best = labels[i];
            all[best]++;
            if (p[i * classes + best] >= threshold) confident[best]++;
        }
        return new JudgeResult(all, confident, threshold);
    }
}
