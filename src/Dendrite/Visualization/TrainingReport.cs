using System.Globalization;
using System.Net;
using System.Text;
using Dendrite.Data;
using Dendrite.IO;
using Dendrite.NN;
using Dendrite.Training;

namespace Dendrite.Visualization;

/// <summary>
/// A training run as one self-contained HTML page (report.html): loss and metric curves per epoch, the confusion
/// matrix as a heat map, per-class precision/recall/F1/support, misclassified test inputs, the model summary and the
/// run's settings. Charts are inline SVG and pictures are data: URIs, so the file opens offline anywhere and needs
/// no script, stylesheet or font from elsewhere. Every text that comes from data (class names, metric keys, the
/// summary, the run description, example text) is HTML-escaped.
/// </summary>
/// <example><code>
/// var (matrix, wrong) = TrainingReport.Evaluate(model, test, classNames);
/// new TrainingReport { Title = "mnist-cnn", History = history, Confusion = matrix, Misclassified = wrong,
///     ModelSummary = model.Summary(1, 1, 28, 28).ToString(), RunDescription = runJson }.Write("out/report.html");
/// </code></example>
public sealed record TrainingReport
{
    /// <summary>Colour of the training series (matplotlib's first, blue).</summary>
    public static readonly Rgb TrainColor = Palette.Color(0);

    /// <summary>Colour of the first validation series (matplotlib's second, orange); further ones take the next colours.</summary>
    public static readonly Rgb ValidationColor = Palette.Color(1);

    private const int ChartWidth = 560, ChartHeight = 320;
    private const int Left = 64, Right = 16, Top = 16, Bottom = 48;

    /// <summary>The page's heading, e.g. the model's name.</summary>
    public string Title { get; init; } = "Training report";

    /// <summary>Per-epoch logs; each quantity and its validation twin ("loss", "val_loss") share one chart.</summary>
    public required History History { get; init; }

    /// <summary>The test set's confusion matrix (with the class names), or null for a model that is not a classifier.</summary>
    public ConfusionMatrix? Confusion { get; init; }

    /// <summary>Test inputs the model got wrong.</summary>
    public IReadOnlyList<ReportExample> Misclassified { get; init; } = [];

    /// <summary>The model's layer table (<see cref="Module.Summary"/>).</summary>
    public string? ModelSummary { get; init; }

    /// <summary>The run's settings as the user gave them (options, run-file JSON).</summary>
    public string? RunDescription { get; init; }

    /// <summary>Writes the page to <paramref name="path"/> atomically (UTF-8).</summary>
    public void Write(string path) => AtomicFile.WriteAllText(path, ToHtml());

    /// <summary>
    /// Runs <paramref name="model"/> over <paramref name="data"/> (class-index targets, outputs [N, C] logits or [N]
    /// / [N, 1] probabilities) and returns its confusion matrix and the first <paramref name="examples"/> inputs it
    /// got wrong, in dataset order, with the softmax probability of the wrong class. Inputs shaped [H, W], [1, H, W] or
    /// [3, H, W] become pictures (stretched to their own range), others text.
    /// </summary>
    public static (ConfusionMatrix Matrix, IReadOnlyList<ReportExample> Misclassified) Evaluate(Module model, IDataset data,
        IReadOnlyList<string> classNames, int examples = 12, int batchSize = 500)
    {
        if (data.Count == 0) throw new ArgumentException("TrainingReport.Evaluate: the dataset is empty; there is nothing to evaluate.");
        ArgumentOutOfRangeException.ThrowIfNegative(examples);
        var actual = new List<int>(data.Count);
        var predicted = new List<int>(data.Count);
        var wrong = new List<ReportExample>();
        var indices = new int[Math.Min(batchSize, data.Count)];
        for (int start = 0; start < data.Count; start += indices.Length)
        {
            int n = Math.Min(indices.Length, data.Count - start);
            for (int i = 0; i < n; i++) indices[i] = start + i;
            var (inputs, targets) = data.GetBatch(indices.AsSpan(0, n));
            var outputs = model.Predict(inputs);
            var (rows, classes) = ClassScores.Layout(outputs);
            var guess = ClassScores.Predictions(outputs, 0.5f);
            var truth = ClassScores.Labels(targets, rows);
            var scores = outputs.ToArray();
            var probabilities = classes > 1 ? ClassScores.Softmax(scores, rows, classes) : null;
            for (int i = 0; i < rows; i++)
            {
                if ((uint)truth[i] >= (uint)classNames.Count || (uint)guess[i] >= (uint)classNames.Count)
                    throw new ArgumentException($"TrainingReport.Evaluate: sample {start + i} has class {truth[i]} and prediction " +
                        $"{guess[i]}, but {classNames.Count} class names were given.");
                actual.Add(truth[i]);
                predicted.Add(guess[i]);
                if (truth[i] == guess[i] || wrong.Count >= examples) continue;
                double p = probabilities?[i * classes + guess[i]] ?? (guess[i] == 1 ? scores[i] : 1 - scores[i]);
                wrong.Add(Example(data[start + i].Input, start + i, classNames[truth[i]], classNames[guess[i]], p));
            }
        }
        return (new ConfusionMatrix(actual, predicted, classNames), wrong);
    }

    private static ReportExample Example(Tensor input, int index, string truth, string guess, double probability)
    {
        bool image = input.Rank == 2 || (input.Rank == 3 && input.Shape[0] is 1 or 3);
        if (image && input.Numel > 0)
        {
            var (channels, height, width) = Png.ImageLayout(input, "TrainingReport");
            var pixels = Png.ToBytes(input.ToArray(), channels, height * width, PixelScale.MinMax, "TrainingReport");
            return new ReportExample(index, truth, guess, probability, Png: Png.Encode(pixels, width, height, channels));
        }
        var values = input.ToArray();
        var text = string.Join(", ", values.Take(64).Select(v => v.ToString("G4", CultureInfo.InvariantCulture)));
        if (values.Length > 64) text += $", … ({values.Length} values)";
        return new ReportExample(index, truth, guess, probability, Text: text);
    }

    /// <summary>The page as HTML text.</summary>
    public string ToHtml()
    {
        var html = new StringBuilder();
        html.Append("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n<title>")
            .Append(Escape(Title)).Append("</title>\n<style>\n").Append(Style).Append("</style>\n</head>\n<body>\n<h1>")
            .Append(Escape(Title)).Append("</h1>\n");
        AppendCurves(html);
        if (Confusion is { } matrix)
        {
            html.Append("<h2>Confusion matrix</h2>\n").Append(ConfusionSvg(matrix)).Append('\n');
            AppendClassTable(html, matrix);
        }
        if (Misclassified.Count > 0) AppendExamples(html);
        if (ModelSummary is { } summary) html.Append("<h2>Model</h2>\n<pre class=\"summary\">").Append(Escape(summary)).Append("</pre>\n");
        if (RunDescription is { } run) html.Append("<h2>Run</h2>\n<pre class=\"run\">").Append(Escape(run)).Append("</pre>\n");
        return html.Append("</body>\n</html>\n").ToString();
    }

    private const string Style =
        "body{font-family:sans-serif;margin:24px;color:#222;max-width:1200px}\n" +
        "h2{margin-top:32px;border-bottom:1px solid #ccc}\n" +
        ".charts{display:flex;flex-wrap:wrap;gap:16px}\n" +
        "figure{margin:0}figcaption{font-size:14px;color:#444}\n" +
        "table{border-collapse:collapse}td,th{padding:3px 10px;text-align:right;border-bottom:1px solid #eee}\n" +
        "th:first-child,td:first-child{text-align:left}\n" +
        ".examples{display:flex;flex-wrap:wrap;gap:12px}.examples figure{width:140px}\n" +
        ".examples img{width:112px;height:auto;image-rendering:pixelated;border:1px solid #ccc}\n" +
        "pre{background:#f6f6f6;padding:8px;overflow-x:auto}\n";

    /// <summary>One chart per quantity: "loss" with "val_loss" (and any other "PREFIX_loss"), "accuracy" with its twins.</summary>
    private void AppendCurves(StringBuilder html)
    {
        var keys = History.Values.Keys.Where(k => k != "time" && History.Values[k].Count > 0).ToList();
        var groups = new List<(string Name, List<(string Series, string Key)> Series)>();
        foreach (string key in keys)
        {
            int cut = key.IndexOf('_', StringComparison.Ordinal);
            bool twin = cut > 0 && keys.Contains(key[(cut + 1)..]);
            string name = twin ? key[(cut + 1)..] : key;
            // A key without a "PREFIX_" twin is a training figure, except the learning rate: a setting, not a score.
            string series = twin ? key[..cut] : key == "lr" ? "learning rate" : "train";
            var group = groups.FirstOrDefault(g => g.Name == name);
            if (group.Series is null) groups.Add(group = (name, []));
            group.Series.Add((series, key));
        }
        if (groups.Count == 0) return;
        html.Append("<h2>Training curves</h2>\n<div class=\"charts\">\n");
        foreach (var (name, series) in groups)
            html.Append("<figure>").Append(CurveSvg(name, series)).Append("</figure>\n");
        html.Append("</div>\n");
    }

    private string CurveSvg(string name, List<(string Series, string Key)> series)
    {
        int epochs = series.Max(s => History.Values[s.Key].Count);
        var ys = series.SelectMany(s => History.Values[s.Key]).Where(double.IsFinite).DefaultIfEmpty(0).ToList();
        var (yMin, yMax, yTicks) = PlotFrame.NiceAxis(ys.Min(), ys.Max());
        double xMin = 1, xMax = epochs;
        double[] xTicks;
        if (epochs == 1) (xMin, xMax, xTicks) = (0.5, 1.5, [1]);
        else
        {
            (_, _, xTicks) = PlotFrame.NiceAxis(1, epochs);
            if (xTicks.Length > 1 && xTicks[1] - xTicks[0] < 1) xTicks = [.. Enumerable.Range(1, epochs).Select(e => (double)e)];
            xTicks = [.. xTicks.Where(t => t >= 1 && t <= epochs)];
        }
        double Px(double x) => Left + (x - xMin) / (xMax - xMin) * (ChartWidth - Left - Right);
        double Py(double y) => ChartHeight - Bottom - (y - yMin) / (yMax - yMin) * (ChartHeight - Top - Bottom);
        var svg = new StringBuilder();
        svg.Append(Inv($"<svg class=\"chart\" data-metric=\"{Escape(name)}\" width=\"{ChartWidth}\" height=\"{ChartHeight}\" viewBox=\"0 0 {ChartWidth} {ChartHeight}\" role=\"img\" aria-label=\"{Escape(name)} per epoch\">"));
        svg.Append(Inv($"<rect width=\"{ChartWidth}\" height=\"{ChartHeight}\" fill=\"#fff\"/>"));
        string[] yLabels = PlotFrame.Labels(yTicks), xLabels = PlotFrame.Labels(xTicks);
        for (int i = 0; i < yTicks.Length; i++)
        {
            double y = Py(yTicks[i]);
            svg.Append(Inv($"<line x1=\"{Left}\" y1=\"{y:0.##}\" x2=\"{ChartWidth - Right}\" y2=\"{y:0.##}\" stroke=\"#e1e1e1\"/>"));
            svg.Append(Inv($"<text x=\"{Left - 6}\" y=\"{y + 4:0.##}\" font-size=\"11\" text-anchor=\"end\">{yLabels[i]}</text>"));
        }
        for (int i = 0; i < xTicks.Length; i++)
        {
            double x = Px(xTicks[i]);
            svg.Append(Inv($"<line x1=\"{x:0.##}\" y1=\"{ChartHeight - Bottom}\" x2=\"{x:0.##}\" y2=\"{ChartHeight - Bottom + 5}\" stroke=\"#000\"/>"));
            svg.Append(Inv($"<text x=\"{x:0.##}\" y=\"{ChartHeight - Bottom + 18}\" font-size=\"11\" text-anchor=\"middle\">{xLabels[i]}</text>"));
        }
        svg.Append(Inv($"<path d=\"M{Left} {Top}V{ChartHeight - Bottom}H{ChartWidth - Right}\" fill=\"none\" stroke=\"#000\"/>"));
        svg.Append(Inv($"<text x=\"{(Left + ChartWidth - Right) / 2}\" y=\"{ChartHeight - 8}\" font-size=\"13\" text-anchor=\"middle\">epoch</text>"));
        svg.Append(Inv($"<text x=\"14\" y=\"{(Top + ChartHeight - Bottom) / 2}\" font-size=\"13\" text-anchor=\"middle\" transform=\"rotate(-90 14 {(Top + ChartHeight - Bottom) / 2})\">{Escape(name)}</text>"));
        for (int s = 0; s < series.Count; s++)
        {
            var values = History.Values[series[s].Key];
            string color = Hex(SeriesColor(series, s));
            var points = Enumerable.Range(0, values.Count).Where(e => double.IsFinite(values[e]))
                .Select(e => (X: Px(e + 1), Y: Py(values[e]))).ToList();
            if (points.Count > 1)
                svg.Append("<polyline class=\"series\" fill=\"none\" stroke-width=\"2.5\" stroke=\"").Append(color).Append("\" points=\"")
                   .AppendJoin(" ", points.Select(p => Inv($"{p.X:0.##},{p.Y:0.##}"))).Append("\"/>");
            foreach (var (x, y) in points) svg.Append(Inv($"<circle cx=\"{x:0.##}\" cy=\"{y:0.##}\" r=\"4\" fill=\"{color}\"/>"));
            // Legend, top right: a swatch and the series name ("train", "val", "test").
            int ly = Top + 8 + s * 18;
            svg.Append(Inv($"<rect x=\"{ChartWidth - Right - 110}\" y=\"{ly - 5}\" width=\"18\" height=\"4\" fill=\"{color}\"/>"));
            svg.Append(Inv($"<text class=\"legend\" x=\"{ChartWidth - Right - 86}\" y=\"{ly + 1}\" font-size=\"12\">{Escape(series[s].Series)}</text>"));
        }
        return svg.Append("</svg>").ToString();
    }

    private static Rgb SeriesColor(List<(string Series, string Key)> series, int index)
    {
        if (series[index].Series == "train") return TrainColor;
        int validation = series.Take(index).Count(s => s.Series != "train");
        return Palette.Color(1 + validation);
    }

    /// <summary>Rows true classes, columns predicted, shaded by the share of the row (ConfusionMatrixPlot's colours).</summary>
    private static string ConfusionSvg(ConfusionMatrix matrix)
    {
        int c = matrix.Classes;
        int cell = c <= 10 ? 44 : Math.Max(16, 440 / c);
        int label = Math.Min(160, 16 + 7 * matrix.ClassNames.Max(n => n.Length));
        int x0 = label + 28, y0 = 40;
        int width = x0 + c * cell + 8, height = y0 + c * cell + label + 8;
        var svg = new StringBuilder();
        svg.Append(Inv($"<svg class=\"confusion\" width=\"{width}\" height=\"{height}\" viewBox=\"0 0 {width} {height}\" role=\"img\" aria-label=\"confusion matrix\">"));
        svg.Append(Inv($"<text x=\"{x0 + c * cell / 2}\" y=\"16\" font-size=\"13\" text-anchor=\"middle\">predicted</text>"));
        svg.Append(Inv($"<text x=\"12\" y=\"{y0 + c * cell / 2}\" font-size=\"13\" text-anchor=\"middle\" transform=\"rotate(-90 12 {y0 + c * cell / 2})\">true</text>"));
        for (int k = 0; k < c; k++)
        {
            string name = Escape(matrix.ClassNames[k]);
            svg.Append(Inv($"<text x=\"{x0 - 6}\" y=\"{y0 + k * cell + cell / 2 + 4}\" font-size=\"12\" text-anchor=\"end\">{name}</text>"));
            int cx = x0 + k * cell + cell / 2, cy = y0 + c * cell + 10;
            svg.Append(Inv($"<text x=\"{cx}\" y=\"{cy}\" font-size=\"12\" text-anchor=\"end\" transform=\"rotate(-45 {cx} {cy})\">{name}</text>"));
        }
        for (int actual = 0; actual < c; actual++)
        {
            long support = matrix.Support(actual);
            for (int guess = 0; guess < c; guess++)
            {
                long count = matrix[actual, guess];
                double share = support == 0 ? 0 : (double)count / support;
                int x = x0 + guess * cell, y = y0 + actual * cell;
                svg.Append(Inv($"<rect x=\"{x}\" y=\"{y}\" width=\"{cell - 1}\" height=\"{cell - 1}\" fill=\"{Hex(ConfusionMatrixPlot.Blend(share))}\"><title>true {Escape(matrix.ClassNames[actual])}, predicted {Escape(matrix.ClassNames[guess])}: {count}</title></rect>"));
                if (cell >= 24)
                    svg.Append(Inv($"<text x=\"{x + cell / 2}\" y=\"{y + cell / 2 + 4}\" font-size=\"11\" text-anchor=\"middle\" fill=\"{(share > 0.5 ? "#fff" : "#000")}\">{count}</text>"));
            }
        }
        return svg.Append("</svg>").ToString();
    }

    private static void AppendClassTable(StringBuilder html, ConfusionMatrix m)
    {
        html.Append("<table class=\"classes\">\n<tr><th>class</th><th>precision</th><th>recall</th><th>F1</th><th>support</th></tr>\n");
        void Row(string name, double p, double r, double f, long support) =>
            html.Append("<tr><td>").Append(Escape(name)).Append(Inv($"</td><td>{p:0.0000}</td><td>{r:0.0000}</td><td>{f:0.0000}</td><td>{support}</td></tr>\n"));
        for (int k = 0; k < m.Classes; k++) Row(m.ClassNames[k], m.Precision(k), m.Recall(k), m.F1(k), m.Support(k));
        Row("macro avg", m.Precision(ClassAverage.Macro), m.Recall(ClassAverage.Macro), m.F1(ClassAverage.Macro), m.Total);
        Row("weighted avg", m.Precision(ClassAverage.Weighted), m.Recall(ClassAverage.Weighted), m.F1(ClassAverage.Weighted), m.Total);
        html.Append(Inv($"<tr><td>accuracy</td><td colspan=\"3\">{m.Accuracy:0.0000}</td><td>{m.Total}</td></tr>\n</table>\n"));
    }

    private void AppendExamples(StringBuilder html)
    {
        html.Append("<h2>Misclassified test inputs</h2>\n<div class=\"examples\">\n");
        foreach (var e in Misclassified)
        {
            html.Append("<figure>");
            if (e.Png is { } png) html.Append("<img alt=\"test input ").Append(e.Index).Append("\" src=\"data:image/png;base64,").Append(Convert.ToBase64String(png)).Append("\">");
            if (e.Text is { } text) html.Append("<pre>").Append(Escape(text)).Append("</pre>");
            html.Append("<figcaption>#").Append(e.Index).Append(": true ").Append(Escape(e.TrueLabel)).Append(", predicted ")
                .Append(Escape(e.PredictedLabel)).Append(Inv($" (p = {e.Probability:0.00})")).Append("</figcaption></figure>\n");
        }
        html.Append("</div>\n");
    }

    private static string Escape(string text) => WebUtility.HtmlEncode(text);

    private static string Hex(Rgb c) => $"#{c.R:x2}{c.G:x2}{c.B:x2}";

    private static string Inv(FormattableString s) => s.ToString(CultureInfo.InvariantCulture);
}
