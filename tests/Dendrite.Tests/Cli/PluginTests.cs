using System.Diagnostics;
using System.Globalization;
using System.Reflection;
using Dendrite.IO;
using Dendrite.NN;
using Dendrite.Tests.IO;
using Dendrite.Tests.TestSupport;

namespace Dendrite.Tests.Cli;

/// <summary>
/// <c>dendrite --plugin</c> with tests/Dendrite.PluginSample, whose ScaledTanh layer (y = α·tanh(x)) the library does
/// not know. The tool runs as its own process: a plugin's registrations are process-wide and must not leak into the
/// other tests.
/// </summary>
[Collection(ProcessStateCollection.Name)]
public class PluginTests
{
    private static readonly string s_configuration =
        typeof(PluginTests).Assembly.GetCustomAttribute<AssemblyConfigurationAttribute>()?.Configuration ?? "Release";

    /// <summary>The sample plugin as its project built it, beside its own copies of Dendrite and Dendrite.Onnx.</summary>
    private static string PluginPath => Path.Combine(AppBoundary.RepositoryRoot(), "tests", "Dendrite.PluginSample", "bin",
        s_configuration, "net10.0", "Dendrite.PluginSample.dll");

    private static (int Code, string Out, string Error) RunTool(IReadOnlyDictionary<string, string>? environment, params string[] args)
    {
        var start = new ProcessStartInfo("dotnet")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        start.ArgumentList.Add(Path.Combine(AppContext.BaseDirectory, "Dendrite.Cli.dll"));
        foreach (string arg in args) start.ArgumentList.Add(arg);
        foreach (var (key, value) in environment ?? new Dictionary<string, string>()) start.Environment[key] = value;
        using var process = Process.Start(start)!;
        var error = process.StandardError.ReadToEndAsync();
        string output = process.StandardOutput.ReadToEnd();
        Assert.True(process.WaitForExit(120_000), "dendrite did not exit within two minutes");
        return (process.ExitCode, output, error.Result);
    }

    private static (int Code, string Out, string Error) RunTool(params string[] args) => RunTool(null, args);

    // Linear(4 → 3), ScaledTanh(α = 0.5), Linear(3 → 2): a two-class classifier whose middle layer only the plugin knows.
    private static readonly float[] s_w1 = [0.5f, -0.25f, 0.75f, 0.1f, -0.6f, 0.3f, 0.2f, -0.4f, 0.05f, 0.9f, -0.35f, 0.15f];
    private static readonly float[] s_b1 = [0.1f, -0.2f, 0.05f];
    private static readonly float[] s_w2 = [1.2f, -0.7f, 0.4f, -0.3f, 0.8f, -1.1f];
    private static readonly float[] s_b2 = [0.2f, -0.1f];
    private const float Alpha = 0.5f;

    /// <summary>Writes the model file by hand: the test process must not register ScaledTanh itself.</summary>
    private static string WriteModel(TempDirectory dir)
    {
        string architecture = """
            {"type": "Sequential", "children": {
              "0": {"type": "Linear", "in_features": 4, "out_features": 3, "bias": true},
              "1": {"type": "ScaledTanh", "init": 1},
              "2": {"type": "Linear", "in_features": 3, "out_features": 2, "bias": true}}}
            """;
        var tensors = new Dictionary<string, Tensor>
        {
            ["0.weight"] = Tensor.FromArray(s_w1, 3, 4),
            ["0.bias"] = Tensor.FromArray(s_b1, 3),
            ["1.alpha"] = Tensor.FromArray([Alpha], 1),
            ["2.weight"] = Tensor.FromArray(s_w2, 2, 3),
            ["2.bias"] = Tensor.FromArray(s_b2, 2),
        };
        string path = dir.File("scaled.safetensors");
        SafeTensors.Save(path, tensors, new Dictionary<string, string>
        {
            ["format"] = "pt",
            [ModelFile.ArchitectureKey] = architecture,
            [ModelFile.InputShapeKey] = "[4]",
        });
        return path;
    }

    /// <summary>The logits by the formula: W2·(α·tanh(W1·x + b1)) + b2.</summary>
    private static double[] Logits(float[] x)
    {
        var h = new double[3];
        for (int i = 0; i < 3; i++)
        {
            double z = s_b1[i];
            for (int j = 0; j < 4; j++) z += s_w1[i * 4 + j] * x[j];
            h[i] = Alpha * Math.Tanh(z);
        }
        var y = new double[2];
        for (int i = 0; i < 2; i++)
        {
            y[i] = s_b2[i];
            for (int j = 0; j < 3; j++) y[i] += s_w2[i * 3 + j] * h[j];
        }
        return y;
    }

    private static readonly float[] s_sample = [1f, -2f, 0.5f, 3f];

    [Fact]
    public void Without_the_plugin_the_unknown_layer_is_named_and_plugin_suggested()
    {
        using var dir = new TempDirectory();
        string model = WriteModel(dir);
        var (code, _, error) = RunTool("export", "onnx", model, dir.File("m.onnx"));
        Assert.Equal(1, code);
        Assert.StartsWith($"dendrite: error: {model}: architecture: model.1: unknown layer type \"ScaledTanh\"; registered: ", error);
        Assert.EndsWith(" Hint: if a plugin assembly defines that layer type, load it with --plugin PATH.dll.\n", error);
        Assert.Single(error.Split('\n', StringSplitOptions.RemoveEmptyEntries));
    }

    [Fact]
    public void With_the_plugin_predict_gives_the_formula_s_probabilities_and_export_runs_in_onnx_runtime()
    {
        using var dir = new TempDirectory();
        string model = WriteModel(dir);
        File.WriteAllText(dir.File("x.csv"), string.Join(",", s_sample.Select(v => v.ToString(CultureInfo.InvariantCulture))) + "\n");
        var logits = Logits(s_sample);
        double max = logits.Max();
        var p = logits.Select(v => Math.Exp(v - max)).ToArray();
        double sum = p.Sum();
        int best = p[1] > p[0] ? 1 : 0;

        // The option is global: before the subcommand, or after it.
        var (code, output, error) = RunTool("--plugin", PluginPath, "predict", model, dir.File("x.csv"));
        Assert.True(code == 0, error);
        Assert.Equal(string.Create(CultureInfo.InvariantCulture,
            $"{dir.File("x.csv")}: class {best} ({p[best] / sum * 100:0.00}%); probabilities 0:{p[0] / sum:0.0000} 1:{p[1] / sum:0.0000}\n"), output);

        (code, output, error) = RunTool("export", "onnx", model, dir.File("m.onnx"), "--plugin", PluginPath);
        Assert.True(code == 0, error);
        Assert.StartsWith($"Exported {model} to {dir.File("m.onnx")}", output);
        var (values, shape) = OnnxExportTests.RunOnnx(File.ReadAllBytes(dir.File("m.onnx")), Tensor.FromArray(s_sample, 1, 4));
        Assert.Equal([1L, 2L], shape);
        for (int i = 0; i < 2; i++) Assert.Equal(logits[i], values[i], 1e-5);
    }

    [Fact]
    public void A_run_file_whose_model_uses_the_plugin_s_layer_trains_predicts_with_class_names_and_exports()
    {
        // Two classes of 4-feature rows: the first feature's sign decides. The model's middle layer is the plugin's.
        using var dir = new TempDirectory();
        var rows = new List<string> { "a,b,c,d,label" };
        var generator = new Random(3);
        for (int i = 0; i < 200; i++)
        {
            var x = Enumerable.Range(0, 4).Select(_ => generator.NextDouble() * 2 - 1).ToArray();
            rows.Add(string.Join(",", x.Select(v => v.ToString("0.000", CultureInfo.InvariantCulture))) + "," + (x[0] > 0 ? "up" : "down"));
        }
        File.WriteAllLines(dir.File("signs.csv"), rows);
        File.WriteAllText(dir.File("run.json"), """
            {
              "data": { "kind": "csv", "path": "signs.csv", "target": "label", "validation": 0.25 },
              "model": { "type": "Sequential", "children": {
                "0": { "type": "Linear", "in_features": 4, "out_features": 8 },
                "1": { "type": "ScaledTanh", "init": 1 },
                "2": { "type": "Linear", "in_features": 8, "out_features": 2 } } },
              "optimizer": { "name": "adam", "lr": 0.05 },
              "epochs": 30, "batch_size": 16, "seed": 2,
              "outputs": { "out": "model" }
            }
            """);

        var (code, output, error) = RunTool("train", dir.File("run.json"));
        Assert.NotEqual(0, code);
        Assert.Contains("ScaledTanh", error);
        Assert.Contains("--plugin", error);

        (code, output, error) = RunTool("--plugin", PluginPath, "train", dir.File("run.json"));
        Assert.True(code == 0, error + output);
        string line = output.Split('\n').Single(l => l.StartsWith("Final validation accuracy: ", StringComparison.Ordinal));
        Assert.True(double.Parse(line["Final validation accuracy: ".Length..line.IndexOf('%')], CultureInfo.InvariantCulture) >= 90, output);
        string model = Path.Combine(dir.Path, "model", "model.safetensors");

        File.WriteAllLines(dir.File("new.csv"), ["d,c,b,a", "0,0,0,0.9", "0,0,0,-0.9"]);
        (code, output, error) = RunTool("predict", model, dir.File("new.csv"), "--plugin", PluginPath);
        Assert.True(code == 0, error);
        var predictions = output.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Matches(@"new\.csv:2  up  ", predictions[0]);
        Assert.Matches(@"new\.csv:3  down  ", predictions[1]);

        (code, output, error) = RunTool("--plugin", PluginPath, "export", "onnx", model, dir.File("m.onnx"));
        Assert.True(code == 0, error);
        var (values, shape) = OnnxExportTests.RunOnnx(File.ReadAllBytes(dir.File("m.onnx")), Tensor.FromArray([0.9f, 0f, 0f, 0f], 1, 4));
        Assert.Equal([1L, 2L], shape);
    }

    [Fact]
    public void The_plugin_option_is_repeatable_and_listed_in_help()
    {
        var (code, output, _) = RunTool("--help");
        Assert.Equal(0, code);
        Assert.Contains("--plugin", output);
        using var dir = new TempDirectory();
        string model = WriteModel(dir);
        File.WriteAllText(dir.File("x.csv"), "1,2,3,4\n");
        var (twice, _, error) = RunTool("--plugin", PluginPath, "--plugin", PluginPath, "predict", model, dir.File("x.csv"));
        Assert.True(twice == 0, error);   // one file named twice loads once
    }

    [Fact]
    public void A_missing_plugin_file_is_named()
    {
        var (code, _, error) = CliRunner.Run("--plugin", "/nonexistent/MyLayers.dll", "devices");
        Assert.Equal(1, code);
        Assert.Equal("dendrite: error: --plugin /nonexistent/MyLayers.dll: file not found.\n", error);
    }

    [Fact]
    public void A_file_that_is_not_an_assembly_is_named()
    {
        using var dir = new TempDirectory();
        File.WriteAllText(dir.File("notes.dll"), "not a portable executable");
        var (code, _, error) = RunTool("--plugin", dir.File("notes.dll"), "devices");
        Assert.Equal(1, code);
        Assert.Equal($"dendrite: error: --plugin {dir.File("notes.dll")}: not a .NET assembly.\n", error);
    }

    [Fact]
    public void An_assembly_without_a_plugin_class_is_named()
    {
        string xor = Path.Combine(AppContext.BaseDirectory, "Xor.dll");   // an example: uses Dendrite, registers nothing
        var (code, _, error) = RunTool("--plugin", xor, "devices");
        Assert.Equal(1, code);
        Assert.Equal($"dendrite: error: --plugin {xor}: no public class implements Dendrite.IO.IDendritePlugin, so it registers nothing.\n", error);
    }

    [Fact]
    public void A_registration_that_throws_is_one_line_naming_the_file_and_the_class()
    {
        var (code, _, error) = RunTool(new Dictionary<string, string> { ["DENDRITE_PLUGIN_SAMPLE_FAIL"] = "no licence for ScaledTanh" },
            "--plugin", PluginPath, "devices");
        Assert.Equal(1, code);
        Assert.Equal($"dendrite: error: --plugin {PluginPath}: Dendrite.PluginSample.FailingPlugin failed to register: " +
            "no licence for ScaledTanh\n", error);
    }
}
