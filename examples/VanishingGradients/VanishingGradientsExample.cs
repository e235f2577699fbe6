using System.Globalization;
using Dendrite.Data;
using Dendrite.NN;
using Dendrite.Optim;
using Dendrite.Training;

namespace Dendrite.Examples.VanishingGradients;

/// <summary>
/// Why deep sigmoid networks were hard to train and ReLU fixed it: two 10-layer networks with the same initial weights,
/// differing only in their activation. Backpropagation multiplies the error by σ′(z) ≤ 0.25 at every sigmoid layer, so
/// by the first layer the gradient has shrunk by orders of magnitude; ReLU′ is 1 wherever the unit is active.
/// </summary>
public static class VanishingGradientsExample
{
    /// <summary>Linear layers in each network.</summary>
    public const int Depth = 10;

    /// <summary>
    /// 784 → <paramref name="width"/> → … → 10: <see cref="Depth"/> Linear layers with <paramref name="activation"/>
    /// between them, He-initialised weights drawn from <paramref name="seed"/>, so two calls with the same seed start
    /// from the same weights whatever the activation.
    /// </summary>
    public static Sequential Network(string activation, int width = 128, ulong seed = 1)
    {
        var generator = new Generator(seed);
        var model = new Sequential(new Flatten());
        for (int layer = 0; layer < Depth; layer++)
        {
            int inputs = layer == 0 ? 784 : width;
            int outputs = layer == Depth - 1 ? 10 : width;
            var linear = new Linear(inputs, outputs, generator: generator);
            // He initialisation (the init made for ReLU) and zero biases, for both networks: with PyTorch's default
            // U(±1/√fan_in) each ReLU layer also halves the signal, and neither net learns in one epoch.
            Init.KaimingNormal(linear.Weight, nonlinearity: "relu", generator: generator);
            Init.Zeros(linear.Bias!);
            model.Add(linear);
            if (layer < Depth - 1)
                model.Add(activation switch
                {
                    "sigmoid" => new Sigmoid(),
                    "relu" => new ReLU(),
                    _ => throw new ArgumentException($"VanishingGradients: activation must be \"sigmoid\" or \"relu\", got \"{activation}\"."),
                });
        }
        return model;
    }

    /// <summary>
    /// The Frobenius norm ‖∂L/∂W‖ of each Linear layer's weight, first layer first, after one backward pass of the
    /// cross-entropy on <paramref name="batch"/>.
    /// </summary>
    public static double[] WeightGradientNorms(Sequential model, (Tensor Input, Tensor Target) batch)
    {
        model.ZeroGrad();
        F.CrossEntropy(model.Call(batch.Input), batch.Target).Backward();
        var norms = model.Modules().OfType<Linear>()
            .Select(l => Math.Sqrt(l.Weight.Grad!.Data.ToArray().Sum(g => (double)g * g))).ToArray();
        model.ZeroGrad();
        return norms;
    }

    /// <summary>
    /// Trains for one epoch with plain SGD and momentum (the optimiser of the time; Adam's per-weight scaling would
    /// hide part of the effect) and returns the test accuracy.
    /// </summary>
    public static double TrainOneEpoch(Sequential model, IDataset train, IDataset test, float lr = 0.05f, ulong seed = 1)
    {
        var optimizer = new Sgd(model.Parameters(), lr: lr, momentum: 0.9f);
        model.Fit(train, optimizer, Losses.CrossEntropy, epochs: 1, batchSize: 64, seed: seed, verbose: false);
        return model.Evaluate(test, Losses.CrossEntropy).Accuracy ?? 0;
    }

    /// <summary>Norms side by side, one line per layer, with the sigmoid/ReLU ratio.</summary>
    public static string FormatNorms(double[] sigmoid, double[] relu)
    {
        var c = CultureInfo.InvariantCulture;
        var lines = new List<string> { "layer   sigmoid ‖∂L/∂W‖   ReLU ‖∂L/∂W‖   sigmoid / ReLU" };
        for (int i = 0; i < sigmoid.Length; i++)
            lines.Add(string.Create(c, $"{i + 1,5}   {sigmoid[i],15:0.000e+0}   {relu[i],12:0.000e+0}   {sigmoid[i] / relu[i],14:0.000e+0}"));
        return string.Join("\n", lines);
    }
}
