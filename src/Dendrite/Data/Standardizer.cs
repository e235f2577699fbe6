using System.Text.Json;
using System.Text.Json.Nodes;

namespace Dendrite.Data;

/// <summary>
/// Feature-wise standardisation, x' = (x − mean) / std, as scikit-learn's <c>StandardScaler</c>: fitted on the
/// training features only (so no test statistics leak into training), then applied to every split and to new data
/// at prediction time. Std is the population one (divided by N), and a constant feature keeps std 1 so it maps to 0
/// instead of dividing by zero; both as scikit-learn.
/// </summary>
/// <remarks>
/// A model trained on standardised inputs needs the same statistics forever after: <see cref="ToJson"/> gives them as a
/// small JSON object to keep beside the weights, for instance as a safetensors metadata value under
/// <see cref="MetadataKey"/>, and <see cref="FromJson"/> brings them back.
/// </remarks>
public sealed class Standardizer
{
    /// <summary>The metadata key under which a standardiser is conventionally stored with a model's weights.</summary>
    public const string MetadataKey = "dendrite.standardizer";

    private Standardizer(float[] mean, float[] std)
    {
        Mean = mean;
        Std = std;
    }

    /// <summary>Per-feature means of the data it was fitted on.</summary>
    public IReadOnlyList<float> Mean { get; }

    /// <summary>Per-feature population standard deviations (1 for constant features).</summary>
    public IReadOnlyList<float> Std { get; }

    /// <summary>Number of features, F.</summary>
    public int Features => Mean.Count;

    /// <summary>
    /// Fits on <paramref name="features"/> [N, F]; accumulates in double so large N loses no precision.
    /// </summary>
    /// <exception cref="ShapeMismatchException">The tensor is not [N, F] with N ≥ 1.</exception>
    public static Standardizer Fit(Tensor features)
    {
        if (features.Rank != 2 || features.Shape[0] == 0)
            throw new ShapeMismatchException(
                $"Standardizer.Fit: expected features [N, F] with N >= 1, got {features.Shape}.");
        int n = features.Shape[0], f = features.Shape[1];
        var x = features.Data;
        var sum = new double[f];
        for (int i = 0; i < n; i++)
            for (int j = 0; j < f; j++) sum[j] += x[i * f + j];
        var mean = new float[f];
        var sumSquares = new double[f];
        for (int j = 0; j < f; j++) mean[j] = (float)(sum[j] / n);
        // Why a second pass: the sum-of-squares shortcut E[x²] − E[x]² cancels catastrophically for large means.
        for (int i = 0; i < n; i++)
            for (int j = 0; j < f; j++)
            {
                double d = x[i * f + j] - sum[j] / n;
                sumSquares[j] += d * d;
            }
        var std = new float[f];
        for (int j = 0; j < f; j++)
        {
            double s = Math.Sqrt(sumSquares[j] / n);
            std[j] = s > 0 ? (float)s : 1f;
        }
        return new Standardizer(mean, std);
    }

    /// <summary>The standardised copy of <paramref name="features"/> [N, F].</summary>
    /// <exception cref="ShapeMismatchException">F differs from the fitted data's.</exception>
    public Tensor Transform(Tensor features)
    {
        if (features.Rank != 2 || features.Shape[1] != Features)
            throw new ShapeMismatchException(
                $"Standardizer.Transform: fitted on {Features} features, got {features.Shape}.");
        var result = Tensor.Empty(features.Shape.ToArray());
        var x = features.Data;
        var y = result.Data;
        int f = Features;
        for (int i = 0; i < x.Length; i++) y[i] = (x[i] - Mean[i % f]) / Std[i % f];
        return result;
    }

    /// <summary>A dataset whose inputs are standardised; targets are shared, not copied.</summary>
    public TensorDataset Transform(TensorDataset data) => new(Transform(data.Inputs), data.Targets);

    /// <summary>The statistics as JSON: <c>{"mean":[…],"std":[…]}</c>, floats written to round-trip exactly.</summary>
    public string ToJson() => new JsonObject
    {
        ["mean"] = new JsonArray([.. Mean.Select(v => JsonValue.Create(v))]),
        ["std"] = new JsonArray([.. Std.Select(v => JsonValue.Create(v))]),
    }.ToJsonString();

    /// <summary>The standardiser <see cref="ToJson"/> wrote.</summary>
    /// <exception cref="FormatException">The JSON lacks "mean" or "std", they differ in length, or a std is not
    /// positive.</exception>
    public static Standardizer FromJson(string json)
    {
        JsonNode? node;
        try
        {
            node = JsonNode.Parse(json);
        }
        catch (JsonException e)
        {
            throw new FormatException($"Standardizer.FromJson: not JSON ({e.Message}).", e);
        }
        float[] mean = ReadArray(node, "mean");
        float[] std = ReadArray(node, "std");
        if (mean.Length != std.Length)
            throw new FormatException($"Standardizer.FromJson: {mean.Length} means but {std.Length} stds.");
        if (std.Any(s => !(s > 0)))
            throw new FormatException("Standardizer.FromJson: every std must be positive.");
        return new Standardizer(mean, std);
    }

    private static float[] ReadArray(JsonNode? node, string key) =>
        node?[key] is JsonArray array
            ? [.. array.Select(v => v?.GetValue<float>() ?? throw new FormatException(
                $"Standardizer.FromJson: null in \"{key}\"."))]
            : throw new FormatException($"Standardizer.FromJson: expected an object with an array \"{key}\".");
}
