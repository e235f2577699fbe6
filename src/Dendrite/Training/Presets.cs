using Dendrite.NN;

namespace Dendrite.Training;

/// <summary>The named networks of the benchmark protocol and the CLI, built fresh from the default generator.</summary>
public static class Presets
{
    /// <summary>The names <see cref="Create"/> accepts, with a line describing each.</summary>
    public static IReadOnlyDictionary<string, string> Descriptions { get; } = new Dictionary<string, string>
    {
        ["mnist-mlp"] = "W1: 784-512 ReLU-512 ReLU-10 dense network on MNIST (Adam, lr 1e-3, batch 128)",
    };

    /// <summary>W1 of the benchmark protocol: Flatten, 784-512 ReLU, 512-512 ReLU, 512-10 (logits).</summary>
    public static Sequential MnistMlp() => new(
        new Flatten(), new Linear(784, 512), new ReLU(), new Linear(512, 512), new ReLU(), new Linear(512, 10));

    public static Module Create(string name) => name switch
    {
        "mnist-mlp" => MnistMlp(),
        _ => throw new ArgumentException($"unknown model \"{name}\"; available: {string.Join(", ", Descriptions.Keys)}."),
    };
}
