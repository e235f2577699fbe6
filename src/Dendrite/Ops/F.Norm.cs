using Dendrite.Autograd;
using Dendrite.Kernels;

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
            if (t is not null && (t.Rank != 1 || t.Shape[0] != channels))
                throw new ShapeMismatchException($"{op}: expected {name} [{channels}] for input {input.Shape}, got {t.Shape}.");
        if (!training && (runningMean is null || runningVar is null))
            throw new ArgumentException($"{op}: evaluation needs the running mean and variance (or training: true to use the batch's).");

        var y = Tensor.Empty(input.Shape);
        Tensor[] inputs = [input, .. weight is null ? Array.Empty<Tensor>() : [weight], .. bias is null ? Array.Empty<Tensor>() : [bias]];
        if (training)
        {
            long count = (long)batch * size;
            if (count <= 1)
                throw new ShapeMismatchException($"{op}: training needs more than 1 value per channel, got input {input.Shape}.");
            var mean = Tensor.Empty(channels);
            var variance = Tensor.Empty(channels);
            var invStd = Tensor.Empty(channels);
            Normalization.BatchNormTrain(batch, channels, size, input.Data, weight is null ? default : weight.Data,
                bias is null ? default : bias.Data, eps, y.Data, mean.Data, variance.Data, invStd.Data);
            if (runningMean is not null && runningVar is not null)
                UpdateRunningStatistics(runningMean.Data, runningVar.Data, mean.Data, variance.Data, momentum, count);
            return Tape.Record(y, op, inputs, dy =>
            {
                var dx = input.RequiresGrad ? Tensor.Empty(input.Shape) : null;
                var dw = weight is { RequiresGrad: true } ? Tensor.Empty(weight.Shape) : null;
                var db = bias is { RequiresGrad: true } ? Tensor.Empty(bias.Shape) : null;
                Normalization.BatchNormTrainBackward(batch, channels, size, input.Data, dy.Data, weight is null ? default : weight.Data,
                    mean.Data, invStd.Data, dx is null ? default : dx.Data, dw is null ? default : dw.Data, db is null ? default : db.Data);
                return NormGradients(dx, weight, dw, bias, db);
            });
        }

        // Evaluation: an affine map per channel with the running statistics folded into scale and shift.
        var scale = Tensor.Empty(channels);
        var shift = Tensor.Empty(channels);
        var invStdEval = Tensor.Empty(channels);
        for (int c = 0; c < channels; c++)
        {
            float inv = 1f / MathF.Sqrt(runningVar!.Data[c] + eps);
            invStdEval.Data[c] = inv;
            scale.Data[c] = (weight is null ? 1f : weight.Data[c]) * inv;
            shift.Data[c] = (bias is null ? 0f : bias.Data[c]) - runningMean!.Data[c] * scale.Data[c];
        }
        Normalization.ScaleShift(batch, channels, size, input.Data, scale.Data, shift.Data, y.Data);
        var frozenMean = runningMean!.Clone();
        return Tape.Record(y, op, inputs, dy =>
        {
            Tensor? dx = null, dw = null, db = null;
            if (input.RequiresGrad)
            {
                dx = Tensor.Empty(input.Shape);
                Normalization.ScaleShift(batch, channels, size, dy.Data, scale.Data, new float[channels], dx.Data);
            }
            if (weight is { RequiresGrad: true } || bias is { RequiresGrad: true })
            {
                // dγ[c] = Σ dy·(x − μ)·invStd and dβ[c] = Σ dy: the training kernel's sums with fixed statistics.
                dw = weight is { RequiresGrad: true } ? Tensor.Empty(weight.Shape) : null;
                db = bias is { RequiresGrad: true } ? Tensor.Empty(bias.Shape) : null;
                Normalization.BatchNormTrainBackward(batch, channels, size, input.Data, dy.Data, default, frozenMean.Data,
                    invStdEval.Data, default, dw is null ? default : dw.Data, db is null ? default : db.Data);
            }
            return NormGradients(dx, weight, dw, bias, db);
        });
    }

    private static Tensor?[] NormGradients(Tensor? dx, Tensor? weight, Tensor? dw, Tensor? bias, Tensor? db) =>
        [dx, .. weight is null ? Array.Empty<Tensor?>() : [dw], .. bias is null ? Array.Empty<Tensor?>() : [db]];

    private static void UpdateRunningStatistics(Span<float> runningMean, Span<float> runningVar, ReadOnlySpan<float> mean,
        ReadOnlySpan<float> biasedVariance, float momentum, long count)
    {
        float unbias = (float)count / (count - 1);
        for (int c = 0; c < runningMean.Length; c++)
        {
            runningMean[c] = (1 - momentum) * runningMean[c] + momentum * mean[c];
            runningVar[c] = (1 - momentum) * runningVar[c] + momentum * biasedVariance[c] * unbias;
        }
    }

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
        int size = normalized.Numel, rows = input.Numel / Math.Max(1, size);
        var y = Tensor.Empty(input.Shape);
        var mean = Tensor.Empty(rows);
        var invStd = Tensor.Empty(rows);
        Normalization.LayerNorm(rows, size, input.Data, weight is null ? default : weight.Data, bias is null ? default : bias.Data,
            eps, y.Data, mean.Data, invStd.Data);
        Tensor[] inputs = [input, .. weight is null ? Array.Empty<Tensor>() : [weight], .. bias is null ? Array.Empty<Tensor>() : [bias]];
        return Tape.Record(y, op, inputs, dy =>
        {
            var dx = input.RequiresGrad ? Tensor.Empty(input.Shape) : null;
            var dw = weight is { RequiresGrad: true } ? Tensor.Empty(weight.Shape) : null;
            var db = bias is { RequiresGrad: true } ? Tensor.Empty(bias.Shape) : null;
            Normalization.LayerNormBackward(rows, size, input.Data, dy.Data, weight is null ? default : weight.Data, mean.Data,
                invStd.Data, dx is null ? default : dx.Data, dw is null ? default : dw.Data, db is null ? default : db.Data);
            return NormGradients(dx, weight, dw, bias, db);
        });
    }
}
