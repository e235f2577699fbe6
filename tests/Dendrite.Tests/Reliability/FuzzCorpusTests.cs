using Dendrite.Fuzz;
using Dendrite.Tests.TestSupport;

namespace Dendrite.Tests.Reliability;

/// <summary>
/// The fast corpus run of the fuzz suite (tests/Dendrite.Fuzz; the long run is tests/fuzz/run.sh): a fixed set of mutants
/// of every format, each of which must be loaded or refused with the format's exception and a clean message; and every
/// saved regression input (Reliability/FuzzRegressions/&lt;format&gt;/) refused cleanly.
/// </summary>
[Collection(ProcessStateCollection.Name)]   // checkpoint loading restores Generator.Default
public class FuzzCorpusTests
{
    private const int MutantsPerFormat = 300;

    public static TheoryData<string> Formats => [.. FuzzFormat.All.Select(f => f.Name)];

    [Theory, MemberData(nameof(Formats))]
    public void Every_seed_file_is_accepted(string format)
    {
        using var dir = new TempDirectory();
        var f = FuzzFormat.Get(format);
        Assert.NotEmpty(f.Seeds);
        foreach (var seed in f.Seeds) Assert.Equal(Outcome.Accepted, FuzzRunner.RunOne(f, seed, dir.Path));
    }

    [Theory, MemberData(nameof(Formats))]
    public void Three_hundred_mutants_are_each_loaded_or_refused_cleanly(string format)
    {
        using var dir = new TempDirectory();
        var summary = FuzzRunner.RunInProcess(FuzzFormat.Get(format), seed: 20, from: 0, MutantsPerFormat, dir.Path, TimeSpan.FromSeconds(10));
        Assert.True(summary.Failures.Count == 0, string.Join("\n", summary.Failures.Select(f =>
            $"{format} #{f.Index} ({f.Mutant.Recipe}): {f.Outcome.Verdict}: {f.Outcome.Detail}")));
        Assert.Equal(MutantsPerFormat, summary.Inputs);
        // The mutants reach the readers' checks rather than all failing one way or all passing.
        Assert.InRange(summary.Counts[Verdict.Rejected], MutantsPerFormat / 3, MutantsPerFormat - 1);
    }

    public static TheoryData<string, string> RegressionInputs
    {
        get
        {
            var data = new TheoryData<string, string>();
            string root = Path.Combine(AppContext.BaseDirectory, "Reliability", "FuzzRegressions");
            foreach (string dir in Directory.EnumerateDirectories(root).Order())
                foreach (string file in Directory.EnumerateFiles(dir).Order())
                    data.Add(Path.GetFileName(dir), Path.GetFileName(file));
            return data;
        }
    }

    [Theory, MemberData(nameof(RegressionInputs))]
    public void A_saved_regression_input_is_refused_cleanly(string format, string file)
    {
        using var dir = new TempDirectory();
        var bytes = File.ReadAllBytes(Path.Combine(AppContext.BaseDirectory, "Reliability", "FuzzRegressions", format, file));
        var outcome = FuzzRunner.RunOne(FuzzFormat.Get(format), new Mutant(file, bytes, "regression"), dir.Path);
        Assert.True(outcome.Verdict == Verdict.Rejected, $"{outcome.Verdict}: {outcome.Detail}");
    }

    [Fact]
    public void Every_format_has_regression_inputs_for_the_issues_reproductions()
    {
        var formats = RegressionInputs.Select(row => (string)row[0]).ToHashSet();
        Assert.Superset(new HashSet<string> { "idx", "model", "architecture", "checkpoint", "png", "csv" }, formats);
    }

    /// <summary>A format whose reader does what it is told, to check the classifier itself.</summary>
    private sealed class ScriptedFormat(Action<string> load) : FuzzFormat
    {
        public override string Name => "scripted";
        protected override IReadOnlyList<Mutant> BuildSeeds() => [new("x.bin", [1, 2, 3], "")];
        public override void Load(string path) => load(path);
        public override bool IsExpected(Exception e) => e is InvalidDataException;
    }

    [Fact]
    public void The_classifier_calls_a_foreign_exception_or_an_unclean_message_a_crash()
    {
        using var dir = new TempDirectory();
        var mutant = new Mutant("x.bin", [0], "");
        Outcome Run(Action<string> load) => FuzzRunner.RunOne(new ScriptedFormat(load), mutant, dir.Path);

        Assert.Equal(Verdict.Accepted, Run(_ => { }).Verdict);
        Assert.Equal(Verdict.Rejected, Run(p => throw new InvalidDataException($"{p}: bad header at offset 3.")).Verdict);
        Assert.Equal(Verdict.Crash, Run(_ => throw new NullReferenceException()).Verdict);
        Assert.Equal(Verdict.Crash, Run(_ => throw new OverflowException()).Verdict);
        var dirty = Run(p => throw new InvalidDataException($"{p}: chunk \0\0\0\0 unknown."));
        Assert.Equal(Verdict.Crash, dirty.Verdict);
        Assert.Contains("control characters", dirty.Detail);
        var anonymous = Run(_ => throw new InvalidDataException("bad header."));
        Assert.Equal(Verdict.Crash, anonymous.Verdict);
        Assert.Contains("does not name the file", anonymous.Detail);
        Assert.Equal(Verdict.Oom, Run(_ => throw new OutOfMemoryException()).Verdict);
    }

    [Fact]
    public void A_reader_that_never_returns_is_counted_as_a_hang()
    {
        using var dir = new TempDirectory();
        using var release = new ManualResetEventSlim();
        var summary = FuzzRunner.RunInProcess(new ScriptedFormat(_ => release.Wait()), seed: 1, from: 0, count: 1, dir.Path,
            TimeSpan.FromMilliseconds(50));
        release.Set();
        Assert.Equal(1, summary.Counts[Verdict.Hang]);
    }

    [Fact]
    public void Mutants_are_the_same_for_the_same_seed_and_index()
    {
        foreach (var format in FuzzFormat.All)
        {
            Assert.Equal(format.Generate(7, 42).Bytes, format.Generate(7, 42).Bytes);
            Assert.NotEqual(format.Generate(7, 42).Bytes, format.Generate(7, 43).Bytes);
        }
    }
}
