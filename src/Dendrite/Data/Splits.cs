namespace Dendrite.Data;

/// <summary>
/// Train/validation/test splits as <see cref="Subset"/>s: random (PyTorch's <c>random_split</c>) and stratified
/// (scikit-learn's <c>train_test_split(stratify=y)</c>). Every split is seeded, so the same seed gives the same
/// split on every machine and thread count.
/// </summary>
public static class Splits
{
    /// <summary>
    /// Non-overlapping random subsets with the given <paramref name="fractions"/> of the data (summing to 1). Sizes are
    /// floor(fraction · N), the samples left over going one each to the first subsets, as PyTorch does with fractions.
    /// </summary>
    /// <exception cref="ArgumentException">A fraction is negative, or they do not sum to 1.</exception>
    public static Subset[] RandomSplit(IDataset dataset, IReadOnlyList<double> fractions, ulong seed)
    {
        if (fractions.Count == 0 || fractions.Any(f => f < 0) || Math.Abs(fractions.Sum() - 1) > 1e-9)
            throw new ArgumentException(
                $"Splits.RandomSplit: fractions must be >= 0 and sum to 1, got [{string.Join(", ", fractions)}].", nameof(fractions));
        int n = dataset.Count;
        var sizes = fractions.Select(f => (int)Math.Floor(f * n)).ToArray();
        for (int k = 0, left = n - sizes.Sum(); left > 0; k = (k + 1) % sizes.Length, left--) sizes[k]++;
        var order = Enumerable.Range(0, n).ToArray();
        new Generator(seed).Shuffle(order.AsSpan());
        var subsets = new Subset[sizes.Length];
        for (int k = 0, start = 0; k < sizes.Length; start += sizes[k], k++)
            subsets[k] = new Subset(dataset, order[start..(start + sizes[k])]);
        return subsets;
    }

    /// <summary>
    /// A train/test split that keeps each class's share in both parts. The test part has ceil(testFraction · N)
    /// samples, as scikit-learn's <c>train_test_split</c>; that number is shared among the classes in proportion to
    /// their sizes (largest remainders get the rounding), and each class's samples are drawn at random.
    /// </summary>
    /// <param name="labels">The class of each sample; when null, <see cref="LabelsOf"/> reads them from the
    /// dataset.</param>
    /// <exception cref="ArgumentException"><paramref name="testFraction"/> is not in (0, 1), or the labels do not match
    /// the dataset.</exception>
    public static (Subset Train, Subset Test) Stratified(IDataset dataset, double testFraction, ulong seed,
        IReadOnlyList<int>? labels = null)
    {
        if (!(testFraction > 0 && testFraction < 1))
            throw new ArgumentOutOfRangeException(nameof(testFraction),
                $"Splits.Stratified: testFraction must be in (0, 1), got {testFraction}.");
        labels ??= LabelsOf(dataset);
        if (labels.Count != dataset.Count)
            throw new ArgumentException(
                $"Splits.Stratified: {labels.Count} labels for {dataset.Count} samples.", nameof(labels));
        var byClass = ByClass(labels);
        int n = dataset.Count;
        int testTotal = (int)Math.Ceiling(testFraction * n);
        var exact = byClass.Select(c => (double)testTotal * c.Count / n).ToArray();
        var testSizes = exact.Select(e => (int)Math.Floor(e)).ToArray();
        var byRemainder = Enumerable.Range(0, exact.Length)
            .OrderByDescending(k => exact[k] - testSizes[k]).ThenBy(k => k).ToArray();
        for (int r = 0, left = testTotal - testSizes.Sum(); left > 0; r++, left--) testSizes[byRemainder[r]]++;
        var generator = new Generator(seed);
        var train = new List<int>();
        var test = new List<int>();
        for (int k = 0; k < byClass.Count; k++)
        {
            var members = byClass[k].ToArray();
            generator.Shuffle(members.AsSpan());
            test.AddRange(members[..testSizes[k]]);
            train.AddRange(members[testSizes[k]..]);
        }
        // Why shuffle the parts: class by class order would put every sample of one class first in the subset.
        var trainOrder = train.ToArray();
        var testOrder = test.ToArray();
        generator.Shuffle(trainOrder.AsSpan());
        generator.Shuffle(testOrder.AsSpan());
        return (new Subset(dataset, trainOrder), new Subset(dataset, testOrder));
    }

    /// <summary>
    /// The class index of every sample: from <see cref="ILabeledDataset.LabelOf"/> when the dataset has it (through
    /// subsets too), else from targets that hold one whole number per sample (read batch by batch).
    /// </summary>
    /// <exception cref="ArgumentException">A target is not one non-negative whole number per sample.</exception>
    public static int[] LabelsOf(IDataset dataset)
    {
        switch (dataset)
        {
            case ILabeledDataset labeled:
                return [.. Enumerable.Range(0, labeled.Count).Select(labeled.LabelOf)];
            case Subset subset:
                var inner = LabelsOf(subset.Dataset);
                return [.. subset.Indices.Select(i => inner[i])];
            case TensorDataset tensors:
                return ToLabels(tensors.Targets, 0);
        }
        var labels = new int[dataset.Count];
        const int chunk = 256;
        for (int start = 0; start < labels.Length; start += chunk)
        {
            var indices = Enumerable.Range(start, Math.Min(chunk, labels.Length - start)).ToArray();
            ToLabels(dataset.GetBatch(indices).Target, start).CopyTo(labels, start);
        }
        return labels;
    }

    /// <summary>The sample indices of each class, classes 0 … max label.</summary>
    internal static List<List<int>> ByClass(IReadOnlyList<int> labels)
    {
        var byClass = new List<List<int>>();
        for (int i = 0; i < labels.Count; i++)
        {
            if (labels[i] < 0) throw new ArgumentException(
                $"Splits: label {labels[i]} of sample {i} is negative.", nameof(labels));
            while (byClass.Count <= labels[i]) byClass.Add([]);
            byClass[labels[i]].Add(i);
        }
        return byClass;
    }

    private static int[] ToLabels(Tensor targets, int firstSample)
    {
        int n = targets.Rank == 0 ? 1 : targets.Shape[0];
        if (targets.Numel != n)
            throw new ArgumentException(
                $"Splits: targets {targets.Shape} are not one class index per sample; pass the labels explicitly.");
        var d = targets.Data;
        var labels = new int[n];
        for (int i = 0; i < n; i++)
        {
            labels[i] = (int)d[i];
            if (labels[i] != d[i] || labels[i] < 0)
                throw new ArgumentException(
                    $"Splits: target {d[i]} of sample {firstSample + i} is not a class index (a whole number >= " +
                    $"0); pass the labels explicitly.");
        }
        return labels;
    }
}
