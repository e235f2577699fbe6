using System.Text.RegularExpressions;
using Dendrite.Data;
using Dendrite.NN;
using Dendrite.Tests.TestSupport;
using Dendrite.Training;
using Dendrite.Visualization;

namespace Dendrite.Tests.Visualization;

public class TrainingReportTests
{
    internal static History ThreeEpochs()
    {
        var history = new History();
        history.Add(new Dictionary<string, double> { ["loss"] = 0.9, ["accuracy"] = 0.70, ["val_loss"] = 1.0, ["val_accuracy"] = 0.65, ["time"] = 2 });
        history.Add(new Dictionary<string, double> { ["loss"] = 0.5, ["accuracy"] = 0.85, ["val_loss"] = 0.6, ["val_accuracy"] = 0.80, ["time"] = 2 });
        history.Add(new Dictionary<string, double> { ["loss"] = 0.3, ["accuracy"] = 0.92, ["val_loss"] = 0.5, ["val_accuracy"] = 0.88, ["time"] = 2 });
        return history;
    }

    // true [0, 0, 1, 1, 1], predicted [0, 1, 1, 1, 0]: class 0 has TP 1, FP 1, FN 1 → P = R = F1 = 0.5, support 2;
    // class 1 has TP 2, FP 1, FN 1 → P = R = F1 = 2/3, support 3; accuracy 3/5.
    internal static ConfusionMatrix TwoClasses(string first = "cat", string second = "dog") =>
        new([0, 0, 1, 1, 1], [0, 1, 1, 1, 0], [first, second]);

    [Fact]
    public void Curves_are_svg_charts_with_both_series_axes_and_legends()
    {
        string html = new TrainingReport { History = ThreeEpochs() }.ToHtml();

        var charts = Regex.Matches(html, "<svg class=\"chart\" data-metric=\"([^\"]+)\"").Select(m => m.Groups[1].Value).ToList();
        Assert.Equal(["loss", "accuracy"], charts);   // "time" is not a curve
        string loss = Chart(html, "loss");
        // One polyline per series with a point per epoch, in the train and validation colours.
        var lines = Regex.Matches(loss, "<polyline class=\"series\"[^>]*stroke=\"(#[0-9a-f]{6})\" points=\"([^\"]+)\"").ToList();
        Assert.Equal(["#1f77b4", "#ff7f0e"], lines.Select(l => l.Groups[1].Value));
        Assert.All(lines, l => Assert.Equal(3, l.Groups[2].Value.Split(' ').Length));
        Assert.Equal(["train", "val"], Regex.Matches(loss, "<text class=\"legend\"[^>]*>([^<]+)</text>").Select(m => m.Groups[1].Value));
        Assert.Contains(">epoch</text>", loss);       // x axis label
        Assert.Contains(">loss</text>", loss);        // y axis label
        Assert.Contains(">1</text>", loss);           // x ticks at whole epochs
        Assert.Contains(">3</text>", loss);
        Assert.DoesNotContain(">1.5</text>", loss);
        // SVG rows grow downwards: epoch 3's loss 0.3 lies below epoch 1's 0.9.
        var ys = lines[0].Groups[2].Value.Split(' ').Select(p => double.Parse(p.Split(',')[1], System.Globalization.CultureInfo.InvariantCulture)).ToList();
        Assert.True(ys[2] > ys[0]);
    }

    [Fact]
    public void The_learning_rate_is_its_own_series_not_a_training_score()
    {
        var history = new History();
        history.Add(new Dictionary<string, double> { ["loss"] = 0.9, ["lr"] = 1e-3 });
        history.Add(new Dictionary<string, double> { ["loss"] = 0.5, ["lr"] = 5e-4 });
        string html = new TrainingReport { History = history }.ToHtml();

        Assert.Equal(["learning rate"], Regex.Matches(Chart(html, "lr"), "<text class=\"legend\"[^>]*>([^<]+)</text>").Select(m => m.Groups[1].Value));
        Assert.Equal(["train"], Regex.Matches(Chart(html, "loss"), "<text class=\"legend\"[^>]*>([^<]+)</text>").Select(m => m.Groups[1].Value));
    }

    [Fact]
    public void The_page_is_self_contained()
    {
        var report = new TrainingReport
        {
            History = ThreeEpochs(),
            Confusion = TwoClasses(),
            Misclassified = [new ReportExample(4, "dog", "cat", 0.75, Png: Dendrite.IO.Png.Encode(new byte[4], 2, 2, 1))],
            ModelSummary = "Sequential",
            RunDescription = "{\"epochs\": 3}",
        };
        string html = report.ToHtml();
        Assert.StartsWith("<!DOCTYPE html>", html);
        Assert.DoesNotContain("http", html);          // no network reference of any kind
        Assert.DoesNotContain("<script", html);
        Assert.DoesNotContain("<link", html);
        Assert.DoesNotContain("@import", html);
        Assert.DoesNotContain("url(", html);
        foreach (Match src in Regex.Matches(html, "src=\"([^\"]*)\""))
            Assert.StartsWith("data:image/png;base64,", src.Groups[1].Value);
        Assert.Contains("#4: true dog, predicted cat (p = 0.75)", html);
    }

    [Fact]
    public void Text_from_data_is_escaped_everywhere()
    {
        const string evil = "<b>&\"x'";
        var history = new History();
        history.Add(new Dictionary<string, double> { ["<i>metric"] = 1 });
        var report = new TrainingReport
        {
            Title = evil,
            History = history,
            Confusion = TwoClasses(evil, "</svg><script>"),
            Misclassified = [new ReportExample(0, evil, "</td>", 0.5, Text: "</pre><script>alert(1)</script>")],
            ModelSummary = "</pre>" + evil,
            RunDescription = "{\"name\": \"</pre><img src=x>\"}",
        };
        string html = report.ToHtml();
        Assert.DoesNotContain("<b>", html);
        Assert.DoesNotContain("<i>", html);
        Assert.DoesNotContain("<script", html);
        Assert.DoesNotContain("<img src=x", html);
        Assert.Contains("&lt;b&gt;&amp;&quot;x&#39;", html);
        Assert.Contains("&lt;/pre&gt;&lt;script&gt;alert(1)&lt;/script&gt;", html);
    }

    [Fact]
    public void The_confusion_matrix_is_a_heat_map_with_counts_names_and_a_score_table()
    {
        string html = new TrainingReport { History = ThreeEpochs(), Confusion = TwoClasses() }.ToHtml();
        string svg = html[html.IndexOf("<svg class=\"confusion\"", StringComparison.Ordinal)..];
        svg = svg[..(svg.IndexOf("</svg>", StringComparison.Ordinal) + 6)];
        var cells = Regex.Matches(svg, "<rect [^>]*fill=\"(#[0-9a-f]{6})\"><title>true (\\w+), predicted (\\w+): (\\d+)</title>").ToList();
        Assert.Equal(4, cells.Count);
        Assert.Equal(["cat cat 1", "cat dog 1", "dog cat 1", "dog dog 2"], cells.Select(c => $"{c.Groups[2]} {c.Groups[3]} {c.Groups[4]}"));
        // Shade by the row's share: 1/2 and 2/3 of their rows are darker than 1/3.
        Assert.Equal("#" + Hex(ConfusionMatrixPlot.Blend(2.0 / 3)), cells[3].Groups[1].Value);
        Assert.Equal("#" + Hex(ConfusionMatrixPlot.Blend(1.0 / 3)), cells[2].Groups[1].Value);
        Assert.Contains(">predicted</text>", svg);
        Assert.Contains(">true</text>", svg);
        Assert.Contains("<tr><td>cat</td><td>0.5000</td><td>0.5000</td><td>0.5000</td><td>2</td></tr>", html);
        Assert.Contains("<tr><td>dog</td><td>0.6667</td><td>0.6667</td><td>0.6667</td><td>3</td></tr>", html);
        Assert.Contains("<tr><td>accuracy</td><td colspan=\"3\">0.6000</td><td>5</td></tr>", html);
    }

    [Fact]
    public void Evaluate_finds_the_wrong_predictions_and_draws_image_inputs()
    {
        var model = new Sequential(new Flatten(), new Linear(784, 10, generator: new Generator(2)));   // untrained: mostly wrong
        var test = MnistData.Test.Take(60);
        string[] digits = [.. Enumerable.Range(0, 10).Select(d => d.ToString())];
        var (matrix, wrong) = TrainingReport.Evaluate(model, test, digits, examples: 5, batchSize: 25);

        Assert.Equal(60, matrix.Total);
        var outputs = model.Predict(test.GetBatch([.. Enumerable.Range(0, 60)]).Input);
        long errors = 60 - Enumerable.Range(0, 10).Sum(k => matrix[k, k]);
        Assert.Equal((int)Math.Min(5, errors), wrong.Count);
        foreach (var e in wrong)
        {
            Assert.NotEqual(e.TrueLabel, e.PredictedLabel);
            Assert.Equal(((int)test[e.Index].Target.Item()).ToString(), e.TrueLabel);
            var row = outputs.ToArray().AsSpan(e.Index * 10, 10).ToArray();
            int best = Array.IndexOf(row, row.Max());
            Assert.Equal(best.ToString(), e.PredictedLabel);
            double expected = 1 / row.Sum(v => Math.Exp(v - row[best]));   // softmax of the arg-max
            Assert.Equal(expected, e.Probability, 5);
            Assert.Equal([0x89, (byte)'P', (byte)'N', (byte)'G'], e.Png![..4]);
            Assert.Null(e.Text);
        }
        Assert.True(wrong.Select(e => e.Index).SequenceEqual(wrong.Select(e => e.Index).Order()));
    }

    [Fact]
    public void Evaluate_writes_table_rows_as_text_and_names_bad_input()
    {
        var inputs = Tensor.FromArray([1f, 0f, 0f, 1f, 1f, 0f], 3, 2);
        var targets = Tensor.FromArray([1f, 1f, 0f], 3);
        var identity = new Linear(2, 2, generator: new Generator(1));
        identity.Weight.Data.Clear();
        identity.Weight.Data[0] = 1;    // output = input: row [1, 0] predicts class 0, [0, 1] class 1
        identity.Weight.Data[3] = 1;
        identity.Bias!.Data.Clear();
        var (matrix, wrong) = TrainingReport.Evaluate(identity, new TensorDataset(inputs, targets), ["no", "yes"]);
        Assert.Equal(2, matrix[0, 0] + matrix[1, 1]);
        var e = Assert.Single(wrong);   // sample 0: [1, 0] is class 1 but predicted 0; sample 2 likewise predicted 0, right
        Assert.Equal((0, "yes", "no", "1, 0"), (e.Index, e.TrueLabel, e.PredictedLabel, e.Text));
        Assert.Equal(Math.E / (Math.E + 1), e.Probability, 5);
        var ex = Assert.Throws<ArgumentException>(() => TrainingReport.Evaluate(identity, new TensorDataset(inputs, targets), ["only"]));
        Assert.Contains("TrainingReport.Evaluate: sample 0 has class 1", ex.Message);
    }

    [Fact]
    public void Write_puts_the_page_in_place()
    {
        using var dir = new TempDirectory();
        string path = Path.Combine(dir.Path, "out", "report.html");
        new TrainingReport { History = ThreeEpochs() }.Write(path);
        Assert.Contains("<svg class=\"chart\"", File.ReadAllText(path));
        Assert.Single(Directory.GetFiles(Path.GetDirectoryName(path)!));
    }

    private static string Chart(string html, string metric)
    {
        int start = html.IndexOf($"data-metric=\"{metric}\"", StringComparison.Ordinal);
        return html[start..html.IndexOf("</svg>", start, StringComparison.Ordinal)];
    }

    private static string Hex(Rgb c) => $"{c.R:x2}{c.G:x2}{c.B:x2}";
}
