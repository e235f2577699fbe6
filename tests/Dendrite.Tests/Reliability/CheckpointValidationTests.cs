using Dendrite.IO;
using Dendrite.NN;
using Dendrite.Optim;
using Dendrite.Tests.TestSupport;
using Dendrite.Training;

namespace Dendrite.Tests.Reliability;

/// <summary>
/// Issue 20's resumes that lied: a checkpoint is validated whole before anything is restored (finite tensors, known
/// keys, hyperparameters in range, random generator words that parse), and never written with NaN weights.
/// </summary>
public class CheckpointValidationTests
{
    private static (Sequential Model, Adam Optimizer) Setup()
    {
        var model = new Sequential(new Linear(3, 4, generator: new Generator(1)), new Tanh(), new Linear(4, 2, generator: new Generator(2)));
        var optimizer = new Adam(model.Parameters(), lr: 0.01f);
        var loss = F.MSELoss(model.Forward(Tensor.Ones(5, 3)), Tensor.Zeros(5, 2));
        loss.Backward();
        optimizer.Step();
        return (model, optimizer);
    }

    /// <summary>A checkpoint of <see cref="Setup"/>'s state, then <paramref name="damage"/> applied to its tensors and JSON state.</summary>
    private static string Damaged(TempDirectory dir, Action<Dictionary<string, Tensor>> tensors, Func<string, string> json)
    {
        string path = dir.File("c.ckpt.safetensors");
        var (model, optimizer) = Setup();
        Checkpoint.Save(path, model, optimizer, null, new TrainingProgress(1, 1, []),
            run: new RunIdentity(new Dictionary<string, string> { ["seed"] = "1" }, new Dictionary<string, string> { ["lr"] = "0.01" }));
        var (saved, metadata) = SafeTensors.LoadWithMetadata(path);
        tensors(saved);
        metadata[Checkpoint.MetadataKey] = json(metadata[Checkpoint.MetadataKey]);
        SafeTensors.Save(path, saved, metadata);
        return path;
    }

    private static string LoadError(string path)
    {
        var (model, optimizer) = Setup();
        return Assert.Throws<InvalidDataException>(() => Checkpoint.Load(path, model, optimizer)).Message;
    }

    [Fact]
    public void A_negative_learning_rate_in_the_file_is_refused_not_trained_with()
    {
        using var dir = new TempDirectory();
        string path = Damaged(dir, _ => { }, j => j.Replace("\"lr\":0.01", "\"lr\":-5"));
        var (model, optimizer) = Setup();
        model.StateDict()["0.weight"].Data.Fill(7f);
        var e = Assert.Throws<InvalidDataException>(() => Checkpoint.Load(path, model, optimizer));
        Assert.Equal($"{path}: parameter group 0's lr is -5; it must be a finite number above 0.", e.Message);
        Assert.All(model.StateDict()["0.weight"].ToArray(), v => Assert.Equal(7f, v));   // refused before anything was restored
        Assert.Equal(0.01f, optimizer.Lr);
    }

    [Theory]
    [InlineData("\"weight_decay\":0", "\"weight_decay\":-1", "parameter group 0's weight_decay is -1; it must be a finite number of at least 0.")]
    [InlineData("\"epoch\":1", "\"epoch\":-1", "epoch -1 and step 1 must not be negative.")]
    [InlineData("\"steps\":[1,1,1,1]", "\"steps\":[1,-3,1,1]", "parameter 1 of group 0 has step count -3.")]
    public void Out_of_range_state_is_refused_naming_the_field(string from, string to, string expected)
    {
        using var dir = new TempDirectory();
        string path = Damaged(dir, _ => { }, j => j.Contains(from) ? j.Replace(from, to) : throw new InvalidOperationException(j));
        Assert.Equal($"{path}: {expected}", LoadError(path));
    }

    [Fact]
    public void A_random_generator_word_of_17_hex_digits_is_a_clear_error_not_an_overflow()
    {
        using var dir = new TempDirectory();
        string path = Damaged(dir, _ => { }, j =>
        {
            int start = j.IndexOf("\"default\":[\"", StringComparison.Ordinal) + "\"default\":[\"".Length;
            return j[..start] + "1" + j[start..];
        });
        string message = LoadError(path);
        Assert.StartsWith($"{path}: malformed checkpoint state: random generator \"default\" word 0 is not a 64-bit hex number (1 to 16 hex digits): \"1", message);
    }

    [Fact]
    public void An_unknown_tensor_is_refused_not_ignored()
    {
        using var dir = new TempDirectory();
        string path = Damaged(dir, t => t["optimizer.0.9.0"] = Tensor.Zeros(2), j => j);
        Assert.StartsWith($"{path}: unknown tensor \"optimizer.0.9.0\"", LoadError(path));
        path = Damaged(dir, t => t["extra"] = Tensor.Zeros(2), j => j);
        Assert.StartsWith($"{path}: unknown tensor \"extra\"", LoadError(path));
    }

    [Fact]
    public void A_tensor_holding_NaN_is_refused_and_the_model_is_left_untouched()
    {
        using var dir = new TempDirectory();
        string path = Damaged(dir, t => t["optimizer.0.0.1"].Data[2] = float.NaN, j => j);
        var (model, optimizer) = Setup();
        var before = model.StateDict().ToDictionary(kv => kv.Key, kv => kv.Value.ToArray());
        model.StateDict()["0.weight"].Data.Fill(7f);
        var e = Assert.Throws<InvalidDataException>(() => Checkpoint.Load(path, model, optimizer));
        Assert.Equal($"{path}: tensor \"optimizer.0.0.1\" holds NaN or infinity.", e.Message);
        Assert.All(model.StateDict()["0.weight"].ToArray(), v => Assert.Equal(7f, v));
        Assert.NotEmpty(before);
    }

    [Fact]
    public void A_model_holding_NaN_is_never_checkpointed_and_the_previous_file_stays()
    {
        using var dir = new TempDirectory();
        string path = dir.File("c.ckpt.safetensors");
        var (model, optimizer) = Setup();
        Checkpoint.Save(path, model, optimizer, null, new TrainingProgress(1, 1, []));
        byte[] good = File.ReadAllBytes(path);
        model.StateDict()["2.bias"].Data[1] = float.PositiveInfinity;

        var e = Assert.Throws<TrainingDivergedException>(() => Checkpoint.Save(path, model, optimizer, null, new TrainingProgress(2, 7, [])));

        Assert.Equal($"{path}: not saved: \"2.bias\" holds NaN or infinity after epoch 2, step 7.", e.Message);
        Assert.Equal(good, File.ReadAllBytes(path));
    }

    [Fact]
    public void The_run_identity_round_trips_and_names_what_differs()
    {
        using var dir = new TempDirectory();
        string path = Damaged(dir, _ => { }, j => j);
        var run = Checkpoint.ReadRun(path)!;
        Assert.Equal("1", run.Identity["seed"]);
        var other = new RunIdentity(new Dictionary<string, string> { ["seed"] = "2" }, new Dictionary<string, string> { ["lr"] = "0.5", ["batch_size"] = "8" });
        Assert.Equal(["seed 1 → 2"], run.IdentityDifferences(other));
        Assert.Equal(["batch_size (none) → 8", "lr 0.01 → 0.5"], run.HyperparameterChanges(other));
        Assert.Empty(run.IdentityDifferences(run));
    }

    [Fact]
    public void Load_model_rebuilds_the_checkpointed_model_with_its_weights()
    {
        using var dir = new TempDirectory();
        string path = Damaged(dir, _ => { }, j => j);
        var (model, _) = Setup();
        var rebuilt = Checkpoint.LoadModel(path);
        Assert.Equal(model.StateDict()["2.weight"].ToArray(), rebuilt.StateDict()["2.weight"].ToArray());
    }

    [Fact]
    public void The_divergence_guard_stops_on_a_running_loss_above_its_limit_and_on_non_finite_weights()
    {
        var (model, _) = Setup();
        var guard = new DivergenceGuard(model, lossLimit: 10);
        guard.OnEpochBegin(3, 5, 8);
        guard.OnBatchEnd(1, 4, new Dictionary<string, double> { ["loss"] = 9.5 });
        var e = Assert.Throws<TrainingDivergedException>(() => guard.OnBatchEnd(2, 8, new Dictionary<string, double> { ["loss"] = 11 }));
        Assert.StartsWith("training diverged at epoch 3, step 2 (of 8): the running loss reached 11, above the limit 10;", e.Message);
        Assert.Throws<TrainingDivergedException>(() => guard.OnBatchEnd(3, 12, new Dictionary<string, double> { ["loss"] = double.NaN }));
        Assert.Equal(3, guard.Steps);

        guard.OnEpochEnd(3, new Dictionary<string, double>());   // finite weights pass
        model.StateDict()["0.bias"].Data[0] = float.NaN;
        e = Assert.Throws<TrainingDivergedException>(() => guard.OnEpochEnd(3, new Dictionary<string, double>()));
        Assert.StartsWith("training diverged at epoch 3, step 3 (of 8): \"0.bias\" holds NaN or infinity;", e.Message);
    }

    [Theory]
    [InlineData("cpu")]
    [InlineData("reference")]
    public void The_finiteness_check_runs_on_each_backend(string deviceName)
    {
        var device = TestDevices.Named(deviceName);
        var t = Tensor.FromArray([1f, -2f, float.MaxValue, float.MinValue], 4).To(device);
        Assert.True(ParameterCheck.IsFinite(t));
        foreach (float bad in new[] { float.NaN, float.PositiveInfinity, float.NegativeInfinity })
            Assert.False(ParameterCheck.IsFinite(Tensor.FromArray([1f, bad, 3f], 3).To(device)));
    }
}
