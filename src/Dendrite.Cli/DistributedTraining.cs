using System.Diagnostics;
using Dendrite.Distributed;
using Dendrite.Training;

namespace Dendrite.Cli;

/// <summary>
/// <c>dendrite train PRESET --distributed</c>, run by every rank of <c>mpirun -np N</c> (or <c>srun</c>): each rank
/// says where it runs, rank 0 alone prints progress and writes files, and a failure on any rank ends the whole job.
/// </summary>
internal static class DistributedTraining
{
    public static int Run(MnistRunOptions options, bool deterministic)
    {
        if (GenerativeTraining.Handles(options.Model))
            throw new ArgumentException(
                $"--distributed trains the MNIST classifier presets; {options.Model} is not one of them.");
        using var group = new MpiProcessGroup();
        var training = new DataParallelTraining(group, deterministic);
        var lines = training.StartupLines();
        Console.WriteLine(lines[0]);
        foreach (var warning in lines.Skip(1)) Console.Error.WriteLine(warning);
        try
        {
            string reduction = deterministic ? ", deterministic reduction" : "";
            if (group.Rank == 0) Console.WriteLine($"{group.WorldSize} ranks over {group.Description}{reduction}");
            bool reporter = group.Rank == 0;
            var clock = Stopwatch.StartNew();
            MnistRun.Run(options with { Parallel = training }, reporter ? Console.Out : TextWriter.Null,
                interactive: reporter && !Console.IsOutputRedirected);
            if (reporter && training.SynchronizationSummary(clock.Elapsed) is { } summary) Console.WriteLine(summary);
            group.Barrier();   // no rank finalises MPI while another still needs it
        }
        catch (Exception e)
        {
            // Without this the other ranks would wait in their next collective forever.
            group.Abort(e.Message.ReplaceLineEndings(" "));
        }
        return 0;
    }
}
