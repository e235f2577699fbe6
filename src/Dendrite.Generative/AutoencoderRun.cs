using System.Globalization;
using Dendrite.Data;
using Dendrite.IO;

namespace Dendrite.Generative;

/// <summary>
/// Trains the chosen autoencoders on MNIST, reports each one's test reconstruction MSE, and with an output directory
/// writes NAME-reconstructions.png (originals over reconstructions), NAME.safetensors and, for the 2-D code,
/// dense-2d-latent.png. The CLI's <c>train mnist-autoencoder</c> and the example's Program are thin shells around this.
/// </summary>
public static class AutoencoderRun
{
    /// <summary>Runs the variants in order (dense, conv, dense-2d) and returns each one's test MSE by name.</summary>
    public static IReadOnlyDictionary<string, double> Run(AutoencoderRunOptions o, TextWriter output,
        (TensorDataset Train, TensorDataset Test)? data = null)
    {
        if (!AutoencoderRunOptions.Variants.Contains(o.Variant))
            throw new ArgumentException($"mnist-autoencoder: unknown variant \"{o.Variant}\"; available: {string.Join(", ", AutoencoderRunOptions.Variants)}.");
        if (o.Epochs < 1) throw new ArgumentOutOfRangeException(nameof(o), $"mnist-autoencoder: --epochs must be at least 1, got {o.Epochs}.");
        if (o.BatchSize < 1) throw new ArgumentOutOfRangeException(nameof(o), $"mnist-autoencoder: --batch-size must be at least 1, got {o.BatchSize}.");
        if (!(o.Lr > 0) || !float.IsFinite(o.Lr)) throw new ArgumentOutOfRangeException(nameof(o), $"mnist-autoencoder: --lr must be a positive number, got {o.Lr}.");
        var (train, test) = data ?? Mnist.Load(o.DataDir);
        if (o.TrainLimit is { } limit) train = train.Take(limit);
        if (o.OutDir is { } dir) Directory.CreateDirectory(dir);
        var c = CultureInfo.InvariantCulture;
        var results = new Dictionary<string, double>();
        foreach (string name in o.Variant == "all" ? ["dense", "conv", "dense-2d"] : new[] { o.Variant })
        {
            Torch.ManualSeed(o.Seed);
            var model = name switch
            {
                "dense" => Autoencoders.Dense(32),
                "conv" => Autoencoders.Convolutional(32),
                _ => Autoencoders.Dense(2),
            };
            output.WriteLine(string.Create(c,
                $"Training the {name} autoencoder (code of {model.Bottleneck}) on {train.Count} MNIST images: {o.Epochs} epochs, batch {o.BatchSize}, Adam lr {o.Lr}, seed {o.Seed}, {Backends.Cpu.Threading.NumThreads} threads"));
            Autoencoders.Train(model, train, o.Epochs, o.BatchSize, o.Lr, o.Seed, output);
            double mse = Autoencoders.ReconstructionMse(model, Autoencoders.SelfSupervised(test));
            results[name] = mse;
            output.WriteLine(string.Create(c, $"{name}: test reconstruction MSE {mse:0.00000} ({test.Count} images, pixels in [0, 1])"));
            if (o.OutDir is not { } outDir) continue;
            string grid = Path.Combine(outDir, $"{name}-reconstructions.png");
            Autoencoders.WriteReconstructions(model, test, grid);
            string weights = Path.Combine(outDir, $"{name}.safetensors");
            SafeTensors.Save(weights, model.StateDict(),
                new Dictionary<string, string> { ["model"] = $"mnist-autoencoder {name}", ["format"] = "pt" });
            output.WriteLine($"  wrote {grid} (originals over reconstructions) and {weights}");
            if (model.Bottleneck == 2)
            {
                string scatter = Path.Combine(outDir, $"{name}-latent.png");
                Autoencoders.WriteLatentScatter(model, test, scatter);
                output.WriteLine($"  wrote {scatter} (the {test.Count} test digits' codes, coloured by label: 0 blue, 1 orange, 2 green, 3 red, 4 purple, 5 brown, 6 pink, 7 grey, 8 olive, 9 cyan)");
            }
        }
        return results;
    }
}
