namespace Dendrite.Examples.LinearNeuron;

/// <summary>
/// The lecture's simplest neuron, y = a·x + b, on a single training point (x = 0.15, y = 0.3) with the bias fixed at
/// b = 0.1: the squared error as a function of the one weight a, and gradient descent on a using Dendrite's autograd.
/// </summary>
/// <remarks>
/// L(a) = (y − (a·x + b))². At a = 0.4 the prediction is 0.16 and L = 0.14² = 0.0196; at a = 0.9 it is 0.235 and
/// L = 0.065² = 0.004225. The lecture writes these as 0.019 and 0.004: three decimals, cut off rather than rounded.
/// dL/da = −2·x·(y − (a·x + b)), so the weight that fits exactly is a* = (y − b) / x = 1.333…, where L = 0.
/// </remarks>
public static class LinearNeuronExample
{
    /// <summary>The one training input.</summary>
    public const float X = 0.15f;

    /// <summary>Its target.</summary>
    public const float Y = 0.3f;

    /// <summary>The bias, held fixed so the loss is a parabola in a alone.</summary>
    public const float B = 0.1f;

    /// <summary>The weight that makes the prediction exact: (y − b) / x.</summary>
    public static float BestA => (Y - B) / X;

    /// <summary>(y − (a·x + b))², computed with tensors.</summary>
    public static float Loss(float a)
    {
        using var _ = Tensor.NoGrad();
        return Forward(Tensor.Scalar(a)).Item();
    }

    /// <summary>The loss cut to three decimals, as the lecture prints it (0.0196 → 0.019).</summary>
    public static double LectureRounding(float loss) => Math.Floor(Math.Round(loss, 6) * 1000) / 1000;

    /// <summary>
    /// Gradient descent on a from <paramref name="a0"/>: each step computes the loss, lets autograd find dL/da, and moves
    /// a by −lr·dL/da. With x = 0.15 the loss curves gently (d²L/da² = 2x² = 0.045), so lr 10 is a sensible step:
    /// each step removes 45% of the remaining error in a.
    /// </summary>
    public static IReadOnlyList<DescentStep> Descend(float a0 = 0.4f, float lr = 10f, int steps = 10)
    {
        var a = Tensor.Scalar(a0).RequireGrad();
        var trace = new List<DescentStep>();
        for (int step = 1; step <= steps; step++)
        {
            a.Grad = null;
            var loss = Forward(a);
            loss.Backward();
            float before = a.Item();
            float gradient = a.Grad!.Item();
            a.Data[0] = before - lr * gradient;   // the update, outside the tape: it is not part of the model
            trace.Add(new DescentStep(step, before, loss.Item(), gradient, a.Item()));
        }
        return trace;
    }

    private static Tensor Forward(Tensor a)
    {
        var prediction = a * X + B;
        var error = Tensor.Scalar(Y) - prediction;
        return error * error;
    }
}
