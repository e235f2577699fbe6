namespace Dendrite.Examples.LinearNeuron;

/// <summary>One step of gradient descent: the value of a before the step, the loss there, dL/da, and a after it.</summary>
public readonly record struct DescentStep(int Step, float A, float Loss, float Gradient, float NextA);
