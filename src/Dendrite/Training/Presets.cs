using Dendrite.NN;

namespace Dendrite.Training;

/// <summary>The named networks of the benchmark protocol and the CLI, built fresh from the default generator.</summary>
public static class Presets
{
    /// <summary>The names <see cref="Create"/> accepts, with a line describing each.</summary>
    public static IReadOnlyDictionary<string, string> Descriptions { get; } = new Dictionary<string, string>
    {
        ["mnist-mlp"] = "W1: 784-512 ReLU-512 ReLU-10 dense network on MNIST (Adam, lr 1e-3, batch 128)",
        ["mnist-lstm"] = "W3: LSTM(28, 128) over the 28 rows of each image, last hidden state -> Linear(128, 10) (Adam, lr 1e-3, batch 128)",
    };

    /// <summary>W1 of the benchmark protocol: Flatten, 784-512 ReLU, 512-512 ReLU, 512-10 (logits).</summary>
    public static Sequential MnistMlp() => new(
        new Flatten(), new Linear(784, 512), new ReLU(), new Linear(512, 512), new ReLU(), new Linear(512, 10));

    /// <summary>
    /// W3 of the benchmark protocol, sequential MNIST: the 28 rows of an image are 28 time steps of 28 pixels for
    /// LSTM(28, 128); its last hidden state goes to Linear(128, 10). Flatten(1, 2) turns [N, 1, 28, 28] into [N, 28, 28].
    /// </summary>
    public static Sequential MnistLstm() => new(
        new Flatten(1, 2), new RecurrentClassifier(new LSTM(28, 128, batchFirst: true), 10));

    public static Module Create(string name) => name switch
    {
        "mnist-mlp" => MnistMlp(),
        "mnist-lstm" => MnistLstm(),
        _ => throw new ArgumentException($"unknown model \"{name}\"; available: {string.Join(", ", Descriptions.Keys)}."),
    };
}
