using System.Globalization;
using System.Text.Json;
using System.Text.Json.Serialization;

namespace Dendrite.Bench;

/// <summary>
/// One measured number of a workload, as both systems report it: the harness pairs a Dendrite figure with the peer's
/// figure of the same <see cref="Id"/>. The peer prints one per line as JSON (<see cref="ToJsonLine"/>).
/// </summary>
/// <param name="Workload">One of <see cref="Protocol.Workloads"/>: "w0", "w1", "w2", "infer", "w5" or "w4".</param>
/// <param name="Id">Stable key, e.g. "w4.t1.n1024.gflops".</param>
/// <param name="Label">What a reader sees in the table, e.g. "n=1024, 1 thread".</param>
/// <param name="Unit">"s", "ms", "µs", "GFLOP/s", "%", "MB", "bytes", "images/s", "count".</param>
/// <param name="HigherIsBetter">Direction of goodness, so a reader of the ratio knows which way is better.</param>
public sealed record Figure(string Workload, string Id, string Label, string Unit, double Value, bool HigherIsBetter)
{
    private static readonly JsonSerializerOptions s_json = new() { PropertyNamingPolicy = JsonNamingPolicy.CamelCase };

    public string ToJsonLine() => JsonSerializer.Serialize(new Line("figure", this, null, null), s_json);

    public static string InfoJsonLine(string key, string value) => JsonSerializer.Serialize(new Line("info", null, key, value), s_json);

    /// <summary>Reads one line of peer output: a figure, an info pair, or neither (progress text, blank lines).</summary>
    public static bool TryParse(string line, out Figure? figure, out KeyValuePair<string, string>? info)
    {
        figure = null;
        info = null;
        if (!line.StartsWith('{')) return false;
        Line? parsed;
        try
        {
            parsed = JsonSerializer.Deserialize<Line>(line, s_json);
        }
        catch (JsonException)
        {
            return false;
        }
        if (parsed is { Kind: "figure", Figure: { } f }) figure = f;
        else if (parsed is { Kind: "info", Key: { } k, Value: { } v }) info = new(k, v);
        return figure is not null || info is not null;
    }

    public string FormatValue() => Format(Value);

    /// <summary>Four significant digits at most, no exponent for the magnitudes we print.</summary>
    public static string Format(double value)
    {
        if (double.IsNaN(value)) return "-";
        double a = Math.Abs(value);
        string format = a >= 1000 ? "0" : a >= 100 ? "0.0" : a >= 10 ? "0.00" : a >= 1 ? "0.000" : "0.0000";
        return value.ToString(format, CultureInfo.InvariantCulture);
    }

    private sealed record Line(
        string Kind,
        [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] Figure? Figure,
        [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] string? Key,
        [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] string? Value);
}
