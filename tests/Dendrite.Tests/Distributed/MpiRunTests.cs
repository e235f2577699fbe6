using System.Globalization;
using Dendrite.Distributed;
using Dendrite.Distributed.Check;
using Dendrite.Tests.TestSupport;
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
        if (MpiJob.OpenMpi(output) is not { } mpirun) return;
        CheckJob(mpirun, libraryExpected: "Open MPI");
    }

    [Fact]
    public void MPICH_two_ranks_match_one_process_and_the_in_process_group()
    {
        // MPICH is optional: CI installs Open MPI only.
        if (MpiJob.Find("mpirun.mpich", output) is not { } mpirun) return;
        CheckJob(mpirun, libraryExpected: "MPICH family");
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

    private void CheckJob(string mpirun, string libraryExpected)
    {
        var (code, text, error) = MpiJob.Run(output, mpirun, "Dendrite.Distributed.Check.dll");
        Assert.True(code == 0, $"{mpirun} exited with {code}: {text} {error}");
        Assert.Contains($"({libraryExpected}, ", text);
        // Both ranks run on this machine: their local ranks count them on it.
        Assert.Contains("rank 0/2 local 0: ", text);
        Assert.Contains("rank 1/2 local 1: ", text);
        Assert.InRange(Value(text, "w2-gradient-gap"), 0, 1e-6);
        Assert.InRange(Value(text, "sgd-200-steps-gap"), 0, 1e-4);
        var inProcess = InProcessGroup.Run(2, DistributedChecks.DeterministicFingerprint);
        Assert.Equal(inProcess[0], Field(text, "deterministic-fingerprint"));
    }

    private static double Value(string text, string name) =>
        double.Parse(Field(text, name), CultureInfo.InvariantCulture);

    // mpirun may put terminal control sequences before a rank's output: find the name anywhere in a line.
    private static string Field(string text, string name)
    {
        var line = text.Split('\n').FirstOrDefault(l => l.Contains(name + " "))
            ?? throw new Xunit.Sdk.XunitException($"no \"{name}\" line in the job's output: {text}");
        return line[(line.IndexOf(name + " ", StringComparison.Ordinal) + name.Length + 1)..].Trim();
    }
}
