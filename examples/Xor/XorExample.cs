using System.Globalization;
using Dendrite.NN;
using Dendrite.Optim;

namespace Dendrite.Examples.Xor;

/// <summary>
/// The course's first network: XOR, which no single straight line separates, learned by a perceptron with one hidden
/// layer. Small enough to train in a few milliseconds, so a unit test calls it too.
/// </summary>
public static class XorExample
{
    /// <summary>The four inputs of the truth table, one per row: [4, 2].</summary>
    public static Tensor Inputs() => Tensor.FromArray(new float[,] { { 0, 0 }, { 0, 1 }, { 1, 0 }, { 1, 1 } });

    /// <summary>x₁ XOR x₂ for each row of <see cref="Inputs"/>: [4, 1], shaped like the network's output.</summary>
    public static Tensor Targets() => Tensor.FromArray([0f, 1f, 1f, 0f], 4, 1);

    /// <summary>2 → hidden (tanh) → 1 (sigmoid): the output reads as P(x₁ XOR x₂ = 1).</summary>
    public static Sequential TwoLayer(int hidden, Generator generator) => new(
        new Linear(2, hidden, generator: generator),
        new Tanh(),
        new Linear(hidden, 1, generator: generator),
        new Sigmoid());

    /// <summary>
    /// Trains <see cref="TwoLayer"/> on the whole truth table (one batch of four) with binary cross-entropy and Adam, and
    /// returns its four outputs. The seed fixes the initial weights, so the result repeats exactly.
    /// </summary>
    /// <param name="log">When given, receives the loss every 100 steps.</param>
    public static float[] Train(ulong seed, int hidden = 8, int steps = 500, float lr = 0.05f, TextWriter? log = null) =>
        Fit(TwoLayer(hidden, new Generator(seed)), steps, lr, log);

    /// <summary>
    /// The same training with no hidden layer: Linear(2, 1) and a sigmoid draw one straight line through the plane, and no
    /// line puts (0,1) and (1,0) on one side with (0,0) and (1,1) on the other, so at most three of four come out right.
    /// </summary>
    public static float[] TrainSingleLayer(ulong seed, int steps = 500, float lr = 0.05f) =>
        Fit(new Sequential(new Linear(2, 1, generator: new Generator(seed)), new Sigmoid()), steps, lr, log: null);

    /// <summary>How many of the four outputs fall on the target's side of 0.5.</summary>
    public static int CorrectCount(float[] outputs)
    {
        var targets = Targets().ToArray();
        int correct = 0;
        for (int i = 0; i < targets.Length; i++)
            if ((outputs[i] >= 0.5f) == (targets[i] >= 0.5f)) correct++;
        return correct;
    }

    private static float[] Fit(Module model, int steps, float lr, TextWriter? log)
    {
        var x = Inputs();
        var y = Targets();
        var optimizer = new Adam(model.Parameters(), lr: lr);
        for (int step = 1; step <= steps; step++)
        {
            var loss = F.BCELoss(model.Forward(x), y);
            optimizer.ZeroGrad();
            loss.Backward();
            optimizer.Step();
            if (log is not null && (step % 100 == 0 || step == 1))
                log.WriteLine(string.Create(CultureInfo.InvariantCulture, $"step {step,4}  loss {loss.Item():0.0000}"));
        }
        using (Tensor.NoGrad())
            return model.Forward(x).ToArray();
    }
}
