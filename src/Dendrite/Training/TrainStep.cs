using Dendrite.Data;

namespace Dendrite.Training;

/// <summary>What a <see cref="TrainStep"/> hands back: the scalar loss and the model's output, for logs and metrics.</summary>
public readonly record struct StepResult(Tensor Loss, Tensor Output);

/// <summary>
/// One training step on one batch, as Keras' <c>train_step</c>: forward, loss, backward and the optimiser's update.
/// Pass one to <c>Fit(trainStep: …)</c> to change what a step does; Fit keeps the progress bar, metrics, history,
/// schedules and callbacks. <see cref="TrainContext.DefaultStep"/> is the step Fit runs otherwise, and its parts
/// (<see cref="TrainContext.Forward"/>, <see cref="TrainContext.ComputeLoss"/>, <see cref="TrainContext.Optimize"/>)
/// are there to be reused.
/// </summary>
public delegate StepResult TrainStep(TrainContext context, Batch batch);
