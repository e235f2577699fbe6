namespace Dendrite.Examples.Perceptrons;

/// <summary>
/// Rosenblatt's perceptron: output = step(w·x + b), 1 when the weighted sum is positive, else 0. It learns with the
/// perceptron rule w ← w + η·(t − o)·x, b ← b + η·(t − o), which changes the weights only on mistakes, and provably
/// stops changing once every example is right, provided a straight line (a hyperplane) separates the two classes.
/// Plain arrays: there is no gradient to take through a step.
/// </summary>
public sealed class Perceptron
{
    private readonly float[] _weights;

    /// <summary>A perceptron with <paramref name="inputs"/> weights and the bias, all zero.</summary>
    public Perceptron(int inputs) => _weights = new float[inputs];

    /// <summary>The weights, one per input.</summary>
    public IReadOnlyList<float> Weights => _weights;

    /// <summary>The bias (the negative of the threshold).</summary>
    public float Bias { get; private set; }

    /// <summary>step(w·x + b): 1 if the sum is positive, else 0.</summary>
    public int Predict(ReadOnlySpan<float> x)
    {
        float sum = Bias;
        for (int i = 0; i < _weights.Length; i++) sum += _weights[i] * x[i];
        return sum > 0 ? 1 : 0;
    }

    /// <summary>
    /// Runs the perceptron rule over the table for up to <paramref name="maxEpochs"/> passes, stopping after the first
    /// pass without a mistake. Returns the number of mistakes in each pass.
    /// </summary>
    public IReadOnlyList<int> Train(float[][] inputs, int[] targets, float learningRate = 1f, int maxEpochs = 100)
    {
        var mistakes = new List<int>();
        for (int epoch = 0; epoch < maxEpochs; epoch++)
        {
            int wrong = 0;
            for (int n = 0; n < inputs.Length; n++)
            {
                int error = targets[n] - Predict(inputs[n]);
                if (error == 0) continue;
                wrong++;
                for (int i = 0; i < _weights.Length; i++) _weights[i] += learningRate * error * inputs[n][i];
                Bias += learningRate * error;
            }
            mistakes.Add(wrong);
            if (wrong == 0) break;
        }
        return mistakes;
    }
}
