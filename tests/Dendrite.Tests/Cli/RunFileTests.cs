using System.Globalization;
using System.Text.Json.Nodes;
using Dendrite.Data;
using Dendrite.IO;
using Dendrite.Tests.TestSupport;

namespace Dendrite.Tests.Cli;

/// <summary>
/// <c>dendrite train run.json</c> on a table, an image folder and a FASTA file, each trained to a real accuracy; then
/// <c>predict</c> on raw inputs and <c>eval</c> on labelled data through the model file's recorded preprocessing; and
/// the run file's checks, each one line naming the file and the key.
/// </summary>
[Collection(ProcessStateCollection.Name)]
public class RunFileTests
{
    private static (int Code, string Out, string Error) Run(params string[] args) => CliRunner.Run(args);

    private static string RunOk(params string[] args)
    {
        var (code, output, error) = Run(args);
        Assert.True(code == 0, $"exit {code}: {error}\n{output}");
        return output;
    }

    /// <summary>Exit 1, one line on stderr, no stack trace; returns that line.</summary>
    private static string UserError(params string[] args)
    {
        var (code, _, error) = Run(args);
        Assert.Equal(1, code);
        var lines = error.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.True(lines.Length == 1, $"expected one line on stderr, got:\n{error}");
        Assert.StartsWith("dendrite: error: ", lines[0]);
        Assert.DoesNotContain("Exception", error);
        return lines[0];
    }

    private static double FinalAccuracy(string output, string what = "validation")
    {
        string line = output.Split('\n').Single(l => l.StartsWith($"Final {what} accuracy: ", StringComparison.Ordinal));
        string number = line[$"Final {what} accuracy: ".Length..line.IndexOf('%')];
        return double.Parse(number, CultureInfo.InvariantCulture) / 100;
    }

    private static string Example(string name) => Path.Combine(AppBoundary.RepositoryRoot(), "examples", "runs", name);

    [Fact]
    public void The_breast_cancer_run_file_trains_and_its_model_predicts_and_evaluates_raw_rows()
    {
        using var dir = new TempDirectory();
        string outDir = Path.Combine(dir.Path, "model");
        string output = RunOk("train", Example("breast-cancer.json"), "--out", outDir);
        Assert.StartsWith("Training model from ", output);
        Assert.Contains("455 training and 114 validation rows, 2 classes", output);
        Assert.True(FinalAccuracy(output) >= 0.95, output);

        string model = Path.Combine(outDir, "model.safetensors");
        var metadata = ModelFile.ReadMetadata(model);
        Assert.Equal("[\"benign\",\"malignant\"]", metadata[ModelFile.ClassesKey]);
        var preprocessing = JsonNode.Parse(metadata[ModelFile.PreprocessingKey])!;
        Assert.Equal("csv", (string)preprocessing["kind"]!);
        Assert.Equal(30, preprocessing["features"]!.AsArray().Count);
        Assert.Equal(30, preprocessing["mean"]!.AsArray().Count);
        Assert.True(JsonNode.Parse(metadata[ModelFile.MetricsKey])!["val_accuracy"]!.GetValue<double>() >= 0.95);

        // The report and the TensorBoard events come with every --out: judged on the validation rows, named classes.
        string report = File.ReadAllText(Path.Combine(outDir, "report.html"));
        Assert.Contains("judged on val", report);
        Assert.Contains("malignant", report);
        Assert.Contains("breast-cancer.json", report);
        Assert.Single(Directory.GetFiles(Path.Combine(outDir, "tensorboard"), "events.out.tfevents.*"));

        // Raw rows with the columns in another order and the target column present: matched by name, target ignored.
        var table = Table.Read(Path.Combine(AppBoundary.RepositoryRoot(), "data", "tables", "breast_cancer.csv"));
        var columns = table.Columns.Reverse().ToArray();
        string rows = Path.Combine(dir.Path, "rows.csv");
        File.WriteAllLines(rows, [string.Join(",", columns.Select(c => $"\"{c}\"")),
            .. new[] { 0, 19 }.Select(r => string.Join(",", columns.Select(c => table.Cell(r, c))))]);
        Assert.Equal(["malignant", "benign"], [table.Cell(0, "diagnosis"), table.Cell(19, "diagnosis")]);
        var predictions = RunOk("predict", model, rows, "--top", "2").Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal(2, predictions.Length);
        Assert.Matches(@"^\S+rows\.csv:2  malignant  (0|1)\.\d\d  benign     (0|1)\.\d\d$", predictions[0]);
        Assert.Matches(@"^\S+rows\.csv:3  benign     (0|1)\.\d\d  malignant  (0|1)\.\d\d$", predictions[1]);

        string eval = RunOk("eval", model, Example("breast-cancer.json"));
        Assert.Contains("samples from the validation part of ", eval);
        Assert.Contains("ROC AUC (malignant as positive): 0.9", eval);
        Assert.Contains("true \\ predicted       benign  malignant", eval);
        Assert.Contains("macro avg", eval);

        // A table without some of the feature columns: one line naming the file and the missing columns.
        string narrow = Path.Combine(dir.Path, "narrow.csv");
        File.WriteAllLines(narrow, ["mean radius,mean texture", "17.99,10.38"]);
        string error = UserError("predict", model, narrow);
        Assert.StartsWith($"dendrite: error: {narrow}: no columns \"mean perimeter\"", error);
        Assert.Contains("the model was trained on the 30 columns", error);
    }

    private const string ShapeModel = """
        {"type": "Sequential", "children": {
          "0": {"type": "Conv2d", "in_channels": 3, "out_channels": 8, "kernel_size": 3, "padding": 1},
          "1": {"type": "ReLU"},
          "2": {"type": "MaxPool2d", "kernel_size": 2},
          "3": {"type": "Conv2d", "in_channels": 8, "out_channels": 16, "kernel_size": 3, "padding": 1},
          "4": {"type": "ReLU"},
          "5": {"type": "MaxPool2d", "kernel_size": 2},
          "6": {"type": "Flatten"},
          "7": {"type": "Linear", "in_features": 256, "out_features": 3}}}
        """;

    [Fact]
    public void An_image_folder_run_trains_on_rgb_shapes_and_predicts_any_image_with_class_names()
    {
        using var dir = new TempDirectory();
        RunFileData.WriteShapes(Path.Combine(dir.Path, "shapes"), perClass: 30, seed: 1);
        RunFileData.WriteShapes(Path.Combine(dir.Path, "shapes-test"), perClass: 8, seed: 2);
        string runFile = Path.Combine(dir.Path, "shapes.json");
        File.WriteAllText(runFile, $$$"""
            {"data": {"kind": "image-folder", "path": "shapes", "size": [16, 16], "channels": 3, "validation": 0.2, "test": "shapes-test"},
             "model": {{{ShapeModel}}},
             "optimizer": {"name": "adam", "lr": 0.003},
             "augmentation": {"horizontal_flip": 0.5},
             "epochs": 12, "batch_size": 16, "seed": 1, "metrics": ["accuracy", "f1"],
             "outputs": {"out": "model"}}
            """);
        string output = RunOk("train", runFile);
        Assert.Contains("72 training and 18 validation images, 3 classes", output);
        Assert.True(FinalAccuracy(output) >= 0.85, output);
        Assert.Matches(@"Test accuracy: (9\d|100)\.\d\d% \(24 images from ", output);   // the test folder, scored once
        string model = Path.Combine(dir.Path, "model", "model.safetensors");   // "out" is relative to the run file
        Assert.True(File.Exists(model));

        // Raw images of other sizes, one grey (converted to RGB as trained): each named with its class.
        var g = new Generator(7);
        string ring = Path.Combine(dir.Path, "ring.png"), bar = Path.Combine(dir.Path, "bar-grey.png");
        Png.Write(ring, RunFileData.Shape("ring", g));
        Png.Write(bar, RunFileData.Shape("bar", g, channels: 1));
        var lines = RunOk("predict", model, ring, bar).Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal(2, lines.Length);
        Assert.Matches(@"ring\.png\s+ring\s+\d\.\d\d$", lines[0]);
        Assert.Matches(@"bar-grey\.png\s+bar\s+\d\.\d\d$", lines[1]);

        string eval = RunOk("eval", model, Path.Combine(dir.Path, "shapes-test"));
        Assert.Contains("of 24 samples from ", eval);
        Assert.DoesNotContain("ROC AUC", eval);   // three classes
        Assert.Contains("true \\ predicted", eval);
        Assert.Contains("ring", eval);

        // A CSV handed to an image model: one line naming the file.
        string csv = Path.Combine(dir.Path, "x.csv");
        File.WriteAllText(csv, "a,b\n1,2\n");
        Assert.Equal($"dendrite: error: {csv}: {model} was trained on RGB images of 16×16 (PNG, JPEG, TIFF, …, or a folder of them); this file is not one.",
            UserError("predict", model, csv));
    }

    [Fact]
    public void A_fasta_run_learns_a_motif_and_predicts_records_by_name()
    {
        using var dir = new TempDirectory();
        RunFileData.WriteMotifs(Path.Combine(dir.Path, "motifs.fa"), 240, seed: 3);
        string runFile = Path.Combine(dir.Path, "motifs.json");
        File.WriteAllText(runFile, """
            {"data": {"kind": "fasta", "path": "motifs.fa", "alphabet": "dna", "length": 40, "validation": 0.25},
             "model": {"type": "Sequential", "children": {
               "0": {"type": "Conv1d", "in_channels": 4, "out_channels": 16, "kernel_size": 6},
               "1": {"type": "ReLU"},
               "2": {"type": "AdaptiveMaxPool1d", "output_size": 1},
               "3": {"type": "Flatten"},
               "4": {"type": "Linear", "in_features": 16, "out_features": 2}}},
             "optimizer": {"name": "adam", "lr": 0.01},
             "epochs": 25, "batch_size": 16, "seed": 2, "metrics": ["accuracy", "auc"]}
            """);
        string outDir = Path.Combine(dir.Path, "out");
        string output = RunOk("train", runFile, "--out", outDir);
        Assert.Contains("180 training and 60 validation sequences, 2 classes", output);
        Assert.True(FinalAccuracy(output) >= 0.9, output);
        string model = Path.Combine(outDir, "model.safetensors");
        var preprocessing = JsonNode.Parse(ModelFile.ReadMetadata(model)[ModelFile.PreprocessingKey])!;
        Assert.Equal("ACGT", (string)preprocessing["alphabet"]!);
        Assert.Equal(40, (int)preprocessing["length"]!);

        string fasta = Path.Combine(dir.Path, "new.fa");
        File.WriteAllText(fasta, ">with-box\nGCGCGCGCGCTATAATGCGCGCGCGC\n>without\nGCGCGCGCGCGCGCGCGCGCGCGCGC\n");
        var lines = RunOk("predict", model, fasta).Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Matches(@"new\.fa:with-box\s+motif\s+\d\.\d\d$", lines[0]);
        Assert.Matches(@"new\.fa:without\s+none\s+\d\.\d\d$", lines[1]);

        string eval = RunOk("eval", model, Path.Combine(dir.Path, "motifs.fa"));
        Assert.Contains("of 240 samples from ", eval);
        Assert.Contains("ROC AUC (none as positive): ", eval);
    }

    [Theory]
    [InlineData("""{"data": {"kind": "csv", "path": "t.csv", "target": "y"}, "model": "mnist-mlp", "optimiser": {}}""",
        "unknown key \"optimiser\" at the top level (known: data, model, optimizer, schedule, epochs, batch_size, metrics, augmentation, seed, outputs).")]
    [InlineData("""{"data": {"kind": "csv", "path": "t.csv", "target": "y", "size": [2, 2]}, "model": "mnist-mlp"}""",
        "unknown key \"size\" in \"data\" (known: kind, path, validation, test, target, features).")]
    [InlineData("""{"data": {"kind": "csv", "path": "t.csv", "target": "y"}, "model": "mnist-mlp", "epochs": "three"}""",
        "\"epochs\" must be an integer, got \"three\".")]
    [InlineData("""{"data": {"kind": "csv", "path": "t.csv", "target": "y"}, "model": "mnist-mlp", "optimizer": {"name": "adam", "lr": "fast"}}""",
        "\"optimizer.lr\" must be a number, got \"fast\".")]
    [InlineData("""{"data": {"kind": "csv", "path": "t.csv", "target": "y", "validation": 1.5}, "model": "mnist-mlp"}""",
        "\"data.validation\" must be a number in (0, 1), got 1.5.")]
    [InlineData("""{"data": {"kind": "parquet", "path": "t.csv"}, "model": "mnist-mlp"}""",
        "\"data.kind\" must be one of \"idx\", \"csv\", \"image-folder\", \"fasta\"; got \"parquet\".")]
    [InlineData("""{"data": {"kind": "csv", "path": "t.csv", "target": "y"}, "model": "mnist-mlp", "metrics": ["accuracy", "kappa"]}""",
        "\"metrics\": unknown metric \"kappa\" (known: accuracy, precision, recall, f1, auc, average_precision).")]
    [InlineData("""{"data": {"kind": "csv", "path": "t.csv", "target": "y"}, "model": "resnet"}""",
        "\"model\": unknown preset \"resnet\" (known: mnist-mlp, mnist-cnn, mnist-lstm, mnist-best).")]
    [InlineData("""{"data": {"kind": "csv", "path": "t.csv", "target": "y"}, "model": "mnist-mlp", "optimizer": {"name": "adam", "momentum": 0.9}}""",
        "\"optimizer.momentum\": applies to sgd; adam has no momentum option.")]
    [InlineData("""{"data": {"kind": "csv", "path": "t.csv"}, "model": "mnist-mlp"}""",
        "missing \"data.target\" in \"data\" (a string).")]
    [InlineData("""{"data": {"kind": "idx", "test": "t10k"}, "model": "mnist-mlp"}""",
        "unknown key \"test\" in \"data\" (known: kind, path, validation).")]
    [InlineData("""{"data": {"kind": "csv", "path": "t.csv", "target": "y"}, "model": "mnist-mlp", "schedule": "warmup"}""",
        "\"schedule\": must be one of none, step, cosine, one-cycle, reduce-on-plateau; got \"warmup\".")]
    [InlineData("""{"data": {"kind": "csv", "path": "t.csv", "target": "y"}, "model": "mnist-mlp", "schedule": {"name": "step", "t_max": 3}}""",
        "unknown key \"t_max\" in \"schedule\" (known: name, step_size, gamma).")]
    [InlineData("""{"data": {"kind": "csv", "path": "t.csv", "target": "y"}, "model": "mnist-mlp", "augmentation": {"horizontal_flip": 0.5}}""",
        "\"augmentation\": applies to images (data kind image-folder or idx), not csv.")]
    [InlineData("""{"data": {"kind": "image-folder", "path": "x", "size": [8, 8], "channels": 4}, "model": "mnist-mlp"}""",
        "\"data.channels\": must be 1 (grey) or 3 (RGB), got 4.")]
    [InlineData("""[1, 2]""",
        "a run description is a JSON object ({\"data\": …, \"model\": …}), got a list.")]
    [InlineData("""{"data": {"kind": "csv", "path": "t.csv", "target": "y"}, "model": "mnist-mlp", "seed": 1, "seed": 2}""",
        "key \"seed\" appears twice in $.")]
    public void A_mistake_in_the_run_file_is_one_line_naming_the_file_and_the_key(string json, string expected)
    {
        using var dir = new TempDirectory();
        string runFile = Path.Combine(dir.Path, "run.json");
        File.WriteAllText(runFile, json);
        Assert.Equal($"dendrite: error: {runFile}: {expected}", UserError("train", runFile));
    }

    [Fact]
    public void A_resumed_run_file_ends_with_the_weights_of_an_uninterrupted_one()
    {
        using var dir = new TempDirectory();
        RunFileData.WriteMotifs(Path.Combine(dir.Path, "motifs.fa"), 80, seed: 4);
        string runFile = Path.Combine(dir.Path, "run.json");
        File.WriteAllText(runFile, """
            {"data": {"kind": "fasta", "path": "motifs.fa"},
             "model": {"type": "Sequential", "children": {
               "0": {"type": "Conv1d", "in_channels": 4, "out_channels": 8, "kernel_size": 6},
               "1": {"type": "ReLU"}, "2": {"type": "AdaptiveMaxPool1d", "output_size": 1}, "3": {"type": "Flatten"},
               "4": {"type": "Dropout", "p": 0.2},
               "5": {"type": "Linear", "in_features": 8, "out_features": 2}}},
             "optimizer": {"name": "sgd", "lr": 0.05, "momentum": 0.9},
             "schedule": {"name": "step", "step_size": 2, "gamma": 0.5},
             "epochs": 4, "batch_size": 8, "seed": 3,
             "outputs": {"checkpoint_dir": "checkpoints"}}
            """);
        string whole = Path.Combine(dir.Path, "whole"), resumed = Path.Combine(dir.Path, "resumed");
        RunOk("train", runFile, "--out", whole, "--checkpoint-dir", Path.Combine(dir.Path, "c1"));
        RunOk("train", runFile, "--epochs", "2", "--checkpoint-dir", Path.Combine(dir.Path, "c2"));
        string output = RunOk("train", runFile, "--resume", "--out", resumed, "--checkpoint-dir", Path.Combine(dir.Path, "c2"));
        Assert.Contains("Resumed from ", output);
        var a = SafeTensors.Load(Path.Combine(whole, "model.safetensors"));
        var b = SafeTensors.Load(Path.Combine(resumed, "model.safetensors"));
        foreach (var (key, tensor) in a) Assert.Equal(tensor.ToArray(), b[key].ToArray());

        // The file's own checkpoint directory, relative to it, holds checkpoints only when no --checkpoint-dir overrides it.
        Assert.False(Directory.Exists(Path.Combine(dir.Path, "checkpoints")));
    }

    [Fact]
    public void Eval_of_own_data_needs_a_model_that_records_its_preprocessing()
    {
        using var dir = new TempDirectory();
        string model = Path.Combine(dir.Path, "plain.safetensors");
        new Dendrite.NN.Sequential(new Dendrite.NN.Linear(2, 2)).Save(model, new Shape(2));
        File.WriteAllText(Path.Combine(dir.Path, "t.csv"), "a,b,y\n1,2,x\n");
        Assert.Equal($"dendrite: error: {model} records no input preprocessing (metadata \"dendrite.preprocessing\"); it was not written by 'train run.json'.",
            UserError("eval", model, Path.Combine(dir.Path, "t.csv")));
    }

    [Fact]
    public void A_model_whose_outputs_do_not_match_the_classes_is_refused_before_training()
    {
        using var dir = new TempDirectory();
        File.WriteAllText(Path.Combine(dir.Path, "t.csv"), "a,b,y\n" + string.Concat(Enumerable.Range(0, 20).Select(i => $"{i},{i % 3},{(i % 3 == 0 ? "x" : i % 3 == 1 ? "y" : "z")}\n")));
        string runFile = Path.Combine(dir.Path, "run.json");
        File.WriteAllText(runFile, """
            {"data": {"kind": "csv", "path": "t.csv", "target": "y"},
             "model": {"type": "Sequential", "children": {"0": {"type": "Linear", "in_features": 2, "out_features": 2}}}}
            """);
        Assert.Equal($"dendrite: error: {runFile}: the model outputs [2, 2] for 2 samples (2 values each), but the data has 3 classes (x, y, z); " +
            "make its last layer give 3 outputs.", UserError("train", runFile));
    }

    [Fact]
    public void A_printed_preset_config_trains_the_same_run_as_the_preset()
    {
        using var dir = new TempDirectory();
        string config = RunOk("train", "--print-config", "mnist-mlp");
        var json = JsonNode.Parse(config)!;
        Assert.Equal("idx", (string)json["data"]!["kind"]!);
        Assert.Equal(0.001, json["optimizer"]!["lr"]!.GetValue<double>());
        string runFile = Path.Combine(dir.Path, "mnist-mlp.json");
        File.WriteAllText(runFile, config);

        string preset = RunOk("train", "mnist-mlp", "--epochs", "1", "--train-samples", "600");
        string fromFile = RunOk("train", runFile, "--epochs", "1", "--train-samples", "600");
        Assert.Contains("600 training and 10000 test images, 10 classes, 1 epochs, batch 128, adam lr 0.001, seed 6", fromFile);
        Assert.Equal(FinalAccuracy(preset, "test"), FinalAccuracy(fromFile, "test"));
    }

    [Fact]
    public void The_example_run_files_point_at_data_that_is_there()
    {
        // Run files have "data"; motif-cnn.json beside them is an architecture that motifs.json names.
        var runs = Directory.GetFiles(Path.Combine(AppBoundary.RepositoryRoot(), "examples", "runs"), "*.json")
            .Select(f => (File: f, Json: JsonNode.Parse(File.ReadAllText(f))!)).Where(r => r.Json["data"] is not null).ToArray();
        Assert.Equal(["breast-cancer.json", "motifs.json", "shapes.json"], runs.Select(r => Path.GetFileName(r.File)).Order());
        foreach (var (file, json) in runs)
        {
            string path = Path.Combine(Path.GetDirectoryName(file)!, (string)json["data"]!["path"]!);
            Assert.True(File.Exists(path) || Directory.Exists(path), $"{file}: {path}");
        }
    }
}
