using Dendrite.IO;
using Dendrite.NN;

namespace Dendrite.Training;

/// <summary>
/// Logs a run for TensorBoard, as Keras' <c>TensorBoard</c> callback: after every epoch each logged number as a
/// scalar (training and validation side by side under one tag, "loss/train" and "loss/val"; "lr" and "time" as they
/// are) and a histogram of every parameter under its state-dict name ("0.weight"), at step = epoch.
/// </summary>
/// <example><code>
/// using var tensorboard = new TensorBoardLogger("runs/mnist");
/// model.Fit(train, optimizer, Losses.CrossEntropy, epochs: 3, validation: test, callbacks: [tensorboard]);
/// // then: tensorboard --logdir runs
/// </code></example>
public sealed class TensorBoardLogger : ICallback, IDisposable
{
    private readonly SummaryWriter _writer;
    private readonly bool _ownsWriter;
    private Module? _model;

    /// <summary>Writes a new event file into <paramref name="logDir"/>.</summary>
    public TensorBoardLogger(string logDir, bool histograms = true) : this(new SummaryWriter(logDir), histograms) => _ownsWriter = true;

    /// <summary>Writes through <paramref name="writer"/>, which the caller keeps and disposes.</summary>
    public TensorBoardLogger(SummaryWriter writer, bool histograms = true) => (_writer, Histograms) = (writer, histograms);

    /// <summary>Whether parameter histograms are logged each epoch.</summary>
    public bool Histograms { get; }

    /// <summary>The writer of the event file.</summary>
    public SummaryWriter Writer => _writer;

    public void OnTrainBegin(Module model, int epochs) => _model = model;

    public void OnEpochEnd(int epoch, IReadOnlyDictionary<string, double> logs)
    {
        foreach (var (key, value) in logs) _writer.AddScalar(Tag(key, logs), value, epoch);
        if (Histograms && _model is not null)
            foreach (var (name, parameter) in _model.NamedParameters())
                if (parameter.Numel > 0) _writer.AddHistogram(name, parameter, epoch);
        _writer.Flush();
    }

    public void OnTrainEnd(History history) => _writer.Flush();

    public void Dispose()
    {
        if (_ownsWriter) _writer.Dispose();
    }

    /// <summary>
    /// "val_loss" (any prefix before "_" whose rest is also logged) → "loss/val", and its twin "loss" → "loss/train",
    /// so TensorBoard draws both in one chart; a key without a twin ("lr", "time", "val_auc" alone) stays as it is.
    /// </summary>
    internal static string Tag(string key, IReadOnlyDictionary<string, double> logs)
    {
        int cut = key.IndexOf('_', StringComparison.Ordinal);
        if (cut > 0 && logs.ContainsKey(key[(cut + 1)..])) return key[(cut + 1)..] + "/" + key[..cut];
        foreach (var other in logs.Keys)
            if (other.Length > key.Length + 1 && other.EndsWith("_" + key, StringComparison.Ordinal)
                && other.IndexOf('_', StringComparison.Ordinal) == other.Length - key.Length - 1)
                return key + "/train";
        return key;
    }
}
