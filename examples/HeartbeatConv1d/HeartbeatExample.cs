using Dendrite.Data;
using Dendrite.NN;
using Dendrite.Optim;
using Dendrite.Training;

namespace Dendrite.Examples.HeartbeatConv1d;

/// <summary>
/// The course's 1-D convolution story: find a heartbeat-like spike in a noisy signal. A dense network and a Conv1d
/// network learn the same task from beats in the first half of the signal only, then are asked where the beat is in
/// signals whose beats sit in the second half.
/// </summary>
/// <remarks>
/// The task is localisation: the network scores every position and the target is the position where the beat starts
/// (cross-entropy over positions). A stack of "same"-padded convolutions is translation-equivariant: it applies one
/// detector at every position, so a beat shifted to a position never seen in training gives the same score, shifted.
/// A dense layer has separate weights per position, and the output units of unseen positions were only ever told "not
/// here": it cannot find beats there.
/// </remarks>
public static class HeartbeatExample
{
    /// <summary>The beat's shape, as in the lecture's signal x = [0, 0, 0, 1, −1, 0.5, 0, …].</summary>
    public static IReadOnlyList<float> Beat { get; } = [1f, -1f, 0.5f];

    /// <summary>Samples per signal.</summary>
    public const int DefaultLength = 48;

    /// <summary>Standard deviation of the Gaussian noise added to every sample.</summary>
    public const float Noise = 0.1f;

    /// <summary>
    /// <paramref name="count"/> signals [count, 1, length] of Gaussian noise with the beat added at a start position
    /// drawn uniformly from [<paramref name="firstStart"/>, <paramref name="lastStart"/>]; targets [count] are those
    /// start positions.
    /// </summary>
    public static TensorDataset Signals(int count, int length, int firstStart, int lastStart, Generator rng)
    {
        if (firstStart < 0 || lastStart < firstStart || lastStart + Beat.Count > length)
            throw new ArgumentOutOfRangeException(nameof(lastStart),
                $"Signals: beat starts [{firstStart}, {lastStart}] do not fit a beat of {Beat.Count} samples in a signal of {length}.");
        var x = Tensor.Empty(count, 1, length);
        var y = Tensor.Empty(count);
        var xs = x.Data;
        for (int i = 0; i < count; i++)
        {
            var signal = xs.Slice(i * length, length);
            for (int t = 0; t < length; t++) signal[t] = Noise * rng.NextNormal();
            int start = firstStart + rng.NextInt(lastStart - firstStart + 1);
            for (int k = 0; k < Beat.Count; k++) signal[start + k] += Beat[k];
            y.Data[i] = start;
        }
        return new TensorDataset(x, y);
    }

    /// <summary>A dense network: every input sample connects to every hidden unit, which connects to every position's score.</summary>
    public static Sequential DenseNet(int length, int hidden = 64) => new(
        new Flatten(),                                     // [N, 1, L] → [N, L]
        new Linear(length, hidden), new ReLU(),
        new Linear(hidden, length));                       // a score per position

    /// <summary>Two "same"-padded convolutions: a score per position from the five samples around it, the same rule everywhere.</summary>
    public static Sequential ConvNet(int channels = 8) => new(
        new Conv1d(1, channels, 3, padding: "same"), new ReLU(),
        new Conv1d(channels, 1, 3, padding: "same"),       // [N, 1, L]
        new Flatten());                                    // [N, L]: a score per position

    /// <summary>Trains <paramref name="model"/> with Adam on localisation (cross-entropy over positions).</summary>
    public static void Train(Module model, IDataset train, int epochs, ulong seed) =>
        model.Fit(train, new Adam(model.Parameters(), lr: 3e-3f), Losses.CrossEntropy, epochs, batchSize: 32,
            seed: seed, verbose: false);

    /// <summary>Fraction of signals whose highest-scoring position is where the beat starts.</summary>
    public static double Accuracy(Module model, IDataset data) => model.Evaluate(data, Losses.CrossEntropy).Accuracy ?? 0;

    /// <summary>
    /// Generates the data from <paramref name="seed"/>: <paramref name="trainCount"/> training signals with beats
    /// starting in the first half, held-out signals (<paramref name="testCount"/> each) with beats in the first half and
    /// in the second half; trains both networks from the same seed and measures them.
    /// </summary>
    public static HeartbeatResult Run(int trainCount = 2000, int testCount = 500, int epochs = 15, ulong seed = 1,
        int length = DefaultLength)
    {
        var rng = new Generator(seed);
        int half = length / 2;
        // Seen starts keep the whole beat inside the first half; unseen starts lie wholly in the second.
        int lastSeen = half - Beat.Count, lastStart = length - Beat.Count;
        var train = Signals(trainCount, length, 0, lastSeen, rng);
        var seen = Signals(testCount, length, 0, lastSeen, rng);
        var unseen = Signals(testCount, length, half, lastStart, rng);

        Torch.ManualSeed(seed);
        var dense = DenseNet(length);
        Train(dense, train, epochs, seed);
        Torch.ManualSeed(seed);
        var conv = ConvNet();
        Train(conv, train, epochs, seed);
        return new HeartbeatResult(Accuracy(dense, seen), Accuracy(dense, unseen), Accuracy(conv, seen), Accuracy(conv, unseen));
    }
}
