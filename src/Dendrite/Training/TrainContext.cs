using System.Globalization;
using Dendrite.Data;
using Dendrite.NN;
using Dendrite.Optim;

namespace Dendrite.Training;

/// <summary>
/// The run <see cref="Trainer.Fit"/> is doing: the model, optimiser, loss and options, where it is (epoch, step), and
/// the default pieces of a step. Train steps receive it, and callbacks get it at
/// <see cref="ICallback.OnTrainBegin(TrainContext)"/>, so they can change the optimiser (its learning rates) as training goes.
/// </summary>
public sealed class TrainContext
{
    private readonly IReadOnlyList<ICallback> _callbacks;
    private readonly Parameter[] _parameters;

    internal TrainContext(Module model, Optimizer optimizer, LossFunction loss, int epochs, IReadOnlyList<ICallback> callbacks,
        IReadOnlyDictionary<int, double>? classWeights, double? gradientClipNorm, double? gradientClipValue)
    {
        (Model, Optimizer, Loss, Epochs, _callbacks) = (model, optimizer, loss, epochs, callbacks);
        (ClassWeights, GradientClipNorm, GradientClipValue) = (classWeights, gradientClipNorm, gradientClipValue);
        _parameters = [.. optimizer.ParamGroups.SelectMany(g => g.Params)];
    }

    public Module Model { get; }
    public Optimizer Optimizer { get; }
    public LossFunction Loss { get; }

    /// <summary>The last epoch of the run (Fit's <c>epochs</c>).</summary>
    public int Epochs { get; }

    /// <summary>The epoch now running, from 1.</summary>
    public int Epoch { get; internal set; }

    /// <summary>The step now running within the epoch, from 1.</summary>
    public int Step { get; internal set; }

    /// <summary>Batches in each epoch.</summary>
    public int StepsPerEpoch { get; internal set; }

    /// <summary>Per-class loss weights (Keras' <c>class_weight</c>), applied by <see cref="ComputeLoss"/>; null for none.</summary>
    public IReadOnlyDictionary<int, double>? ClassWeights { get; }

    /// <summary>The total gradient norm <see cref="Optimize"/> clips to (<see cref="Utils.ClipGradNorm"/>), or null.</summary>
    public double? GradientClipNorm { get; }

    /// <summary>The value <see cref="Optimize"/> clamps each gradient element to (<see cref="Utils.ClipGradValue"/>), or null.</summary>
    public double? GradientClipValue { get; }

    /// <summary>
    /// The model's output for a batch: every input and the mask for an <see cref="IMultiInputModule"/>, else the one
    /// input through <see cref="Module.Call"/> (the mask, if any, is not needed by such a model: it sees the padding).
    /// </summary>
    /// <exception cref="InvalidOperationException">The batch has several inputs and the model takes one.</exception>
    public Tensor Forward(Batch batch) => Trainer.Forward(Model, batch);

    /// <summary>
    /// The loss of <paramref name="output"/> against the batch's targets; with <see cref="ClassWeights"/>, each
    /// sample's share is weighted by its class's weight, as Keras weights a loss: Σᵢ w(yᵢ)·lᵢ / N (the batch size, not
    /// the summed weights; PyTorch's <c>CrossEntropy(weight:)</c> divides by those instead).
    /// </summary>
    public Tensor ComputeLoss(Tensor output, Batch batch) => ClassWeights is null
        ? Loss(output, batch.Target)
        : ClassWeighting.Loss(Loss, output, batch.Target, ClassWeights);

    /// <summary>
    /// Backward and update: refuses a loss that is NaN or infinite (naming epoch and step), clears the gradients,
    /// back-propagates, lets the callbacks see the gradients (<see cref="ICallback.OnAfterBackward"/>), clips them as
    /// asked, and steps the optimiser.
    /// </summary>
    /// <exception cref="TrainingDivergedException">The loss is NaN or infinite.</exception>
    public void Optimize(Tensor loss)
    {
        ThrowIfDiverged(loss.Item());
        Optimizer.ZeroGrad();
        loss.Backward();
        foreach (var c in _callbacks) c.OnAfterBackward(Step);
        if (GradientClipValue is { } clipValue) Utils.ClipGradValue(_parameters, clipValue);
        if (GradientClipNorm is { } maxNorm) Utils.ClipGradNorm(_parameters, maxNorm);
        Optimizer.Step();
    }

    /// <exception cref="TrainingDivergedException"><paramref name="loss"/> is NaN or infinite.</exception>
    internal void ThrowIfDiverged(float loss)
    {
        if (!float.IsFinite(loss))
            throw new TrainingDivergedException(string.Create(CultureInfo.InvariantCulture,
                $"Fit: the loss became {loss} at epoch {Epoch}, step {Step} (of {StepsPerEpoch}). Try a lower learning rate (now {Optimizer.Lr})."));
    }

    /// <summary>The step Fit runs unless given another: forward, loss, <see cref="Optimize"/>.</summary>
    public static StepResult DefaultStep(TrainContext context, Batch batch)
    {
        var output = context.Forward(batch);
        var loss = context.ComputeLoss(output, batch);
        context.Optimize(loss);
        return new StepResult(loss, output);
    }
}
