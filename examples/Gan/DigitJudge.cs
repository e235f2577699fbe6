using Dendrite.IO;
using Dendrite.NN;
using Dendrite.Training;

namespace Dendrite.Examples.Gan;

/// <summary>
/// An objective look at generated digits: a classifier trained on real MNIST (the W2 network of
/// <c>dendrite train mnist-cnn</c>) labels each sample. Digits that look like digits get a confident label; a
/// generator that makes all ten digits, not a few, fills every class.
/// </summary>
public static class DigitJudge
{
    /// <summary>
    /// The W2 network (<see cref="Presets.MnistCnn"/>) with the weights <c>dendrite train mnist-cnn --out DIR</c>
    /// saved to <c>DIR/model.safetensors</c>, in eval mode.
    /// </summary>
    /// <exception cref="FileNotFoundException">No such file.</exception>
    /// <exception cref="ArgumentException">The file holds another network's weights.</exception>
    public static Module LoadClassifier(string path)
    {
        if (!File.Exists(path))
            throw new FileNotFoundException(
                $"DigitJudge: classifier weights not found: {path}. Train them with 'dendrite train mnist-cnn --out DIR' (writes DIR/model.safetensors).", path);
        var classifier = Presets.MnistCnn();
        var (missing, unexpected) = classifier.LoadStateDict(SafeTensors.Load(path), strict: false);
        if (missing.Count > 0 || unexpected.Count > 0)
            throw new ArgumentException(
                $"DigitJudge: {path} does not hold the mnist-cnn (W2) network's weights: missing {string.Join(", ", missing)}; unexpected {string.Join(", ", unexpected)}.");
        classifier.Eval();
        return classifier;
    }

    /// <summary>
    /// Labels <paramref name="images"/> [N, 1, 28, 28] (pixels in [0, 1]) with <paramref name="classifier"/> (logits
    /// [N, 10]) and counts the labels given with softmax probability at least <paramref name="threshold"/>.
    /// </summary>
    public static JudgeResult Judge(Module classifier, Tensor images, float threshold = 0.9f)
    {
        if (images.Rank != 4 || images.Shape[1] != 1 || images.Shape[2] != 28 || images.Shape[3] != 28)
            throw new ShapeMismatchException($"DigitJudge.Judge: expected images [N, 1, 28, 28], got {images.Shape}.");
        var probabilities = F.Softmax(classifier.Predict(images), 1);
        return Count(probabilities, threshold);
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
        for (int i = 0; i < n; i++)
        {
            var row = p.Slice(i * classes, classes);
            int best = 0;
            for (int k = 1; k < classes; k++)
                if (row[k] > row[best]) best = k;
            all[best]++;
            if (row[best] >= threshold) confident[best]++;
        }
        return new JudgeResult(all, confident, threshold);
    }
}
