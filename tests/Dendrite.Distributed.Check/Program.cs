using System.Globalization;
using Dendrite.Distributed;
using Dendrite.Distributed.Check;

// Run under an MPI launcher: mpirun -np 2 dotnet Dendrite.Distributed.Check.dll. Rank 0 prints one "name value" line
// per check, which the test compares with its bounds and with the in-process group's results.
using var group = new MpiProcessGroup();
try
{
    Console.WriteLine($"rank {group.Rank}/{group.WorldSize} local {group.LocalRank}: {group.Description}");
    double w2 = DistributedChecks.W2GradientGap(group);
    double sgd = DistributedChecks.SgdTrajectoryGap(group);
    string fingerprint = DistributedChecks.DeterministicFingerprint(group);
    if (group.Rank == 0)
    {
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"w2-gradient-gap {w2:R}"));
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"sgd-200-steps-gap {sgd:R}"));
        Console.WriteLine($"deterministic-fingerprint {fingerprint}");
    }
    group.Barrier();
}
catch (Exception e)
{
    group.Abort(e.ToString().ReplaceLineEndings(" "));
}
