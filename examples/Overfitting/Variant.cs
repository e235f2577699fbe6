namespace Dendrite.Examples.Overfitting;

/// <summary>One regularisation setting: dropout rate after each hidden layer (0 = none) and AdamW's weight decay.</summary>
public sealed record Variant(string Name, float Dropout, float WeightDecay);
