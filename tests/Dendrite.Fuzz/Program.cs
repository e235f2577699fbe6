using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;

namespace Dendrite.Fuzz;

/// <summary>
/// dendrite-fuzz run [--formats idx,png,…] [--count 10000] [--seed 1] [--timeout-s 10] [--memory-mb 2048] [--out DIR]
/// mutates valid files of every format and runs each through its reader in worker processes limited to the memory given
/// (DOTNET_GCHeapHardLimit) and watched for the time given per input: a worker that hangs or dies is killed and
/// restarted after the input that did it. It prints one row per format (inputs, accepted, rejected, crashes, hangs,
/// oom), writes every crashing, hanging or out-of-memory input to DIR/&lt;format&gt;/ with its recipe, and exits 1 if
/// there was any. "dendrite-fuzz worker FORMAT SEED FROM TO WORKDIR" is the worker; "save" writes one mutant and
/// "reproductions" the issue's reproductions, as regression inputs.
/// </summary>
public static class Program
{
    public static int Main(string[] args)
    {
        if (args.Length > 0 && args[0] == "worker") return Worker(args[1], Int(args[2]), Int(args[3]), Int(args[4]), args[5]);
        if (args.Length > 0 && args[0] == "run") return Supervise(Options(args[1..]));
        if (args.Length == 3 && args[0] == "check")
        {
            var outcome = FuzzFormat.Get(args[1]).Run(args[2]);
            Console.WriteLine($"{outcome.Verdict}: {outcome.Detail}");
            return outcome.Verdict is Verdict.Accepted or Verdict.Rejected ? 0 : 1;
        }
        if (args.Length == 5 && args[0] == "save") return Save(FuzzFormat.Get(args[1]), Int(args[2]), Int(args[3]), args[4]);
        if (args.Length == 2 && args[0] == "reproductions")
        {
            Reproductions.WriteAll(args[1]);
            return 0;
        }
        Console.Error.WriteLine("usage: dendrite-fuzz run [--formats a,b] [--count N] [--seed S] [--timeout-s T] [--memory-mb M] [--out DIR]\n" +
            "       dendrite-fuzz save FORMAT SEED INDEX DIR   (one mutant, to keep as a regression input)\n" +
            "       dendrite-fuzz check FORMAT FILE            (one file through its format's reader)\n" +
            "       dendrite-fuzz reproductions DIR            (issue 20's reproductions as files)");
        return 2;
    }

    private static int Save(FuzzFormat format, int seed, int index, string dir)
    {
        var mutant = format.Generate(seed, index);
        Directory.CreateDirectory(Path.Combine(dir, format.Name));
        string path = Path.Combine(dir, format.Name, $"seed{seed}-{index}-{mutant.FileName}");
        File.WriteAllBytes(path, mutant.Bytes);
        Console.WriteLine($"{path}: {mutant.Recipe}");
        return 0;
    }

    private static int Int(string text) => int.Parse(text, CultureInfo.InvariantCulture);

    private static Dictionary<string, string> Options(string[] args)
    {
        var options = new Dictionary<string, string>
        {
            ["formats"] = string.Join(',', FuzzFormat.All.Select(f => f.Name)), ["count"] = "10000", ["seed"] = "1",
            ["timeout-s"] = "10", ["memory-mb"] = "2048", ["out"] = Path.Combine(Path.GetTempPath(), "dendrite-fuzz"),
        };
        for (int i = 0; i + 1 < args.Length; i += 2)
        {
            string key = args[i].TrimStart('-');
            if (!options.ContainsKey(key)) throw new ArgumentException($"unknown option {args[i]}");
            options[key] = args[i + 1];
        }
        return options;
    }

    // Runs mutants [from, to) and prints "R index verdict detail" after each, so the supervisor knows where it stopped.
    private static int Worker(string formatName, int seed, int from, int to, string workDir)
    {
        var format = FuzzFormat.Get(formatName);
        var output = new StreamWriter(Console.OpenStandardOutput()) { AutoFlush = true };
        for (int i = from; i < to; i++)
        {
            var outcome = FuzzRunner.RunOne(format, format.Generate(seed, i), workDir);
            output.WriteLine($"R {i} {outcome.Verdict} {FuzzFormat.Escape(outcome.Detail)}");
        }
        return 0;
    }

    private static int Supervise(Dictionary<string, string> options)
    {
        int count = Int(options["count"]), seed = Int(options["seed"]);
        var timeout = TimeSpan.FromSeconds(double.Parse(options["timeout-s"], CultureInfo.InvariantCulture));
        long memoryBytes = long.Parse(options["memory-mb"], CultureInfo.InvariantCulture) << 20;
        string outDir = options["out"];
        Console.WriteLine($"dendrite-fuzz: {count} inputs per format, seed {seed}, {timeout.TotalSeconds} s and " +
            $"{memoryBytes >> 20} MB per worker, failures to {outDir}");
        Console.WriteLine(Summary.Header);
        var summaries = new List<Summary>();
        foreach (string name in options["formats"].Split(',', StringSplitOptions.RemoveEmptyEntries))
        {
            var format = FuzzFormat.Get(name);
            var summary = RunFormat(format, seed, count, timeout, memoryBytes, outDir);
            summaries.Add(summary);
            Console.WriteLine(summary);
        }
        int failures = summaries.Sum(s => s.Failures.Count);
        Console.WriteLine($"{"total",-12} {summaries.Sum(s => s.Inputs),8} {summaries.Sum(s => s.Counts[Verdict.Accepted]),9} " +
            $"{summaries.Sum(s => s.Counts[Verdict.Rejected]),9} {summaries.Sum(s => s.Counts[Verdict.Crash]),8} " +
            $"{summaries.Sum(s => s.Counts[Verdict.Hang]),6} {summaries.Sum(s => s.Counts[Verdict.Oom]),4}");
        return failures == 0 ? 0 : 1;
    }

    private static Summary RunFormat(FuzzFormat format, int seed, int count, TimeSpan timeout, long memoryBytes, string outDir)
    {
        var summary = new Summary(format.Name);
        var clock = Stopwatch.StartNew();
        string workDir = Directory.CreateTempSubdirectory("dendrite-fuzz-work").FullName;
        try
        {
            int next = 0;
            while (next < count)
            {
                using var worker = StartWorker(format.Name, seed, next, count, workDir, memoryBytes);
                var lines = new BlockingCollection<string>();
                var stderr = new System.Text.StringBuilder();
                worker.ErrorDataReceived += (_, e) => { if (e.Data is not null) lock (stderr) stderr.AppendLine(e.Data); };
                worker.BeginErrorReadLine();
                var reader = new Thread(() =>
                {
                    while (worker.StandardOutput.ReadLine() is { } line) lines.Add(line);
                    lines.CompleteAdding();
                }) { IsBackground = true };
                reader.Start();
                bool first = true;
                while (next < count)
                {
                    // The first input also waits for the worker to start and build its seeds.
                    var wait = first ? timeout + TimeSpan.FromSeconds(30) : timeout;
                    if (!lines.TryTake(out var line, wait))
                    {
                        if (lines.IsCompleted)
                        {
                            worker.WaitForExit();
                            string err;
                            lock (stderr) err = stderr.ToString();
                            var verdict = err.Contains("OutOfMemory", StringComparison.Ordinal) ? Verdict.Oom : Verdict.Crash;
                            Record(summary, format, seed, next, new Outcome(verdict,
                                $"worker died (exit {worker.ExitCode}): {FuzzFormat.Escape(err.Split('\n').FirstOrDefault(l => l.Length > 0) ?? "")}"), outDir);
                        }
                        else
                        {
                            worker.Kill(entireProcessTree: true);
                            Record(summary, format, seed, next, new Outcome(Verdict.Hang, $"no result after {wait.TotalSeconds} s"), outDir);
                        }
                        next++;
                        break;
                    }
                    first = false;
                    var parts = line.Split(' ', 4);
                    if (parts.Length < 3 || parts[0] != "R" || Int(parts[1]) != next) continue;
                    Record(summary, format, seed, next, new Outcome(Enum.Parse<Verdict>(parts[2]), parts.Length > 3 ? parts[3] : ""), outDir);
                    next++;
                }
                if (!worker.HasExited) worker.Kill(entireProcessTree: true);
            }
        }
        finally
        {
            Directory.Delete(workDir, recursive: true);
        }
        summary.Elapsed = clock.Elapsed;
        return summary;
    }

    private static void Record(Summary summary, FuzzFormat format, int seed, int index, Outcome outcome, string outDir)
    {
        bool failed = outcome.Verdict is Verdict.Crash or Verdict.Hang or Verdict.Oom;
        var mutant = failed ? format.Generate(seed, index) : null!;
        summary.Add(index, mutant, outcome);
        if (!failed) return;
        string dir = Path.Combine(outDir, format.Name);
        Directory.CreateDirectory(dir);
        string name = $"{outcome.Verdict.ToString().ToLowerInvariant()}-{seed}-{index}-{mutant.FileName}";
        File.WriteAllBytes(Path.Combine(dir, name), mutant.Bytes);
        File.WriteAllText(Path.Combine(dir, name + ".txt"), $"{mutant.Recipe}\n{outcome.Detail}\n");
        Console.Error.WriteLine($"  {format.Name} #{index}: {outcome.Verdict}: {outcome.Detail}");
    }

    private static Process StartWorker(string format, int seed, int from, int to, string workDir, long memoryBytes)
    {
        var start = new ProcessStartInfo
        {
            FileName = Environment.ProcessPath!,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        // Under "dotnet Dendrite.Fuzz.dll" the process is dotnet itself, and the worker needs the assembly named again.
        if (Path.GetFileNameWithoutExtension(start.FileName) == "dotnet") start.ArgumentList.Add(typeof(Program).Assembly.Location);
        foreach (string a in new[] { "worker", format, $"{seed}", $"{from}", $"{to}", workDir }) start.ArgumentList.Add(a);
        start.Environment["DOTNET_GCHeapHardLimit"] = "0x" + memoryBytes.ToString("X", CultureInfo.InvariantCulture);
        return Process.Start(start) ?? throw new InvalidOperationException("could not start a fuzz worker");
    }
}
