// Target (issue 6): trained for at most 15 minutes on 2 cores, the generator's digits are labelled by the W2 classifier
// (dendrite train mnist-cnn --out DIR) with confidence >= 0.9 for at least 90% of 1,000 samples, and all ten classes
// occur. Exit code 1 otherwise (when --judge is given).
// Usage: dotnet run --project examples/Gan -c Release [-- --epochs N] [--batch-size B] [--lr LR] [--minutes M] [--judge DIR/model.safetensors] [--out DIR]
//        [--train-limit N] [--generator DIR/generator.safetensors (judge a trained generator, no training)]
//        [--unconditional (the plain DCGAN, not told the digits' classes)]
using System.Globalization;
using Dendrite.Generative;

namespace Dendrite.Examples.Gan;

internal static class Program
{
    private static int Main(string[] args)
    {
        var options = new GanRunOptions(OutDir: "gan-out", TimeLimit: TimeSpan.FromMinutes(15));
        for (int i = 0; i < args.Length; i++)
        {
            if (args[i] == "--epochs" && i + 1 < args.Length && int.TryParse(args[++i], out int n) && n >= 1)
                options = options with { Epochs = n };
            else if (args[i] == "--batch-size" && i + 1 < args.Length && int.TryParse(args[++i], out int b) && b >= 2)
                options = options with { BatchSize = b };
            else if (args[i] == "--lr" && i + 1 < args.Length
                && float.TryParse(args[++i], CultureInfo.InvariantCulture, out float lr) && lr > 0)
                options = options with { Lr = lr };
            else if (args[i] == "--minutes" && i + 1 < args.Length
                && double.TryParse(args[++i], CultureInfo.InvariantCulture, out double m) && m > 0)
                options = options with { TimeLimit = TimeSpan.FromMinutes(m) };
            else if (args[i] == "--train-limit" && i + 1 < args.Length && int.TryParse(args[++i], out int limit) && limit >= 2)
                options = options with { TrainLimit = limit };
            else if (args[i] == "--judge" && i + 1 < args.Length) options = options with { JudgePath = args[++i] };
            else if (args[i] == "--generator" && i + 1 < args.Length) options = options with { GeneratorPath = args[++i] };
            else if (args[i] == "--out" && i + 1 < args.Length) options = options with { OutDir = args[++i] };
            else if (args[i] == "--unconditional") options = options with { Conditional = false };
            else
            {
                Console.Error.WriteLine($"Gan: unexpected argument \"{args[i]}\". Usage: [--epochs N] [--batch-size B] [--lr LR] [--minutes M] [--judge FILE] [--out DIR] [--train-limit N] [--generator FILE] [--unconditional]");
                return 2;
            }
        }
        var result = GanRun.Run(options, Console.Out);
        return result.Judgement is { } j && !j.Passes() ? 1 : 0;
    }
}
