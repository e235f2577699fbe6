using System.Globalization;
using System.Text;

namespace Dendrite.Autograd;

/// <summary>
/// Checks a function's backward pass against central finite differences, like PyTorch's
/// <c>torch.autograd.gradcheck</c>. Use it on your own ops, layers and losses before trusting their gradients.
/// </summary>
/// <remarks>
/// <para>
/// The output y = f(inputs) is contracted with a fixed random tensor w of y's shape into the scalar s = Σ w·y, and for
/// every element x of every input that requires grad the analytic ds/dx (from <see cref="Tensor.Backward"/> with
/// gradient w) is compared with (s(x + ε) − s(x − ε)) / 2ε. A random w, rather than all ones, gives every output
/// element its own weight: under Σ y all output gradients are equal, so a backward that sends one element's gradient
/// to another's input position would pass unnoticed. s is accumulated in double, and the step is the one float32
/// actually took, (x + ε) − (x − ε) as rounded.
/// </para>
/// <para>
/// Why ε ≈ 1e-3 in float32: the quotient's rounding error grows like u·|y| / ε, with float32's unit roundoff
/// u ≈ 6e-8, while its truncation error grows like ε²·|f‴| / 6. At ε = 1e-3 the first is about 6e-5·|y| and the second
/// stays under 1e-4 while |f‴| &lt; 600, both far inside rtol = 1e-2. A much smaller ε drowns the difference in
/// rounding (ε = 1e-5 gives 6e-3·|y|); a much larger one in curvature, and steps over kinks. Where f is linear in an
/// input (a matrix product) there is no truncation error, so a larger ε there only removes noise.
/// </para>
/// <para>
/// An element passes when |analytic − numeric| ≤ max(rtol·|numeric|, atol): a relative error below rtol wherever the
/// gradient exceeds atol / rtol (0.1 by default), and an absolute error below atol for smaller gradients.
/// Keep inputs more than ε away from points where f is not differentiable (ReLU at 0, ties in a max, clamp bounds):
/// there the two one-sided slopes differ and no gradient can match the difference.
/// </para>
/// <para>
/// Inputs that require grad must be leaves. They are perturbed in place one element at a time and restored, so f must
/// read them afresh on each call and be deterministic; their <see cref="Tensor.Grad"/> is left as it was found.
/// </para>
/// </remarks>
public static class GradCheck
{
    /// <summary>
    /// Compares analytic and central-difference gradients of <paramref name="f"/> at <paramref name="inputs"/>.
    /// </summary>
    /// <param name="f">
    /// The function under test; it is called once with recording on and twice per checked element without.
    /// </param>
    /// <param name="inputs">
    /// Arguments of <paramref name="f"/>; those with <see cref="Tensor.RequiresGrad"/> are checked, the others held
    /// constant.
    /// </param>
    /// <param name="eps">Finite-difference step ε (see remarks for why 1e-3 suits float32).</param>
    /// <param name="rtol">Largest accepted relative error.</param>
    /// <param name="atol">Largest accepted absolute error, for gradients smaller than atol / rtol.</param>
    /// <param name="generator">Source of the contraction weights w; a fixed seed when null, so results repeat.</param>
    /// <exception cref="ArgumentException">
    /// No input requires grad, a checked input is not a leaf, or eps, rtol or atol is out of range.
    /// </exception>
    public static GradCheckResult Run(Func<Tensor[], Tensor> f, Tensor[] inputs,
        float eps = 1e-3f, float rtol = 1e-2f, float atol = 1e-3f, Generator? generator = null)
    {
        if (!(eps > 0) || !(rtol > 0) || !(atol >= 0))
            throw new ArgumentException(
                $"GradCheck: need eps > 0, rtol > 0 and atol >= 0, got eps {eps}, rtol {rtol}, atol {atol}.");
        var checkedInputs = Enumerable.Range(0, inputs.Length).Where(i => inputs[i].RequiresGrad).ToArray();
        if (checkedInputs.Length == 0)
            throw new ArgumentException(
                $"GradCheck: none of the {inputs.Length} inputs requires grad, so there is nothing to check. " +
                "Hint: call RequireGrad() on the ones to check.");
        foreach (int i in checkedInputs)
            if (!inputs[i].IsLeaf)
                throw new ArgumentException(
                    $"GradCheck: input {i} (shape {inputs[i].Shape}) is not a leaf (made by {inputs[i].GradFn!.Op}), " +
                    "so its Grad would stay empty. Hint: pass x.Detach().RequireGrad().");

        var analytic = AnalyticGradients(f, inputs, checkedInputs, generator ?? new Generator(0x6A0C), out var weights);
        var results = new List<GradCheckInput>();
        using (Tensor.NoGrad())
        {
            for (int n = 0; n < checkedInputs.Length; n++)
                results.Add(CompareInput(f, inputs, checkedInputs[n], analytic[n], weights, eps, rtol, atol));
        }
        return new GradCheckResult(results, Format(results, eps, rtol, atol));
    }

    /// <summary>
    /// Runs <see cref="Run"/> and throws <see cref="GradCheckException"/>, whose message is the report, if it fails.
    /// </summary>
    public static GradCheckResult Assert(Func<Tensor[], Tensor> f, Tensor[] inputs,
        float eps = 1e-3f, float rtol = 1e-2f, float atol = 1e-3f, Generator? generator = null)
    {
        var result = Run(f, inputs, eps, rtol, atol, generator);
        if (!result.Passed) throw new GradCheckException(result);
        return result;
    }

    /// <summary>d(Σ w·y)/dx for each checked input, from one backward pass seeded with w; Grad is restored.</summary>
    private static float[][] AnalyticGradients(Func<Tensor[], Tensor> f, Tensor[] inputs, int[] checkedInputs,
        Generator generator, out Tensor weights)
    {
        var saved = checkedInputs.Select(i => inputs[i].Grad).ToArray();
        try
        {
            foreach (int i in checkedInputs) inputs[i].Grad = null;
            Tensor y;
            using (Tensor.EnableGrad()) y = f(inputs);
            weights = Tensor.Randn(y.Shape, generator);
            if (y.RequiresGrad) y.Backward(weights.To(y.Device));
            // An input the output does not depend on gets no Grad: its gradient is zero.
            return checkedInputs.Select(i => inputs[i].Grad?.ToArray() ?? new float[inputs[i].Numel]).ToArray();
        }
        finally
        {
            for (int n = 0; n < checkedInputs.Length; n++) inputs[checkedInputs[n]].Grad = saved[n];
        }
    }

    private static GradCheckInput CompareInput(Func<Tensor[], Tensor> f, Tensor[] inputs, int index, float[] analytic,
        Tensor weights, float eps, float rtol, float atol)
    {
        var x = inputs[index];
        double maxAbs = 0, worstRel = -1, worstAnalytic = 0, worstNumeric = 0;
        int worst = 0;
        bool passed = true;
        // Perturbed one element at a time through the tensor's backend, so any device can be checked.
        var values = x.ToArray();
        for (int j = 0; j < x.Numel; j++)
        {
            float original = values[j];
            float up = original + eps, down = original - eps;
            var element = x.Storage.Slice(j, 1);
            double sUp, sDown;
            try
            {
                x.Backend.Fill(element, up);
                x.MarkModified();
                sUp = Contract(f(inputs), weights);
                x.Backend.Fill(element, down);
                x.MarkModified();
                sDown = Contract(f(inputs), weights);
            }
            finally
            {
                x.Backend.Fill(element, original);
                x.MarkModified();
            }

            double numeric = (sUp - sDown) / ((double)up - down);
            double abs = Math.Abs(analytic[j] - numeric);
            double rel = abs == 0 ? 0 : abs / Math.Max(Math.Abs(numeric), atol / (double)rtol);
            passed &= rel <= rtol; // false for NaN
            maxAbs = Math.Max(maxAbs, abs); // Math.Max propagates NaN
            // NaN counts as the worst error, and the first NaN stays the worst.
            if (!double.IsNaN(worstRel) && (double.IsNaN(rel) || rel > worstRel))
            {
                (worstRel, worst, worstAnalytic, worstNumeric) = (rel, j, analytic[j], numeric);
            }
        }
        double maxRel = Math.Max(worstRel, 0);
        return new GradCheckInput(index, x.Shape, maxAbs, maxRel, worst, worstAnalytic, worstNumeric, passed);
    }

    private static double Contract(Tensor y, Tensor weights)
    {
        if (y.Shape != weights.Shape)
            throw new InvalidOperationException(
                $"GradCheck: the function returned shape {y.Shape} after a perturbation but {weights.Shape} before; " +
                "its output shape must not depend on input values.");
        double s = 0;
        float[] yv = y.ToArray(), wv = weights.ToArray();
        for (int k = 0; k < yv.Length; k++) s += (double)wv[k] * yv[k];
        return s;
    }

    private static string Format(List<GradCheckInput> results, float eps, float rtol, float atol)
    {
        var c = CultureInfo.InvariantCulture;
        var sb = new StringBuilder();
        bool passed = results.All(r => r.Passed);
        sb.Append(c, $"GradCheck {(passed ? "passed" : "FAILED")} (eps {eps:G3}, rtol {rtol:G3}, atol {atol:G3}; ");
        sb.Append("pass: |analytic − numeric| ≤ max(rtol·|numeric|, atol))");
        foreach (var r in results)
        {
            sb.AppendLine();
            sb.Append(c, $"  input {r.Input} {r.Shape}: {(r.Passed ? "ok" : "MISMATCH")}, ");
            sb.Append(c, $"max abs error {r.MaxAbsError:G3}, max rel error {r.MaxRelError:G3}");
            if (r.Shape.Numel > 0)
            {
                sb.Append(c, $"; worst at element {r.WorstElement} {IndexOf(r.WorstElement, r.Shape)}: ");
                sb.Append(c, $"analytic {r.Analytic:G6}, numeric {r.Numeric:G6}");
            }
        }
        return sb.ToString();
    }

    /// <summary>The multi-index of a flat row-major position, printed like a shape.</summary>
    private static string IndexOf(int flat, Shape shape)
    {
        var index = new int[shape.Rank];
        for (int d = shape.Rank - 1; d >= 0; d--)
        {
            index[d] = flat % shape[d];
            flat /= shape[d];
        }
        return "[" + string.Join(", ", index) + "]";
    }
}
