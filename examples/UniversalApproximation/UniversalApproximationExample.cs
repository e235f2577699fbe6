using Dendrite.NN;
using Dendrite.Optim;

namespace Dendrite.Examples.UniversalApproximation;

/// <summary>
/// The universal approximation theorem, seen on a small case: one hidden layer of ReLU units fits the polynomial
/// f(x) = x³ − x on [−1.5, 1.5], and the fit improves as the layer widens. Each ReLU unit contributes one kink, so the
/// network is a piecewise-linear curve with at most <c>hidden</c> kinks; more kinks, closer to a smooth curve.
/// </summary>
public static class UniversalApproximationExample
{
    /// <summary>Left end of the interval.</summary>
    public const float Low = -1.5f;

    /// <summary>Right end of the interval.</summary>
    public const float High = 1.5f;

    /// <summary>The target polynomial, x³ − x.</summary>
    public static float Target(float x) => x * x * x - x;

    /// <summary><paramref name="count"/> evenly spaced points from <see cref="Low"/> to <see cref="High"/>, as [count, 1].</summary>
    public static Tensor Points(int count)
    {
        var x = new float[count];
        for (int i = 0; i < count; i++) x[i] = Low + (High - Low) * i / (count - 1);
        return Tensor.FromArray(x, count, 1);
    }

    /// <summary>
    /// 1 → hidden ReLU units → 1: y = Σⱼ vⱼ·relu(wⱼx + bⱼ) + c, with each unit's kink (x = −bⱼ/wⱼ) placed inside the
    /// interval.
    /// </summary>
    /// <remarks>
    /// Why not the default init: with U(−1, 1) weights and biases, many kinks fall outside [−1.5, 1.5] and such a unit is
    /// a straight line (or zero) over the whole interval; with 2 or 8 units, losing a few leaves too few kinks and
    /// training stalls far from the best fit. Spreading the kinks evenly, with random slopes wⱼ = ±1 and the output
    /// layer at its default, gives every unit a piece of the curve to bend.
    /// </remarks>
    public static Sequential Network(int hidden, Generator generator)
    {
        var input = new Linear(1, hidden, generator: generator);
        var output = new Linear(hidden, 1, generator: generator);
        for (int j = 0; j < hidden; j++)
        {
            float kink = Low + (High - Low) * (j + 0.5f) / hidden;
            float slope = generator.NextFloat() < 0.5f ? -1f : 1f;
            input.Weight.Data[j] = slope;
            input.Bias!.Data[j] = -slope * kink;
        }
        return new Sequential(input, new ReLU(), output);
    }

    /// <summary>
    /// Fits a network with <paramref name="hidden"/> units to f at <paramref name="trainPoints"/> points (full batch, mean
    /// squared error, Adam) and measures it on a grid four times finer.
    /// </summary>
    public static Fit Train(int hidden, ulong seed = 1, int steps = 4000, int trainPoints = 200, float lr = 0.01f)
    {
        var model = Network(hidden, new Generator(seed));
        var x = Points(trainPoints);
        var y = Tensor.FromArray(x.ToArray().Select(Target).ToArray(), trainPoints, 1);
        var optimizer = new Adam(model.Parameters(), lr: lr);
        for (int step = 0; step < steps; step++)
        {
            var loss = F.MSELoss(model.Call(x), y);
            optimizer.ZeroGrad();
            loss.Backward();
            optimizer.Step();
        }

        var grid = Points(4 * trainPoints);
        float[] predictions;
        using (Tensor.NoGrad()) predictions = model.Call(grid).ToArray();
        float[] g = grid.ToArray();
        double squares = 0, max = 0;
        for (int i = 0; i < g.Length; i++)
        {
            double e = Math.Abs(predictions[i] - Target(g[i]));
            squares += e * e;
            max = Math.Max(max, e);
        }
        return new Fit(hidden, Math.Sqrt(squares / g.Length), max, g, predictions);
    }
}
