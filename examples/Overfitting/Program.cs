// Target: the plain network overfits (its validation loss ends above its minimum) and dropout + weight decay ends with
// higher validation accuracy than the plain network; early stopping restores the best epoch's weights. Exit code 1
// otherwise. Writes CSV and PNG curves to --out DIR (default ./overfitting-out).
// Usage: dotnet run --project examples/Overfitting -c Release [-- --epochs N] [--out DIR]
using System.Globalization;
using Dendrite.Data;
using Dendrite.Training;

namespace Dendrite.Examples.Overfitting;

internal static class Program
{
    private static int Main(string[] args)
    {
        int epochs = 25;
        string outDir = "overfitting-out";
        for (int i = 0; i < args.Length; i++)
        {
            if (args[i] == "--epochs" && i + 1 < args.Length && int.TryParse(args[++i], out int n) && n >= 1) epochs = n;
            else if (args[i] == "--out" && i + 1 < args.Length) outDir = args[++i];
            else
            {
                Console.Error.WriteLine($"Overfitting: unexpected argument \"{args[i]}\". Usage: [--epochs N (>= 1)] [--out DIR]");
                return 2;
            }
        }
        var c = CultureInfo.InvariantCulture;
        var (mnistTrain, _) = Mnist.Load();
        var (train, validation) = OverfittingExample.Split(mnistTrain);
        Console.WriteLine($"784-800-800-10 ReLU network on {train.Count} MNIST images, validated on {validation.Count} others; AdamW lr 1e-3, batch 32, {epochs} epochs");

        var results = new List<VariantResult>();
        foreach (var variant in OverfittingExample.Variants)
        {
            var result = OverfittingExample.Train(variant, train, validation, epochs);
            results.Add(result);
            var (csv, png) = OverfittingExample.WriteCurves(result, outDir);
            Console.WriteLine(OverfittingExample.Describe(result));
            Console.WriteLine($"{"",-22} wrote {csv}, {png}");
        }
        Console.WriteLine($"Wrote {OverfittingExample.WriteAccuracyChart(results, outDir)} (validation accuracy: plain blue, dropout orange, weight decay green, both red)");

        var stopper = new EarlyStopping("val_loss", patience: 3, restoreBestWeights: true);
        var stopped = OverfittingExample.Train(OverfittingExample.Variants[0], train, validation, epochs, callbacks: [stopper]);
        var (restoredLoss, restoredAccuracy) = stopped.Model.Evaluate(validation, Losses.CrossEntropy);
        Console.WriteLine(string.Create(c,
            $"Early stopping (plain, val_loss, patience 3): stopped after epoch {stopper.StoppedEpoch}, restored epoch {stopper.BestEpoch}: val loss {restoredLoss:0.0000} (best logged {stopper.Best:0.0000}), val acc {restoredAccuracy * 100:0.00}%"));

        var plain = results[0];
        var both = results[3];
        bool overfits = plain.History["val_loss"][^1] > plain.History["val_loss"].Min();
        bool helps = both.FinalValAccuracy > plain.FinalValAccuracy;
        bool restored = stopper.RestoredBestWeights && Math.Abs(restoredLoss - stopper.Best) < 1e-4;
        Console.WriteLine(string.Create(c,
            $"Validation accuracy after {epochs} epochs: plain {plain.FinalValAccuracy * 100:0.00}%, dropout {results[1].FinalValAccuracy * 100:0.00}%, weight decay {results[2].FinalValAccuracy * 100:0.00}%, both {both.FinalValAccuracy * 100:0.00}%"));
        return overfits && helps && restored ? 0 : 1;
    }
}
