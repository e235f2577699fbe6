// Target (issue 6): the dense autoencoder with a 32-unit code reaches test reconstruction MSE <= 0.012 (pixels in
// [0, 1]) within 10 epochs; exit code 1 otherwise. Writes reconstruction grids, weights and the 2-D latent scatter
// plot to --out DIR (default ./autoencoder-out).
// Usage: dotnet run --project examples/Autoencoder -c Release [-- --variant dense|conv|dense-2d|all] [--epochs N]
//        [--out DIR] [--train-limit N]
using Dendrite.Generative;

namespace Dendrite.Examples.Autoencoders;

internal static class Program
{
    private static int Main(string[] args)
    {
        var options = new AutoencoderRunOptions(OutDir: "autoencoder-out");
        for (int i = 0; i < args.Length; i++)
        {
            if (args[i] == "--epochs" && i + 1 < args.Length && int.TryParse(args[++i], out int n) && n >= 1)
                options = options with { Epochs = n };
            else if (args[i] == "--variant" && i + 1 < args.Length) options = options with { Variant = args[++i] };
            else if (args[i] == "--out" && i + 1 < args.Length) options = options with { OutDir = args[++i] };
            else if (args[i] == "--train-limit" && i + 1 < args.Length && int.TryParse(args[++i], out int limit) && limit >= 1)
                options = options with { TrainLimit = limit };
            else
            {
                Console.Error.WriteLine($"Autoencoder: unexpected argument \"{args[i]}\". Usage: [--variant dense|conv|dense-2d|all] [--epochs N] [--out DIR] [--train-limit N]");
                return 2;
            }
        }
        var mse = AutoencoderRun.Run(options, Console.Out);
        return mse.TryGetValue("dense", out double dense) && dense > 0.012 ? 1 : 0;
    }
}
