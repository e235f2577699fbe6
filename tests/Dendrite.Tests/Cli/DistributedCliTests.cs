using System.IO.Compression;
using Dendrite.Data;
using Dendrite.Distributed;
using Dendrite.Distributed.Check;
using Dendrite.IO;
using Dendrite.Tests.TestSupport;
using Xunit.Abstractions;

namespace Dendrite.Tests.Cli;

/// <summary><c>dendrite train --distributed</c>: in-process for its errors, under mpirun for the run itself.</summary>
[Collection(ProcessStateCollection.Name)]
public class DistributedCliTests(ITestOutputHelper output)
{
    [Fact]
    public void Without_MPI_a_distributed_run_is_one_line_and_a_nonzero_exit()
    {
        var saved = Environment.GetEnvironmentVariable("DENDRITE_MPI_LIB");
        Environment.SetEnvironmentVariable("DENDRITE_MPI_LIB", "/nonexistent/libmpi.so");
        try
        {
            var (code, _, error) = CliRunner.Run("train", "mnist-mlp", "--distributed");
            Assert.Equal(1, code);
            string expected = "dendrite: error: MPI: no MPI library found (looked for DENDRITE_MPI_LIB=/nonexistent/libmpi.so)";
            Assert.StartsWith(expected, error);
            Assert.Single(error.Split('\n', StringSplitOptions.RemoveEmptyEntries));
        }
        finally
        {
            Environment.SetEnvironmentVariable("DENDRITE_MPI_LIB", saved);
        }
    }

    [Fact]
    public void Deterministic_without_distributed_is_refused()
    {
        var (code, _, error) = CliRunner.Run("train", "mnist-mlp", "--deterministic");
        Assert.Equal((1, "dendrite: error: --deterministic applies to --distributed runs.\n"), (code, error));
    }

    [Fact]
    public void A_rank_bound_to_one_core_of_a_larger_machine_is_warned_with_the_binding_advice()
    {
        var bound = DataParallelTraining.StartupLines(1, 2, "node7", threads: 1, visibleCpus: 1, machineCpus: 16);
        Assert.Equal("rank 1/2 on node7: 1 threads", bound[0]);
        Assert.StartsWith("warning: rank 1 may use 1 of the 16 CPUs of node7", bound[1]);
        Assert.Contains("--bind-to none", bound[1]);
        Assert.Single(DataParallelTraining.StartupLines(0, 2, "node7", threads: 8, visibleCpus: 8, machineCpus: 16));
        Assert.Single(DataParallelTraining.StartupLines(0, 1, "laptop", threads: 1, visibleCpus: 1, machineCpus: 1));
    }

    [Fact]
    public void Two_ranks_under_mpirun_train_as_one_process_does_and_only_rank_0_reports_and_writes()
    {
        if (MpiJob.OpenMpi(output) is not { } mpirun) return;
        using var dir = new TempDirectory();
        string[] common = ["train", "mnist-mlp", "--epochs", "1", "--batch-size", "64", "--data", SmallMnist(dir)];

        string[] distributed = [.. common, "--distributed", "--out", dir.File("two")];
        var (code, text, error) = MpiJob.Run(output, mpirun, "Dendrite.Cli.dll", distributed);
        Assert.True(code == 0, $"mpirun exited with {code}: {text} {error}");
        Assert.Contains("rank 0/2 on ", text);
        Assert.Contains("rank 1/2 on ", text);
        Assert.Contains("2 ranks × batch 32", text);
        Assert.Single(text.Split('\n'), line => line.Contains("Final test accuracy"));
        Assert.Single(text.Split('\n'), line => line.Contains("Saved "));
        Assert.Contains("gradient all-reduce in ", text);

        var single = CliRunner.Run([.. common, "--out", dir.File("one")]);
        Assert.Equal(0, single.Code);
        var twoRanks = SafeTensors.Load(dir.File("two/model.safetensors"));
        var oneProcess = SafeTensors.Load(dir.File("one/model.safetensors"));
        double gap = DistributedChecks.MaxRelativeGap(oneProcess.Keys.Select(k => twoRanks[k]), oneProcess.Values);
        output.WriteLine($"largest relative weight gap, 2 ranks against 1 process: {gap:E2}");
        Assert.InRange(gap, 0, 1e-4);
    }

    [Fact]
    public void A_failure_on_one_rank_ends_the_whole_job_with_that_ranks_message()
    {
        if (MpiJob.OpenMpi(output) is not { } mpirun) return;
        using var dir = new TempDirectory();
        string data = SmallMnist(dir);
        // --out names a file: rank 0 alone writes, so it alone fails, after training, while rank 1 waits for it.
        File.WriteAllText(dir.File("taken"), "");
        var (code, _, error) = MpiJob.Run(output, mpirun, "Dendrite.Cli.dll",
            "train", "mnist-mlp", "--epochs", "1", "--data", data, "--distributed", "--out", dir.File("taken"));
        Assert.NotEqual(0, code);
        Assert.Contains("dendrite: rank 0/2 failed, aborting the job: ", error);
        Assert.Contains(dir.File("taken"), error);
    }

    [Fact]
    public void Resuming_a_two_rank_run_from_its_checkpoint_reaches_the_uninterrupted_runs_weights()
    {
        if (MpiJob.OpenMpi(output) is not { } mpirun) return;
        using var dir = new TempDirectory();
        // mnist-cnn has dropout: ranks draw different masks, which a resumed run must draw again.
        string[] common = ["train", "mnist-cnn", "--batch-size", "64", "--data", SmallMnist(dir), "--distributed"];
        string[] whole = [.. common, "--epochs", "2", "--out", dir.File("whole"), "--checkpoint-dir", dir.File("a")];
        string[] first = [.. common, "--epochs", "1", "--checkpoint-dir", dir.File("b")];
        string[] rest = [.. common, "--epochs", "2", "--out", dir.File("resumed"), "--checkpoint-dir", dir.File("b"), "--resume"];
        foreach (var args in new[] { whole, first, rest })
        {
            var (code, text, error) = MpiJob.Run(output, mpirun, "Dendrite.Cli.dll", args);
            Assert.True(code == 0, $"mpirun exited with {code}: {text} {error}");
        }
        var uninterrupted = SafeTensors.Load(dir.File("whole/model.safetensors"));
        var resumed = SafeTensors.Load(dir.File("resumed/model.safetensors"));
        Assert.Equal(uninterrupted.Keys.Order(), resumed.Keys.Order());
        foreach (var (name, tensor) in uninterrupted)
            Assert.True(tensor.Data.SequenceEqual(resumed[name].Data), $"{name} differs after resuming");
    }

    // 512 training and 200 test images of MNIST, in a directory of its own.
    private static string SmallMnist(TempDirectory dir)
    {
        string data = Directory.CreateDirectory(dir.File("mnist")).FullName;
        WriteMnist(data, MnistData.Train.Take(512), Mnist.TrainImages, Mnist.TrainLabels);
        WriteMnist(data, MnistData.Test.Take(200), Mnist.TestImages, Mnist.TestLabels);
        return data;
    }

    // MNIST's own format (gzipped IDX), so the run reads it as it reads data/mnist.
    private static void WriteMnist(string directory, TensorDataset split, string imagesFile, string labelsFile)
    {
        var pixels = split.Inputs.ToArray().Select(v => (byte)Math.Round(v * 255));
        Write(Path.Combine(directory, imagesFile), [split.Count, 28, 28], pixels);
        Write(Path.Combine(directory, labelsFile), [split.Count], split.Targets.ToArray().Select(v => (byte)v));
    }

    private static void Write(string path, int[] dims, IEnumerable<byte> values)
    {
        using var gzip = new GZipStream(File.Create(path), CompressionLevel.Fastest);
        gzip.Write([0, 0, 8, (byte)dims.Length]);
        foreach (int d in dims) gzip.Write([(byte)(d >> 24), (byte)(d >> 16), (byte)(d >> 8), (byte)d]);
        gzip.Write([.. values]);
    }
}
