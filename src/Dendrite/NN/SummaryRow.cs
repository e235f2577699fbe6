namespace Dendrite.NN;

/// <summary>One layer's line in a <see cref="ModelSummary"/>.</summary>
/// <param name="Name">Dotted name within the model ("0", "encoder.1").</param>
/// <param name="Type">The module's class name.</param>
/// <param name="Depth">Nesting depth below the model (1 for its direct children).</param>
/// <param name="OutputShape">Shape of what the layer returned.</param>
/// <param name="Parameters">Parameters of the layer and its descendants.</param>
/// <param name="CalledThroughForward">
/// The layer ran through its <see cref="Module.Forward"/> rather than <see cref="Module.Call"/>, so forward hooks do
/// not see it; the summary found it by its parameters in the graph, and its output shape is that of the last operation
/// that used them.
/// </param>
public sealed record SummaryRow(string Name, string Type, int Depth, Shape OutputShape, long Parameters,
    bool CalledThroughForward = false);
