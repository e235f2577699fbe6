// Target: test accuracy >= 97% after 2 epochs (the default) of the W1 dense network; exit code 1 below it.
// Usage: dotnet run --project examples/MnistMlp -c Release [-- [--epochs N] [--fit]]
//   default: the explicit PyTorch-style loop (MnistMlpExample.TrainWithLoop); --fit: the same run through model.Fit.
using System.Globalization;

namespace Dendrite.Examples.MnistMlp;

internal static class Program
{
    private const double Target = 0.97;

    private static int Main(string[] args)
    {
        int epochs = 2;
        bool useFit = false;
        for (int i = 0; i < args.Length; i++)
        {
            if (args[i] == "--epochs" && i + 1 < args.Length && int.TryParse(args[++i], out int n) && n >= 1) epochs = n;
            else if (args[i] == "--fit") useFit = true;
            else
            {
                Console.Error.WriteLine($"MnistMlp: unexpected argument \"{args[i]}\". Usage: [--epochs N (>= 1)] [--fit]");
                return 2;
            }
        }

        double accuracy = useFit ? MnistMlpExample.TrainWithFit(epochs) : MnistMlpExample.TrainWithLoop(epochs);
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"Final test accuracy: {accuracy * 100:0.00}% (target >= {Target * 100:0}% after 2 epochs)"));
        return accuracy >= Target ? 0 : 1;
    }
}
