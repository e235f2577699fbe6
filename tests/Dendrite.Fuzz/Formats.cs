using System.Buffers.Binary;
using System.IO.Compression;
using System.Text;
using System.Text.Json.Nodes;
using Dendrite.Data;
using Dendrite.IO;
using Dendrite.NN;
using Dendrite.Optim;

namespace Dendrite.Fuzz;

/// <summary>MNIST's IDX: images.idx is read with 3 dimensions, labels.idx with 1; .gz files are decompressed.</summary>
public sealed class IdxFormat : FuzzFormat
{
    public override string Name => "idx";

    protected override IReadOnlyList<Mutant> BuildSeeds()
    {
        var rng = new Random(1);
        var pixels = new byte[3 * 4 * 5];
        rng.NextBytes(pixels);
        var seeds = new List<Mutant>
        {
            new("images.idx", Idx([3, 4, 5], pixels), ""),
            new("labels.idx", Idx([7], [0, 1, 2, 3, 4, 5, 9]), ""),
            new("images.idx.gz", Gzip(Idx([2, 3, 3], pixels[..18])), ""),
        };
        // The vendored MNIST test set: its first images and labels, with the count in the header cut to match.
        if (RepositoryRoot() is { } root && File.Exists(Path.Combine(root, "data/mnist/t10k-images-idx3-ubyte.gz")))
        {
            var (dims, images) = IdxReader.ReadBytes(Path.Combine(root, "data/mnist/t10k-images-idx3-ubyte.gz"), 3);
            var (_, labels) = IdxReader.ReadBytes(Path.Combine(root, "data/mnist/t10k-labels-idx1-ubyte.gz"), 1);
            seeds.Add(new("images.idx", Idx([2, dims[1], dims[2]], images[..(2 * dims[1] * dims[2])]), ""));
            seeds.Add(new("labels.idx", Idx([100], labels[..100]), ""));
        }
        return seeds;
    }

    protected override int[] IntegerOffsets(Mutant seed) => [0, 2, 3, 4, 6, 8, 12];

    public override void Load(string path) => IdxReader.ReadBytes(path, Path.GetFileName(path).StartsWith("labels") ? 1 : 3);

    public override bool IsExpected(Exception e) => e is DataFormatException;

    internal static byte[] Idx(int[] dims, byte[] data)
    {
        var bytes = new byte[4 + 4 * dims.Length + data.Length];
        bytes[2] = 0x08;
        bytes[3] = (byte)dims.Length;
        for (int d = 0; d < dims.Length; d++) BinaryPrimitives.WriteInt32BigEndian(bytes.AsSpan(4 + 4 * d), dims[d]);
        data.CopyTo(bytes, 4 + 4 * dims.Length);
        return bytes;
    }

    private static byte[] Gzip(byte[] data)
    {
        using var memory = new MemoryStream();
        using (var gzip = new GZipStream(memory, CompressionLevel.Optimal)) gzip.Write(data);
        return memory.ToArray();
    }
}

/// <summary>The header JSON and data section of a safetensors file, to mutate the JSON and put the file back together.</summary>
internal static class SafeTensorsBytes
{
    public static (string Header, byte[] Data)? Split(byte[] file)
    {
        if (file.Length < 8) return null;
        ulong length = BinaryPrimitives.ReadUInt64LittleEndian(file);
        if (length > (ulong)(file.Length - 8)) return null;
        return (Encoding.UTF8.GetString(file, 8, (int)length), file[(8 + (int)length)..]);
    }

    public static byte[] Join(string header, byte[] data)
    {
        var json = Encoding.UTF8.GetBytes(header);
        var file = new byte[8 + json.Length + data.Length];
        BinaryPrimitives.WriteUInt64LittleEndian(file, (ulong)json.Length);
        json.CopyTo(file, 8);
        data.CopyTo(file, 8 + json.Length);
        return file;
    }

    /// <summary>A safetensors file made in memory with <see cref="SafeTensors.Write"/>.</summary>
    public static byte[] Write(IReadOnlyDictionary<string, Tensor> tensors, IReadOnlyDictionary<string, string>? metadata = null)
    {
        using var memory = new MemoryStream();
        SafeTensors.Write(memory, tensors, metadata);
        return memory.ToArray();
    }

    /// <summary>Half the time a JSON edit of the header (or of one metadata string in it), else byte edits.</summary>
    public static byte[] Mutate(Random rng, Mutant origin, IReadOnlyList<byte[]> others, StringBuilder recipe, string[] metadataKeys)
    {
        if (rng.Next(2) == 0 || Split(origin.Bytes) is not { } parts)
            return Mutators.Bytes(rng, origin.Bytes, others, [0, 1, 4, 7], recipe);
        string header = parts.Header;
        var root = JsonNode.Parse(header)!.AsObject();
        string? key = metadataKeys.Where(k => root["__metadata__"]?[k] is not null).OrderBy(_ => rng.Next()).FirstOrDefault();
        if (key is not null && rng.Next(3) > 0)
        {
            var metadata = root["__metadata__"]!.AsObject();
            metadata[key] = Mutators.Json(rng, metadata[key]!.GetValue<string>(), recipe, [.. Architecture.RegisteredTypes.Keys]);
            recipe.Append($"in {key};");
            header = root.ToJsonString();
        }
        else header = Mutators.Json(rng, header, recipe, ["F32", "F16", "BF16", "F64", "I64", "U8", "__metadata__"]);
        return Join(header, parts.Data);
    }
}

/// <summary>Bare safetensors files, read with <see cref="SafeTensors.LoadWithMetadata"/>.</summary>
public sealed class SafeTensorsFormat : FuzzFormat
{
    public override string Name => "safetensors";

    protected override IReadOnlyList<Mutant> BuildSeeds()
    {
        var weights = new Dictionary<string, Tensor>
        {
            ["0.weight"] = Tensor.FromArray([1f, 2f, 3f, 4f, 5f, 6f], 2, 3), ["0.bias"] = Tensor.FromArray([0.5f, -0.5f], 2),
            ["scalar"] = Tensor.FromArray([7f]).Reshape(), ["empty"] = Tensor.Zeros(0, 3),
        };
        var half = new Dictionary<string, Tensor> { ["h"] = Tensor.FromArray([1f, 2f], 2) };
        // F16 and BF16 entries written by hand: Dendrite writes F32 only, PyTorch exports often hold halves.
        var f16 = SafeTensorsBytes.Join("{\"a\":{\"dtype\":\"F16\",\"shape\":[2],\"data_offsets\":[0,4]},\"b\":{\"dtype\":\"BF16\",\"shape\":[1,1],\"data_offsets\":[4,6]}}  ",
            [0x00, 0x3C, 0x00, 0xC0, 0x80, 0x3F]);
        var f64 = SafeTensorsBytes.Join("{\"d\":{\"dtype\":\"F64\",\"shape\":[1],\"data_offsets\":[0,8]}}      ", BitConverter.GetBytes(2.5));
        return
        [
            new("weights.safetensors", SafeTensorsBytes.Write(weights, new Dictionary<string, string> { ["format"] = "pt", ["note"] = "x" }), ""),
            new("half.safetensors", SafeTensorsBytes.Write(half), ""),
            new("f16.safetensors", f16, ""),
            new("f64.safetensors", f64, ""),
        ];
    }

    protected override byte[] Mutate(Random rng, Mutant origin, StringBuilder recipe) =>
        SafeTensorsBytes.Mutate(rng, origin, [.. Seeds.Select(s => s.Bytes)], recipe, []);

    public override void Load(string path) => SafeTensors.LoadWithMetadata(path);

    public override bool IsExpected(Exception e) => e is InvalidDataException;
}

/// <summary>Small models of the kinds users save: dense, convolutional with batch norm, recurrent, embedding.</summary>
internal static class SeedModels
{
    public static IReadOnlyList<(string Name, Func<Module> Create)> All { get; } =
    [
        ("mlp", () => new Sequential(new Linear(4, 3), new ReLU(), new Dropout(0.25f), new Linear(3, 2))),
        ("cnn", () => new Sequential(new Conv2d(1, 2, 3), new BatchNorm2d(2), new ReLU(), new MaxPool2d(2), new Flatten(),
            new Linear(8, 3), new LogSoftmax(1))),
        ("gru", () => new RecurrentClassifier(new GRU(3, 4, numLayers: 2, bidirectional: true), 2)),
        ("seq", () => new Sequential(new Conv1d(2, 4, 3, groups: 2), new LayerNorm([4, 5]), new ConvTranspose2d(4, 2, 2),
            new Embedding(5, 3), new LSTMCell(3, 2), new Upsample(2f))),
    ];
}

/// <summary>Model files (safetensors with the architecture in the metadata), read with <see cref="ModelFile.LoadWithInfo"/>.</summary>
public sealed class ModelFileFormat : FuzzFormat
{
    public override string Name => "model";

    protected override IReadOnlyList<Mutant> BuildSeeds()
    {
        var seeds = new List<Mutant>();
        string dir = Directory.CreateTempSubdirectory("dendrite-fuzz-seed").FullName;
        try
        {
            foreach (var (name, create) in SeedModels.All)
            {
                string path = Path.Combine(dir, name + ".safetensors");
                create().Save(path, name == "cnn" ? new Shape(1, 6, 6) : (Shape?)null);
                seeds.Add(new Mutant(name + ".safetensors", File.ReadAllBytes(path), ""));
            }
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
        return seeds;
    }

    protected override byte[] Mutate(Random rng, Mutant origin, StringBuilder recipe) =>
        SafeTensorsBytes.Mutate(rng, origin, [.. Seeds.Select(s => s.Bytes)], recipe, [ModelFile.ArchitectureKey, ModelFile.InputShapeKey]);

    public override void Load(string path) => ModelFile.LoadWithInfo(path);

    public override bool IsExpected(Exception e) => e is InvalidDataException;
}

/// <summary>Architecture descriptions as JSON text, built with <see cref="Architecture.FromJson"/>.</summary>
public sealed class ArchitectureFormat : FuzzFormat
{
    public override string Name => "architecture";

    protected override IReadOnlyList<Mutant> BuildSeeds() =>
        [.. SeedModels.All.Select(m => new Mutant(m.Name + ".json", Encoding.UTF8.GetBytes(Architecture.ToJson(m.Create())), ""))];

    protected override byte[] Mutate(Random rng, Mutant origin, StringBuilder recipe) => rng.Next(4) == 0
        ? base.Mutate(rng, origin, recipe)
        : Encoding.UTF8.GetBytes(Mutators.Json(rng, Encoding.UTF8.GetString(origin.Bytes), recipe, [.. Architecture.RegisteredTypes.Keys]));

    public override void Load(string path) => Architecture.FromJson(File.ReadAllText(path));

    public override bool IsExpected(Exception e) => e is InvalidDataException;

    // The text has no file name: the message must say it is about the architecture.
    protected override string? MessageProblem(string message, string path) =>
        message.Any(char.IsControl) ? "message holds control characters"
        : message.StartsWith("architecture", StringComparison.Ordinal) ? null : "message does not say \"architecture\"";
}

/// <summary>Training checkpoints, restored with <see cref="Checkpoint.Load"/> into the model and optimiser they were saved from.</summary>
public sealed class CheckpointFormat : FuzzFormat
{
    public override string Name => "checkpoint";

    private static Module Model() => new Sequential(new Linear(4, 3), new ReLU(), new Linear(3, 2));

    protected override IReadOnlyList<Mutant> BuildSeeds()
    {
        var saved = Generator.Default.GetState();
        string dir = Directory.CreateTempSubdirectory("dendrite-fuzz-seed").FullName;
        try
        {
            var seeds = new List<Mutant>();
            var model = Model();
            var adam = new Adam(model.Parameters(), lr: 0.01f);
            string fresh = Path.Combine(dir, "fresh.ckpt.safetensors");
            Checkpoint.Save(fresh, model, adam, null, new TrainingProgress(0, 0, []));
            seeds.Add(new Mutant("fresh.ckpt.safetensors", File.ReadAllBytes(fresh), ""));
            var loss = model.Forward(Tensor.FromArray([1f, 2f, 3f, 4f], 1, 4)).Sum();
            loss.Backward();
            adam.Step();
            string stepped = Path.Combine(dir, "stepped.ckpt.safetensors");
            Checkpoint.Save(stepped, model, adam, null, new TrainingProgress(1, 1, [new Dictionary<string, double> { ["loss"] = 0.5, ["val_loss"] = double.NaN }]));
            seeds.Add(new Mutant("stepped.ckpt.safetensors", File.ReadAllBytes(stepped), ""));
            return seeds;
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
            Generator.Default.SetState(saved);
        }
    }

    protected override byte[] Mutate(Random rng, Mutant origin, StringBuilder recipe) =>
        SafeTensorsBytes.Mutate(rng, origin, [.. Seeds.Select(s => s.Bytes)], recipe, [Checkpoint.MetadataKey, ModelFile.ArchitectureKey]);

    public override void Load(string path)
    {
        // Loading restores the default generator; put it back so one input cannot change the next one's run.
        var saved = Generator.Default.GetState();
        try
        {
            var model = Model();
            Checkpoint.Load(path, model, new Adam(model.Parameters(), lr: 0.01f));
        }
        finally
        {
            Generator.Default.SetState(saved);
        }
    }

    public override bool IsExpected(Exception e) => e is InvalidDataException;
}

/// <summary>PNG images (and whatever a mutation turns them into), decoded with <see cref="ImageFile.Load"/> as grey and RGB.</summary>
public sealed class PngFormat : FuzzFormat
{
    public override string Name => "png";

    protected override IReadOnlyList<Mutant> BuildSeeds()
    {
        var rng = new Random(2);
        var seeds = new List<Mutant>();
        foreach (var (w, h, c) in new[] { (5, 4, 1), (1, 1, 3), (16, 3, 4), (7, 7, 2), (28, 28, 1) })
        {
            var pixels = new byte[w * h * c];
            rng.NextBytes(pixels);
            seeds.Add(new Mutant($"image{c}.png", Png.Encode(pixels, w, h, c), ""));
        }
        return seeds;
    }

    // IHDR: width at 16, height at 20, bit depth, colour type, compression, filter and interlace at 24–28; IDAT's length at 33.
    protected override int[] IntegerOffsets(Mutant seed) => [8, 16, 18, 20, 22, 24, 25, 26, 27, 28, 33];

    public override void Load(string path)
    {
        ImageFile.Load(path, channels: 1);
        ImageFile.Load(path, channels: 3);
    }

    public override bool IsExpected(Exception e) => e is DataFormatException;
}

/// <summary>CSV/TSV tables, read with <see cref="Table.Read"/> and turned into a dataset on their last column.</summary>
public sealed class CsvFormat : FuzzFormat
{
    public override string Name => "csv";

    protected override IReadOnlyList<Mutant> BuildSeeds()
    {
        var seeds = new List<Mutant>
        {
            new("table.csv", Encoding.UTF8.GetBytes("x,y,label\n1,2.5,a\n-3,1e-3,b\n4,\"5\",a\n"), ""),
            new("table.tsv", Encoding.UTF8.GetBytes("f1\tf2\tclass\n0.1\t0.2\tyes\n0.3\t0.4\tno\n"), ""),
            new("semi.csv", Encoding.UTF8.GetBytes("a;b;c\n1;2;x\n3;4;y\n\n"), ""),
        };
        if (RepositoryRoot() is { } root)
            foreach (string name in new[] { "diabetes.csv", "breast_cancer.csv" })
                if (File.Exists(Path.Combine(root, "data/tables", name)))
                {
                    var lines = File.ReadLines(Path.Combine(root, "data/tables", name)).Take(40);
                    seeds.Add(new Mutant(name, Encoding.UTF8.GetBytes(string.Join('\n', lines) + "\n"), ""));
                }
        return seeds;
    }

    protected override byte[] Mutate(Random rng, Mutant origin, StringBuilder recipe) => rng.Next(2) == 0
        ? base.Mutate(rng, origin, recipe)
        : Encoding.UTF8.GetBytes(Mutators.Lines(rng, Encoding.UTF8.GetString(origin.Bytes), recipe));

    public override void Load(string path)
    {
        var table = Table.Read(path);
        if (table.Columns.Count < 2) return;
        table.ToDataset(table.Columns[^1]);
    }

    public override bool IsExpected(Exception e) => e is DataFormatException;
}

/// <summary>FASTA and FASTQ files, read with <see cref="SequenceFile"/> against the DNA alphabet.</summary>
public sealed class SequenceFormat : FuzzFormat
{
    public override string Name => "sequences";

    protected override IReadOnlyList<Mutant> BuildSeeds() =>
    [
        new("reads.fasta", Encoding.UTF8.GetBytes(">seq1 first record\nACGTACGT\nACG\n;comment\n>seq2\nacgt\n\n>seq3\nTTTT\n"), ""),
        new("reads.fastq", Encoding.UTF8.GetBytes("@r1 desc\nACGT\n+\nIIII\n@r2\nAC\nGT\n+r2\n@@\n++\n"), ""),
        new("one.fasta", Encoding.UTF8.GetBytes(">x\nA\n"), ""),
    ];

    protected override byte[] Mutate(Random rng, Mutant origin, StringBuilder recipe) => rng.Next(2) == 0
        ? base.Mutate(rng, origin, recipe)
        : Encoding.UTF8.GetBytes(Mutators.Lines(rng, Encoding.UTF8.GetString(origin.Bytes), recipe));

    public override void Load(string path)
    {
        var file = path.EndsWith(".fastq", StringComparison.Ordinal)
            ? SequenceFile.ReadFastq(path, Alphabet.Dna)
            : SequenceFile.ReadFasta(path, Alphabet.Dna);
        foreach (var record in file.Records) Alphabet.Dna.Encode(record.Sequence);
    }

    public override bool IsExpected(Exception e) => e is DataFormatException;
}
