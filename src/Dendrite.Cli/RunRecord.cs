using System.Globalization;
using System.Runtime.InteropServices;
using System.Security.Cryptography;
using Dendrite.Data;
using Dendrite.IO;

namespace Dendrite.Cli;

/// <summary>
/// The run identity <c>dendrite train</c> records in its checkpoints, and the checks made with it: a resume refuses
/// another run's checkpoints and, unless --override, changed hyperparameters; a new run refuses a checkpoint directory
/// that holds checkpoints unless --fresh.
/// </summary>
internal static class RunRecord
{
    /// <summary>
    /// Model, seed and training data (count and a fingerprint) make the run; learning rate and batch size are its
    /// hyperparameters, and so is the epoch count when a one-cycle schedule spans it.
    /// </summary>
    public static RunIdentity Of(MnistRunOptions options, int epochs, int batchSize, float lr, Preset preset, IDataset train) =>
        Of(options.Model, options.Seed, epochs, batchSize, lr, preset.OneCycle, train);

    /// <summary>
    /// The identity of a run of <paramref name="model"/> (a preset name, or a run file and its model); the data is
    /// fingerprinted without augmentation (<see cref="TransformedDataset.Inner"/>), so reading it draws no random number.
    /// </summary>
    public static RunIdentity Of(string model, ulong seed, int epochs, int batchSize, float lr, bool oneCycle, IDataset train)
    {
        var identity = new Dictionary<string, string>
        {
            ["model"] = model,
            ["seed"] = seed.ToString(CultureInfo.InvariantCulture),
            ["train_samples"] = train.Count.ToString(CultureInfo.InvariantCulture),
            ["data"] = Fingerprint(train is TransformedDataset augmented ? augmented.Inner : train),
        };
        var hyperparameters = new Dictionary<string, string>
        {
            ["lr"] = lr.ToString("R", CultureInfo.InvariantCulture),
            ["batch_size"] = batchSize.ToString(CultureInfo.InvariantCulture),
        };
        if (oneCycle) hyperparameters["epochs"] = epochs.ToString(CultureInfo.InvariantCulture);
        return new RunIdentity(identity, hyperparameters);
    }

    /// <summary>
    /// A cheap fingerprint of a dataset: SHA-256 over its size and its first and last samples, first 16 hex digits.
    /// Another data directory, subset or preprocessing changes it; reading two samples costs nothing.
    /// </summary>
    public static string Fingerprint(IDataset data)
    {
        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        hash.AppendData(BitConverter.GetBytes(data.Count));
        foreach (int i in data.Count == 0 ? [] : new[] { 0, data.Count - 1 })
        {
            var (input, target) = data[i];
            hash.AppendData(MemoryMarshal.AsBytes(input.ToArray().AsSpan()));
            hash.AppendData(MemoryMarshal.AsBytes(target.ToArray().AsSpan()));
        }
        return Convert.ToHexStringLower(hash.GetHashAndReset())[..16];
    }

    /// <summary>
    /// Refuses <paramref name="checkpoint"/> when another run wrote it, and its hyperparameters when they changed and
    /// <paramref name="allowChanges"/> is false; returns the changes allowed ("lr 0.001 → 0.5").
    /// </summary>
    public static IReadOnlyList<string> CheckResume(string checkpoint, RunIdentity run, bool allowChanges)
    {
        var saved = Checkpoint.ReadRun(checkpoint)
            ?? throw new InvalidDataException($"--resume: {checkpoint} records no run (seed, model, data), so it cannot be told from another run's; " +
                "start over with --fresh.");
        var others = saved.IdentityDifferences(run);
        if (others.Count > 0)
            throw new InvalidDataException($"--resume: {checkpoint} belongs to another run ({string.Join(", ", others)}); " +
                "resume with that run's settings, or start over with --fresh.");
        var changes = saved.HyperparameterChanges(run);
        if (changes.Count > 0 && !allowChanges)
            throw new ArgumentException($"--resume: changed hyperparameters ({string.Join(", ", changes)}) make the run differ from an " +
                "uninterrupted one; pass --override to continue with the new values, or drop the options.");
        return changes;
    }

    /// <summary>
    /// A new run writes epoch 1, 2, … into <paramref name="directory"/>; checkpoints already there (another run's, or an
    /// earlier attempt's) would mix with them. Refused unless <paramref name="fresh"/>, which deletes them.
    /// </summary>
    public static void ClaimForNewRun(string directory, bool fresh, TextWriter output)
    {
        var existing = Checkpoint.FindAll(directory);
        if (existing.Count == 0) return;
        if (!fresh)
            throw new IOException($"--checkpoint-dir {directory} already holds {existing.Count} checkpoint{(existing.Count == 1 ? "" : "s")} " +
                $"(up to {Path.GetFileName(existing[^1])}); pass --resume to continue that run or --fresh to delete them and start over.");
        foreach (string path in existing) File.Delete(path);
        output.WriteLine($"--fresh: deleted {existing.Count} checkpoint{(existing.Count == 1 ? "" : "s")} from {directory}");
    }
}
