using Dendrite.Data;

namespace Dendrite.Cli;

/// <summary>
/// The MNIST directory a command reads: --data, else $DENDRITE_MNIST, else the data/mnist the tool package carries
/// beside its assembly (or a repository's, above the working directory). Each way it can be missing is said with the
/// option that fixes it.
/// </summary>
internal static class MnistData
{
    private static readonly string[] s_all = [Mnist.TrainImages, Mnist.TrainLabels, Mnist.TestImages, Mnist.TestLabels];

    /// <summary>The directory holding all four MNIST files.</summary>
    public static string Directory(string? dataOption) => Directory(dataOption, s_all);

    /// <summary>The directory holding <paramref name="files"/>, checked before any is read.</summary>
    /// <exception cref="DirectoryNotFoundException">No directory, or it does not exist.</exception>
    /// <exception cref="FileNotFoundException">One of <paramref name="files"/> is not in it.</exception>
    public static string Directory(string? dataOption, params string[] files)
    {
        string fromEnv = Environment.GetEnvironmentVariable("DENDRITE_MNIST") is { Length: > 0 } ? "$DENDRITE_MNIST" : "the default";
        string? dir = dataOption ?? Mnist.FindDirectory() ?? throw new DirectoryNotFoundException(
            "MNIST data not found: no data/mnist folder beside the tool or above the working directory, and $DENDRITE_MNIST is not set. " +
            "Pass --data DIR, a directory with the four MNIST IDX .gz files.");
        string source = dataOption is not null ? "--data" : fromEnv;
        if (!System.IO.Directory.Exists(dir))
            throw new DirectoryNotFoundException(dataOption is not null
                ? $"MNIST directory not found: {dir} (--data)."
                : $"MNIST directory not found: {dir} ({source}). Pass --data DIR, a directory with the four MNIST IDX .gz files.");
        foreach (string file in files)
        {
            string path = Path.Combine(dir, file);
            if (!File.Exists(path))
                throw new FileNotFoundException(
                    $"MNIST file not found: {path}; the directory given by {source} needs {string.Join(", ", files)}. Pass --data DIR to read another.", path);
        }
        return dir;
    }
}
