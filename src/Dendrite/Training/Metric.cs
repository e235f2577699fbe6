namespace Dendrite.Training;

/// <summary>
/// The built-in epoch metrics for <c>Fit(metrics: …)</c> and <c>Evaluate</c>. Each keeps the epoch's outputs and
/// targets and computes its score once at the end, so ranking scores such as AUC are exact over the epoch rather
/// than an average of per-batch values. Classification metrics take class-index targets and outputs as
/// <see cref="Metrics.RocAuc(Tensor, Tensor, ClassAverage, bool)"/> does; regression metrics compare outputs and
/// targets element by element.
/// </summary>
public sealed class Metric : IMetric
{
    private readonly Func<Tensor, Tensor, double> _compute;
    private readonly List<float> _outputs = [];
    private readonly List<float> _targets = [];
    private int[]? _outputDims;

    /// <summary>
    /// A metric named <paramref name="name"/> computed by <paramref name="compute"/>(outputs, targets) over the epoch.
    /// </summary>
    public Metric(string name, Func<Tensor, Tensor, double> compute)
    {
        Name = name;
        _compute = compute;
    }

    public string Name { get; }

    /// <summary>Fraction of right predictions (arg-max of [N, C], or a single output ≥ 0.5), key "accuracy".</summary>
    public static Metric Accuracy() => new("accuracy", (o, t) => ConfusionMatrix(o, t).Accuracy);

    /// <summary>
    /// ROC AUC, binary or one-vs-rest (key "auc"); outputs of two or more per sample are logits unless told.
    /// </summary>
    public static Metric RocAuc(ClassAverage average = ClassAverage.Macro, bool logits = true) =>
        new("auc", (o, t) => Metrics.RocAuc(o, t, average, logits));

    /// <summary>
    /// Average precision (PR AUC as scikit-learn defines it), binary or one-vs-rest, key "average_precision".
    /// </summary>
    public static Metric AveragePrecision(ClassAverage average = ClassAverage.Macro, bool logits = true) =>
        new("average_precision", (o, t) => Metrics.AveragePrecision(o, t, average, logits));

    /// <summary>Precision averaged over classes (scikit-learn's precision_score), key "precision_macro" or "precision_weighted".</summary>
    public static Metric Precision(ClassAverage average = ClassAverage.Macro) =>
        new(average == ClassAverage.Macro ? "precision_macro" : "precision_weighted", (o, t) => ConfusionMatrix(o, t).Precision(average));

    /// <summary>Recall averaged over classes (scikit-learn's recall_score), key "recall_macro" or "recall_weighted".</summary>
    public static Metric Recall(ClassAverage average = ClassAverage.Macro) =>
        new(average == ClassAverage.Macro ? "recall_macro" : "recall_weighted", (o, t) => ConfusionMatrix(o, t).Recall(average));

    /// <summary>F1 averaged over classes, key "f1_macro" or "f1_weighted".</summary>
    public static Metric F1(ClassAverage average = ClassAverage.Macro) =>
        new(average == ClassAverage.Macro ? "f1_macro" : "f1_weighted", (o, t) => ConfusionMatrix(o, t).F1(average));

    /// <summary>Coefficient of determination (key "r2").</summary>
    public static Metric R2() => new("r2", (o, t) => Metrics.R2Score(Flat(t, o), o.Data));

    /// <summary>Mean absolute error (key "mae").</summary>
    public static Metric MeanAbsoluteError() => new("mae", (o, t) => Metrics.MeanAbsoluteError(Flat(t, o), o.Data));

    /// <summary>Root mean squared error (key "rmse").</summary>
    public static Metric RootMeanSquaredError() => new("rmse", (o, t) => Metrics.RootMeanSquaredError(Flat(t, o), o.Data));

    public void Reset()
    {
        _outputs.Clear();
        _targets.Clear();
        _outputDims = null;
    }

    public void Update(Tensor output, Tensor target)
    {
        var dims = output.Shape.ToArray();
        if (_outputDims is not null && !dims.AsSpan(1).SequenceEqual(_outputDims.AsSpan(1)))
            throw new ShapeMismatchException(
                $"Metric {Name}: outputs {output.Shape} differ per sample from earlier batches' " +
                $"[{string.Join(", ", _outputDims)}].");
        _outputDims ??= dims;
        _outputs.AddRange(output.Data);
        _targets.AddRange(target.Data);
    }

    public double Result()
    {
        if (_outputDims is null) return double.NaN;
        var dims = (int[])_outputDims.Clone();
        int perSample = Math.Max(1, dims.Skip(1).Aggregate(1, (a, b) => a * b));
        dims[0] = _outputs.Count / perSample;
        var outputs = Tensor.FromArray([.. _outputs], dims);
        var targets = Tensor.FromArray([.. _targets], _targets.Count);
        return _compute(outputs, targets);
    }

    private static ConfusionMatrix ConfusionMatrix(Tensor outputs, Tensor targets)
    {
        var predicted = ClassScores.Predictions(outputs, 0.5f);
        var labels = ClassScores.Labels(targets, predicted.Length);
        return new ConfusionMatrix(labels, predicted);
    }

    /// <summary>The targets' values, checked to pair one-to-one with the outputs'.</summary>
    private static ReadOnlySpan<float> Flat(Tensor targets, Tensor outputs) =>
        targets.Numel == outputs.Numel ? targets.Data
            : throw new ShapeMismatchException(
                $"Metric: outputs {outputs.Shape} and targets {targets.Shape} hold different numbers of values.");
}
