namespace Dendrite.Fuzz;

/// <summary>What a run of one format found: counts per verdict, and every input that crashed, hung or ran out of memory.</summary>
public sealed class Summary(string format)
{
    public string Format { get; } = format;
    public Dictionary<Verdict, int> Counts { get; } = Enum.GetValues<Verdict>().ToDictionary(v => v, _ => 0);
    public List<(int Index, Mutant Mutant, Outcome Outcome)> Failures { get; } = [];
    public int Inputs => Counts.Values.Sum();
    public TimeSpan Elapsed { get; set; }

    public void Add(int index, Mutant mutant, Outcome outcome)
    {
        Counts[outcome.Verdict]++;
        if (outcome.Verdict is Verdict.Crash or Verdict.Hang or Verdict.Oom) Failures.Add((index, mutant, outcome));
    }

    public static string Header => $"{"format",-12} {"inputs",8} {"accepted",9} {"rejected",9} {"crashes",8} {"hangs",6} {"oom",4} {"seconds",8}";

    public override string ToString() =>
        $"{Format,-12} {Inputs,8} {Counts[Verdict.Accepted],9} {Counts[Verdict.Rejected],9} {Counts[Verdict.Crash],8} " +
        $"{Counts[Verdict.Hang],6} {Counts[Verdict.Oom],4} {Elapsed.TotalSeconds,8:F1}";
}

/// <summary>Runs mutants in this process, each with a watchdog: the fast corpus run of the test suite uses it.</summary>
public static class FuzzRunner
{
    /// <summary>Writes <paramref name="mutant"/> under <paramref name="workDir"/>, runs the reader on it, deletes it.</summary>
    public static Outcome RunOne(FuzzFormat format, Mutant mutant, string workDir)
    {
        string dir = Path.Combine(workDir, Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(dir);
        string path = Path.Combine(dir, mutant.FileName);
        try
        {
            File.WriteAllBytes(path, mutant.Bytes);
            return format.Run(path);
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }

    /// <summary>Mutants [<paramref name="from"/>, <paramref name="from"/> + <paramref name="count"/>) of <paramref name="format"/>, each given <paramref name="timeout"/>.</summary>
    public static Summary RunInProcess(FuzzFormat format, int seed, int from, int count, string workDir, TimeSpan timeout)
    {
        var summary = new Summary(format.Name);
        var clock = System.Diagnostics.Stopwatch.StartNew();
        for (int i = from; i < from + count; i++)
        {
            var mutant = format.Generate(seed, i);
            var run = Task.Run(() => RunOne(format, mutant, workDir));
            // A hung reader cannot be stopped in-process; its thread is left behind and the input counted as a hang.
            var outcome = run.Wait(timeout) ? run.Result : new Outcome(Verdict.Hang, $"still running after {timeout.TotalSeconds} s");
            summary.Add(i, mutant, outcome);
        }
        summary.Elapsed = clock.Elapsed;
        return summary;
    }
}
