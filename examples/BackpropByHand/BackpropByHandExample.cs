using System.Diagnostics;
using System.Globalization;
using Dendrite.Autograd;
using Dendrite.Data;

namespace Dendrite.Examples.BackpropByHand;

/// <summary>
/// The lecture's afternoon practical: a sigmoid network trained on MNIST by backpropagation written by hand
/// (<see cref="HandMlp"/>), checked against Dendrite's autograd on the same weights and batch, and against finite
/// differences with the public <see cref="GradCheck"/>.
/// </summary>
public static class BackpropByHandExample
{
    /// <summary>
    /// The same network and cost built from Dendrite ops: σ(Linear(σ(Linear(x, Θ¹, b¹)), Θ², b²)), binary cross-entropy
    /// summed over units and divided by the batch size. Autograd differentiates it; nothing is written by hand.
    /// </summary>
    public static Tensor AutogradCost(Tensor w1, Tensor b1, Tensor w2, Tensor b2, Tensor x, Tensor oneHot)
    {
        var a1 = F.Sigmoid(F.Linear(x, w1, b1));
        var a2 = F.Sigmoid(F.Linear(a1, w2, b2));
        return F.BCELoss(a2, oneHot, Reduction.Sum) / x.Size(0);
    }

    /// <summary>The network's arrays as tensors that require grad (copies), in the order Θ¹, b¹, Θ², b².</summary>
    public static Tensor[] ParameterTensors(HandMlp net) =>
    [
        Tensor.FromArray(net.W1, net.Hidden, net.Inputs).RequireGrad(),
        Tensor.FromArray(net.B1, net.Hidden).RequireGrad(),
        Tensor.FromArray(net.W2, net.Outputs, net.Hidden).RequireGrad(),
        Tensor.FromArray(net.B2, net.Outputs).RequireGrad(),
    ];

    /// <summary>
    /// Gradients by the hand-written delta rule and by autograd, for the same weights and batch. Returns, per array,
    /// the largest difference relative to that gradient's largest magnitude, max|g_hand − g_auto| / max|g_auto| (a
    /// per-element ratio would divide rounding noise by gradients that are zero, such as the weights of always-black
    /// pixels), and the two costs.
    /// </summary>
    public static (double[] RelativeDifference, float HandCost, float AutogradCost) CompareWithAutograd(
        HandMlp net, TensorDataset data, int[] batch)
    {
        var (images, labels) = Flat(data);
        var hand = new HandGradients(net);
        float handCost = net.Backprop(images, labels, batch, hand);

        var parameters = ParameterTensors(net);
        var (x, y) = data.GetBatch(batch);
        var cost = AutogradCost(parameters[0], parameters[1], parameters[2], parameters[3],
            x.Reshape(batch.Length, net.Inputs), F.OneHot(y, net.Outputs));
        cost.Backward();

        var differences = new double[4];
        for (int p = 0; p < 4; p++)
        {
            var auto = parameters[p].Grad!.Data;
            double largest = 0, worst = 0;
            for (int i = 0; i < auto.Length; i++)
            {
                largest = Math.Max(largest, Math.Abs(auto[i]));
                worst = Math.Max(worst, Math.Abs(hand.All[p][i] - auto[i]));
            }
            differences[p] = worst / largest;
        }
        return (differences, handCost, cost.Item());
    }

    /// <summary>
    /// Runs <see cref="GradCheck"/> on the hand-written backward itself: the hand cost is recorded as a Dendrite op
    /// (<see cref="Tape.Record"/>) whose backward returns the delta-rule gradients, and GradCheck compares those with
    /// central differences of the hand cost. This is how to check any function you differentiate yourself.
    /// </summary>
    public static GradCheckResult CheckWithFiniteDifferences(HandMlp net, TensorDataset data, int[] batch)
    {
        var (images, labels) = Flat(data);
        var parameters = ParameterTensors(net);
        return GradCheck.Run(p =>
        {
            // GradCheck nudges the tensors in place, so read them afresh on every call.
            p[0].Data.CopyTo(net.W1);
            p[1].Data.CopyTo(net.B1);
            p[2].Data.CopyTo(net.W2);
            p[3].Data.CopyTo(net.B2);
            var g = new HandGradients(net);
            var cost = Tensor.Scalar(net.Backprop(images, labels, batch, g));
            return Tape.Record(cost, "HandMlpCost", p, dy =>
            [
                Tensor.FromArray(g.W1, net.Hidden, net.Inputs) * dy.Item(),
                Tensor.FromArray(g.B1, net.Hidden) * dy.Item(),
                Tensor.FromArray(g.W2, net.Outputs, net.Hidden) * dy.Item(),
                Tensor.FromArray(g.B2, net.Outputs) * dy.Item(),
            ]);
        }, parameters);
    }

    /// <summary>
    /// Mini-batch gradient descent with the hand-written backprop: shuffled batches of <paramref name="batchSize"/>,
    /// θ ← θ − lr·∂J/∂θ, test accuracy after each epoch.
    /// </summary>
    public static List<EpochResult> Train(HandMlp net, TensorDataset train, TensorDataset test, int epochs,
        int batchSize = 10, float lr = 0.5f, ulong seed = 1, TextWriter? log = null)
    {
        var (images, labels) = Flat(train);
        var (testImages, testLabels) = Flat(test);
        var order = Enumerable.Range(0, train.Count).ToArray();
        var shuffler = new Generator(seed);
        var gradients = new HandGradients(net);
        var results = new List<EpochResult>();
        for (int epoch = 1; epoch <= epochs; epoch++)
        {
            var clock = Stopwatch.StartNew();
            shuffler.Shuffle(order.AsSpan());
            double costSum = 0;
            int batches = 0;
            for (int start = 0; start < order.Length; start += batchSize)
            {
                var batch = order.AsSpan(start, Math.Min(batchSize, order.Length - start));
                costSum += net.Backprop(images, labels, batch, gradients);
                net.Step(gradients, lr);
                batches++;
            }
            double accuracy = net.Accuracy(testImages, testLabels, test.Count);
            var result = new EpochResult(epoch, costSum / batches, accuracy, clock.Elapsed.TotalSeconds);
            results.Add(result);
            log?.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"Epoch {epoch}/{epochs} - {result.Seconds:0.0}s - cost {result.Cost:0.0000} - test accuracy {accuracy * 100:0.00}%"));
        }
        return results;
    }

    /// <summary>Images as one flat [N·784] array and labels [N], the plain arrays the hand-written code reads.</summary>
    public static (float[] Images, float[] Labels) Flat(TensorDataset data) => (data.Inputs.ToArray(), data.Targets.ToArray());
}
