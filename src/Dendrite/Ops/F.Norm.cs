using Dendrite.Autograd;

namespace Dendrite;

public static partial class F
{
    /// <summary>
    /// Batch normalisation of [N, C] or [N, C, *] per channel C, as <c>torch.nn.functional.batch_norm</c>. In training the
    /// batch's mean and biased variance normalise, and the running estimates (when given) move by
    /// <paramref name="momentum"/>: running = (1 − momentum)·running + momentum·batch, with the unbiased variance.
    /// Otherwise the running estimates normalise. Then y = x̂·weight + bias per channel.
    /// </summary>
    public static Tensor BatchNorm(Tensor input, Tensor? runningMean, Tensor? runningVar, Tensor? weight = null, Tensor? bias = null,
        bool training = false, float momentum = 0.1f, float eps = 1e-5f)
    {
        const string op = nameof(BatchNorm);
        if (input.Rank < 2)
            throw new ShapeMismatchException($"{op}: expected an input [N, C] or [N, C, ...], got {input.Shape}.");
        int batch = input.Shape[0], channels = input.Shape[1], size = input.Numel / Math.Max(1, batch * channels);
        foreach (var (t, name) in new[] { (runningMean, "running mean"), (runningVar, "running var"), (weight, "weight"), (bias, "bias") })
        {
            if (t is not null && (t.Rank != 1 || t.Shape[0] != channels))
                throw new ShapeMismatchException($"{op}: expected {name} [{channels}] for input {input.Shape}, got {t.Shape}.");
            CheckSameDevice(op, input, t, "input", name);
        }
        if (!training && (runningMean is null || runningVar is null))
            throw new ArgumentException($"{op}: evaluation needs the running mean and variance (or training: true to use the batch's).");

        var backend = input.Backend;
        var device = input.Device;
        var y = Tensor.Empty(input.Shape, device);
        Tensor[] inputs = [input, .. weight is null ? Array.Empty<Tensor>() : [weight], .. bias is null ? Array.Empty<Tensor>() : [bias]];
        if (training)
        {
            long count = (long)batch * size;
            if (count <= 1)
                throw new ShapeMismatchException($"{op}: training needs more than 1 value per channel, got input {input.Shape}.");
            var perChannel = new Shape(channels);
            var mean = Tensor.Empty(perChannel, device);
            var variance = Tensor.Empty(perChannel, device);
            var invStd = Tensor.Empty(perChannel, device);
            backend.BatchNormTrain(batch, channels, size, input.Storage, weight?.Storage, bias?.Storage, eps, y.Storage, mean.Storage,
                variance.Storage, invStd.Storage);
            if (runningMean is not null && runningVar is not null)
                backend.UpdateRunningStatistics(runningMean.Storage, runningVar.Storage, mean.Storage, variance.Storage, momentum,
                    (float)count / (count - 1));
            runningMean?.MarkModified();   // written through the backend: what was folded or packed from them is stale
            runningVar?.MarkModified();
            return Tape.Record(y, op, inputs, dy =>
            {
                var dx = input.RequiresGrad ? Tensor.Empty(input.Shape, device) : null;
                var dw = weight is { RequiresGrad: true } ? Tensor.Empty(weight.Shape, device) : null;
                var db = bias is { RequiresGrad: true } ? Tensor.Empty(bias.Shape, device) : null;
                backend.BatchNormTrainBackward(batch, channels, size, input.Storage, dy.Storage, weight?.Storage, mean.Storage,
                    invStd.Storage, dx?.Storage, dw?.Storage, db?.Storage);
                return NormGradients(dx, weight, dw, bias, db);
            });
        }

        // Evaluation: an affine map per channel with the running statistics folded into scale and shift.
        var coefficients = new Shape(channels);
        var scale = Tensor.Empty(coefficients, device);
        var shift = Tensor.Empty(coefficients, device);
        var invStdEval = Tensor.Empty(coefficients, device);
        backend.BatchNormEvalCoefficients(runningMean!.Storage, runningVar!.Storage, weight?.Storage, bias?.Storage, eps, scale.Storage,
            shift.Storage, invStdEval.Storage);
        backend.ScaleShift(batch, channels, size, input.Storage, scale.Storage, shift.Storage, y.Storage);
        var frozenMean = runningMean.Clone();
        return Tape.Record(y, op, inputs, dy =>
        {
            Tensor? dx = null, dw = null, db = null;
            if (input.RequiresGrad)
            {
                dx = Tensor.Empty(input.Shape, device);
                backend.ScaleShift(batch, channels, size, dy.Storage, scale.Storage, null, dx.Storage);
            }
            if (weight is { RequiresGrad: true } || bias is { RequiresGrad: true })
            {
                // dγ[c] = Σ dy·(x − μ)·invStd and dβ[c] = Σ dy: the training kernel's sums with fixed statistics.
                dw = weight is { RequiresGrad: true } ? Tensor.Empty(weight.Shape, device) : null;
                db = bias is { RequiresGrad: true } ? Tensor.Empty(bias.Shape, device) : null;
                backend.BatchNormTrainBackward(batch, channels, size, input.Storage, dy.Storage, null, frozenMean.Storage,
                    invStdEval.Storage, null, dw?.Storage, db?.Storage);
            }
            return NormGradients(dx, weight, dw, bias, db);
        });
    }

    private static Tensor?[] NormGradients(Tensor? dx, Tensor? weight, Tensor? dw, Tensor? bias, Tensor? db) =>
        [dx, .. weight is null ? Array.Empty<Tensor?>() : [dw], .. bias is null ? Array.Empty<Tensor?>() : [db]];

    /// <summary>
    /// Layer normalisation over the trailing dimensions <paramref name="normalizedShape"/>, as
    /// <c>torch.nn.functional.layer_norm</c>: each sample is normalised by its own mean and biased variance, then
    /// scaled by <paramref name="weight"/> and shifted by <paramref name="bias"/> (both of normalizedShape).
    /// </summary>
    public static Tensor LayerNorm(Tensor input, int[] normalizedShape, Tensor? weight = null, Tensor? bias = null, float eps = 1e-5f)
    {
        const string op = nameof(LayerNorm);
        var normalized = new Shape(normalizedShape);
        if (normalizedShape.Length == 0 || input.Rank < normalizedShape.Length
            || !input.Shape.AsSpan()[^normalizedShape.Length..].SequenceEqual(normalizedShape))
            throw new ShapeMismatchException($"{op}: input {input.Shape} does not end with the normalized shape {normalized}.");
        foreach (var (t, name) in new[] { (weight, "weight"), (bias, "bias") })
            if (t is not null && t.Shape != normalized)
                throw new ShapeMismatchException($"{op}: expected {name} {normalized}, got {t.Shape}.");
        CheckSameDevice(op, input, weight, "input", "weight");
        CheckSameDevice(op, input, bias, "input", "bias");
        int size = normalized.Numel, rows = input.Numel / Math.Max(1, size);
        var backend = input.Backend;
        var device = input.Device;
        var y = Tensor.Empty(input.Shape, device);
        var mean = Tensor.Empty(new Shape(rows), device);
        var invStd = Tensor.Empty(new Shape(rows), device);
        backend.LayerNorm(rows, size, input.Storage, weight?.Storage, bias?.Storage, eps, y.Storage, mean.Storage, invStd.Storage);
        Tensor[] inputs = [input, .. weight is null ? Array.Empty<Tensor>() : [weight], .. bias is null ? Array.Empty<Tensor>() : [bias]];
        return Tape.Record(y, op, inputs, dy =>
        {
            var dx = input.RequiresGrad ? Tensor.Empty(input.Shape, device) : null;
            var dw = weight is { RequiresGrad: true } ? Tensor.Empty(weight.Shape, device) : null;
            var db = bias is { RequiresGrad: true } ? Tensor.Empty(bias.Shape, device) : null;
            backend.LayerNormBackward(rows, size, input.Storage, dy.Storage, weight?.Storage, mean.Storage, invStd.Storage,
                dx?.Storage, dw?.Storage, db?.Storage);
            return NormGradients(dx, weight, dw, bias, db);
        });
    }
}
