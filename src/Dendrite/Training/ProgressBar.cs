using System.Diagnostics;
using System.Globalization;
using System.Text;

namespace Dendrite.Training;

/// <summary>
/// Keras-style progress: on a terminal, a bar redrawn in place with batches done, throughput, ETA, running loss and
/// accuracy; when output is redirected, one line per epoch only. Every epoch ends with its time and metrics.
/// </summary>
public sealed class ProgressBar(TextWriter output, bool? interactive = null) : ICallback
{
    private const int BarWidth = 24;
    private readonly bool _interactive = interactive ?? (ReferenceEquals(output, Console.Out) && !Console.IsOutputRedirected);
    private readonly Stopwatch _clock = new();
    private long _lastDrawTicks;
    private int _epoch, _epochs, _batches;

    public void OnEpochBegin(int epoch, int epochs, int batches)
    {
        (_epoch, _epochs, _batches) = (epoch, epochs, batches);
        _clock.Restart();
        _lastDrawTicks = -Stopwatch.Frequency;
    }

    public void OnBatchEnd(int batch, int samplesSeen, IReadOnlyDictionary<string, double> logs)
    {
        if (!_interactive) return;
        long now = _clock.ElapsedTicks;
        if (batch < _batches && now - _lastDrawTicks < Stopwatch.Frequency / 10) return; // redraw at most 10 times a second
        _lastDrawTicks = now;
        double seconds = _clock.Elapsed.TotalSeconds;
        double eta = batch == 0 ? 0 : seconds / batch * (_batches - batch);
        int filled = _batches == 0 ? BarWidth : BarWidth * batch / _batches;
        var line = new StringBuilder()
            .Append(CultureInfo.InvariantCulture, $"Epoch {_epoch}/{_epochs} {batch.ToString().PadLeft(_batches.ToString().Length)}/{_batches} [")
            .Append('=', Math.Max(0, filled - 1)).Append(filled > 0 && filled < BarWidth ? '>' : filled == BarWidth ? '=' : '.')
            .Append('.', BarWidth - Math.Max(filled, 1)).Append(']')
            .Append(CultureInfo.InvariantCulture, $" {samplesSeen / Math.Max(seconds, 1e-9):N0} samples/s - ETA {eta:0}s")
            .Append(FormatLogs(logs));
        output.Write("\r" + line.ToString().PadRight(LineWidth));
    }

    public void OnEpochEnd(int epoch, IReadOnlyDictionary<string, double> logs)
    {
        string line = string.Create(CultureInfo.InvariantCulture, $"Epoch {epoch}/{_epochs} - {logs.GetValueOrDefault("time"):0.0}s{FormatLogs(logs)}");
        output.WriteLine(_interactive ? "\r" + line.PadRight(LineWidth) : line);
    }

    /// <summary>Width to pad redrawn lines to, so a shorter line wipes a longer one; terminals may report 0.</summary>
    private static int LineWidth
    {
        get
        {
            int width = Console.IsOutputRedirected ? 0 : Console.BufferWidth;
            return width > 20 ? Math.Min(119, width - 1) : 0;
        }
    }

    /// <summary>" - loss 0.0712 - accuracy 97.91% - val_loss …", percentages for accuracies, lr and time left out.</summary>
    internal static string FormatLogs(IReadOnlyDictionary<string, double> logs)
    {
        var sb = new StringBuilder();
        foreach (var (key, value) in logs)
        {
            if (key is "time" or "lr") continue;
            string name = key.Replace('_', ' ');
            sb.Append(" - ").Append(name).Append(' ')
              .Append(key.EndsWith("accuracy", StringComparison.Ordinal)
                  ? (value * 100).ToString("0.00", CultureInfo.InvariantCulture) + "%"
                  : value.ToString("0.0000", CultureInfo.InvariantCulture));
        }
        return sb.ToString();
    }
}
