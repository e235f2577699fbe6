using System.Diagnostics;
using System.Globalization;
using System.Text;

namespace Dendrite.Training;

/// <summary>
/// Keras-style progress: on a terminal, a bar redrawn in place with batches done, throughput, ETA, running loss and
/// accuracy; when output is redirected, one line per epoch only. Every epoch ends with its time and metrics.
/// </summary>
/// <remarks>
/// The redrawn line fits the terminal: it is kept one column short of the width (a character in the last column makes
/// many terminals wrap), the bar shrinks first and goes when under <see cref="MinBarWidth"/>, then the text is cut.
/// The width is <paramref name="width"/> when given, else the console window's, else the COLUMNS variable, else 80.
/// </remarks>
public sealed class ProgressBar(TextWriter output, bool? interactive = null, int? width = null) : ICallback
{
    private const int BarWidth = 24;

    /// <summary>The narrowest bar still drawn; a narrower terminal gets the counts and numbers only.</summary>
    internal const int MinBarWidth = 5;

    private readonly bool _interactive = interactive ?? (ReferenceEquals(output, Console.Out) && !Console.IsOutputRedirected);
    private readonly int _width = width is { } w
        ? (w >= 2 ? w : throw new ArgumentOutOfRangeException(nameof(width), $"ProgressBar: width must be at least 2 columns, got {w}."))
        : TerminalWidth();
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
        output.Write("\r" + Render(batch, samplesSeen, _clock.Elapsed.TotalSeconds, logs, _width));
    }

    public void OnEpochEnd(int epoch, IReadOnlyDictionary<string, double> logs)
    {
        string line = string.Create(CultureInfo.InvariantCulture, $"Epoch {epoch}/{_epochs} - {logs.GetValueOrDefault("time"):0.0}s{FormatLogs(logs)}");
        // The closing line stays on screen, so it keeps all its numbers (it may wrap); padded, it wipes the bar.
        output.WriteLine(_interactive ? "\r" + line.PadRight(_width - 1) : line);
    }

    /// <summary>
    /// The bar line for a terminal <paramref name="width"/> columns wide, padded to width − 1 so it wipes a longer
    /// line drawn before it: "Epoch 1/3 12/938 [==>.....] 5,120 samples/s - ETA 9s - loss 0.4321 - …".
    /// </summary>
    internal string Render(int batch, int samplesSeen, double seconds, IReadOnlyDictionary<string, double> logs, int width)
    {
        int room = width - 1;
        double eta = batch == 0 ? 0 : seconds / batch * (_batches - batch);
        string head = string.Create(CultureInfo.InvariantCulture,
            $"Epoch {_epoch}/{_epochs} {batch.ToString(CultureInfo.InvariantCulture).PadLeft(_batches.ToString(CultureInfo.InvariantCulture).Length)}/{_batches}");
        string tail = string.Create(CultureInfo.InvariantCulture,
            $" {samplesSeen / Math.Max(seconds, 1e-9):N0} samples/s - ETA {eta:0}s{FormatLogs(logs)}");
        int barWidth = Math.Min(BarWidth, room - head.Length - tail.Length - 3);   // " [" and "]"
        var line = new StringBuilder(head);
        if (barWidth >= MinBarWidth)
        {
            int filled = _batches == 0 ? barWidth : barWidth * batch / _batches;
            line.Append(" [").Append('=', Math.Max(0, filled - 1))
                .Append(filled > 0 && filled < barWidth ? '>' : filled == barWidth ? '=' : '.')
                .Append('.', barWidth - Math.Max(filled, 1)).Append(']');
        }
        line.Append(tail);
        if (line.Length > room) line.Length = Math.Max(room, 0);
        return line.ToString().PadRight(room);
    }

    /// <summary>Columns of the terminal: the console window's, else COLUMNS (set by shells), else 80.</summary>
    private static int TerminalWidth()
    {
        try
        {
            if (!Console.IsOutputRedirected && Console.WindowWidth >= 2) return Console.WindowWidth;
        }
        catch (IOException)
        {
            // No console attached (a service, a test host): fall through to the environment.
        }
        catch (PlatformNotSupportedException)
        {
        }
        return int.TryParse(Environment.GetEnvironmentVariable("COLUMNS"), out int columns) && columns >= 2 ? columns : 80;
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
