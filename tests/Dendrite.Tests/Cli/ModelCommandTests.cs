using Dendrite.Cli;
using Dendrite.Data;
using Dendrite.IO;
using Dendrite.NN;
using Dendrite.Tests.TestSupport;
using Dendrite.Training;

namespace Dendrite.Tests.Cli;

/// <summary><c>dendrite export onnx</c>, <c>eval</c> and <c>predict</c> on a small trained model, run in-process.</summary>
[Collection(ProcessStateCollection.Name)]
public class ModelCommandTests
{
    private static (int Code, string Out, string Error) Run(params string[] args) => CliRunner.Run(args);

    /// <summary>A W1 MLP trained for one epoch on 2,000 images: good enough that its predictions mean something.</summary>
    private static readonly Lazy<Sequential> s_trained = new(() =>
    {
        Torch.ManualSeed(2);
        var model = Presets.MnistMlp();
        model.Fit(MnistData.Train.Take(2000), new Dendrite.Optim.Adam(model.Parameters()), Losses.CrossEntropy, epochs: 1, batchSize: 50, verbose: false);
        return model;
    });

    private static string SaveTrained(TempDirectory dir)
    {
        string path = dir.File("mlp.safetensors");
        s_trained.Value.Save(path, inputShape: new Shape(1, 28, 28));
        return path;
    }

    [Fact]
    public void Export_onnx_writes_a_model_that_ONNX_Runtime_runs_like_Dendrite()
    {
        using var dir = new TempDirectory();
        string model = SaveTrained(dir), onnx = dir.File("mlp.onnx");

        var (code, output, error) = Run("export", "onnx", model, onnx);

        Assert.Equal(0, code);
        Assert.Equal("", error);
        Assert.Equal($"Exported {model} to {onnx} (ONNX opset 17, input \"input\" [batch, 1, 28, 28], output \"output\").\n", output);
        var x = MnistData.Test.Inputs.RowView(0, 4);
        var (values, _) = Dendrite.Tests.IO.OnnxExportTests.RunOnnx(File.ReadAllBytes(onnx), x);
        var expected = s_trained.Value.Predict(x).ToArray();
        for (int i = 0; i < expected.Length; i++) Assert.True(Math.Abs(values[i] - expected[i]) <= 1e-4 * Math.Abs(expected[i]) + 1e-5);
    }

    [Fact]
    public void Eval_prints_the_accuracy_on_an_IDX_pair_and_on_CSV_rows()
    {
        using var dir = new TempDirectory();
        string model = SaveTrained(dir);
        var test = MnistData.Test.Take(300);
        var (_, expected) = s_trained.Value.Evaluate(test, Losses.CrossEntropy);
        int correct = (int)Math.Round(expected!.Value * 300);
        WriteIdx(dir.File("images.idx"), [300, 28, 28], test.Inputs.ToArray().Select(v => (byte)Math.Round(v * 255)).ToArray());
        WriteIdx(dir.File("labels.idx"), [300], test.Targets.ToArray().Select(v => (byte)v).ToArray());
        File.WriteAllLines(dir.File("test.csv"), ["label,pixels…", .. Enumerable.Range(0, 300).Select(i =>
            test.Targets.Data[i] + "," + string.Join(",", test.Inputs.RowView(i, 1).ToArray().Select(v => (int)Math.Round(v * 255))))]);

        var idx = Run("eval", model, "--images", dir.File("images.idx"), "--labels", dir.File("labels.idx"));
        var csv = Run("eval", model, "--csv", dir.File("test.csv"), "--divide-by", "255");

        string line = $"Accuracy: {100.0 * correct / 300:0.00}% ({correct} of 300 samples from ";
        Assert.Equal((0, line + dir.File("images.idx") + ")\n"), (idx.Code, idx.Out));
        Assert.Equal((0, line + dir.File("test.csv") + ")\n"), (csv.Code, csv.Out));
    }

    private static void WriteIdx(string path, int[] dims, byte[] data)
    {
        using var s = File.Create(path);
        s.Write([0, 0, 8, (byte)dims.Length]);
        foreach (int d in dims) s.Write([(byte)(d >> 24), (byte)(d >> 16), (byte)(d >> 8), (byte)d]);
        s.Write(data);
    }

    [Fact]
    public void Predict_prints_class_probabilities_for_a_PNG_digit()
    {
        using var dir = new TempDirectory();
        string model = SaveTrained(dir);
        // The first test image (a 7), drawn dark on light at 56×56, as a user's scan might be: --invert and the resize
        // bring it back to MNIST's form.
        var digit = MnistData.Test.Inputs.RowView(0, 1).ToArray();
        var big = new byte[56 * 56];
        for (int y = 0; y < 56; y++)
            for (int x = 0; x < 56; x++) big[y * 56 + x] = (byte)(255 - Math.Round(digit[y / 2 * 28 + x / 2] * 255));
        File.WriteAllBytes(dir.File("seven.png"), Png.Encode(big, 56, 56, channels: 1));

        var (code, output, _) = Run("predict", model, dir.File("seven.png"), "--invert");

        Assert.Equal(0, code);
        Assert.StartsWith(dir.File("seven.png") + ": class 7 (", output);
        var probabilities = output.Split("probabilities ")[1].Trim().Split(' ').Select(p => double.Parse(p.Split(':')[1], System.Globalization.CultureInfo.InvariantCulture)).ToArray();
        Assert.Equal(10, probabilities.Length);
        Assert.Equal(1.0, probabilities.Sum(), 2);
        Assert.Equal(probabilities.Max(), probabilities[7]);

        // The same digit as white ink whose alpha carries the strokes, on a transparent background.
        var rgba = new byte[28 * 28 * 4];
        for (int i = 0; i < 28 * 28; i++) (rgba[4 * i], rgba[4 * i + 1], rgba[4 * i + 2], rgba[4 * i + 3]) = (255, 255, 255, (byte)Math.Round(digit[i] * 255));
        File.WriteAllBytes(dir.File("seven-rgba.png"), Png.Encode(rgba, 28, 28, channels: 4));
        var (rgbaCode, rgbaOutput, _) = Run("predict", model, dir.File("seven-rgba.png"));
        Assert.Equal(0, rgbaCode);
        Assert.StartsWith(dir.File("seven-rgba.png") + ": class 7 (", rgbaOutput);
    }

    [Fact]
    public void Predict_reads_IDX_images_and_CSV_rows()
    {
        using var dir = new TempDirectory();
        string model = SaveTrained(dir);
        var test = MnistData.Test.Take(12);
        WriteIdx(dir.File("images.idx"), [12, 28, 28], test.Inputs.ToArray().Select(v => (byte)Math.Round(v * 255)).ToArray());
        File.WriteAllText(dir.File("row.csv"), string.Join(",", test.Inputs.RowView(1, 1).ToArray().Select(v => v.ToString("R", System.Globalization.CultureInfo.InvariantCulture))) + "\n");
        var expected = s_trained.Value.Predict(test.Inputs);

        var idx = Run("predict", model, dir.File("images.idx"), "--limit", "3");
        var csv = Run("predict", model, dir.File("row.csv"));

        var lines = idx.Out.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal(4, lines.Length);
        Assert.StartsWith($"{dir.File("images.idx")}[2]: class {ArgMax(expected, 2)} (", lines[2]);
        Assert.Equal("… 9 more samples (--limit 3).", lines[3]);
        Assert.StartsWith($"{dir.File("row.csv")}: class {ArgMax(expected, 1)} (", csv.Out);
    }

    private static int ArgMax(Tensor rows, int i)
    {
        var row = rows.Data.Slice(i * 10, 10);
        int best = 0;
        for (int k = 1; k < 10; k++) if (row[k] > row[best]) best = k;
        return best;
    }

    [Fact]
    public void User_errors_are_one_line_naming_the_problem()
    {
        using var dir = new TempDirectory();
        string weightsOnly = dir.File("w.safetensors");
        SafeTensors.Save(weightsOnly, new Linear(2, 2).StateDict());
        string noShape = dir.File("noshape.safetensors");
        new Sequential(new Linear(4, 2)).Save(noShape);

        AssertError(["eval", dir.File("missing.safetensors")], "dendrite: error: Could not find file");
        AssertError(["predict", weightsOnly, "x.png"], $"dendrite: error: {weightsOnly}: holds weights but no architecture");
        AssertError(["export", "onnx", noShape, dir.File("o.onnx")], $"dendrite: error: {noShape} records no input shape; pass --input-shape");
        AssertError(["export", "onnx", noShape, dir.File("o.onnx"), "--input-shape", "4,x"], "dendrite: error: --input-shape must be positive integers");
        AssertError(["train", "mnist-mlp", "--resume", "--data", "/nonexistent"], "dendrite: error: --resume needs --checkpoint-dir");
        File.WriteAllText(dir.File("fake.png"), "not an image");
        AssertError(["predict", noShape, dir.File("fake.png"), "--input-shape", "2,2"], $"dendrite: error: {dir.File("fake.png")}: not an image StbImageSharp can decode");
        Assert.Empty(Directory.GetFiles(dir.Path, "*.onnx"));
    }

    private static void AssertError(string[] args, string start)
    {
        var (code, _, error) = Run(args);
        Assert.NotEqual(0, code);
        var lines = error.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.True(lines.Length == 1, error);
        Assert.StartsWith(start, lines[0]);
    }
}
