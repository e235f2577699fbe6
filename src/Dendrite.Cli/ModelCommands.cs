using System.CommandLine;
using System.Globalization;
using Dendrite.Data;
using Dendrite.IO;
using Dendrite.NN;
using Dendrite.Onnx;
using Dendrite.Training;

namespace Dendrite.Cli;

/// <summary>The commands that work on a saved model file: <c>export onnx</c>, <c>eval</c> and <c>predict</c>.</summary>
internal static class ModelCommands
{
    private static Argument<string> ModelArgument() => new("model")
    {
        Description = "A model file saved by Dendrite (train --out writes DIR/model.safetensors; Module.Save writes one).",
    };

    private static Option<string?> InputShapeOption() => new("--input-shape")
    {
        Description = "Shape of one input sample without the batch, such as 1,28,28 (default: the shape recorded in the model file).",
    };

    private static Option<bool> HeaderOption() => new("--header") { Description = "The CSV file's first row names the columns: skip it." };

    private static Option<bool> NoHeaderOption() => new("--no-header") { Description = "The CSV file's first row is data (default: a first row is a header only when none of its fields is a number)." };

    private static bool? Header(ParseResult parse, Option<bool> header, Option<bool> noHeader) =>
        (parse.GetValue(header), parse.GetValue(noHeader)) switch
        {
            (true, true) => throw new ArgumentException("--header and --no-header contradict each other; give one."),
            (true, false) => true,
            (false, true) => false,
            _ => null,
        };

    // Labels are class numbers the model has: 0 … classes − 1. IDX label files put label i at byte 8 + i.
    private static void CheckLabels(Tensor labels, int classes, string source, bool idx)
    {
        var values = labels.Data;
        for (int i = 0; i < values.Length; i++)
        {
            float v = values[i];
            if (v >= 0 && v < classes && v == MathF.Floor(v)) continue;
            string where = idx ? $"label {i} (byte offset {8 + i})" : $"sample {i}'s label";
            throw new InvalidDataException(string.Create(CultureInfo.InvariantCulture,
                $"{source}: {where} is {v}, outside the model's {classes} classes (0 to {classes - 1})."));
        }
    }

    private static Shape SampleShape(string modelPath, Shape? recorded, string? option, Shape? fallback = null)
    {
        if (option is not null) return ModelInputs.ParseShape(option, "--input-shape");
        return recorded ?? fallback ?? throw new ArgumentException($"{modelPath} records no input shape; pass --input-shape, such as 1,28,28.");
    }

    public static Command Export()
    {
        var model = ModelArgument();
        var output = new Argument<string>("output") { Description = "The .onnx file to write." };
        var inputShape = InputShapeOption();
        var onnx = new Command("onnx", "Export a model file as ONNX (opset 17), for ONNX Runtime and other ONNX tools.") { model, output, inputShape };
        onnx.SetAction(parse =>
        {
            string path = parse.GetValue(model)!;
            var (module, recorded) = ModelFile.LoadWithInfo(path);
            var sample = SampleShape(path, recorded, parse.GetValue(inputShape));
            string target = parse.GetValue(output)!;
            OnnxExport.Save(module, target, sample);
            Console.Out.WriteLine($"Exported {path} to {target} (ONNX opset {OnnxExport.Opset}, input \"input\" [batch, {string.Join(", ", sample)}], output \"output\").");
            return 0;
        });
        var checkpoint = new Argument<string>("checkpoint") { Description = "A checkpoint written by train --checkpoint-dir (epoch-NNNN.ckpt.safetensors)." };
        var modelOutput = new Argument<string>("output") { Description = "The model file to write (model.safetensors, as train --out writes)." };
        var modelShape = InputShapeOption();
        modelShape.Description = "Shape of one input sample without the batch, recorded in the model file (default: 1,28,28, MNIST's).";
        var fromCheckpoint = new Command("model", "Turn a training checkpoint into a model file for eval, predict and export onnx.") { checkpoint, modelOutput, modelShape };
        fromCheckpoint.SetAction(parse =>
        {
            string source = parse.GetValue(checkpoint)!, target = parse.GetValue(modelOutput)!;
            var module = Checkpoint.LoadModel(source);
            var sample = parse.GetValue(modelShape) is { } shape ? ModelInputs.ParseShape(shape, "--input-shape") : new Shape(1, 28, 28);
            module.Save(target, sample);
            Console.Out.WriteLine($"Wrote {target}: the model of {source}, input shape [{string.Join(", ", sample)}].");
            return 0;
        });
        return new Command("export", "Export a model to another format, or a checkpoint to a model file.") { onnx, fromCheckpoint };
    }

    public static Command Eval()
    {
        var model = ModelArgument();
        var inputShape = InputShapeOption();
        var dataDir = new Option<string?>("--data")
        {
            Description = "Directory with the MNIST IDX .gz files: evaluate on its test split (default: $DENDRITE_MNIST, else a data/mnist folder above the working directory, else the one the tool carries).",
        };
        var images = new Option<string?>("--images") { Description = "An IDX images file (.gz or not) to evaluate on, with --labels." };
        var labels = new Option<string?>("--labels") { Description = "The IDX labels file that goes with --images." };
        var csv = new Option<string?>("--csv") { Description = "A CSV file to evaluate on: each row a label, then the sample's values." };
        var divideBy = new Option<float>("--divide-by") { Description = "Divide CSV values by this (255 for raw pixel bytes).", DefaultValueFactory = _ => 1f };
        var (header, noHeader) = (HeaderOption(), NoHeaderOption());
        var device = Devices.Option();
        var own = new Argument<string?>("data")
        {
            Description = "Your own labelled data, read as the model was trained (model files written by 'train run.json'): a CSV file with the target column, " +
                "a folder of class sub-folders of images, a FASTA file with labels in the headers, or a run file (its test set, else its validation part).",
            Arity = ArgumentArity.ZeroOrOne,
        };
        var command = new Command("eval", "Print a model's accuracy, per-class precision, recall and F1, and confusion matrix on your data; or its accuracy on MNIST, IDX or CSV data.")
        {
            model, own, inputShape, dataDir, images, labels, csv, divideBy, header, noHeader, device,
        };
        command.SetAction(parse =>
        {
            string path = parse.GetValue(model)!;
            if (parse.GetValue(own) is { } ownData)
            {
                if (parse.GetValue(dataDir) is not null || parse.GetValue(images) is not null || parse.GetValue(labels) is not null || parse.GetValue(csv) is not null)
                    throw new ArgumentException($"give either DATA ({ownData}) or --data/--images/--labels/--csv, not both.");
                return OwnData.Evaluate(path, ownData, Devices.Resolve(parse.GetValue(device)!), Console.Out);
            }
            ModelInputs.CheckDivisor(parse.GetValue(divideBy));
            bool? hasHeader = Header(parse, header, noHeader);
            var target = Devices.Resolve(parse.GetValue(device)!);   // before the file: a missing GPU is said first
            var (module, recorded) = ModelFile.LoadWithInfo(path);
            ModelInputs.CheckModel(module, path);   // on the host, before the move
            module.To(target);
            var sample = SampleShape(path, recorded, parse.GetValue(inputShape), new Shape(1, 28, 28));
            var (x, y, source) = EvalData(parse.GetValue(dataDir), parse.GetValue(images), parse.GetValue(labels), parse.GetValue(csv), parse.GetValue(divideBy), sample, hasHeader);
            var outputs = module.Predict(x);
            int classes = ModelInputs.Classes(outputs, out string what)
                ?? throw new InvalidDataException($"{path}: accuracy needs class scores, but {what}.");
            CheckLabels(y, classes, parse.GetValue(labels) ?? source, idx: parse.GetValue(labels) is not null);
            int correct = Metrics.CorrectCount(outputs, y)
                ?? throw new InvalidDataException($"{path}: outputs of shape {outputs.Shape} cannot be scored against class labels.");
            Console.Out.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"Accuracy: {100.0 * correct / x.Shape[0]:0.00}% ({correct} of {x.Shape[0]} samples from {source})"));
            return 0;
        });
        return command;
    }

    private static (Tensor X, Tensor Y, string Source) EvalData(string? dataDir, string? images, string? labels, string? csv, float divideBy, Shape sample,
        bool? header)
    {
        int sources = (dataDir is null ? 0 : 1) + (images is null && labels is null ? 0 : 1) + (csv is null ? 0 : 1);
        if (sources > 1) throw new ArgumentException("give one of --data, --images/--labels and --csv.");
        if (csv is not null)
        {
            var (inputs, targets) = ModelInputs.Csv(csv, sample, labelFirst: true, divideBy, header);
            return (inputs, targets!, csv);
        }
        if (images is not null || labels is not null)
        {
            if (images is null || labels is null) throw new ArgumentException("--images and --labels go together.");
            var x = ModelInputs.IdxImages(images, sample);
            var y = ModelInputs.IdxLabels(labels);
            if (y.Shape[0] != x.Shape[0]) throw new ArgumentException($"{images} holds {x.Shape[0]} images but {labels} holds {y.Shape[0]} labels.");
            return (x, y, images);
        }
        var test = Mnist.LoadSplit(MnistData.Directory(dataDir, Mnist.TestImages, Mnist.TestLabels), Mnist.TestImages, Mnist.TestLabels);
        if (test.Inputs.Numel / test.Count != sample.Numel)
            throw new ArgumentException($"MNIST images have 784 pixels, but the model takes samples of shape {sample}.");
        return (test.Inputs.Reshape([test.Count, .. sample]), test.Targets, "the MNIST test set");
    }

    public static Command Predict()
    {
        var model = ModelArgument();
        var input = new Argument<string[]>("inputs")
        {
            Description = "Raw inputs: images (PNG, JPEG, TIFF, … or a folder of them), CSV files with a header (columns matched by name), FASTA files; " +
                "for models without recorded preprocessing, a PNG image, an IDX images file (.gz or not), or a CSV file with one sample per row.",
            Arity = ArgumentArity.OneOrMore,
        };
        var top = new Option<int>("--top") { Description = "Print the K most probable classes of each input (models with class names).", DefaultValueFactory = _ => 1 };
        var inputShape = InputShapeOption();
        var invert = new Option<bool>("--invert") { Description = "Invert a PNG's gray levels (for dark digits on a light background; MNIST digits are light on dark)." };
        var divideBy = new Option<float>("--divide-by") { Description = "Divide CSV values by this (255 for raw pixel bytes).", DefaultValueFactory = _ => 1f };
        var limit = new Option<int>("--limit") { Description = "Print at most this many samples.", DefaultValueFactory = _ => 10 };
        var (header, noHeader) = (HeaderOption(), NoHeaderOption());
        var device = Devices.Option();
        var command = new Command("predict", "Print the class and its probability for each input: images, CSV rows or FASTA records, read as the model was trained.")
        {
            model, input, inputShape, invert, divideBy, limit, header, noHeader, device, top,
        };
        command.SetAction(parse =>
        {
            string path = parse.GetValue(model)!;
            ModelInputs.CheckDivisor(parse.GetValue(divideBy));
            bool? hasHeader = Header(parse, header, noHeader);
            if (parse.GetValue(limit) < 1) throw new ArgumentException($"--limit must be at least 1, got {parse.GetValue(limit)}.");
            if (parse.GetValue(top) < 1) throw new ArgumentException($"--top must be at least 1, got {parse.GetValue(top)}.");
            var target = Devices.Resolve(parse.GetValue(device)!);   // before the file: a missing GPU is said first
            string[] files = parse.GetValue(input)!;
            if (OwnData.HasPreprocessing(path)) return OwnData.Predict(path, files, parse.GetValue(top), parse.GetValue(limit), target, Console.Out);
            if (files.Length > 1)
                throw new ArgumentException($"{path} records no input preprocessing (it was not written by 'train run.json'), so it predicts one input file at a time; got {files.Length}.");
            var (module, recorded) = ModelFile.LoadWithInfo(path);
            ModelInputs.CheckModel(module, path);   // on the host, before the move
            module.To(target);
            var sample = SampleShape(path, recorded, parse.GetValue(inputShape));
            string file = files[0];
            string lower = file.ToLowerInvariant();
            var x = lower.EndsWith(".png", StringComparison.Ordinal) ? ModelInputs.Png(file, sample, parse.GetValue(invert))
                : lower.EndsWith(".csv", StringComparison.Ordinal) ? ModelInputs.Csv(file, sample, labelFirst: false, parse.GetValue(divideBy), hasHeader).Inputs
                : ModelInputs.IdxImages(file, sample);
            int count = Math.Min(x.Shape[0], parse.GetValue(limit));
            var outputs = module.Predict(x.Slice(0, count));
            if (ModelInputs.Classes(outputs, out string what) is null)
            {
                // Not a classifier: say so, and show what it does output rather than softmax it into "probabilities".
                Console.Error.WriteLine($"dendrite: warning: {path}: {what}; these are not class scores, so the raw outputs follow.");
                int width = outputs.Numel / count;
                for (int i = 0; i < count; i++)
                    Console.Out.WriteLine(string.Create(CultureInfo.InvariantCulture,
                        $"{(x.Shape[0] == 1 ? file : $"{file}[{i}]")}: outputs {string.Join(" ", outputs.Data.Slice(i * width, width).ToArray().Select(v => v.ToString("G6", CultureInfo.InvariantCulture)))}"));
                return 0;
            }
            var p = ModelInputs.Probabilities(module, outputs);
            int classes = p.Numel / count;
            for (int i = 0; i < count; i++)
            {
                var row = p.Data.Slice(i * classes, classes);
                int best = 0;
                for (int k = 1; k < classes; k++) if (row[k] > row[best]) best = k;
                string name = x.Shape[0] == 1 ? file : $"{file}[{i}]";
                Console.Out.WriteLine(string.Create(CultureInfo.InvariantCulture,
                    $"{name}: class {best} ({row[best] * 100:0.00}%); probabilities {string.Join(" ", row.ToArray().Select((v, k) => $"{k}:{v:0.0000}"))}"));
            }
            if (count < x.Shape[0]) Console.Out.WriteLine($"… {x.Shape[0] - count} more samples (--limit {count}).");
            return 0;
        });
        return command;
    }
}
