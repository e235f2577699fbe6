// Target: at the start, the sigmoid network's first-layer gradient norm is at least 100x smaller than the ReLU
// network's, and after one epoch the ReLU network is ahead in test accuracy; exit code 1 otherwise.
using System.Globalization;
using Dendrite.Data;

namespace Dendrite.Examples.VanishingGradients;

internal static class Program
{
    private static int Main()
    {
        var c = CultureInfo.InvariantCulture;
        var (train, test) = Mnist.Load();
        var sigmoid = VanishingGradientsExample.Network("sigmoid");
        var relu = VanishingGradientsExample.Network("relu");
        Console.WriteLine($"Two networks of {VanishingGradientsExample.Depth} Linear layers (784 → 128 × 9 → 10), the same initial weights; only the activation differs.");

        var batch = train.GetBatch(Enumerable.Range(0, 128).ToArray());
        var sigmoidNorms = VanishingGradientsExample.WeightGradientNorms(sigmoid, batch);
        var reluNorms = VanishingGradientsExample.WeightGradientNorms(relu, batch);
        Console.WriteLine("Gradient norm of each layer's weights at the start (one batch of 128 training images):");
        Console.WriteLine(VanishingGradientsExample.FormatNorms(sigmoidNorms, reluNorms));
        double ratio = reluNorms[0] / sigmoidNorms[0];

        Console.WriteLine("One epoch of SGD (lr 0.05, momentum 0.9, batch 64) each:");
        double sigmoidAccuracy = VanishingGradientsExample.TrainOneEpoch(sigmoid, train, test);
        Console.WriteLine(string.Create(c, $"  sigmoid: test accuracy {sigmoidAccuracy * 100:0.00}%"));
        double reluAccuracy = VanishingGradientsExample.TrainOneEpoch(relu, train, test);
        Console.WriteLine(string.Create(c, $"  ReLU:    test accuracy {reluAccuracy * 100:0.00}%"));

        Console.WriteLine(string.Create(c,
            $"First-layer gradient: ReLU / sigmoid = {ratio:0.0e+0} (target >= 100); accuracy after one epoch: sigmoid {sigmoidAccuracy * 100:0.00}%, ReLU {reluAccuracy * 100:0.00}%"));
        return ratio >= 100 && reluAccuracy > sigmoidAccuracy ? 0 : 1;
    }
}
