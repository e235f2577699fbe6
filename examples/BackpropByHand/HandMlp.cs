using System.Numerics.Tensors;

namespace Dendrite.Examples.BackpropByHand;

/// <summary>
/// A sigmoid network 784 → hidden → 10 with backpropagation written out by hand on plain arrays, as in the lecture's
/// practical: no tensors, no autograd, just the forward pass, the delta rule and the update.
/// </summary>
/// <remarks>
/// <para>Forward, per image x: z¹ = Θ¹x + b¹, a¹ = σ(z¹); z² = Θ²a¹ + b², a² = σ(z²). Θ¹ is [hidden, 784] and Θ² is
/// [10, hidden], the layout of PyTorch's Linear weight.</para>
/// <para>Cost: the cross-entropy of each output unit against the one-hot label y, summed over units and averaged over
/// the batch: J = −(1/m) Σ Σₖ [yₖ log aₖ² + (1 − yₖ) log(1 − aₖ²)].</para>
/// <para>Backward, the delta rule: the output layer's error is δ² = a² − y (σ′ cancels against the cross-entropy's
/// derivative); a hidden layer's error is δ¹ = (Θ²)ᵀδ² ∘ g′(z¹), with g′(z) = σ(z)(1 − σ(z)) = a¹(1 − a¹). Each
/// weight's gradient is its layer's δ times the activation that fed it: ∂J/∂Θ² = δ²(a¹)ᵀ, ∂J/∂Θ¹ = δ¹xᵀ, averaged
/// over the batch; the biases get δ alone.</para>
/// </remarks>
public sealed class HandMlp
{
    /// <summary>Θ¹, [Hidden, Inputs] row-major.</summary>
    public float[] W1 { get; }

    /// <summary>b¹, [Hidden].</summary>
    public float[] B1 { get; }

    /// <summary>Θ², [Outputs, Hidden] row-major.</summary>
    public float[] W2 { get; }

    /// <summary>b², [Outputs].</summary>
    public float[] B2 { get; }

    /// <summary>Input size (784 for MNIST).</summary>
    public int Inputs { get; }

    /// <summary>Hidden units.</summary>
    public int Hidden { get; }

    /// <summary>Output units (10 classes).</summary>
    public int Outputs { get; }

    /// <summary>
    /// A network with PyTorch's Linear initialisation, U(−1/√fan_in, 1/√fan_in) for weights and biases alike, drawn
    /// in the order Θ¹, b¹, Θ², b².
    /// </summary>
    public HandMlp(int inputs, int hidden, int outputs, Generator generator)
    {
        (Inputs, Hidden, Outputs) = (inputs, hidden, outputs);
        W1 = Uniform(hidden * inputs, 1 / MathF.Sqrt(inputs), generator);
        B1 = Uniform(hidden, 1 / MathF.Sqrt(inputs), generator);
        W2 = Uniform(outputs * hidden, 1 / MathF.Sqrt(hidden), generator);
        B2 = Uniform(outputs, 1 / MathF.Sqrt(hidden), generator);
    }

    private static float[] Uniform(int n, float bound, Generator generator)
    {
        var a = new float[n];
        for (int i = 0; i < n; i++) a[i] = (2 * generator.NextFloat() - 1) * bound;
        return a;
    }

    private static float Sigmoid(float z) => 1f / (1f + MathF.Exp(-z));

    /// <summary>The forward pass for one image: fills a¹ [Hidden] and a² [Outputs].</summary>
    public void Forward(ReadOnlySpan<float> x, Span<float> a1, Span<float> a2)
    {
        for (int j = 0; j < Hidden; j++)
            a1[j] = Sigmoid(TensorPrimitives.Dot(W1.AsSpan(j * Inputs, Inputs), x) + B1[j]);
        for (int k = 0; k < Outputs; k++)
            a2[k] = Sigmoid(TensorPrimitives.Dot(W2.AsSpan(k * Hidden, Hidden), a1) + B2[k]);
    }

    /// <summary>
    /// The cost J over the images <paramref name="indices"/> of <paramref name="images"/> ([N, Inputs] row-major) and
    /// its gradient by the delta rule, written into <paramref name="gradients"/> (overwritten, not accumulated).
    /// </summary>
    public float Backprop(float[] images, float[] labels, ReadOnlySpan<int> indices, HandGradients gradients)
    {
        gradients.Clear();
        Span<float> a1 = stackalloc float[Hidden];
        Span<float> a2 = stackalloc float[Outputs];
        Span<float> delta1 = stackalloc float[Hidden];
        Span<float> delta2 = stackalloc float[Outputs];
        double cost = 0;
        foreach (int n in indices)
        {
            var x = images.AsSpan(n * Inputs, Inputs);
            Forward(x, a1, a2);
            int label = (int)labels[n];
            for (int k = 0; k < Outputs; k++)
            {
                float y = k == label ? 1f : 0f;
                // Only one term is non-zero; the log is clamped at −100 as PyTorch's BCELoss does, so an output
                // that rounds to exactly 0 or 1 costs 100 instead of 0·(−∞) = NaN.
                cost -= Math.Max(Math.Log(k == label ? a2[k] : 1 - a2[k]), -100);
                delta2[k] = a2[k] - y;                                   // δ² = a² − y
            }
            for (int j = 0; j < Hidden; j++)
            {
                float back = 0;                                          // ((Θ²)ᵀδ²)ⱼ
                for (int k = 0; k < Outputs; k++) back += W2[k * Hidden + j] * delta2[k];
                delta1[j] = back * a1[j] * (1 - a1[j]);                  // ∘ σ′(z¹) = a¹(1 − a¹)
            }
            for (int k = 0; k < Outputs; k++)
            {
                TensorPrimitives.MultiplyAdd(a1, delta2[k], gradients.W2.AsSpan(k * Hidden, Hidden), gradients.W2.AsSpan(k * Hidden, Hidden));
                gradients.B2[k] += delta2[k];
            }
            for (int j = 0; j < Hidden; j++)
            {
                if (delta1[j] == 0) continue;
                var row = gradients.W1.AsSpan(j * Inputs, Inputs);
                TensorPrimitives.MultiplyAdd(x, delta1[j], row, row);        // δ¹ xᵀ, one row at a time
                gradients.B1[j] += delta1[j];
            }
        }
        gradients.Scale(1f / indices.Length);                             // the batch average
        return (float)(cost / indices.Length);
    }

    /// <summary>Plain gradient descent: θ ← θ − lr·∂J/∂θ.</summary>
    public void Step(HandGradients g, float lr)
    {
        TensorPrimitives.MultiplyAdd(g.W1, -lr, W1, W1);
        TensorPrimitives.MultiplyAdd(g.B1, -lr, B1, B1);
        TensorPrimitives.MultiplyAdd(g.W2, -lr, W2, W2);
        TensorPrimitives.MultiplyAdd(g.B2, -lr, B2, B2);
    }

    /// <summary>The fraction of the <paramref name="count"/> first images whose largest output is the label.</summary>
    public double Accuracy(float[] images, float[] labels, int count)
    {
        Span<float> a1 = stackalloc float[Hidden];
        Span<float> a2 = stackalloc float[Outputs];
        int correct = 0;
        for (int n = 0; n < count; n++)
        {
            Forward(images.AsSpan(n * Inputs, Inputs), a1, a2);
            if (TensorPrimitives.IndexOfMax(a2) == (int)labels[n]) correct++;
        }
        return (double)correct / count;
    }
}
