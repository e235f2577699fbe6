using System.Text;

namespace Dendrite.Fuzz;

/// <summary>
/// One file format under fuzz: its valid seed files (built here, and the vendored ones in data/), how to damage one, the
/// reader under test, and the exception type that reader documents for a malformed file.
/// </summary>
public abstract class FuzzFormat
{
    private IReadOnlyList<Mutant>? _seeds;

    /// <summary>The name on the command line and in the table ("idx").</summary>
    public abstract string Name { get; }

    /// <summary>Valid files of the format; every one must be accepted (the corpus test checks it).</summary>
    public IReadOnlyList<Mutant> Seeds => _seeds ??= BuildSeeds();

    protected abstract IReadOnlyList<Mutant> BuildSeeds();

    /// <summary>Reads the file at <paramref name="path"/> the way a user of the library would.</summary>
    public abstract void Load(string path);

    /// <summary>Whether <paramref name="e"/> is the documented refusal of a malformed file.</summary>
    public abstract bool IsExpected(Exception e);

    /// <summary>Byte offsets of the header's integer fields, where boundary values are written most often.</summary>
    protected virtual int[] IntegerOffsets(Mutant seed) => [];

    /// <summary>Mutant <paramref name="index"/> of the run seeded <paramref name="seed"/>: the same on every machine.</summary>
    public Mutant Generate(int seed, int index)
    {
        var rng = new Random(unchecked(seed * 1_000_003 + index * 7919 + Name.Length * 104_729 + Name[0]));
        var origin = Seeds[rng.Next(Seeds.Count)];
        var recipe = new StringBuilder($"seed {origin.FileName}: ");
        return new Mutant(origin.FileName, Mutate(rng, origin, recipe), recipe.ToString());
    }

    /// <summary>Damages <paramref name="origin"/>; formats with structure (JSON, text) override it to add their own edits.</summary>
    protected virtual byte[] Mutate(Random rng, Mutant origin, StringBuilder recipe) =>
        Mutators.Bytes(rng, origin.Bytes, [.. Seeds.Select(s => s.Bytes)], IntegerOffsets(origin), recipe);

    /// <summary>Runs the reader on the file and classifies the result.</summary>
    public Outcome Run(string path)
    {
        try
        {
            Load(path);
            return Outcome.Accepted;
        }
        catch (OutOfMemoryException e)
        {
            return new Outcome(Verdict.Oom, e.Message);
        }
        catch (InsufficientExecutionStackException e)
        {
            return new Outcome(Verdict.Crash, Describe(e));
        }
        catch (Exception e) when (IsExpected(e))
        {
            string? problem = MessageProblem(e.Message, path);
            return problem is null ? new Outcome(Verdict.Rejected, Describe(e)) : new Outcome(Verdict.Crash, $"{problem}: {Describe(e)}");
        }
        catch (Exception e)
        {
            return new Outcome(Verdict.Crash, Describe(e) + " at " + e.StackTrace?.Split('\n').FirstOrDefault()?.Trim());
        }
    }

    /// <summary>Why a refusal's message is not clean (null when it is): it must be one printable line naming the file.</summary>
    protected virtual string? MessageProblem(string message, string path)
    {
        if (message.Any(char.IsControl)) return "message holds control characters";
        if (!message.Contains(Path.GetFileName(path), StringComparison.Ordinal)) return "message does not name the file";
        return null;
    }

    private static string Describe(Exception e) => $"{e.GetType().Name}: {Escape(e.Message)}";

    /// <summary>Text made one printable line for the worker protocol and reports.</summary>
    public static string Escape(string text)
    {
        var builder = new StringBuilder();
        foreach (char c in text.Length > 400 ? text[..400] : text) builder.Append(char.IsControl(c) || char.IsSurrogate(c) ? $"\\u{(int)c:X4}" : c);
        return builder.ToString();
    }

    /// <summary>Every format, in the order of the table.</summary>
    public static IReadOnlyList<FuzzFormat> All { get; } =
    [
        new IdxFormat(), new SafeTensorsFormat(), new ModelFileFormat(), new ArchitectureFormat(), new CheckpointFormat(),
        new PngFormat(), new CsvFormat(), new SequenceFormat(),
    ];

    /// <summary>The format called <paramref name="name"/>.</summary>
    public static FuzzFormat Get(string name) => All.FirstOrDefault(f => f.Name == name)
        ?? throw new ArgumentException($"unknown format \"{name}\"; formats: {string.Join(", ", All.Select(f => f.Name))}.");

    /// <summary>The repository root (the folder holding Dendrite.slnx), for the vendored seeds in data/.</summary>
    protected static string? RepositoryRoot()
    {
        foreach (string start in new[] { AppContext.BaseDirectory, Environment.CurrentDirectory })
            for (var dir = new DirectoryInfo(start); dir is not null; dir = dir.Parent)
                if (File.Exists(Path.Combine(dir.FullName, "Dendrite.slnx"))) return dir.FullName;
        return null;
    }
}
