using System.Diagnostics;
using System.Globalization;
using System.Text;
using Dendrite.Data;
using Dendrite.IO;
using Dendrite.NN;

namespace Dendrite.Generative;

/// <summary>
/// Trains the DCGAN on MNIST and writes what it makes: sample grids from one fixed noise batch as training goes, a
/// CSV of both losses per step, the generator's weights, and (given a classifier) the judge's histogram. The CLI's
/// <c>train mnist-gan</c> and the example's Program are thin shells around this.
/// </summary>
public static class GanRun
{
    /// <summary>Header of <c>losses.csv</c>: one row per step.</summary>
    public const string CsvHeader = "step,epoch,loss_d,loss_g,d_real,d_fake";

    /// <summary>Runs training (and judging when <see cref="GanRunOptions.JudgePath"/> is set), reporting to <paramref name="output"/>.</summary>
    public static GanRunResult Run(GanRunOptions o, TextWriter output, TensorDataset? train = null)
    {
        if (o.Epochs < 1) throw new ArgumentOutOfRangeException(nameof(o), $"mnist-gan: --epochs must be at least 1, got {o.Epochs}.");
        if (o.BatchSize < 2) throw new ArgumentOutOfRangeException(nameof(o), $"mnist-gan: --batch-size must be at least 2 (batch norm), got {o.BatchSize}.");
        if (!(o.Lr > 0) || !float.IsFinite(o.Lr)) throw new ArgumentOutOfRangeException(nameof(o), $"mnist-gan: --lr must be a positive number, got {o.Lr}.");
        if (o.SampleEvery < 1) throw new ArgumentOutOfRangeException(nameof(o), $"mnist-gan: --sample-every must be at least 1, got {o.SampleEvery}.");
        var c = CultureInfo.InvariantCulture;
        // Load the judge first: a wrong path should fail in a second, not after the training.
        var classifier = o.JudgePath is { } judgePath ? DigitJudge.LoadClassifier(judgePath) : null;
        if (o.OutDir is { } dir) Directory.CreateDirectory(dir);
        Torch.ManualSeed(o.Seed);
        int classes = o.Conditional ? 10 : 0;
        var trainer = new GanTrainer(Dcgan.Generator(o.Latent, o.Width, classes),
            o.Conditional ? Dcgan.ConditionalDiscriminator(o.Width, classes) : Dcgan.Discriminator(o.Width), o.Latent, o.Lr, o.Seed);
        if (o.GeneratorPath is { } generatorPath)
        {
            LoadGenerator(trainer.Generator, generatorPath, o.Conditional);
            output.WriteLine($"Loaded the generator from {generatorPath}; no training");
            return new GanRunResult([], 0, TimeSpan.Zero, false, JudgeSamples(trainer, classifier, o, output));
        }
        train ??= Mnist.Load(o.DataDir).Train;
        if (o.TrainLimit is { } limit) train = train.Take(limit);
        // Conditional: ten columns, one per class, so that each column shows one digit in eight hands.
        int gridColumns = o.Conditional ? classes : 8;
        var fixedNoise = Tensor.Randn(new Shape(8 * gridColumns, o.Latent), new Generator(o.Seed + 0xF1ED));
        var fixedClasses = o.Conditional ? trainer.EachClassInTurn(8 * gridColumns) : null;
        // dropLast: a last batch of one image would break batch norm's statistics.
        var loader = new DataLoader(train, o.BatchSize, shuffle: true, seed: o.Seed, dropLast: true, recycle: true);
        output.WriteLine(string.Create(c,
            $"Training a {(o.Conditional ? "class-conditional " : "")}DCGAN on {train.Count} MNIST images: {o.Epochs} epochs of {loader.Count} steps, batch {o.BatchSize}, Adam lr {o.Lr} betas (0.5, 0.999), noise {o.Latent}, width {o.Width}, seed {o.Seed}{(o.TimeLimit is { } t ? $", time limit {t.TotalMinutes:0.#} min" : "")}, {Backends.Cpu.Threading.NumThreads} threads"));

        var steps = new List<GanStep>();
        var csv = new StringBuilder(CsvHeader).Append('\n');
        var clock = Stopwatch.StartNew();
        bool stopped = false;
        int epoch = 0;
        while (epoch < o.Epochs && !stopped)
        {
            epoch++;
            int first = steps.Count;
            var epochClock = Stopwatch.StartNew();
            foreach (var (real, labels) in loader)
            {
                var s = trainer.Step(real, o.Conditional ? labels : null);
                steps.Add(s);
                csv.Append(c, $"{steps.Count},{epoch},{s.DiscriminatorLoss:G6},{s.GeneratorLoss:G6},{s.RealScore:G6},{s.FakeScore:G6}\n");
                if ((steps.Count - first) % 200 == 0)
                    output.WriteLine($"  epoch {epoch} step {steps.Count - first}/{loader.Count}: {Describe(steps, first)} ({clock.Elapsed.TotalMinutes:0.0} min)");
                if (clock.Elapsed > o.TimeLimit) { stopped = true; break; }
            }
            output.WriteLine(string.Create(c,
                $"Epoch {epoch}/{o.Epochs} - {epochClock.Elapsed.TotalSeconds:0}s - {Describe(steps, first)}{(stopped ? $" - time limit reached after {steps.Count - first} steps" : "")}"));
            if (o.OutDir is { } outDir)
            {
                AtomicFile.WriteAllText(Path.Combine(outDir, "losses.csv"), csv.ToString());
                if (epoch % o.SampleEvery == 0 || epoch == o.Epochs || stopped)
                {
                    string grid = Path.Combine(outDir, $"samples-epoch-{epoch:000}.png");
                    Png.WriteGrid(grid, trainer.Sample(fixedNoise, fixedClasses), columns: gridColumns);
                    output.WriteLine($"  wrote {grid}");
                }
            }
        }
        var trainingTime = clock.Elapsed;
        output.WriteLine(string.Create(c, $"Trained {steps.Count} steps in {trainingTime.TotalMinutes:0.0} min"));
        if (o.OutDir is { } saveDir)
        {
            SafeTensors.Save(Path.Combine(saveDir, "generator.safetensors"), trainer.Generator.StateDict(),
                new Dictionary<string, string> { ["model"] = "mnist-gan generator", ["format"] = "pt" });
            output.WriteLine($"Saved {Path.Combine(saveDir, "generator.safetensors")} and {Path.Combine(saveDir, "losses.csv")}");
        }

        return new GanRunResult(steps, epoch, trainingTime, stopped, JudgeSamples(trainer, classifier, o, output));
    }

    /// <summary>
    /// Draws <see cref="GanRunOptions.JudgeSamples"/> digits from fresh noise (conditional: each class in turn) and has
    /// the classifier judge them, with their within-class spread beside that of as many real test digits.
    /// </summary>
    private static JudgeResult? JudgeSamples(GanTrainer trainer, Module? classifier, GanRunOptions o, TextWriter output)
    {
        if (classifier is null) return null;
        var asked = trainer.IsConditional ? trainer.EachClassInTurn(o.JudgeSamples) : null;
        var samples = trainer.Sample(Tensor.Randn(new Shape(o.JudgeSamples, o.Latent), new Generator(o.Seed + 0x10DCE)), asked);
        var test = Mnist.Load(o.DataDir).Test.Take(o.JudgeSamples);
        var judgement = DigitJudge.Judge(classifier, samples, askedClasses: asked, realImages: test.Inputs, realLabels: test.Targets);
        output.WriteLine($"Judged {o.JudgeSamples} generated digits{(asked is null ? "" : $" ({o.JudgeSamples / trainer.Classes} or more asked of each class)")} with the mnist-cnn classifier {o.JudgePath}:");
        output.WriteLine(judgement.ToString());
        if (o.OutDir is { } dir)
        {
            int shown = Math.Min(100, o.JudgeSamples);
            string grid = Path.Combine(dir, "judged-samples.png");
            Png.WriteGrid(grid, samples.Slice(0, shown), columns: 10);
            output.WriteLine($"Wrote the first {shown} judged samples to {grid}");
        }
        return judgement;
    }

    /// <summary>Loads weights saved by a run (<c>generator.safetensors</c>) into a generator built with the same sizes.</summary>
    private static void LoadGenerator(Module generator, string path, bool conditional)
    {
        if (!File.Exists(path)) throw new FileNotFoundException($"mnist-gan: generator weights not found: {path}.", path);
        string fit = $"mnist-gan: {path} does not fit the {(conditional ? "class-conditional" : "unconditional")} generator (trained {(conditional ? "with --unconditional, or " : "without --unconditional, or ")}with another width?)";
        var weights = SafeTensors.Load(path);
        IReadOnlyList<string> missing, unexpected;
        try
        {
            (missing, unexpected) = generator.LoadStateDict(weights, strict: false);
        }
        catch (ArgumentException e)   // a tensor of another shape
        {
            throw new ArgumentException($"{fit}: {e.Message}", e);
        }
        if (missing.Count > 0 || unexpected.Count > 0)
            throw new ArgumentException($"{fit}: missing {string.Join(", ", missing)}; unexpected {string.Join(", ", unexpected)}.");
    }

    /// <summary>Means over the steps from <paramref name="first"/> on: losses and the discriminator's scores.</summary>
    private static string Describe(List<GanStep> steps, int first)
    {
        int n = steps.Count - first;
        if (n == 0) return "no steps";
        double d = 0, g = 0, real = 0, fake = 0;
        for (int i = first; i < steps.Count; i++)
            (d, g, real, fake) = (d + steps[i].DiscriminatorLoss, g + steps[i].GeneratorLoss, real + steps[i].RealScore, fake + steps[i].FakeScore);
        return string.Create(CultureInfo.InvariantCulture, $"loss_d {d / n:0.000} - loss_g {g / n:0.000} - D(x) {real / n:0.00} - D(G(z)) {fake / n:0.00}");
    }
}
