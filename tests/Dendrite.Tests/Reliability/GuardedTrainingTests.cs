using System.Diagnostics;
using System.Security.Cryptography;
using Dendrite.IO;
using Dendrite.Tests.TestSupport;

namespace Dendrite.Tests.Reliability;

/// <summary>
/// Issue 20's guarded training, through the CLI's train command in-process: a diverging run stops with the epoch and
/// step and leaves the files of a good run byte-identical; output directories are checked and claimed before the first
/// step; a resume refuses another run's checkpoints and unasked hyperparameter changes.
/// </summary>
[Collection(ProcessStateCollection.Name)]
public class GuardedTrainingTests
{
    // A quick run: 256 training images, one epoch, seed 3 unless the arguments name another.
    private static (int Code, string Out, string Error) Train(params string[] args) => CliRunner.Run(
        ["train", "mnist-mlp", "--train-samples", "256", "--epochs", "1", .. args.Contains("--seed") ? Array.Empty<string>() : ["--seed", "3"], .. args]);

    /// <summary>Every file in <paramref name="directory"/> by name, with its SHA-256.</summary>
    private static Dictionary<string, string> Hashes(string directory) =>
        Directory.EnumerateFiles(directory).ToDictionary(f => Path.GetFileName(f), f => Convert.ToHexString(SHA256.HashData(File.ReadAllBytes(f))));

    private static string OneErrorLine(string error)
    {
        var lines = error.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.True(lines.Length == 1, $"expected one line on stderr, got:\n{error}");
        Assert.DoesNotContain("   at ", error);
        return lines[0];
    }

    [Theory]
    [InlineData("1e6", null, "the running loss reached")]
    [InlineData("1e9", null, "the running loss reached")]
    // The issue's `--lr 3e38 --batch-size 60000`: the whole training set in one step, here the 256 images of the subset.
    [InlineData("3e38", "256", "\"1.weight\" holds NaN or infinity")]
    public void A_diverging_run_stops_naming_epoch_and_step_and_leaves_good_files_byte_identical(string lr, string? batch, string why)
    {
        using var dir = new TempDirectory();
        string outDir = dir.File("out");
        Assert.Equal(0, Train("--out", outDir).Code);
        var before = Hashes(outDir);
        Assert.Contains("model.safetensors", before.Keys);

        var (code, _, error) = Train(["--out", outDir, "--lr", lr, .. batch is null ? Array.Empty<string>() : ["--batch-size", batch]]);

        Assert.Equal(1, code);
        string line = OneErrorLine(error);
        Assert.Matches(@"^dendrite: error: training diverged at epoch 1, step \d+ \(of \d+\)", line);
        Assert.Contains(why, line);
        Assert.Equal(before, Hashes(outDir));
    }

    [Fact]
    public void A_resume_that_diverges_writes_no_checkpoint_and_keeps_the_good_ones()
    {
        using var dir = new TempDirectory();
        string ckpt = dir.File("ckpt"), outDir = dir.File("out");
        Assert.Equal(0, Train("--checkpoint-dir", ckpt, "--out", outDir).Code);
        var (checkpoints, models) = (Hashes(ckpt), Hashes(outDir));

        var (code, output, error) = CliRunner.Run(["train", "mnist-mlp", "--train-samples", "256", "--seed", "3", "--epochs", "2",
            "--checkpoint-dir", ckpt, "--out", outDir, "--resume", "--override", "--lr", "1e6"]);

        Assert.Equal(1, code);
        Assert.Contains("--override: continuing with changed hyperparameters: lr 0.001 → 1000000", output);
        Assert.StartsWith("dendrite: error: training diverged at epoch 2, step ", OneErrorLine(error));
        Assert.Equal(checkpoints, Hashes(ckpt));
        Assert.Equal(models, Hashes(outDir));
    }

    [Fact]
    public void A_batch_larger_than_the_training_set_is_refused_before_the_first_step_and_writes_nothing()
    {
        using var dir = new TempDirectory();
        var (code, output, error) = Train("--batch-size", "2147483647", "--out", dir.File("out"), "--checkpoint-dir", dir.File("ckpt"));

        Assert.Equal(1, code);
        Assert.Matches(@"^dendrite: error: --batch-size 2147483647 is larger than the \d+ training samples; give at most \d+ ",
            OneErrorLine(error));
        Assert.DoesNotContain("Epoch", output);
        Assert.False(Directory.Exists(dir.File("ckpt")) && Directory.EnumerateFiles(dir.File("ckpt"), "*.safetensors").Any());
        Assert.False(File.Exists(Path.Combine(dir.File("out"), "model.safetensors")));
    }

    [Theory]
    [InlineData("--out")]
    [InlineData("--checkpoint-dir")]
    public void An_output_directory_that_is_a_file_or_cannot_be_made_is_refused_before_the_first_step(string option)
    {
        using var dir = new TempDirectory();
        File.WriteAllText(dir.File("taken"), "a file");

        var (code, output, error) = Train(option, dir.File("taken"));
        Assert.Equal(1, code);
        Assert.Equal($"dendrite: error: {option} {dir.File("taken")} is a file, not a directory.", OneErrorLine(error));
        Assert.DoesNotContain("Epoch", output);

        (code, output, error) = Train(option, Path.Combine(dir.File("taken"), "below"));
        Assert.Equal(1, code);
        Assert.StartsWith($"dendrite: error: {option} {Path.Combine(dir.File("taken"), "below")} cannot be created: ", OneErrorLine(error));
        Assert.DoesNotContain("Epoch", output);
        Assert.Equal("a file", File.ReadAllText(dir.File("taken")));
    }

    [Fact]
    public void A_directory_another_living_process_writes_into_is_refused_naming_it_and_the_pid()
    {
        using var dir = new TempDirectory();
        using (DirectoryLock.Acquire(dir.Path, "--checkpoint-dir"))
        {
            var (code, output, error) = Train("--checkpoint-dir", dir.Path);
            Assert.Equal(1, code);
            Assert.Equal($"dendrite: error: --checkpoint-dir {dir.Path} is in use by process {Environment.ProcessId} " +
                $"(lock file {dir.File(DirectoryLock.FileName)}); wait for it to finish, or delete the lock file if that process is not a dendrite run.",
                OneErrorLine(error));
            Assert.DoesNotContain("Epoch", output);
        }
        Assert.False(File.Exists(dir.File(DirectoryLock.FileName)));
    }

    [Fact]
    public void A_lock_left_by_a_dead_process_is_taken_over_and_stale_temporary_files_are_removed()
    {
        using var dir = new TempDirectory();
        using (var exited = Process.Start(new ProcessStartInfo("true") { UseShellExecute = false })!)
        {
            exited.WaitForExit();
            File.WriteAllText(dir.File(DirectoryLock.FileName), exited.Id + "\n");
        }
        File.WriteAllText(dir.File(".epoch-0001.ckpt.safetensors.0123abcd.tmp"), "half a checkpoint");
        File.WriteAllText(dir.File(".model.safetensors.89abcdef.tmp"), "half a model");
        File.WriteAllText(dir.File("notes.tmp"), "not ours");

        var (code, output, error) = Train("--checkpoint-dir", dir.Path, "--out", dir.Path);

        Assert.True(code == 0, error);
        Assert.Contains($"Removed 2 temporary files of interrupted writes from {dir.Path}", output);
        Assert.Equal(["epoch-0001.ckpt.safetensors", "history.csv", "model.safetensors", "notes.tmp", "report.html"],
            Directory.EnumerateFiles(dir.Path).Select(Path.GetFileName).Order(StringComparer.Ordinal));
    }

    [Fact]
    public void A_new_run_into_a_directory_with_checkpoints_is_refused_unless_fresh()
    {
        using var dir = new TempDirectory();
        Assert.Equal(0, Train("--checkpoint-dir", dir.Path).Code);
        var before = Hashes(dir.Path);

        var (code, _, error) = Train("--checkpoint-dir", dir.Path, "--seed", "4");
        Assert.Equal(1, code);
        Assert.Equal($"dendrite: error: --checkpoint-dir {dir.Path} already holds 1 checkpoint (up to epoch-0001.ckpt.safetensors); " +
            "pass --resume to continue that run or --fresh to delete them and start over.", OneErrorLine(error));
        Assert.Equal(before, Hashes(dir.Path));

        (code, var output, error) = Train("--checkpoint-dir", dir.Path, "--seed", "4", "--fresh");
        Assert.True(code == 0, error);
        Assert.Contains($"--fresh: deleted 1 checkpoint from {dir.Path}", output);
        Assert.NotEqual(before, Hashes(dir.Path));
    }

    [Fact]
    public void Resume_refuses_another_runs_checkpoints_and_unasked_hyperparameter_changes()
    {
        using var dir = new TempDirectory();
        Assert.Equal(0, Train("--checkpoint-dir", dir.Path).Code);
        string checkpoint = dir.File(Checkpoint.FileName(1));
        string[] resume = ["train", "mnist-mlp", "--epochs", "2", "--checkpoint-dir", dir.Path, "--resume"];

        var (code, _, error) = CliRunner.Run([.. resume, "--train-samples", "256", "--seed", "4"]);
        Assert.Equal(1, code);
        Assert.Equal($"dendrite: error: --resume: {checkpoint} belongs to another run (seed 3 → 4); resume with that run's settings, " +
            "or start over with --fresh.", OneErrorLine(error));

        (code, _, error) = CliRunner.Run([.. resume, "--seed", "3", "--train-samples", "300"]);
        Assert.Contains("belongs to another run (data ", OneErrorLine(error));

        (code, _, error) = CliRunner.Run([.. resume, "--train-samples", "256", "--seed", "3", "--lr", "0.5", "--batch-size", "32"]);
        Assert.Equal(1, code);
        Assert.Equal("dendrite: error: --resume: changed hyperparameters (batch_size 128 → 32, lr 0.001 → 0.5) make the run differ " +
            "from an uninterrupted one; pass --override to continue with the new values, or drop the options.", OneErrorLine(error));
        Assert.False(File.Exists(dir.File(Checkpoint.FileName(2))));
    }

    [Fact]
    public void Resume_with_override_says_what_changed_in_one_line_and_trains_with_the_new_values()
    {
        using var dir = new TempDirectory();
        Assert.Equal(0, Train("--checkpoint-dir", dir.Path).Code);

        var (code, output, error) = CliRunner.Run(["train", "mnist-mlp", "--train-samples", "256", "--epochs", "2", "--seed", "3",
            "--checkpoint-dir", dir.Path, "--resume", "--override", "--lr", "0.0005"]);

        Assert.True(code == 0, error);
        Assert.Single(output.Split('\n'), l => l.StartsWith("--override: ", StringComparison.Ordinal));
        Assert.Contains("--override: continuing with changed hyperparameters: lr 0.001 → 0.0005", output);
        // The new learning rate is the one used (the epoch's logged lr), and the next checkpoint records it.
        var latest = dir.File(Checkpoint.FileName(2));
        var model = Dendrite.Cli.Presets.MnistMlp();
        var adam = new Dendrite.Optim.Adam(model.Parameters());
        var progress = Checkpoint.Load(latest, model, adam);
        Assert.Equal(0.0005, progress.History[^1]["lr"], 1e-9);
        Assert.Equal(0.0005f, adam.Lr);
        Assert.Equal("0.0005", Checkpoint.ReadRun(latest)!.Hyperparameters["lr"]);
    }

    [Fact]
    public void Export_model_turns_a_checkpoint_into_a_model_file_that_eval_scores()
    {
        using var dir = new TempDirectory();
        Assert.Equal(0, Train("--checkpoint-dir", dir.Path, "--out", dir.File("out")).Code);

        var (code, output, error) = CliRunner.Run("export", "model", dir.File(Checkpoint.FileName(1)), dir.File("from-checkpoint.safetensors"));

        Assert.True(code == 0, error);
        Assert.StartsWith($"Wrote {dir.File("from-checkpoint.safetensors")}: the model of ", output);
        Assert.Equal(SafeTensors.Load(dir.File("out/model.safetensors")).Keys.Order(), SafeTensors.Load(dir.File("from-checkpoint.safetensors")).Keys.Order());
        var fromRun = CliRunner.Run("eval", dir.File("out/model.safetensors"));
        var fromCheckpoint = CliRunner.Run("eval", dir.File("from-checkpoint.safetensors"));
        Assert.Equal(0, fromCheckpoint.Code);
        Assert.Equal(fromRun.Out.Split(" samples")[0], fromCheckpoint.Out.Split(" samples")[0]);

        (code, _, error) = CliRunner.Run("export", "model", dir.File("out/model.safetensors"), dir.File("x.safetensors"));
        Assert.Equal(1, code);
        Assert.Contains("not a checkpoint", OneErrorLine(error));
    }

    [Theory]
    [InlineData(new[] { "train", "mnist-mlp", "--epochs", "abc" }, "dendrite: --epochs: 'abc' is not an integer (see 'dendrite --help')")]
    [InlineData(new[] { "train", "mnist-mlp", "--lr", "fast" }, "dendrite: --lr: 'fast' is not a number (see 'dendrite --help')")]
    [InlineData(new[] { "train", "mnist-mlp", "--seed", "-1" }, "dendrite: --seed: '-1' is not a non-negative integer (see 'dendrite --help')")]
    public void An_option_value_of_the_wrong_type_is_a_usage_error_naming_option_value_and_type(string[] args, string expected)
    {
        var (code, _, error) = CliRunner.Run(args);
        Assert.Equal(2, code);
        Assert.Equal(expected, OneErrorLine(error));
    }

    [Theory]
    [InlineData("1e300")]
    [InlineData("0")]
    public void Gan_minutes_beyond_what_a_time_span_holds_are_refused(string minutes)
    {
        var (code, _, error) = CliRunner.Run("train", "mnist-gan", "--minutes", minutes, "--data", "/nonexistent");
        Assert.Equal(1, code);
        Assert.StartsWith("dendrite: error: --minutes must be a positive number below 1.5e10, got ", OneErrorLine(error));
    }

    [Fact]
    public void Control_characters_from_a_file_name_never_reach_the_terminal()
    {
        var (code, _, error) = CliRunner.Run("eval", "/nonexistent/\u0001bad\u001b[31mname.safetensors");
        Assert.Equal(1, code);
        string line = OneErrorLine(error);
        Assert.DoesNotContain(line, char.IsControl);
        Assert.Contains("\\u0001bad\\u001b[31mname.safetensors", line);
    }
}
