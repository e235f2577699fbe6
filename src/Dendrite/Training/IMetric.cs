namespace Dendrite.Training;

/// <summary>
/// A quantity computed over a whole epoch's outputs, logged by <c>Fit</c> and <c>Evaluate</c> under
/// <see cref="Name"/> (and "val_" + Name on validation data). Built-in ones are on <see cref="Metric"/>.
/// </summary>
public interface IMetric
{
    /// <summary>The log key, e.g. "auc" or "r2".</summary>
    string Name { get; }

    /// <summary>Forgets everything seen: called at the start of each epoch and each evaluation.</summary>
    void Reset();

    /// <summary>Takes in one batch. The tensors are recycled after the step: copy what is kept.</summary>
    void Update(Tensor output, Tensor target);

    /// <summary>The value over every batch since <see cref="Reset"/>.</summary>
    double Result();
}
