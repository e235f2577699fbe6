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
        var bar = new ProgressBar(output, interactive: true, width: 140);
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

    [Theory]
    [InlineData(20)]
    [InlineData(40)]
    [InlineData(80)]
    [InlineData(200)]
    public void Every_redrawn_line_fits_the_terminal_width(int width)
    {
        var output = new StringWriter();
        var bar = new ProgressBar(output, interactive: true, width: width);
        var logs = new Dictionary<string, double>
        {
            ["loss"] = 0.123456, ["accuracy"] = 0.9876, ["val_loss"] = 0.2, ["val_accuracy"] = 0.95, ["lr"] = 0.001,
        };
        bar.OnEpochBegin(12, 100, batches: 938);
        for (int b = 1; b <= 938; b += 93) bar.OnBatchEnd(b, b * 64, logs);
        bar.OnBatchEnd(938, 60000, logs);
        string text = output.ToString();
        Assert.DoesNotContain("\n", text);
        var lines = text.Split('\r', StringSplitOptions.RemoveEmptyEntries);
        Assert.NotEmpty(lines);
        foreach (string line in lines)
        {
            Assert.True(line.Length <= width - 1, $"{line.Length} columns in a {width}-column terminal: \"{line}\"");
            Assert.StartsWith(width >= 20 ? "Epoch 12/100" : "", line);
        }
        // Wide terminals show the whole bar and every number; narrow ones lose the bar before the text.
        string last = lines[^1];
        if (width >= 200)
        {
            Assert.Contains("[========================]", last);
            Assert.Contains("val accuracy 95.00%", last);
        }
        if (width <= 40) Assert.DoesNotContain("[", last);
    }

    [Fact]
    public void The_bar_shrinks_before_the_text_is_cut()
    {
        var bar = new ProgressBar(new StringWriter(), interactive: true, width: 80);
        bar.OnEpochBegin(1, 1, batches: 10);
        var logs = new Dictionary<string, double> { ["loss"] = 0.5 };
        string wide = bar.Render(5, 50, 1.0, logs, 200).TrimEnd();
        string narrow = bar.Render(5, 50, 1.0, logs, wide.Length - 10 + 1).TrimEnd();
        Assert.EndsWith(" - loss 0.5000", narrow);                    // all text kept
        Assert.Equal(wide.Length - 10, narrow.Length);               // ten bar cells fewer
        Assert.Contains("[======>.......]", narrow);
    }

    [Fact]
    public void A_width_under_two_columns_is_refused()
    {
        var e = Assert.Throws<ArgumentOutOfRangeException>(() => new ProgressBar(new StringWriter(), interactive: true, width: 1));
        Assert.Contains("ProgressBar: width must be at least 2", e.Message);
    }
}
