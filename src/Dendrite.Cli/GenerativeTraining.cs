using System.CommandLine;
using System.Globalization;
using Dendrite.Generative;

namespace Dendrite.Cli;

/// <summary>
/// <c>dendrite train mnist-autoencoder</c> and <c>dendrite train mnist-gan</c>: the options only they take, and the
/// hand-over to their run classes (they train no classifier, so <see cref="MnistRun"/> does not fit them).
/// </summary>
internal sealed class GenerativeTraining
{
    public const string Autoencoder = "mnist-autoencoder";
    public const string Gan = "mnist-gan";

    /// <summary>The two names with a line each, for the model argument's help.</summary>
    public static string Descriptions =>
        $"{Autoencoder} (dense, convolutional and 2-D-code autoencoders: test reconstruction MSE, PNG reconstructions and latent scatter plot; --variant); " +
        $"{Gan} (a class-conditional DCGAN, or --unconditional: sample grids per epoch, losses.csv, and with --judge the W2 classifier's verdict on 1,000 generated digits)";

    private readonly Option<string> _variant = new("--variant")
    {
        Description = $"{Autoencoder} only: dense, conv, dense-2d or all (default).",
        DefaultValueFactory = _ => "all",
    };
    private readonly Option<double> _minutes = new("--minutes")
    {
        Description = $"{Gan} only: stop training after this many minutes (default 15).",
        DefaultValueFactory = _ => 15,
    };
    private readonly Option<int> _sampleEvery = new("--sample-every")
    {
        Description = $"{Gan} only: write the sample grid after every N epochs (default 1).",
        DefaultValueFactory = _ => 1,
    };
    private readonly Option<string?> _judge = new("--judge")
    {
        Description = $"{Gan} only: model.safetensors of 'dendrite train mnist-cnn --out DIR'; judges 1,000 generated digits with it.",
    };
    private readonly Option<string?> _generator = new("--generator")
    {
        Description = $"{Gan} only: a run's generator.safetensors to judge instead of training a new one.",
    };

    private readonly Option<bool> _unconditional = new("--unconditional")
    {
        Description = $"{Gan} only: train the plain DCGAN, not told the digits' classes (default: class-conditional).",
    };

    public IEnumerable<Option> Options => [_variant, _minutes, _sampleEvery, _judge, _generator, _unconditional];

    public static bool Handles(string model) => model is Autoencoder or Gan;

    /// <summary>
    /// Runs <paramref name="common"/>.Model with the shared options; epochs, batch size, learning rate and seed left at
    /// the CLI's defaults take the example's. Returns the exit code: 1 when a GAN judged by --judge misses issue 6's bar.
    /// </summary>
    public int Run(ParseResult parse, MnistRunOptions common, bool seedGiven)
    {
        if (common.Model == Autoencoder)
        {
            var defaults = new AutoencoderRunOptions();
            AutoencoderRun.Run(new AutoencoderRunOptions(
                Variant: parse.GetValue(_variant)!,
                Epochs: common.Epochs ?? defaults.Epochs,
                BatchSize: common.BatchSize ?? defaults.BatchSize,
                Lr: common.Lr ?? defaults.Lr,
                Seed: seedGiven ? common.Seed : defaults.Seed,
                OutDir: common.OutDir,
                DataDir: MnistData.Directory(common.DataDir),
                TrainLimit: common.TrainLimit), Console.Out);
            return 0;
        }
        double minutes = parse.GetValue(_minutes);
        // TimeSpan holds at most about 1.5e10 minutes; 1e300 overflowed it with a stack trace.
        if (!(minutes > 0) || minutes >= TimeSpan.MaxValue.TotalMinutes)
            throw new ArgumentException(string.Create(CultureInfo.InvariantCulture,
                $"--minutes must be a positive number below {TimeSpan.MaxValue.TotalMinutes:0.#e0}, got {minutes}."));
        var gan = new GanRunOptions();
        var result = GanRun.Run(gan with
        {
            Epochs = common.Epochs ?? gan.Epochs,
            BatchSize = common.BatchSize ?? gan.BatchSize,
            Lr = common.Lr ?? gan.Lr,
            Seed = seedGiven ? common.Seed : gan.Seed,
            OutDir = common.OutDir,
            DataDir = MnistData.Directory(common.DataDir),
            TrainLimit = common.TrainLimit,
            TimeLimit = TimeSpan.FromMinutes(minutes),
            SampleEvery = parse.GetValue(_sampleEvery),
            JudgePath = parse.GetValue(_judge),
            GeneratorPath = parse.GetValue(_generator),
            Conditional = !parse.GetValue(_unconditional),
        }, Console.Out);
        return result.Judgement is { } j && !j.Passes() ? 1 : 0;
    }
}
