using Dendrite.Cli;
using Dendrite.IO;
using Dendrite.Tests.TestSupport;
using Dendrite.Training;

namespace Dendrite.Tests.Cli;

/// <summary>MnistRun, the path behind <c>dendrite train mnist-mlp</c>, on a small training subset.</summary>
public class MnistRunTests
{
    [Fact]
    public void A_short_run_saves_a_loadable_model_and_its_history()
    {
        using var dir = new TempDirectory();
        var output = new StringWriter();
        var options = new MnistRunOptions(Epochs: 2, BatchSize: 50, TrainLimit: 1000, Seed: 3,
            OutDir: Path.Combine(dir.Path, "run"));

        double accuracy = MnistRun.Run(options, output);

        Assert.True(accuracy >= 0.8, $"test accuracy {accuracy:P2} after 2 epochs on 1,000 images");
        var lines = output.ToString().Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal("Training mnist-mlp on MNIST: 1000 training and 10000 test images, 2 epochs, batch 50, lr 0.001, seed 3, "
            + Dendrite.Backends.Cpu.Threading.NumThreads + " threads", lines[0]);
        Assert.StartsWith("Epoch 1/2 - ", lines[1]);
        Assert.StartsWith("Epoch 2/2 - ", lines[2]);
        Assert.Equal($"Final test accuracy: {accuracy * 100:0.00}%", lines[3]);
        Assert.StartsWith("Saved ", lines[4]);
        Assert.Equal(5, lines.Length);

        var state = SafeTensors.Load(Path.Combine(options.OutDir!, "model.safetensors"));
        Assert.Equal(["1.bias", "1.weight", "3.bias", "3.weight", "5.bias", "5.weight"], state.Keys.Order());
        Assert.Equal(new Shape(512, 784), state["1.weight"].Shape);
        Assert.Equal(new Shape(10), state["5.bias"].Shape);

        // The saved weights are the trained ones: loaded into a fresh preset they score the reported accuracy.
        var model = Presets.MnistMlp();
        model.LoadStateDict(state);
        var (_, reloaded) = model.Evaluate(MnistData.Test, Losses.CrossEntropy);
        Assert.Equal(accuracy, reloaded);

        var csv = File.ReadAllLines(Path.Combine(options.OutDir!, "history.csv"));
        Assert.Equal("epoch,loss,accuracy,lr,time,test_loss,test_accuracy", csv[0]);
        Assert.Equal(3, csv.Length);
        Assert.StartsWith("2,", csv[2]);
        Assert.Equal(accuracy, double.Parse(csv[2].Split(',')[^1], System.Globalization.CultureInfo.InvariantCulture));

        // report.html beside them: curves of both splits, the test set's confusion matrix and wrong digits as PNGs.
        string report = File.ReadAllText(Path.Combine(options.OutDir!, "report.html"));
        Assert.Contains("data-metric=\"loss\"", report);
        Assert.Contains("data-metric=\"accuracy\"", report);
        Assert.Contains("<svg class=\"confusion\"", report);
        Assert.Contains("<tr><td>accuracy</td><td colspan=\"3\">" + accuracy.ToString("0.0000", System.Globalization.CultureInfo.InvariantCulture), report);
        Assert.Contains("src=\"data:image/png;base64,", report);
        Assert.Contains("&quot;model&quot;: &quot;mnist-mlp&quot;", report);
        // And one TensorBoard event file: loss per epoch for training and test, at steps 1 and 2.
        string events = Assert.Single(Directory.GetFiles(Path.Combine(options.OutDir!, "tensorboard")));
        var scalars = Dendrite.Tests.IO.TfEventReader.ReadRecords(File.ReadAllBytes(events)).Skip(1)
            .Select(Dendrite.Tests.IO.TfEventReader.Decode)
            .Select(e => (Step: (long)e.Single(f => f.Number == 2).Scalar,
                Value: Dendrite.Tests.IO.TfEventReader.Decode(Dendrite.Tests.IO.TfEventReader.Decode(e.Single(f => f.Number == 5).Bytes)[0].Bytes)))
            .Where(v => v.Value.Any(f => f.Number == 2))
            .Select(v => (v.Step, Tag: v.Value.Single(f => f.Number == 1).AsString, Value: v.Value.Single(f => f.Number == 2).AsFloat))
            .ToList();
        Assert.Equal([1L, 2L], scalars.Where(s => s.Tag == "loss/train").Select(s => s.Step));
        Assert.Equal((float)accuracy, scalars.Single(s => s.Tag == "accuracy/test" && s.Step == 2).Value);
    }

    [Theory]
    [InlineData(0, 128, 1e-3f, "--epochs must be at least 1, got 0")]
    [InlineData(1, 0, 1e-3f, "--batch-size must be at least 1, got 0")]
    [InlineData(1, 128, -1f, "--lr must be a positive number, got -1")]
    [InlineData(1, 128, float.NaN, "--lr must be a positive number, got NaN")]
    public void Bad_options_are_rejected_before_any_work(int epochs, int batchSize, float lr, string expected)
    {
        var output = new StringWriter();
        var e = Assert.ThrowsAny<ArgumentException>(() =>
            MnistRun.Run(new MnistRunOptions(Epochs: epochs, BatchSize: batchSize, Lr: lr, DataDir: "/nonexistent"), output));
        Assert.Contains(expected, e.Message);
        Assert.Empty(output.ToString());
    }

    [Fact]
    public void An_unknown_model_lists_the_available_ones()
    {
        var e = Assert.Throws<ArgumentException>(() => MnistRun.Run(new MnistRunOptions(Model: "resnet"), TextWriter.Null));
        Assert.Contains("unknown model \"resnet\"; available: mnist-mlp", e.Message);
    }
}
