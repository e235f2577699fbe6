using System.Diagnostics;
using Xunit.Abstractions;

namespace Dendrite.Tests.TestSupport;

/// <summary>Runs a .NET program of the test output folder as a two-rank MPI job and captures what it prints.</summary>
public static class MpiJob
{
    /// <summary>
    /// Open MPI's launcher, or null (said in <paramref name="output"/>) on a machine without one; under CI=true
    /// (which installs Open MPI, see .ci/run) a missing launcher fails the calling test instead.
    /// </summary>
    public static string? OpenMpi(ITestOutputHelper output)
    {
        var mpirun = Find("mpirun.openmpi", output) ?? Find("mpirun", output);
        Assert.False(mpirun is null && Environment.GetEnvironmentVariable("CI") == "true",
            "CI=true but no mpirun on PATH: install openmpi-bin libopenmpi-dev.");
        return mpirun;
    }

    /// <summary>The path of <paramref name="program"/> on PATH, or null (said in <paramref name="output"/>).</summary>
    public static string? Find(string program, ITestOutputHelper output)
    {
        var path = (Environment.GetEnvironmentVariable("PATH") ?? "").Split(Path.PathSeparator)
            .Select(dir => Path.Combine(dir, program)).FirstOrDefault(File.Exists);
        if (path is null) output.WriteLine($"no {program} on PATH: not run");
        return path;
    }

    /// <summary>
    /// Runs <c>launcher [launcherArgs] -np 2 dotnet ASSEMBLY args</c> (Open MPI's launcher gets the options a root
    /// container needs) and returns the exit code and output, also written to <paramref name="output"/>; fails the
    /// test after three minutes.
    /// </summary>
    public static (int Code, string Out, string Error) Run(ITestOutputHelper output, string launcher, string assembly,
        params string[] args)
    {
        var start = new ProcessStartInfo(launcher) { RedirectStandardOutput = true, RedirectStandardError = true };
        bool openMpi = !launcher.EndsWith(".mpich", StringComparison.Ordinal);
        string[] options = openMpi ? ["--allow-run-as-root", "--oversubscribe", "-np", "2"] : ["-np", "2"];
        foreach (var arg in options.Concat(["dotnet", Path.Combine(AppContext.BaseDirectory, assembly)]).Concat(args))
            start.ArgumentList.Add(arg);
        // Containers often forbid the cross-process memory copy Open MPI's shared-memory transport tries first.
        start.Environment["OMPI_MCA_btl_vader_single_copy_mechanism"] = "none";
        start.Environment.Remove("DENDRITE_MPI_LIB");
        using var job = Process.Start(start)!;
        var stdout = job.StandardOutput.ReadToEndAsync();
        var stderr = job.StandardError.ReadToEndAsync();
        if (!job.WaitForExit(TimeSpan.FromMinutes(3)))
        {
            job.Kill(entireProcessTree: true);
            Assert.Fail($"{launcher} did not finish in 3 minutes: {stdout.Result} {stderr.Result}");
        }
        output.WriteLine(stdout.Result);
        output.WriteLine(stderr.Result);
        return (job.ExitCode, stdout.Result, stderr.Result);
    }
}
