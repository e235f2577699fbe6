using System.Globalization;
using System.Text.RegularExpressions;
using Dendrite.IO;
using Dendrite.NN;

namespace Dendrite.Training;

/// <summary>
/// Saves the model after each epoch, or only when a monitored quantity reaches a new best, as Keras'
/// <c>ModelCheckpoint</c>. The path may hold placeholders filled from the epoch and its logs: "{epoch}",
/// "{val_loss}", with a .NET format ("{epoch:D3}", "{val_loss:F4}") or Keras' Python one ("{epoch:02d}",
/// "{val_loss:.2f}"). Writes are atomic: a crash mid-save leaves the previous file whole.
/// </summary>
/// <remarks>
/// The file is <see cref="ModelFile.Save"/>'s (architecture and weights, loadable with <see cref="ModelFile.Load"/>),
/// or with <paramref name="weightsOnly"/> the state dict as safetensors (for models without a registered
/// architecture; load with <see cref="ModelFile.LoadWeights"/>). Mode "auto" maximises a key that contains "acc",
/// "auc", "f1", "precision", "recall" or "r2" and minimises anything else.
/// </remarks>
/// <param name="saveBestOnly">Save only when the monitored value improves on the best so far (ties do not count).</param>
public sealed partial class ModelCheckpoint(string filepath, string monitor = "val_loss", string mode = "auto",
    bool saveBestOnly = false, bool weightsOnly = false) : ICallback
{
    private static readonly string[] s_maximized = ["acc", "auc", "f1", "precision", "recall", "r2"];

    private readonly bool _maximize = mode switch
    {
        "min" => false,
        "max" => true,
        "auto" => s_maximized.Any(k => monitor.Contains(k, StringComparison.OrdinalIgnoreCase)),
        _ => throw new ArgumentException($"ModelCheckpoint: mode must be \"min\", \"max\" or \"auto\", got \"{mode}\".", nameof(mode)),
    };

    private Module? _model;

    public string FilePath { get; } = !string.IsNullOrWhiteSpace(filepath) ? filepath
        : throw new ArgumentException("ModelCheckpoint: filepath is empty.", nameof(filepath));

    /// <summary>The monitored log key.</summary>
    public string Monitor { get; } = monitor;

    /// <summary>The best monitored value so far (NaN before the first epoch that logged it).</summary>
    public double Best { get; private set; } = double.NaN;

    /// <summary>The epoch of <see cref="Best"/> (0 before).</summary>
    public int BestEpoch { get; private set; }

    /// <summary>Every file written, in order.</summary>
    public List<string> Saved { get; } = [];

    public void OnTrainBegin(Module model, int epochs)
    {
        _model = model;
        Best = double.NaN;
        BestEpoch = 0;
        Saved.Clear();
    }

    public void OnEpochEnd(int epoch, IReadOnlyDictionary<string, double> logs)
    {
        var model = _model ?? throw new InvalidOperationException("ModelCheckpoint: used outside Fit (no model was given at OnTrainBegin).");
        if (saveBestOnly || logs.ContainsKey(Monitor))
        {
            if (!logs.TryGetValue(Monitor, out double current))
                throw new InvalidOperationException(
                    $"ModelCheckpoint: the logs have no \"{Monitor}\"; available: {string.Join(", ", logs.Keys)}. Hint: pass validation data to Fit to get val_* keys.");
            bool improved = !double.IsNaN(current) && (double.IsNaN(Best) || (_maximize ? current > Best : current < Best));
            if (improved) (Best, BestEpoch) = (current, epoch);
            if (saveBestOnly && !improved) return;
        }
        string path = Format(FilePath, epoch, logs);
        if (Path.GetDirectoryName(Path.GetFullPath(path)) is { } directory) Directory.CreateDirectory(directory);
        if (weightsOnly) SafeTensors.Save(path, model.StateDict(), new Dictionary<string, string> { ["format"] = "pt" });
        else model.Save(path);
        Saved.Add(path);
    }

    /// <summary>The path with "{epoch}" and "{log key}" placeholders filled, formats .NET's or Python's ("02d", ".4f").</summary>
    public static string Format(string template, int epoch, IReadOnlyDictionary<string, double> logs) =>
        Placeholder().Replace(template, match =>
        {
            string key = match.Groups["key"].Value;
            string format = DotNetFormat(match.Groups["format"].Value);
            if (key == "epoch") return epoch.ToString(format, CultureInfo.InvariantCulture);
            return logs.TryGetValue(key, out double value)
                ? value.ToString(format.Length == 0 ? "G6" : format, CultureInfo.InvariantCulture)
                : throw new ArgumentException(
                    $"ModelCheckpoint: the path \"{template}\" names \"{key}\", which the logs lack; available: epoch, {string.Join(", ", logs.Keys)}.");
        });

    /// <summary>Python's "02d" → "D2" and ".4f" → "F4"; anything else is taken as a .NET format.</summary>
    private static string DotNetFormat(string format)
    {
        var python = PythonFormat().Match(format);
        if (!python.Success) return format;
        string width = python.Groups["width"].Value, precision = python.Groups["precision"].Value;
        return python.Groups["type"].Value switch
        {
            "d" => "D" + (width.Length > 0 ? int.Parse(width, CultureInfo.InvariantCulture).ToString(CultureInfo.InvariantCulture) : ""),
            "f" => "F" + (precision.Length > 0 ? precision : "6"),
            "e" => "E" + (precision.Length > 0 ? precision : "6"),
            _ => "G" + precision,
        };
    }

    [GeneratedRegex(@"\{(?<key>[A-Za-z_][A-Za-z0-9_]*)(?::(?<format>[^}]*))?\}")]
    private static partial Regex Placeholder();

    [GeneratedRegex(@"^0?(?<width>\d*)(?:\.(?<precision>\d+))?(?<type>[dfeg])$")]
    private static partial Regex PythonFormat();
}
