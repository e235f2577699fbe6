namespace Dendrite.NN;

/// <summary>One layer's line in a <see cref="ModelSummary"/>.</summary>
/// <param name="Name">Dotted name within the model ("0", "encoder.1").</param>
/// <param name="Type">The module's class name.</param>
/// <param name="Depth">Nesting depth below the model (1 for its direct children).</param>
/// <param name="OutputShape">Shape of what the layer returned.</param>
/// <param name="Parameters">Parameters of the layer and its descendants.</param>
public sealed record SummaryRow(string Name, string Type, int Depth, Shape OutputShape, long Parameters);
