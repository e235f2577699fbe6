// Target: the fit error falls as the hidden layer widens (2 → 8 → 32 units) and 32 units fit x³ − x on [−1.5, 1.5]
// with RMSE below 0.02; exit code 1 otherwise.
// Usage: dotnet run --project examples/UniversalApproximation -c Release [-- --out DIR]   (DIR/fits.png: target and fits)
using System.Globalization;
using Dendrite.Visualization;

namespace Dendrite.Examples.UniversalApproximation;

internal static class Program
{
    private static int Main(string[] args)
    {
        string? outDir = args.Length == 2 && args[0] == "--out" ? args[1] : null;
        if (args.Length != 0 && outDir is null)
        {
            Console.Error.WriteLine("UniversalApproximation: usage: [--out DIR]");
            return 2;
        }
        Console.WriteLine("Fitting f(x) = x³ - x on [-1.5, 1.5] with one hidden layer of ReLU units (200 points, MSE, Adam lr 0.01, 4000 steps)");
        var fits = new List<Fit>();
        foreach (int hidden in new[] { 2, 8, 32 })
        {
            var fit = UniversalApproximationExample.Train(hidden);
            fits.Add(fit);
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"  {hidden,2} hidden units: RMSE {fit.Rmse:0.0000}, largest error {fit.MaxError:0.0000}"));
        }
        if (outDir is not null)
        {
            var x = fits[0].Grid.Select(v => (double)v).ToArray();
            var chart = new LineChart(720, 450).Add(x, fits[0].Grid.Select(v => (double)UniversalApproximationExample.Target(v)).ToArray());
            foreach (var fit in fits) chart.Add(x, fit.Predictions.Select(v => (double)v).ToArray());
            string path = Path.Combine(outDir, "fits.png");
            chart.Save(path);
            Console.WriteLine($"Wrote {path}: target (blue), 2 units (orange), 8 (green), 32 (red)");
        }
        bool falls = fits[0].Rmse > fits[1].Rmse && fits[1].Rmse > fits[2].Rmse;
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"RMSE with 2 / 8 / 32 hidden units: {fits[0].Rmse:0.0000} / {fits[1].Rmse:0.0000} / {fits[2].Rmse:0.0000}"));
        return falls && fits[2].Rmse < 0.02 ? 0 : 1;
    }
}
