using Dendrite.NN;
using Dendrite.Optim;

namespace Dendrite.Examples.Perceptrons;

/// <summary>
/// The lecture's perceptron tables: a single threshold unit learns "output = first input" (a straight line separates
/// it), cannot learn XOR (no straight line does), and a network with a hidden layer and a non-linear activation can.
/// </summary>
public static class PerceptronsExample
{
    /// <summary>The four rows of a two-input truth table: (0,0), (0,1), (1,0), (1,1).</summary>
    public static float[][] Inputs() => [[0, 0], [0, 1], [1, 0], [1, 1]];

    /// <summary>Output = first input: 0, 0, 1, 1.</summary>
    public static int[] FirstInputTargets() => [0, 0, 1, 1];

    /// <summary>x₁ XOR x₂: 0, 1, 1, 0.</summary>
    public static int[] XorTargets() => [0, 1, 1, 0];

    /// <summary>Trains a two-input perceptron from zero weights on <paramref name="targets"/>; returns it and its mistakes per pass.</summary>
    public static (Perceptron Perceptron, IReadOnlyList<int> Mistakes) TrainPerceptron(int[] targets, int maxEpochs = 100)
    {
        var p = new Perceptron(2);
        var mistakes = p.Train(Inputs(), targets, maxEpochs: maxEpochs);
        return (p, mistakes);
    }

    /// <summary>The perceptron's outputs on the four rows.</summary>
    public static int[] Outputs(Perceptron p) => Inputs().Select(x => p.Predict(x)).ToArray();

    /// <summary>
    /// The most rows any single threshold unit gets right on <paramref name="targets"/>, found by trying every line
    /// w₁x₁ + w₂x₂ + b with weights and bias in −3…3 (steps of 0.5), which covers every way a line can split four
    /// corners of a square. For XOR it is 3: the proof that one layer is not enough.
    /// </summary>
    public static int BestSingleUnit(int[] targets)
    {
        var inputs = Inputs();
        int best = 0;
        for (float w1 = -3; w1 <= 3; w1 += 0.5f)
            for (float w2 = -3; w2 <= 3; w2 += 0.5f)
                for (float b = -3; b <= 3; b += 0.5f)
                {
                    int right = 0;
                    for (int n = 0; n < 4; n++)
                        if ((w1 * inputs[n][0] + w2 * inputs[n][1] + b > 0 ? 1 : 0) == targets[n]) right++;
                    best = Math.Max(best, right);
                }
        return best;
    }

    /// <summary>
    /// XOR with one hidden layer: Linear(2, hidden), Sigmoid, Linear(hidden, 1), Sigmoid, trained by backpropagation
    /// (binary cross-entropy, Adam). The step is replaced by the sigmoid because a step has no useful gradient.
    /// Returns the outputs thresholded at 0.5, as a perceptron would report them.
    /// </summary>
    public static int[] TrainHiddenLayerXor(ulong seed = 1, int hidden = 4, int steps = 1000, float lr = 0.05f)
    {
        var generator = new Generator(seed);
        var model = new Sequential(
            new Linear(2, hidden, generator: generator), new Sigmoid(),
            new Linear(hidden, 1, generator: generator), new Sigmoid());
        var x = Tensor.FromArray(Inputs().SelectMany(r => r).ToArray(), 4, 2);
        var y = Tensor.FromArray(XorTargets().Select(t => (float)t).ToArray(), 4, 1);
        var optimizer = new Adam(model.Parameters(), lr: lr);
        for (int step = 0; step < steps; step++)
        {
            var loss = F.BCELoss(model.Call(x), y);
            optimizer.ZeroGrad();
            loss.Backward();
            optimizer.Step();
        }
        using (Tensor.NoGrad())
            return model.Call(x).ToArray().Select(o => o > 0.5f ? 1 : 0).ToArray();
    }

    /// <summary>
    /// XOR built by hand from three threshold units, the classic construction: hidden OR and NAND, output AND.
    /// (x₁ OR x₂) AND NOT (x₁ AND x₂) is exactly XOR.
    /// </summary>
    public static int HandWiredXor(float x1, float x2)
    {
        static int Step(float s) => s > 0 ? 1 : 0;
        int or = Step(x1 + x2 - 0.5f);
        int nand = Step(-x1 - x2 + 1.5f);
        return Step(or + nand - 1.5f);
    }
}
