using System.Diagnostics;
using System.Globalization;
using Dendrite.Distributed;
using Dendrite.Distributed.Check;
using Xunit.Abstractions;

namespace Dendrite.Tests.Distributed;

/// <summary>
/// Real MPI jobs: the check program (tests/Dendrite.Distributed.Check) on two ranks under mpirun, held to the same
/// bounds as the in-process runs and to the in-process group's deterministic bits.
/// </summary>
public class MpiRunTests(ITestOutputHelper output)
{
    [Fact]
    public void Open_MPI_two_ranks_match_one_process_and_the_in_process_group()
    {
        string? mpirun = Find("mpirun.openmpi") ?? Find("mpirun");
        if (mpirun is null)
        {
            // CI installs Open MPI (.ci/run) and must run this test; elsewhere a machine without MPI passes it by.
            Assert.False(Environment.GetEnvironmentVariable("CI") == "true", "CI=true but no mpirun on PATH: install openmpi-bin libopenmpi-dev.");
            output.WriteLine("no mpirun on PATH: not run");
            return;
        }
        CheckJob([mpirun, "--allow-run-as-root", "--oversubscribe", "-np", "2"], libraryExpected: "Open MPI");
    }

    [Fact]
    public void MPICH_two_ranks_match_one_process_and_the_in_process_group()
    {
        // MPICH is optional: CI installs Open MPI only.
        if (Find("mpirun.mpich") is not { } mpirun)
        {
            output.WriteLine("no mpirun.mpich on PATH: not run");
            return;
        }
        CheckJob([mpirun, "-np", "2"], libraryExpected: "MPICH family");
    }

    [Fact]
    public void A_missing_MPI_library_is_one_line_naming_what_was_looked_for()
    {
        var e = Assert.Throws<NotSupportedException>(() => MpiLibraryProbe("/nonexistent/libmpi.so"));
        Assert.StartsWith("MPI: no MPI library found (looked for DENDRITE_MPI_LIB=/nonexistent/libmpi.so)", e.Message);
        Assert.DoesNotContain('\n', e.Message);
    }

    private static void MpiLibraryProbe(string path)
    {
        var saved = Environment.GetEnvironmentVariable("DENDRITE_MPI_LIB");
        Environment.SetEnvironmentVariable("DENDRITE_MPI_LIB", path);
        try
        {
            using var group = new MpiProcessGroup();
        }
        finally
        {
            Environment.SetEnvironmentVariable("DENDRITE_MPI_LIB", saved);
        }
    }

    private void CheckJob(string[] launcher, string libraryExpected)
    {
        var check = Path.Combine(AppContext.BaseDirectory, "Dendrite.Distributed.Check.dll");
        var start = new ProcessStartInfo(launcher[0]) { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var arg in launcher.Skip(1).Concat(["dotnet", check])) start.ArgumentList.Add(arg);
        // Containers often forbid the cross-process memory copy Open MPI's shared-memory transport tries first.
        start.Environment["OMPI_MCA_btl_vader_single_copy_mechanism"] = "none";
        start.Environment["OMPI_ALLOW_RUN_AS_ROOT"] = "1";
        start.Environment["OMPI_ALLOW_RUN_AS_ROOT_CONFIRM"] = "1";
        start.Environment.Remove("DENDRITE_MPI_LIB");
        using var job = Process.Start(start)!;
        var stderr = job.StandardError.ReadToEndAsync();
        var stdout = job.StandardOutput.ReadToEndAsync();
        if (!job.WaitForExit(TimeSpan.FromMinutes(3)))
        {
            job.Kill(entireProcessTree: true);
            Assert.Fail($"{launcher[0]} did not finish in 3 minutes: {stdout.Result} {stderr.Result}");
        }
        string text = stdout.Result;
        output.WriteLine(text);
        output.WriteLine(stderr.Result);
        Assert.True(job.ExitCode == 0, $"{launcher[0]} exited with {job.ExitCode}: {text} {stderr.Result}");
        Assert.Contains($"({libraryExpected}, ", text);
        Assert.InRange(Value(text, "w2-gradient-gap"), 0, 1e-6);
        Assert.InRange(Value(text, "sgd-200-steps-gap"), 0, 1e-4);
        var inProcess = InProcessGroup.Run(2, DistributedChecks.DeterministicFingerprint);
        Assert.Equal(inProcess[0], Field(text, "deterministic-fingerprint"));
    }

    private static double Value(string text, string name) => double.Parse(Field(text, name), CultureInfo.InvariantCulture);

    // mpirun may put terminal control sequences before a rank's output: find the name anywhere in a line.
    private static string Field(string text, string name)
    {
        var line = text.Split('\n').FirstOrDefault(l => l.Contains(name + " "))
            ?? throw new Xunit.Sdk.XunitException($"no \"{name}\" line in the job's output: {text}");
        return line[(line.IndexOf(name + " ", StringComparison.Ordinal) + name.Length + 1)..].Trim();
    }

    private static string? Find(string program) =>
        (Environment.GetEnvironmentVariable("PATH") ?? "").Split(Path.PathSeparator)
            .Select(dir => Path.Combine(dir, program)).FirstOrDefault(File.Exists);
}
