namespace Dendrite.Examples.BackpropByHand;

/// <summary>Per epoch: the mean training cost, test accuracy and seconds taken.</summary>
public readonly record struct EpochResult(int Epoch, double Cost, double TestAccuracy, double Seconds);
