using System.Globalization;
using Dendrite.Backends;

namespace Dendrite.NN;

/// <summary>Helpers over a model's parameters, as <c>torch.nn.utils</c>: gradient clipping.</summary>
public static class Utils
{
    /// <summary>
    /// Rescales the gradients of <paramref name="parameters"/> so that their total norm is at most
    /// <paramref name="maxNorm"/>, as <c>torch.nn.utils.clip_grad_norm_</c>: the total norm is the
    /// <paramref name="normType"/>-norm of all gradients taken together, as if concatenated into one vector
    /// (the largest |g| for <see cref="double.PositiveInfinity"/>); each gradient is multiplied by
    /// min(1, maxNorm / (total + 1e-6)). Parameters without a gradient are skipped.
    /// </summary>
    /// <returns>The total norm before clipping, a one-element tensor on the gradients' device (0 when none has a gradient).</returns>
    /// <exception cref="ArgumentOutOfRangeException">maxNorm is negative or not finite, or normType is not positive.</exception>
    /// <exception cref="InvalidOperationException">With <paramref name="errorIfNonfinite"/>, the total norm is NaN or infinite.</exception>
    public static Tensor ClipGradNorm(IEnumerable<Parameter> parameters, double maxNorm, double normType = 2,
        bool errorIfNonfinite = false)
    {
        if (!(maxNorm >= 0) || double.IsInfinity(maxNorm))
            throw new ArgumentOutOfRangeException(nameof(maxNorm), $"ClipGradNorm: maxNorm must be a finite number >= 0, got {maxNorm}.");
        if (!(normType > 0))
            throw new ArgumentOutOfRangeException(nameof(normType), $"ClipGradNorm: normType must be > 0 (or infinity), got {normType}.");
        var grads = Gradients(parameters, nameof(ClipGradNorm));
        if (grads.Count == 0) return Tensor.Zeros(1);
        var device = grads[0].Device;
        var backend = device.Backend;
        var total = Tensor.Empty(new Shape(1), device);
        TotalNorm(backend, grads, (float)normType, total.Storage);
        if (errorIfNonfinite && !float.IsFinite(total.Item()))
            throw new InvalidOperationException(string.Create(CultureInfo.InvariantCulture,
                $"ClipGradNorm: the total norm of order {normType} of the gradients is {total.Item()}, so it cannot be clipped. {NonfiniteHint}"));
        // coef = maxNorm / (total + 1e-6), clamped to 1: multiplying by 1 leaves a gradient bit for bit, so PyTorch's
        // unconditional multiply (no device-to-host read of the norm) changes nothing below the limit.
        var coef = backend.Allocate(1);
        backend.Unary(UnaryOp.AddScalar, total.Storage, coef, 1e-6f);
        var limit = backend.Allocate(1);
        backend.Fill(limit, (float)maxNorm);
        backend.Binary(BinaryOp.Div, limit, [1], coef, [1], coef, [1]);
        backend.Unary(UnaryOp.Clamp, coef, coef, float.NegativeInfinity, 1f);
        foreach (var g in grads) backend.Binary(BinaryOp.Mul, g.Storage, g.Shape.AsSpan(), coef, [1], g.Storage, g.Shape.AsSpan());
        return total;
    }

    private const string NonfiniteHint =
        "Pass errorIfNonfinite: false to scale them anyway (they become NaN), or find where the loss diverged.";

    /// <summary>
    /// Clamps every gradient of <paramref name="parameters"/> into [−clipValue, clipValue], in place, as
    /// <c>torch.nn.utils.clip_grad_value_</c>. Parameters without a gradient are skipped.
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException">clipValue is negative or not finite.</exception>
    public static void ClipGradValue(IEnumerable<Parameter> parameters, double clipValue)
    {
        if (!(clipValue >= 0) || double.IsInfinity(clipValue))
            throw new ArgumentOutOfRangeException(nameof(clipValue), $"ClipGradValue: clipValue must be a finite number >= 0, got {clipValue}.");
        float c = (float)clipValue;
        foreach (var g in Gradients(parameters, nameof(ClipGradValue)))
            g.Backend.Unary(UnaryOp.Clamp, g.Storage, g.Storage, -c, c);
    }

    /// <summary>The gradients present, all on one device (checked, naming both when they differ).</summary>
    private static List<Tensor> Gradients(IEnumerable<Parameter> parameters, string caller)
    {
        ArgumentNullException.ThrowIfNull(parameters);
        var grads = new List<Tensor>();
        foreach (var p in parameters)
        {
            if (p.Grad is not { } g) continue;
            if (grads.Count > 0 && g.Device != grads[0].Device)
                throw new ArgumentException($"{caller}: gradients live on {grads[0].Device.Name} and {g.Device.Name}; clip each device's parameters separately.");
            grads.Add(g);
        }
        return grads;
    }

    /// <summary>
    /// (Σ over all gradients of Σ|g|^p)^(1/p) into <paramref name="total"/> (one element), or max |g| for p = ∞; every
    /// number is the backend's, so gradients on an accelerator stay there.
    /// </summary>
    private static void TotalNorm(Backend backend, List<Tensor> grads, float p, Storage total)
    {
        bool infinity = float.IsPositiveInfinity(p);
        var parts = backend.Allocate(grads.Count);   // one reduction per gradient, then one over them
        var part = backend.Allocate(1);
        var argMax = backend.Allocate(1);
        for (int i = 0; i < grads.Count; i++)
        {
            var g = grads[i];
            var w = backend.Allocate(g.Numel);
            backend.Unary(UnaryOp.Abs, g.Storage, w);
            if (infinity) backend.Max(w, 1, g.Numel, 1, part, argMax);
            else
            {
                if (p == 2f) backend.Unary(UnaryOp.Square, w, w);
                else if (p != 1f) backend.Unary(UnaryOp.Pow, w, w, p);
                backend.SumAllScaled(w, 1.0, part);   // summed in double: a model has millions of terms
            }
            backend.CopyBlocks(part, 0, 1, parts, i, 1, 1, 1);
        }
        if (infinity)
        {
            backend.Max(parts, 1, grads.Count, 1, total, argMax);
            return;
        }
        backend.SumAll(parts, total);
        if (p == 2f) backend.Unary(UnaryOp.Sqrt, total, total);
        else if (p != 1f) backend.Unary(UnaryOp.Pow, total, total, 1f / p);
    }
}
