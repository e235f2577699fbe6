using System.Globalization;
using Dendrite.IO;
using Dendrite.NN;
using Dendrite.Training;

namespace Dendrite.Cli;

/// <summary>
/// <c>predict</c> and <c>eval</c> for model files that carry their input preprocessing and class names (written by
/// <c>train run.json</c>): raw CSV rows, images and FASTA records become samples as they did in training, and results
/// are printed with the class names.
/// </summary>
internal static class OwnData
{
    /// <summary>Whether the model file records its preprocessing; false for older files (and unreadable ones, which the older path reports).</summary>
    public static bool HasPreprocessing(string modelPath)
    {
        if (!File.Exists(modelPath)) return false;
        try
        {
            return ModelFile.ReadMetadata(modelPath).ContainsKey(ModelFile.PreprocessingKey);
        }
        catch (Exception e) when (e is InvalidDataException or IOException)
        {
            return false;
        }
    }

    private static (Module Model, InputPreprocessing Preprocessing, string[] Classes) Load(string modelPath, Device device)
    {
        var metadata = ModelFile.ReadMetadata(modelPath);
        var preprocessing = InputPreprocessing.Read(modelPath, metadata)
            ?? throw new InvalidDataException($"{modelPath} records no input preprocessing (metadata \"{ModelFile.PreprocessingKey}\"); it was not written by 'train run.json'.");
        var classes = InputPreprocessing.ReadClasses(modelPath, metadata)
            ?? throw new InvalidDataException($"{modelPath} records no class names (metadata \"{ModelFile.ClassesKey}\").");
        var model = ModelFile.Load(modelPath);
        ModelInputs.CheckModel(model, modelPath);
        model.To(device);
        return (model, preprocessing, classes);
    }

    /// <summary>Prints each input's most probable class (or <paramref name="top"/> classes) with its probability.</summary>
    public static int Predict(string modelPath, IReadOnlyList<string> files, int top, int limit, Device device, TextWriter output)
    {
        var (model, preprocessing, classes) = Load(modelPath, device);
        // Every input is checked before the first prediction: a wrong file among many is said at once.
        foreach (string file in files)
        {
            if (!File.Exists(file) && !Directory.Exists(file)) throw new FileNotFoundException($"{file}: no such file.", file);
            if (!preprocessing.Accepts(file))
                throw new InvalidDataException($"{file}: {modelPath} was trained on {Describe(preprocessing)}; this file is not one.");
        }
        var named = new List<(string Name, float[] P)>();
        int shown = 0, total = 0;
        foreach (string file in files)
        {
            var (names, x) = preprocessing.Inputs(file);
            total += names.Length;
            int count = Math.Min(names.Length, limit - shown);
            if (count <= 0) continue;
            var p = ModelInputs.Probabilities(model, model.Predict(x.Slice(0, count))).To(Device.Cpu).ToArray();
            if (p.Length != count * classes.Length)
                throw new InvalidDataException($"{modelPath}: the model gives {p.Length / count} outputs per sample but records {classes.Length} class names.");
            for (int i = 0; i < count; i++) named.Add((names[i], p[(i * classes.Length)..((i + 1) * classes.Length)]));
            shown += count;
        }
        int nameWidth = named.Max(n => n.Name.Length), classWidth = classes.Max(c => c.Length);
        foreach (var (name, p) in named)
        {
            var ranked = Enumerable.Range(0, p.Length).OrderByDescending(k => p[k]).ThenBy(k => k).Take(top);
            output.WriteLine(name.PadRight(nameWidth) + string.Concat(ranked.Select(k =>
                string.Create(CultureInfo.InvariantCulture, $"  {classes[k].PadRight(classWidth)}  {p[k]:0.00}"))).TrimEnd());
        }
        if (shown < total) output.WriteLine($"… {total - shown} more samples (--limit {limit}).");
        return 0;
    }

    private static string Describe(InputPreprocessing preprocessing) => preprocessing switch
    {
        TablePreprocessing t => $"CSV rows with the columns {string.Join(", ", t.Features.Take(3))}{(t.Features.Length > 3 ? ", …" : "")}",
        ImagePreprocessing i => $"{(i.Channels == 1 ? "grey" : "RGB")} images of {i.Height}×{i.Width} (PNG, JPEG, TIFF, …, or a folder of them)",
        SequencePreprocessing s => $"FASTA records over {s.Alphabet.Symbols} (.fa, .fasta)",
        _ => preprocessing.Kind,
    };

    /// <summary>
    /// Prints accuracy, ROC AUC for two classes, and the confusion matrix with precision, recall and F1 per class and
    /// their macro and weighted averages, on <paramref name="data"/>: a labelled file or folder, or a run file's test set.
    /// </summary>
    public static int Evaluate(string modelPath, string data, Device device, TextWriter output)
    {
        var (model, preprocessing, classes) = Load(modelPath, device);
        Tensor x, y;
        string source = data;
        if (RunFile.IsRunFile(data))
        {
            var run = RunFile.Read(data);
            var prepared = RunData.Load(run, run.Seed, null);
            if (!prepared.Classes.SequenceEqual(classes))
                throw new InvalidDataException($"{data}: its classes ({string.Join(", ", prepared.Classes)}) are not the model's ({string.Join(", ", classes)}).");
            var set = prepared.Test ?? prepared.Validation;
            source = prepared.Test is null ? $"the validation part of {data}" : run.Data.Test!;
            (x, y) = (set.GetBatch([.. Enumerable.Range(0, set.Count)]));
        }
        else
        {
            if (!File.Exists(data) && !Directory.Exists(data)) throw new FileNotFoundException($"{data}: no such file or folder.", data);
            if (!preprocessing.Accepts(data))
                throw new InvalidDataException($"{data}: {modelPath} was trained on {Describe(preprocessing)}; this is not labelled data of that kind.");
            (x, y) = preprocessing.Labelled(data, classes);
        }
        var outputs = model.Predict(x).To(Device.Cpu);
        if (outputs.Shape.Rank != 2 || outputs.Shape[1] != classes.Length)
            throw new InvalidDataException($"{modelPath}: the model outputs {outputs.Shape} but records {classes.Length} class names.");
        var confusion = ConfusionMatrix.FromOutputs(outputs, y, classes);
        output.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"Accuracy: {confusion.Accuracy * 100:0.00}% ({(long)Math.Round(confusion.Accuracy * confusion.Total)} of {confusion.Total} samples from {source})"));
        if (classes.Length == 2)
            output.WriteLine(string.Create(CultureInfo.InvariantCulture, $"ROC AUC ({classes[1]} as positive): {Metrics.RocAuc(outputs, y):0.0000}"));
        output.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"Macro averages: precision {confusion.Precision(ClassAverage.Macro):0.0000}, recall {confusion.Recall(ClassAverage.Macro):0.0000}, F1 {confusion.F1(ClassAverage.Macro):0.0000}"));
        output.WriteLine();
        output.WriteLine(confusion.ToString());
        return 0;
    }
}
