using System.Globalization;
using Dendrite.Data;

namespace Dendrite.Cli;

/// <summary>
/// The data of a run file, ready for <c>Fit</c>: the training part (augmented when asked), the validation part it is
/// scored on each epoch, an optional separate test set, the class names, and the preprocessing to record in the model
/// file so <c>predict</c> and <c>eval</c> repeat it.
/// </summary>
/// <param name="ValidationName">The prefix of the validation keys in the history: "val", or "test" for idx data scored on its test split.</param>
/// <param name="Noun">What one sample is, for the run's first line ("rows", "images", "sequences").</param>
/// <param name="Generators">Random streams besides the default one that a checkpoint must carry (augmentations).</param>
internal sealed record RunData(IDataset Train, IDataset Validation, string ValidationName, IDataset? Test, string[] Classes,
    Shape InputShape, InputPreprocessing Preprocessing, string Noun, IReadOnlyDictionary<string, Generator> Generators)
{
    /// <summary>
    /// The training part without its random transforms, for the run's fingerprint: reading a sample of it draws nothing
    /// from an augmentation's generator (which would change the run).
    /// </summary>
    public IDataset Unaugmented { get; init; } = Train;

    /// <summary>The validation fraction when the run file gives none (idx: its own test split instead).</summary>
    public const double DefaultValidation = 0.2;

    /// <summary>Reads and splits the data of <paramref name="run"/>; <paramref name="trainLimit"/> keeps the first N training samples.</summary>
    public static RunData Load(RunFile run, ulong seed, int? trainLimit)
    {
        var data = run.Data;
        var prepared = data.Kind switch
        {
            "csv" => Csv(data, seed, trainLimit),
            "image-folder" => Images(data, run.Augmentation, seed, trainLimit),
            "fasta" => Fasta(data, seed, trainLimit),
            _ => Idx(data, run.Augmentation, seed, trainLimit),
        };
        if (prepared.Train.Count < 1) throw new InvalidDataException($"{run.File}: the training part holds no samples.");
        return prepared;
    }

    // --train-samples: the first N of the training part, taken before any augmentation wraps it (as train mnist-… does).
    private static TensorDataset Take(TensorDataset data, int? limit) => limit is { } n ? data.Take(n) : data;

    private static (Subset Train, Subset Validation) Split(IDataset data, double? fraction, ulong seed, string source)
    {
        double f = fraction ?? DefaultValidation;
        var (train, validation) = Splits.Stratified(data, f, seed);
        if (validation.Count == 0 || train.Count == 0)
            throw new InvalidDataException(string.Create(CultureInfo.InvariantCulture,
                $"{source}: {data.Count} samples are too few to hold out a validation fraction of {f}."));
        return (train, validation);
    }

    private static RunData Csv(DataSpec data, ulong seed, int? trainLimit)
    {
        var table = Table.Read(data.Path!);
        if (!table.Columns.Contains(data.Target!))
            throw new InvalidDataException($"{data.Path}: no target column \"{data.Target}\" (columns: {string.Join(", ", table.Columns.Take(8))}{(table.Columns.Count > 8 ? ", …" : "")}).");
        var features = data.Features;
        if (features is not null && features.FirstOrDefault(f => !table.Columns.Contains(f)) is { } absent)
            throw new InvalidDataException($"{data.Path}: no feature column \"{absent}\" named in the run file.");
        var all = table.ToDataset(data.Target!, features);
        var (trainPart, validationPart) = Split(all.Dataset, data.Validation, seed, data.Path!);
        var (xTrain, yTrain) = trainPart.ToTensors();
        var (xValidation, yValidation) = validationPart.ToTensors();
        // Statistics from the training part only: validation and test rows must not shape the inputs.
        var preprocessing = new TablePreprocessing(all.FeatureNames, data.Target!, Standardizer.Fit(xTrain));
        var scaler = preprocessing.Scaler;
        TensorDataset? test = null;
        if (data.Test is { } testPath)
        {
            var (x, y) = preprocessing.Labelled(testPath, all.Classes!);
            test = new TensorDataset(x, y);
        }
        return new RunData(Take(new TensorDataset(scaler.Transform(xTrain), yTrain), trainLimit), new TensorDataset(scaler.Transform(xValidation), yValidation),
            "val", test, all.Classes!, preprocessing.SampleShape, preprocessing, "rows", new Dictionary<string, Generator>());
    }

    private static RunData Images(DataSpec data, AugmentationSpec? augmentation, ulong seed, int? trainLimit)
    {
        var (h, w) = data.Size!.Value;
        var preprocessing = new ImagePreprocessing(h, w, data.Channels, data.NormalizeMean, data.NormalizeStd);
        // Two views of one folder (same files, same order): the training part flips, the validation part never does.
        var plain = new ImageFolder(data.Path!, data.Channels, preprocessing.Resize, seed);
        ISampleTransform trainTransform = augmentation is { HorizontalFlip: > 0 } a
            ? new SampleCompose(new RandomHorizontalFlip(a.HorizontalFlip), preprocessing.Resize) : preprocessing.Resize;
        var augmented = new ImageFolder(data.Path!, data.Channels, trainTransform, seed);
        var generators = new Dictionary<string, Generator>();
        if (augmentation is { HorizontalFlip: > 0 }) generators["flip"] = augmented.Generator;
        var (trainPart, validationPart) = Split(plain, data.Validation, seed, data.Path!);
        IDataset train = new Subset(augmented, [.. trainPart.Indices.Take(trainLimit ?? int.MaxValue)]), validation = validationPart;
        IDataset? test = data.Test is { } testRoot ? TestFolder(testRoot, plain.ClassNames, preprocessing) : null;
        var batchTransforms = new List<IImageTransform>();
        if (augmentation is { Affine: true } affine)
            batchTransforms.Add(new RandomAffine(affine.AffineDegrees, affine.AffineTranslate, affine.AffineScale));
        if (preprocessing.Normalize is { } normalize)
        {
            batchTransforms.Add(normalize);
            validation = new TransformedDataset(validation, normalize);
        }
        if (batchTransforms.Count > 0)
        {
            var transformed = new TransformedDataset(train, batchTransforms.Count == 1 ? batchTransforms[0] : new Compose([.. batchTransforms]), seed);
            generators["augmentation"] = transformed.Generator;
            train = transformed;
        }
        return new RunData(train, validation, "val", test, [.. plain.ClassNames], preprocessing.SampleShape, preprocessing, "images", generators)
        {
            Unaugmented = new Subset(plain, [.. trainPart.Indices.Take(trainLimit ?? int.MaxValue)]),
        };
    }

    private static TensorDataset TestFolder(string root, IReadOnlyList<string> classes, ImagePreprocessing preprocessing)
    {
        var (x, y) = preprocessing.Labelled(root, classes);
        return new TensorDataset(x, y);
    }

    private static RunData Fasta(DataSpec data, ulong seed, int? trainLimit)
    {
        var alphabet = SequencePreprocessing.AlphabetNamed(data.Alphabet);
        var file = SequenceFile.ReadFasta(data.Path!, alphabet);
        if (file.Records.Count == 0) throw new InvalidDataException($"{data.Path}: no FASTA records.");
        var sequences = SequenceDataset.FromRecords(file, SequenceDataset.HeaderField(data.LabelField), alphabet);
        int length = data.Length ?? sequences.Sequences.Max(s => s.Length);
        var preprocessing = new SequencePreprocessing(alphabet, length, data.LabelField);
        var labels = Tensor.Empty(sequences.Count);
        for (int i = 0; i < sequences.Count; i++) labels.Data[i] = sequences.LabelOf(i);
        var all = new TensorDataset(preprocessing.Encode(sequences.Sequences), labels);
        var (trainPart, validationPart) = Split(all, data.Validation, seed, data.Path!);
        var (xTrain, yTrain) = trainPart.ToTensors();
        var (xValidation, yValidation) = validationPart.ToTensors();
        TensorDataset? test = null;
        if (data.Test is { } testPath)
        {
            var (x, y) = preprocessing.Labelled(testPath, sequences.ClassNames);
            test = new TensorDataset(x, y);
        }
        return new RunData(Take(new TensorDataset(xTrain, yTrain), trainLimit), new TensorDataset(xValidation, yValidation), "val", test,
            [.. sequences.ClassNames], preprocessing.SampleShape, preprocessing, "sequences", new Dictionary<string, Generator>());
    }

    private static RunData Idx(DataSpec data, AugmentationSpec? augmentation, ulong seed, int? trainLimit)
    {
        var (train, test) = Mnist.Load(data.Path);
        var preprocessing = new ImagePreprocessing(train.Inputs.Shape[2], train.Inputs.Shape[3], 1, null, null);
        string[] classes = [.. Enumerable.Range(0, 10).Select(d => d.ToString(CultureInfo.InvariantCulture))];
        IDataset trainSet = train, validation = test;
        string validationName = "test";
        IDataset? heldOut = null;
        if (data.Validation is { } fraction)
        {
            // A validation part of the training images; the test split is then scored once, after training.
            var (trainPart, validationPart) = Split(train, fraction, seed, data.Path ?? "MNIST");
            (trainSet, validation, validationName, heldOut) = (trainPart, validationPart, "val", test);
            if (trainLimit is { } n) trainSet = new Subset(train, [.. trainPart.Indices.Take(n)]);
        }
        else trainSet = Take(train, trainLimit);
        var generators = new Dictionary<string, Generator>();
        if (augmentation is { Affine: true } a)
        {
            var transformed = new TransformedDataset(trainSet, new RandomAffine(a.AffineDegrees, a.AffineTranslate, a.AffineScale), seed);
            generators["augmentation"] = transformed.Generator;
            trainSet = transformed;
        }
        return new RunData(trainSet, validation, validationName, heldOut, classes, new Shape(1, train.Inputs.Shape[2], train.Inputs.Shape[3]),
            preprocessing, "images", generators) { Unaugmented = trainSet is TransformedDataset t ? t.Inner : trainSet };
    }
}
