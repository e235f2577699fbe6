// Target: the diagonal pattern scores exactly 3, 1 and 0 against the three patches; exit code 1 otherwise. Also writes
// a test digit, the four hand-made line detectors and their feature maps as PNG to --out DIR (default
// ./hand-designed-filters-out).
// Usage: dotnet run --project examples/HandDesignedFilters -c Release [-- [--digit N] [--out DIR]]
//   --digit N: which test image to filter (default 0, a 7: a horizontal bar and a "/" stroke).
using System.Globalization;
using Dendrite.Data;

namespace Dendrite.Examples.HandDesignedFilters;

internal static class Program
{
    private static int Main(string[] args)
    {
        int index = 0;
        string outDir = "hand-designed-filters-out";
        for (int i = 0; i < args.Length; i++)
        {
            if (args[i] == "--digit" && i + 1 < args.Length && int.TryParse(args[++i], out int n) && n >= 0 && n < 10000) index = n;
            else if (args[i] == "--out" && i + 1 < args.Length) outDir = args[++i];
            else
            {
                Console.Error.WriteLine($"HandDesignedFilters: unexpected argument \"{args[i]}\". Usage: [--digit N (0-9999)] [--out DIR]");
                return 2;
            }
        }
        var c = CultureInfo.InvariantCulture;

        Console.WriteLine("1. Convolution is a pattern matcher: the diagonal [[1,0,0],[0,1,0],[0,0,1]] against three patches");
        var scores = HandDesignedFiltersExample.PatternScores();
        string[] patches = ["the diagonal itself", "the other diagonal (shares the centre)", "the diagonal shifted right"];
        for (int i = 0; i < scores.Length; i++) Console.WriteLine(string.Create(c, $"   {patches[i],-40} score {scores[i]}"));

        var (_, test) = Mnist.Load();
        var (image, label) = test[index];
        var maps = HandDesignedFiltersExample.FeatureMaps(image);
        Console.WriteLine();
        Console.WriteLine(string.Create(c, $"2. Four 3×3 line detectors slid over test digit {index} (a {label.Item()}): strongest response and ink-weighted mean"));
        int plane = maps.Shape[2] * maps.Shape[3];
        for (int d = 0; d < maps.Shape[1]; d++)
        {
            var map = maps.Data.Slice(d * plane, plane);
            float max = float.NegativeInfinity, weighted = 0, ink = 0;
            for (int p = 0; p < plane; p++)
            {
                max = MathF.Max(max, map[p]);
                weighted += map[p] * image.Data[p];
                ink += image.Data[p];
            }
            Console.WriteLine(string.Create(c, $"   {HandDesignedFiltersExample.DetectorNames[d],-12} max {max,5:0.00}   mean over the strokes {weighted / ink,6:0.00}"));
        }
        var files = HandDesignedFiltersExample.WritePictures(outDir, image);
        Console.WriteLine($"   wrote {string.Join(", ", files)}");

        Console.WriteLine();
        bool exact = scores is [3f, 1f, 0f];
        Console.WriteLine(string.Create(c, $"Pattern scores: {string.Join(", ", scores)} (target 3, 1, 0)"));
        return exact ? 0 : 1;
    }
}
