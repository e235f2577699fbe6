using System.Diagnostics;

namespace Dendrite.Bench;

/// <summary>What one run of the peer process gave: its figures, its info lines, and how it ended.</summary>
internal sealed record PeerRun(string Name, IReadOnlyList<Figure> Figures, IReadOnlyDictionary<string, string> Info,
    int ExitCode, string? Error, double WallSeconds)
{
    public bool Ok => ExitCode == 0 && Error is null;
}

/// <summary>
/// Starts Peer.TorchSharp as a child process and collects its JSON lines. The child, and only the child, gets
/// bench/.native/lib on LD_LIBRARY_PATH (the rebuilt libstdc++, see bench/README.md) and, for the tuned run, the
/// GLIBC_TUNABLES of issue 3, and under --isa avx2 libtorch's ISA caps.
/// </summary>
internal static class PeerRunner
{
    /// <summary>Huge pages for malloc, mmap only above 32 MiB, never trim: libtorch then reuses memory it has touched.</summary>
    public const string Tunables = "glibc.malloc.hugetlb=1:glibc.malloc.mmap_threshold=33554432:glibc.malloc.trim_threshold=4294967296";

    public static PeerRun Run(string name, string peerDll, string? nativeLib, bool tuned, string? isa, IEnumerable<string> args, TextWriter log)
    {
        var start = new ProcessStartInfo(DotnetHost())
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        start.ArgumentList.Add(peerDll);
        foreach (var a in args) start.ArgumentList.Add(a);
        start.Environment.Remove("GLIBC_TUNABLES");
        if (tuned) start.Environment["GLIBC_TUNABLES"] = Tunables;
        // The Dendrite side's AVX-512 switches (set under --isa avx2) are not the peer's: its .NET runtime stays as shipped.
        foreach (var key in Isa.DendriteEnvironment.Keys) start.Environment.Remove(key);
        // libtorch reads these when it loads; without --isa the peer gets none of them (an inherited one is removed).
        foreach (var (key, value) in Isa.PeerEnvironment)
            if (isa is null) start.Environment.Remove(key);
            else start.Environment[key] = value;
        if (nativeLib is not null)
        {
            string? existing = Environment.GetEnvironmentVariable("LD_LIBRARY_PATH");
            start.Environment["LD_LIBRARY_PATH"] = string.IsNullOrEmpty(existing) ? nativeLib : nativeLib + ":" + existing;
        }

        var figures = new List<Figure>();
        var info = new Dictionary<string, string>();
        var stderrTail = new Queue<string>();
        var clock = Stopwatch.StartNew();
        using var process = new Process { StartInfo = start };
        process.ErrorDataReceived += (_, e) =>
        {
            if (e.Data is null) return;
            lock (stderrTail)
            {
                stderrTail.Enqueue(e.Data);
                if (stderrTail.Count > 40) stderrTail.Dequeue();
            }
            if (e.Data.StartsWith("peer:", StringComparison.Ordinal)) log.WriteLine($"  [{name}] {e.Data["peer:".Length..].Trim()}");
        };
        try
        {
            process.Start();
        }
        catch (System.ComponentModel.Win32Exception e)
        {
            return new PeerRun(name, figures, info, -1, $"could not start {start.FileName}: {e.Message}", 0);
        }
        process.BeginErrorReadLine();
        string? line;
        while ((line = process.StandardOutput.ReadLine()) is not null)
        {
            if (!Figure.TryParse(line, out var figure, out var pair)) continue;
            if (figure is not null)
            {
                figures.Add(figure);
                log.WriteLine($"  [{name}] {figure.Label}: {figure.FormatValue()} {figure.Unit}");
            }
            else if (pair is { } kv) info[kv.Key] = kv.Value;
        }
        process.WaitForExit();
        string? error = null;
        if (process.ExitCode != 0)
            lock (stderrTail) error = $"exit code {process.ExitCode}; last lines of its stderr:\n    " + string.Join("\n    ", stderrTail);
        return new PeerRun(name, figures, info, process.ExitCode, error, clock.Elapsed.TotalSeconds);
    }

    /// <summary>The dotnet host that runs this process (DOTNET_HOST_PATH under `dotnet run`), else dotnet on PATH.</summary>
    private static string DotnetHost()
    {
        var fromSdk = Environment.GetEnvironmentVariable("DOTNET_HOST_PATH");
        if (!string.IsNullOrEmpty(fromSdk) && File.Exists(fromSdk)) return fromSdk;
        var self = Environment.ProcessPath;
        if (self is not null && Path.GetFileNameWithoutExtension(self) == "dotnet") return self;
        return "dotnet";
    }
}
