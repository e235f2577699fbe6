using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using Dendrite.Data;
using Dendrite.NN;

namespace Dendrite.Cli;

/// <summary>
/// A named network with the recipe it trains with: what <c>dendrite train NAME</c> runs when no option overrides it.
/// </summary>
/// <param name="Lr">Adam's learning rate, or the peak of the one-cycle schedule when <see cref="OneCycle"/>.</param>
public sealed record Preset(string Description, Func<Module> Build, int Epochs, int BatchSize, float Lr)
{
    /// <summary>Steps the learning rate every batch along PyTorch's OneCycleLR (warm-up to Lr, cosine down), with AdamW.</summary>
    public bool OneCycle { get; init; }

    /// <summary>AdamW's decoupled weight decay (0: plain Adam).</summary>
    public float WeightDecay { get; init; }

    /// <summary>Applied to each training batch (never to the test set).</summary>
    public IImageTransform? Augmentation { get; init; }
}

/// <summary>The named networks of the benchmark protocol and the CLI, built fresh from the default generator.</summary>
public static class Presets
{
    public static IReadOnlyDictionary<string, Preset> All { get; } = new Dictionary<string, Preset>
    {
        ["mnist-mlp"] = new("W1: 784-512 ReLU-512 ReLU-10 dense network on MNIST (Adam, lr 1e-3, batch 128)",
            MnistMlp, Epochs: 3, BatchSize: 128, Lr: 1e-3f),
        ["mnist-cnn"] = new("W2: the PyTorch examples/mnist CNN, 2 conv + max pool + dropout + 2 dense (Adam, lr 1e-3, batch 64)",
            MnistCnn, Epochs: 3, BatchSize: 64, Lr: 1e-3f),
        ["mnist-lstm"] = new("W3: LSTM(28, 128) over the 28 rows of each image, last hidden state -> Linear(128, 10) (Adam, lr 1e-3, batch 128)",
            MnistLstm, Epochs: 3, BatchSize: 128, Lr: 1e-3f),
        ["mnist-best"] = new("the best recipe: 4 conv layers with batch norm, random affine augmentation, AdamW with a one-cycle schedule, 15 epochs",
            MnistBest, Epochs: 15, BatchSize: 128, Lr: 4e-3f)
        {
            OneCycle = true,
            WeightDecay = 1e-4f,
            Augmentation = new RandomAffine(degrees: 10f, translate: 0.1f, scaleJitter: 0.1f),
        },
    };

    /// <summary>The names <see cref="Create"/> accepts, with a line describing each.</summary>
    public static IReadOnlyDictionary<string, string> Descriptions { get; } = All.ToDictionary(kv => kv.Key, kv => kv.Value.Description);

    /// <summary>W1 of the benchmark protocol: Flatten, 784-512 ReLU, 512-512 ReLU, 512-10 (logits).</summary>
    public static Sequential MnistMlp() => new(
        new Flatten(), new Linear(784, 512), new ReLU(), new Linear(512, 512), new ReLU(), new Linear(512, 10));

    /// <summary>
    /// W3 of the benchmark protocol, sequential MNIST: the 28 rows of an image are 28 time steps of 28 pixels for
    /// LSTM(28, 128); its last hidden state goes to Linear(128, 10). Flatten(1, 2) turns [N, 1, 28, 28] into [N, 28, 28].
    /// </summary>
    public static Sequential MnistLstm() => new(
        new Flatten(1, 2), new RecurrentClassifier(new LSTM(28, 128, batchFirst: true), 10));

    /// <summary>W2 of the benchmark protocol, PyTorch's examples/mnist network: 1,199,882 parameters.</summary>
    public static Sequential MnistCnn() => new(
        new Conv2d(1, 32, 3), new ReLU(), new Conv2d(32, 64, 3), new ReLU(), new MaxPool2d(2), new Dropout(0.25f),
        new Flatten(), new Linear(9216, 128), new ReLU(), new Dropout(0.5f), new Linear(128, 10));

    /// <summary>
    /// The mnist-best network: two blocks of two 3×3 convolutions with batch norm (28→14→7), a 256-unit dense layer
    /// with batch norm and dropout, then the 10 logits.
    /// </summary>
    public static Sequential MnistBest() => new(
        new Conv2d(1, 32, 3, padding: 1, bias: false), new BatchNorm2d(32), new ReLU(),
        new Conv2d(32, 32, 3, padding: 1, bias: false), new BatchNorm2d(32), new ReLU(), new MaxPool2d(2),
        new Conv2d(32, 64, 3, padding: 1, bias: false), new BatchNorm2d(64), new ReLU(),
        new Conv2d(64, 64, 3, padding: 1, bias: false), new BatchNorm2d(64), new ReLU(), new MaxPool2d(2),
        new Flatten(), new Linear(64 * 7 * 7, 256, bias: false), new BatchNorm1d(256), new ReLU(), new Dropout(0.3f),
        new Linear(256, 10));

    /// <summary>
    /// The preset <paramref name="name"/> as a run file: saved and passed to <c>dendrite train FILE</c>, it trains the
    /// same network with the same recipe, seed and data (the default MNIST directory) as <c>dendrite train NAME</c>.
    /// </summary>
    public static string RunFileJson(string name)
    {
        if (!All.TryGetValue(name, out var preset))
            throw new ArgumentException($"--print-config: \"{name}\" is not a preset with a run file; available: {string.Join(", ", All.Keys)}.");
        // Learning rates as their shortest float text (0.001, not 0.0010000000474974513): read back as float, the same bits.
        static JsonNode Number(float v) => JsonValue.Create(double.Parse(v.ToString("R", CultureInfo.InvariantCulture), CultureInfo.InvariantCulture));
        var optimizer = new JsonObject { ["name"] = preset.WeightDecay > 0 || preset.OneCycle ? "adamw" : "adam", ["lr"] = Number(preset.Lr) };
        if (preset.WeightDecay > 0 || preset.OneCycle) optimizer["weight_decay"] = Number(preset.WeightDecay);
        var run = new JsonObject
        {
            ["data"] = new JsonObject { ["kind"] = "idx" },
            ["model"] = name,
            ["optimizer"] = optimizer,
            ["schedule"] = preset.OneCycle ? "one-cycle" : "none",
            ["epochs"] = preset.Epochs,
            ["batch_size"] = preset.BatchSize,
            ["seed"] = MnistRunOptions.DefaultSeed,
            ["metrics"] = new JsonArray("accuracy"),
        };
        if (preset.Augmentation is RandomAffine affine)
            run["augmentation"] = new JsonObject
            {
                ["affine"] = new JsonObject { ["degrees"] = Number(affine.Degrees), ["translate"] = Number(affine.Translate), ["scale"] = Number(affine.ScaleJitter) },
            };
        return run.ToJsonString(new JsonSerializerOptions { WriteIndented = true });
    }

    public static Module Create(string name) => All.TryGetValue(name, out var preset)
        ? preset.Build()
        : throw new ArgumentException($"unknown model \"{name}\"; available: {string.Join(", ", All.Keys)}.");
}
