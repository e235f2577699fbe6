using Dendrite.NN;
using Dendrite.Optim;
using Dendrite.Tests.TestSupport;
using Dendrite.Training;

namespace Dendrite.Tests.Training;

public class ProgressBarTests
{
    private static Sequential Model() => new(new Flatten(), new Linear(784, 10, generator: new Generator(1)));

    [Fact]
    public void Non_interactive_mode_prints_exactly_one_line_per_epoch()
    {
        var output = new StringWriter();
        var model = Model();
        model.Fit(MnistData.Train.Take(200), new Sgd(model.Parameters(), lr: 0.1f), Losses.CrossEntropy, epochs: 3, batchSize: 20,
            validation: MnistData.Test.Take(100), callbacks: [new ProgressBar(output, interactive: false)], verbose: false);

        string text = output.ToString();
        Assert.DoesNotContain("\r", text);
        var lines = text.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal(3, lines.Length);
        for (int e = 0; e < 3; e++)
        {
            Assert.Matches($@"^Epoch {e + 1}/3 - \d+\.\ds - loss \d\.\d{{4}} - accuracy \d+\.\d\d%" +
                @" - val loss \d\.\d{4} - val accuracy \d+\.\d\d%$", lines[e]);
        }
    }

    [Fact]
    public void Verbose_fit_writes_its_bar_to_the_given_writer_one_line_per_epoch()
    {
        var output = new StringWriter();
        var model = Model();
        model.Fit(MnistData.Train.Take(100), new Sgd(model.Parameters(), lr: 0.1f), Losses.CrossEntropy, epochs: 2, batchSize: 50,
            output: output);
        var lines = output.ToString().Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal(2, lines.Length);
        Assert.StartsWith("Epoch 1/2 - ", lines[0]);
        Assert.StartsWith("Epoch 2/2 - ", lines[1]);
    }

    [Fact]
    public void Interactive_mode_redraws_in_place_and_ends_each_epoch_with_a_line()
    {
        var output = new StringWriter();
        var bar = new ProgressBar(output, interactive: true);
        var logs = new Dictionary<string, double> { ["loss"] = 0.5, ["accuracy"] = 0.75 };
        bar.OnEpochBegin(1, 2, batches: 4);
        for (int b = 1; b <= 4; b++) bar.OnBatchEnd(b, b * 10, logs);
        bar.OnEpochEnd(1, new Dictionary<string, double>(logs) { ["time"] = 1.5 });

        string text = output.ToString();
        Assert.StartsWith("\rEpoch 1/2 1/4 [", text);
        Assert.Contains("4/4 [========================]", text);
        Assert.Contains(" - loss 0.5000 - accuracy 75.00%", text);
        Assert.Single(text.Split('\n', StringSplitOptions.RemoveEmptyEntries));
        Assert.Contains("\rEpoch 1/2 - 1.5s - loss 0.5000 - accuracy 75.00%", text);
    }

    [Fact]
    public void Logs_format_accuracies_as_percentages_and_hide_time_and_lr()
    {
        var logs = new Dictionary<string, double>
        {
            ["loss"] = 0.07126, ["accuracy"] = 0.97912, ["lr"] = 0.001, ["time"] = 3, ["val_accuracy"] = 0.5,
        };
        Assert.Equal(" - loss 0.0713 - accuracy 97.91% - val accuracy 50.00%", ProgressBar.FormatLogs(logs));
    }
}
