using Dendrite.NN;
using Dendrite.Training;

namespace Dendrite.Examples.Overfitting;

/// <summary>One trained variant: its per-epoch history and the model as training left it.</summary>
public sealed record VariantResult(Variant Variant, History History, Sequential Model)
{
    /// <summary>The last epoch's validation accuracy.</summary>
    public double FinalValAccuracy => History["val_accuracy"][^1];

    /// <summary>The best validation accuracy of any epoch.</summary>
    public double BestValAccuracy => History["val_accuracy"].Max();

    /// <summary>The last epoch's training accuracy.</summary>
    public double FinalTrainAccuracy => History["accuracy"][^1];
}
