using Dendrite.Autograd;
using Dendrite.Cli;
using Dendrite.Generative;
using Dendrite.IO;
using Dendrite.NN;
using Dendrite.Tests.TestSupport;
using Dendrite.Training;
using StbImageSharp;

namespace Dendrite.Tests.Generative;

[Collection(ProcessStateCollection.Name)]   // seeds the default generator
public class GanTests
{
    [Fact]
    public void Generator_makes_28x28_images_in_tanh_range_and_the_discriminator_one_logit_each()
    {
        Torch.ManualSeed(3);
        var g = Dcgan.Generator(latent: 16, width: 8);
        var d = Dcgan.Discriminator(width: 8);

        var images = g.Call(Tensor.Randn(5, 16));
        var logits = d.Call(images);

        Assert.Equal(new Shape(5, 1, 28, 28), images.Shape);
        Assert.All(images.ToArray(), v => Assert.InRange(v, -1f, 1f));
        Assert.True(images.ToArray().Max() - images.ToArray().Min() > 1e-3f, "the generator's output is constant");
        Assert.Equal(new Shape(5, 1), logits.Shape);
        // DCGAN init: conv weights ~ N(0, 0.02), batch-norm scales ~ N(1, 0.02).
        var w = ((ConvTranspose2d)g.Modules().First(m => m is ConvTranspose2d)).Weight.ToArray();
        Assert.InRange(Math.Sqrt(w.Select(v => (double)v * v).Average()), 0.017, 0.023);
        var scale = g.Modules().OfType<BatchNorm2d>().Single().Weight!.ToArray();
        Assert.InRange(scale.Average(), 0.99, 1.01);
    }

    [Fact]
    public void Optimisers_use_DCGAN_betas()
    {
        var trainer = new GanTrainer(Dcgan.Generator(8, 4), Dcgan.Discriminator(4), 8, lr: 2e-4f);
        Assert.Equal((0.5f, 0.999f, 2e-4f), (trainer.GeneratorOptimizer.Beta1, trainer.GeneratorOptimizer.Beta2, trainer.GeneratorOptimizer.Lr));
        Assert.Equal((0.5f, 0.999f), (trainer.DiscriminatorOptimizer.Beta1, trainer.DiscriminatorOptimizer.Beta2));
    }

    [Fact]
    public void A_few_steps_on_a_tiny_subset_move_both_players_and_the_discriminator_tells_real_from_fake()
    {
        Torch.ManualSeed(5);
        var g = Dcgan.Generator(latent: 16, width: 8);
        var d = Dcgan.Discriminator(width: 8);
        var trainer = new GanTrainer(g, d, latent: 16, lr: 1e-3f, seed: 2);
        var real = MnistData.Train.Inputs.Slice(0, 32).Clone();
        var g0 = g.Parameters().Select(p => p.ToArray()).ToList();
        var d0 = d.Parameters().Select(p => p.ToArray()).ToList();
        var fixedNoise = Tensor.Randn(new Shape(4, 16), new Generator(9));
        var before = trainer.Sample(fixedNoise);

        var steps = Enumerable.Range(0, 12).Select(_ => trainer.Step(real)).ToList();

        Assert.All(steps, s => Assert.True(float.IsFinite(s.DiscriminatorLoss) && float.IsFinite(s.GeneratorLoss)));
        // At the start D knows nothing: its loss is near 2 ln 2 ≈ 1.386 (two terms of ln 2). G's first loss comes after
        // D's first update, so it is already above ln 2 ≈ 0.693: D has learnt a little to reject fakes.
        Assert.InRange(steps[0].DiscriminatorLoss, 1.2f, 1.6f);
        Assert.InRange(steps[0].GeneratorLoss, 0.7f, 1.3f);
        // Twelve steps on the same 32 digits: D learns to separate them from the fakes, and the losses move apart.
        Assert.True(steps[^1].DiscriminatorLoss < steps[0].DiscriminatorLoss - 0.2f, $"D loss {steps[0].DiscriminatorLoss} → {steps[^1].DiscriminatorLoss}");
        Assert.True(steps[^1].GeneratorLoss > steps[0].GeneratorLoss, $"G loss {steps[0].GeneratorLoss} → {steps[^1].GeneratorLoss}");
        Assert.True(steps[^1].RealScore > steps[^1].FakeScore + 0.2f, $"D(x) {steps[^1].RealScore}, D(G(z)) {steps[^1].FakeScore}");
        Assert.Contains(g.Parameters().Zip(g0), pair => !pair.First.ToArray().SequenceEqual(pair.Second));
        Assert.All(d.Parameters().Zip(d0), pair => Assert.False(pair.First.ToArray().SequenceEqual(pair.Second)));

        var after = trainer.Sample(fixedNoise);
        Assert.Equal(new Shape(4, 1, 28, 28), after.Shape);
        Assert.All(after.ToArray(), v => Assert.InRange(v, 0f, 1f));
        Assert.NotEqual(before.ToArray(), after.ToArray());
        Assert.True(g.Training, "Sample must leave the generator in training mode");
    }

    [Fact]
    public void Judge_counts_labels_and_confident_labels_per_class()
    {
        // Four samples over three classes: class 0 with p 0.95 (confident) and 0.6 (not), class 2 with exactly 0.9
        // (confident: the bar is >=), class 1 with 0.5 (not).
        var p = Tensor.FromArray([0.95f, 0.03f, 0.02f, 0.6f, 0.3f, 0.1f, 0.05f, 0.05f, 0.9f, 0.2f, 0.5f, 0.3f], 4, 3);

        var r = DigitJudge.Count(p, 0.9f);

        Assert.Equal([2, 1, 1], r.Labels);
        Assert.Equal([1, 0, 1], r.ConfidentLabels);
        Assert.Equal((4, 2, 0.5), (r.Total, r.Confident, r.ConfidentFraction));
        Assert.False(r.EveryClassOccurs);
        Assert.False(r.Passes());
        Assert.Contains("2 of 4 samples (50.0%)", r.ToString());
        Assert.Contains("missing classes: 1.", r.ToString());

        var good = DigitJudge.Count(Tensor.FromArray([0.99f, 0.01f, 0.05f, 0.95f, 0.92f, 0.08f], 3, 2), 0.9f);
        Assert.True(good.Passes());
        Assert.Equal([2, 1], good.ConfidentLabels);
        Assert.Contains("every class occurs", good.ToString());
        Assert.Throws<ShapeMismatchException>(() => DigitJudge.Count(Tensor.Zeros(4), 0.9f));
    }

    [Fact]
    public void Short_run_writes_losses_samples_and_generator_and_a_loaded_generator_is_judged()
    {
        using var dir = new TempDirectory();
        Torch.ManualSeed(1);
        string classifierPath = dir.File("classifier.safetensors");
        SafeTensors.Save(classifierPath, Presets.MnistCnn().StateDict());
        var options = new GanRunOptions(Epochs: 2, BatchSize: 16, OutDir: dir.Path, TrainLimit: 48, Latent: 8, Width: 4,
            JudgePath: classifierPath, JudgeSamples: 30);
        var log = new StringWriter();

        var result = GanRun.Run(options, log, MnistData.Train);

        Assert.Equal(6, result.Steps.Count);   // 2 epochs of 48 / 16
        Assert.Equal(2, result.EpochsRun);
        var csv = File.ReadAllLines(dir.File("losses.csv"));
        Assert.Equal(GanRun.CsvHeader, csv[0]);
        Assert.Equal(7, csv.Length);
        var last = csv[^1].Split(',');
        Assert.Equal(("6", "2"), (last[0], last[1]));
        Assert.Equal(result.Steps[^1].GeneratorLoss, float.Parse(last[3], System.Globalization.CultureInfo.InvariantCulture), 4);
        foreach (string name in new[] { "samples-epoch-001.png", "samples-epoch-002.png" })
        {
            var image = ImageResult.FromMemory(File.ReadAllBytes(dir.File(name)), ColorComponents.Grey);
            Assert.Equal((302, 242), (image.Width, image.Height));   // a column per class: 10 × (28 + 2) + 2 by 8 rows
        }
        var judged = result.Judgement!;
        Assert.Equal(30, judged.Total);
        Assert.Contains("Judged 30 generated digits (3 or more asked of each class)", log.ToString());
        Assert.Contains("Training a class-conditional DCGAN", log.ToString());
        Assert.InRange(judged.MatchingAskedClass!.Value, 0, 30);
        Assert.Contains("labelled as the class the generator was asked for", log.ToString());
        var (generatedSpread, realSpread) = judged.Spread!.Value;
        Assert.True(generatedSpread >= 0 && realSpread > 5, $"spreads {generatedSpread}, {realSpread}");   // two real digits differ by ~10

        // Judging a saved generator reproduces the verdict on the same noise.
        var again = GanRun.Run(options with { GeneratorPath = dir.File("generator.safetensors"), OutDir = null }, new StringWriter());
        Assert.Empty(again.Steps);
        Assert.Equal(judged.Labels, again.Judgement!.Labels);
        Assert.Equal(judged.ConfidentLabels, again.Judgement.ConfidentLabels);
    }

    [Fact]
    public void The_projection_discriminator_adds_the_class_vector_dot_the_features_to_the_plain_score()
    {
        Torch.ManualSeed(7);
        var d = Dcgan.ConditionalDiscriminator(width: 2, classes: 3);
        d.Eval();   // batch norm from running statistics: the features of one image do not depend on the others
        var images = Tensor.Randn(new Shape(4, 1, 28, 28), new Generator(3));
        var labels = Tensor.FromArray([2f, 0f, 1f, 2f], 4);

        var logits = d.Forward(images, labels).ToArray();

        var features = d.Features.Call(images);   // [4, 2·2·7·7]
        var plain = d.Head.Call(features).ToArray();
        var embedding = d.ClassEmbedding.Weight.ToArray();
        int size = features.Shape[1];
        Assert.Equal(196, size);
        for (int i = 0; i < 4; i++)
        {
            int y = (int)labels.Data[i];
            double dot = 0;
            for (int f = 0; f < size; f++) dot += features.Data[i * size + f] * embedding[y * size + f];
            Assert.Equal(plain[i] + dot, logits[i], 4);
        }
        Assert.Equal(0.02, Math.Sqrt(embedding.Average(v => (double)v * v)), 0.004);   // DCGAN's N(0, 0.02)
        Assert.Throws<InvalidOperationException>(() => d.Call(images));
        Assert.Throws<ShapeMismatchException>(() => d.Forward(images, Tensor.Zeros(3)));
        Assert.Throws<ArgumentOutOfRangeException>(() => d.Forward(images, Tensor.FromArray([0f, 1f, 3f, 0f], 4)));
    }

    [Fact]
    public void The_projection_score_passes_a_gradient_check_in_features_and_class_vectors()
    {
        var labels = Tensor.FromArray([1f, 0f, 1f], 3);
        GradCheck.Assert(a => F.Sum(a[0] * F.Embedding(labels, a[1]), 1, keepDim: true),
            [Tensor.Randn(3, 5).RequireGrad(), Tensor.Randn(2, 5).RequireGrad()]);
    }

    [Fact]
    public void A_conditional_game_needs_labels_and_moves_both_players()
    {
        Torch.ManualSeed(5);
        var g = Dcgan.Generator(latent: 16, width: 8, classes: 10);
        var d = Dcgan.ConditionalDiscriminator(width: 8, classes: 10);
        var trainer = new GanTrainer(g, d, latent: 16, lr: 1e-3f, seed: 2);
        var real = MnistData.Train.Inputs.Slice(0, 32).Clone();
        var labels = MnistData.Train.Targets.Slice(0, 32).Clone();
        var d0 = d.Parameters().Select(p => p.ToArray()).ToList();
        var z = Tensor.Randn(new Shape(10, 16), new Generator(9));

        Assert.True(trainer.IsConditional);
        Assert.Equal(10, trainer.Classes);
        Assert.Equal([0f, 1f, 2f, 3f, 4f, 5f, 6f, 7f, 8f, 9f, 0f, 1f], trainer.EachClassInTurn(12).ToArray());
        Assert.Throws<ArgumentException>(() => trainer.Step(real));
        Assert.Throws<ArgumentException>(() => trainer.Sample(z));
        Assert.Throws<ShapeMismatchException>(() => trainer.Sample(z, Tensor.Zeros(9)));

        var steps = Enumerable.Range(0, 12).Select(_ => trainer.Step(real, labels)).ToList();

        Assert.InRange(steps[0].DiscriminatorLoss, 1.2f, 1.6f);   // 2 ln 2 at the start, as in the plain game
        Assert.True(steps[^1].RealScore > steps[^1].FakeScore + 0.2f, $"D(x) {steps[^1].RealScore}, D(G(z)) {steps[^1].FakeScore}");
        Assert.All(d.Parameters().Zip(d0), pair => Assert.False(pair.First.ToArray().SequenceEqual(pair.Second)));
        // The class is an input: the same noise asked for two classes gives two different images.
        var zeros = trainer.Sample(z, Tensor.Zeros(10));
        var ones = trainer.Sample(z, Tensor.Ones(10));
        Assert.NotEqual(zeros.ToArray(), ones.ToArray());
        Assert.Equal(new Shape(10, 1, 28, 28), zeros.Shape);
    }

    [Fact]
    public void Within_class_spread_averages_pairwise_distances_per_class()
    {
        // Class 0: (0, 0) and (3, 4), 5 apart. Class 1: three copies of one image, 0 apart. Class 2: one image, skipped.
        var images = Tensor.FromArray([0f, 0f, 3f, 4f, 1f, 1f, 1f, 1f, 1f, 1f, 9f, 9f], 6, 1, 1, 2);

        double spread = DigitJudge.WithinClassSpread(images, [0, 0, 1, 1, 1, 2], classes: 3);

        Assert.Equal(2.5, spread, 6);
        Assert.Throws<ShapeMismatchException>(() => DigitJudge.WithinClassSpread(images, [0, 1], 3));
    }

    [Fact]
    public void The_judge_counts_samples_labelled_as_the_class_they_were_asked_to_be()
    {
        Torch.ManualSeed(2);
        var classifier = Presets.MnistCnn();
        classifier.Eval();
        var images = MnistData.Test.Inputs.Slice(0, 20).Clone();
        var asked = MnistData.Test.Targets.Slice(0, 20).Clone();
        var predicted = F.Softmax(classifier.Predict(images), 1);
        int expected = Enumerable.Range(0, 20).Count(i =>
        {
            var row = predicted.Data.Slice(i * 10, 10).ToArray();
            return Array.IndexOf(row, row.Max()) == (int)asked.Data[i];
        });

        var result = DigitJudge.Judge(classifier, images, askedClasses: asked);

        Assert.Equal(expected, result.MatchingAskedClass);
        Assert.Null(result.Spread);
        Assert.Contains($"{expected} of 20 samples", result.ToString());
        Assert.Throws<ShapeMismatchException>(() => DigitJudge.Judge(classifier, images, askedClasses: Tensor.Zeros(3)));
    }

    [Fact]
    public void A_classifier_file_of_another_network_is_refused_by_name()
    {
        using var dir = new TempDirectory();
        string path = dir.File("mlp.safetensors");
        SafeTensors.Save(path, Presets.MnistMlp().StateDict());

        var e = Assert.Throws<ArgumentException>(() => DigitJudge.LoadClassifier(path));
        Assert.Contains(path, e.Message);
        Assert.Contains("mnist-cnn", e.Message);
        Assert.Throws<FileNotFoundException>(() => DigitJudge.LoadClassifier(dir.File("missing.safetensors")));
    }
}
