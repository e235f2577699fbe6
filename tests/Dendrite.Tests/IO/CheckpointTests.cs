using Dendrite.Cli;
using Dendrite.IO;
using Dendrite.NN;
using Dendrite.Optim;
using Dendrite.Tests.TestSupport;
using Dendrite.Training;

namespace Dendrite.Tests.IO;

/// <summary>Checkpoints: model, optimiser, scheduler, RNG and progress saved atomically and restored exactly.</summary>
/// <remarks>
/// In the process-state collection, which runs alone: these runs seed and read the default generator, which tests running
/// in parallel would otherwise advance between the seed and its use.
/// </remarks>
[Collection(ProcessStateCollection.Name)]
public class CheckpointTests
{
    [Fact]
    public void Two_epochs_then_resume_one_equals_three_uninterrupted_bit_for_bit()
    {
        using var dir = new TempDirectory();
        var quiet = TextWriter.Null;
        var common = new MnistRunOptions(BatchSize: 50, TrainLimit: 600, TestLimit: 1000, Seed: 5);
        string straight = Path.Combine(dir.Path, "straight"), stopped = Path.Combine(dir.Path, "stopped");

        double straightAccuracy = MnistRun.Run(common with { Epochs = 3, OutDir = straight }, quiet);
        MnistRun.Run(common with { Epochs = 2, CheckpointDir = Path.Combine(stopped, "ckpt") }, quiet);
        var resumedOutput = new StringWriter();
        double resumedAccuracy = MnistRun.Run(common with { Epochs = 3, OutDir = stopped, CheckpointDir = Path.Combine(stopped, "ckpt"), Resume = true }, resumedOutput);

        Assert.Contains($"Resumed from {Path.Combine(stopped, "ckpt", "epoch-0002.ckpt.safetensors")}: epoch 2, step 24", resumedOutput.ToString());
        Assert.DoesNotContain("Epoch 2/3", resumedOutput.ToString());
        Assert.Contains("Epoch 3/3", resumedOutput.ToString());
        // Same weights to the bit: the saved model files are identical byte for byte.
        Assert.Equal(File.ReadAllBytes(Path.Combine(straight, "model.safetensors")), File.ReadAllBytes(Path.Combine(stopped, "model.safetensors")));
        Assert.Equal(straightAccuracy, resumedAccuracy);
        // The resumed run's history holds all three epochs, the first two from the checkpoint.
        var straightCsv = File.ReadAllLines(Path.Combine(straight, "history.csv"));
        var resumedCsv = File.ReadAllLines(Path.Combine(stopped, "history.csv"));
        Assert.Equal(4, resumedCsv.Length);
        Assert.Equal(WithoutTime(straightCsv), WithoutTime(resumedCsv));
        // The resumed run checkpointed epoch 3 too.
        Assert.EndsWith("epoch-0003.ckpt.safetensors", Checkpoint.FindLatest(Path.Combine(stopped, "ckpt")));
    }

    /// <summary>
    /// W2 (dropout: the default generator), mnist-best (batch-norm buffers, augmentation generator, AdamW, one-cycle
    /// schedule stepped per batch) and W3 (LSTM): a 3-epoch run whose epoch-3 checkpoint is lost, resumed from epoch 2, ends with the
    /// weights of the run that never stopped.
    /// </summary>
    [Theory]
    [InlineData("mnist-cnn")]
    [InlineData("mnist-best")]
    [InlineData("mnist-lstm")]
    public void Resuming_a_preset_from_epoch_2_of_3_is_bit_identical(string preset)
    {
        using var dir = new TempDirectory();
        var common = new MnistRunOptions(Model: preset, Epochs: 3, BatchSize: 32, TrainLimit: 192, TestLimit: 64, Seed: 4,
            CheckpointDir: Path.Combine(dir.Path, "ckpt"));
        string straight = Path.Combine(dir.Path, "straight"), resumed = Path.Combine(dir.Path, "resumed");

        MnistRun.Run(common with { OutDir = straight }, TextWriter.Null);
        File.Delete(Path.Combine(dir.Path, "ckpt", Checkpoint.FileName(3))); // as if the run had stopped after epoch 2
        var output = new StringWriter();
        MnistRun.Run(common with { OutDir = resumed, Resume = true }, output);

        Assert.Contains("epoch 2, step 12", output.ToString());
        Assert.Equal(File.ReadAllBytes(Path.Combine(straight, "model.safetensors")), File.ReadAllBytes(Path.Combine(resumed, "model.safetensors")));
    }

    private static string[] WithoutTime(string[] csv)
    {
        int time = Array.IndexOf(csv[0].Split(','), "time");
        return [.. csv.Select(line => string.Join(",", line.Split(',').Where((_, i) => i != time)))];
    }

    private static (Sequential Model, Sgd Optimizer, StepLR Scheduler) Setup()
    {
        var model = new Sequential(new Linear(3, 4, generator: new Generator(1)), new Tanh(), new Linear(4, 2, generator: new Generator(2)));
        var optimizer = new Sgd(model.Parameters(), lr: 0.1f, momentum: 0.9f, nesterov: true);
        return (model, optimizer, new StepLR(optimizer, stepSize: 1, gamma: 0.5f));
    }

    private static void TrainSteps(Module model, Optimizer optimizer, int steps, int seed)
    {
        var rng = new Generator((ulong)seed);
        for (int i = 0; i < steps; i++)
        {
            var x = Tensor.Randn(new Shape(5, 3), rng);
            var loss = F.MSELoss(model.Forward(x), Tensor.Zeros(5, 2));
            optimizer.ZeroGrad();
            loss.Backward();
            optimizer.Step();
        }
    }

    [Fact]
    public void Optimizer_scheduler_and_generator_state_round_trip_so_training_continues_identically()
    {
        using var dir = new TempDirectory();
        string path = dir.File("c.ckpt.safetensors");
        var (model, optimizer, scheduler) = Setup();
        TrainSteps(model, optimizer, 3, seed: 7);
        scheduler.Step();
        Torch.ManualSeed(99);
        Generator.Default.NextNormal(); // leaves a spare normal in the state: that must come back too
        var rngState = Generator.Default.GetState();
        Checkpoint.Save(path, model, optimizer, scheduler, new TrainingProgress(1, 3, [new Dictionary<string, double> { ["loss"] = 0.5 }]));
        TrainSteps(model, optimizer, 2, seed: 8);
        scheduler.Step();
        var expected = model.StateDict().ToDictionary(kv => kv.Key, kv => kv.Value.ToArray());

        Generator.Default.Reseed(1234);
        var (model2, optimizer2, scheduler2) = Setup();
        var progress = Checkpoint.Load(path, model2, optimizer2, scheduler2);
        Assert.Equal(rngState, Generator.Default.GetState());
        TrainSteps(model2, optimizer2, 2, seed: 8);
        scheduler2.Step();

        Assert.Equal((1, 3L), (progress.Epoch, progress.Step));
        Assert.Equal(0.5, progress.History[0]["loss"]);
        Assert.Equal(2, scheduler2.LastEpoch);
        Assert.Equal(optimizer.Lr, optimizer2.Lr);
        foreach (var (key, values) in expected) Assert.Equal(values, model2.StateDict()[key].ToArray());
    }

    [Fact]
    public void Loading_a_model_leaves_the_default_generator_where_it_was()
    {
        using var dir = new TempDirectory();
        string path = dir.File("m.safetensors");
        new Linear(50, 50).Save(path);
        var before = Generator.Default.GetState();

        ModelFile.Load(path);

        Assert.Equal(before, Generator.Default.GetState());
    }

    [Fact]
    public void A_checkpoint_for_another_optimiser_or_model_is_refused_by_name()
    {
        using var dir = new TempDirectory();
        string path = dir.File("c.ckpt.safetensors");
        var (model, optimizer, _) = Setup();
        TrainSteps(model, optimizer, 1, seed: 1);
        Checkpoint.Save(path, model, optimizer, null, new TrainingProgress(1, 1, []));

        var other = new Sequential(new Linear(3, 4), new Tanh(), new Linear(4, 2));
        var e1 = Assert.Throws<InvalidDataException>(() => Checkpoint.Load(path, other, new Adam(other.Parameters())));
        Assert.Contains("Sgd state, not Adam state", e1.Message);

        var wider = new Sequential(new Linear(3, 5), new Tanh(), new Linear(5, 2));
        var e2 = Assert.Throws<InvalidDataException>(() => Checkpoint.Load(path, wider, new Sgd(wider.Parameters())));
        Assert.Contains("shape mismatch for 0.weight: model [5, 3], file [4, 3]", e2.Message);
    }

    /// <summary>Passes writes through until <paramref name="limit"/> bytes, then fails as a full disk or a crash would.</summary>
    private sealed class FailingStream(Stream inner, long limit) : Stream
    {
        private long _written;
        public override bool CanRead => false;
        public override bool CanSeek => false;
        public override bool CanWrite => true;
        public override long Length => throw new NotSupportedException();
        public override long Position { get => _written; set => throw new NotSupportedException(); }
        public override void Flush() => inner.Flush();
        public override int Read(byte[] buffer, int offset, int count) => throw new NotSupportedException();
        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
        public override void SetLength(long value) => throw new NotSupportedException();
        public override void Write(byte[] buffer, int offset, int count) => Write(buffer.AsSpan(offset, count));

        public override void Write(ReadOnlySpan<byte> buffer)
        {
            int allowed = (int)Math.Min(buffer.Length, limit - _written);
            inner.Write(buffer[..allowed]);
            _written += allowed;
            if (allowed < buffer.Length) throw new IOException($"injected failure after {_written} bytes");
        }
    }

    [Fact]
    public void A_failure_midway_through_writing_a_checkpoint_leaves_the_previous_one_loadable_and_intact()
    {
        using var dir = new TempDirectory();
        string path = dir.File(Checkpoint.FileName(1));
        var (model, optimizer, scheduler) = Setup();
        TrainSteps(model, optimizer, 2, seed: 3);
        Checkpoint.Save(path, model, optimizer, scheduler, new TrainingProgress(1, 2, []));
        byte[] before = File.ReadAllBytes(path);
        var savedWeights = model.StateDict().ToDictionary(kv => kv.Key, kv => kv.Value.ToArray());

        TrainSteps(model, optimizer, 2, seed: 4);
        AtomicFile.WrapStreamForTests.Value = s => new FailingStream(s, before.Length / 2);
        try
        {
            var e = Assert.Throws<IOException>(() => Checkpoint.Save(path, model, optimizer, scheduler, new TrainingProgress(2, 4, [])));
            Assert.StartsWith("injected failure", e.Message);
        }
        finally
        {
            AtomicFile.WrapStreamForTests.Value = null;
        }

        Assert.Equal(before, File.ReadAllBytes(path));
        Assert.Equal([path], Directory.GetFiles(dir.Path)); // the half-written temporary file is gone
        var (fresh, freshOptimizer, freshScheduler) = Setup();
        var progress = Checkpoint.Load(path, fresh, freshOptimizer, freshScheduler);
        Assert.Equal(1, progress.Epoch);
        foreach (var (key, values) in savedWeights) Assert.Equal(values, fresh.StateDict()[key].ToArray());
    }

    [Fact]
    public void A_temporary_file_left_by_a_crash_is_not_taken_for_a_checkpoint()
    {
        using var dir = new TempDirectory();
        var (model, optimizer, _) = Setup();
        Checkpoint.Save(dir.File(Checkpoint.FileName(1)), model, optimizer, null, new TrainingProgress(1, 0, []));
        // What a process killed during the save of epoch 2 leaves behind: a partial temporary file beside the target.
        File.WriteAllBytes(dir.File("." + Checkpoint.FileName(2) + ".1a2b3c4d" + AtomicFile.TempSuffix), [1, 2, 3]);

        Assert.Equal(dir.File(Checkpoint.FileName(1)), Checkpoint.FindLatest(dir.Path));
        Assert.Null(Checkpoint.FindLatest(dir.File("nonexistent")));
    }

    [Fact]
    public void Sgd_momentum_buffers_not_yet_created_stay_absent()
    {
        using var dir = new TempDirectory();
        string path = dir.File("c.ckpt.safetensors");
        var model = new Linear(2, 2, generator: new Generator(1));
        var optimizer = new Sgd(model.Parameters(), lr: 0.1f); // no momentum: no buffer
        var x = Tensor.Ones(1, 2);
        model.Forward(x).Sum().Backward();
        optimizer.Step();
        Checkpoint.Save(path, model, optimizer, null, new TrainingProgress(1, 1, []));

        Assert.DoesNotContain(SafeTensors.Load(path).Keys, k => k.StartsWith("optimizer.", StringComparison.Ordinal));
        var model2 = new Linear(2, 2);
        var optimizer2 = new Sgd(model2.Parameters(), lr: 0.1f);
        Checkpoint.Load(path, model2, optimizer2);
        Assert.Equal(optimizer.State()[model.Weight].Step, optimizer2.State()[model2.Weight].Step);
        Assert.Null(optimizer2.State()[model2.Weight].Buffers[0]);
    }

    [Fact]
    public void Damaged_checkpoint_state_is_an_error_naming_the_file()
    {
        using var dir = new TempDirectory();
        string path = dir.File("c.ckpt.safetensors");
        var (model, optimizer, _) = Setup();
        Checkpoint.Save(path, model, optimizer, null, new TrainingProgress(1, 0, []));
        var (tensors, metadata) = SafeTensors.LoadWithMetadata(path);
        metadata[Checkpoint.MetadataKey] = metadata[Checkpoint.MetadataKey].Replace("\"rng\"", "\"rng_gone\"");
        SafeTensors.Save(path, tensors, metadata);

        var e = Assert.Throws<InvalidDataException>(() => Checkpoint.Load(path, model, optimizer));

        Assert.Equal($"{path}: malformed checkpoint state: missing \"rng\"", e.Message);
        Assert.Contains("not a checkpoint", Assert.Throws<InvalidDataException>(() =>
        {
            SafeTensors.Save(path, tensors);
            Checkpoint.Load(path, model, optimizer);
        }).Message);
    }
}
