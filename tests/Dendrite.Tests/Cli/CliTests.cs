using System.Globalization;
using Dendrite.Data;
using Dendrite.Tests.TestSupport;

namespace Dendrite.Tests.Cli;

/// <summary>
/// The <c>dendrite</c> command run in-process with Console.Out and Console.Error captured. A user error prints one line
/// on stderr, no stack trace, and exits non-zero.
/// </summary>
[Collection(ProcessStateCollection.Name)]
public class CliTests
{
    private static (int Code, string Out, string Error) Run(params string[] args) => CliRunner.Run(args);

    /// <summary>Exit code non-zero, exactly one line on stderr starting "dendrite:", no stack trace; returns that line.</summary>
    private static string AssertUserError(params string[] args)
    {
        var (code, _, error) = Run(args);
        Assert.NotEqual(0, code);
        Assert.EndsWith("\n", error);
        var lines = error.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.True(lines.Length == 1, $"expected one line on stderr, got {lines.Length}:\n{error}");
        Assert.StartsWith("dendrite: ", lines[0]);
        Assert.DoesNotContain("   at ", error);
        Assert.DoesNotContain("Exception", error);
        Assert.DoesNotContain("(Parameter '", error); // a C# parameter name means nothing on the command line
        return lines[0];
    }

    [Fact]
    public void An_unknown_model_name_lists_the_available_ones()
    {
        string line = AssertUserError("train", "nosuchmodel");
        Assert.Contains("unknown model \"nosuchmodel\"", line);
        Assert.Contains("mnist-mlp", line);
    }

    [Fact]
    public void An_option_value_that_does_not_parse_names_the_option_and_value()
    {
        string line = AssertUserError("train", "mnist-mlp", "--epochs", "abc");
        Assert.Contains("'abc'", line);
        Assert.Contains("--epochs", line);
    }

    [Theory]
    [InlineData("--epochs", "0", "--epochs must be at least 1, got 0.")]
    [InlineData("--batch-size", "0", "--batch-size must be at least 1, got 0.")]
    [InlineData("--lr", "-1", "--lr must be a positive number, got -1.")]
    public void An_out_of_range_option_value_says_what_is_allowed(string option, string value, string expected)
    {
        string line = AssertUserError("train", "mnist-mlp", option, value, "--data", "/nonexistent");
        Assert.Equal("dendrite: error: " + expected, line);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void A_thread_count_outside_the_machine_is_refused_before_training(bool tooMany)
    {
        string value = tooMany ? (2 * Environment.ProcessorCount + 1).ToString(CultureInfo.InvariantCulture) : "0";
        string line = AssertUserError("train", "mnist-mlp", "--threads", value, "--data", "/nonexistent");
        Assert.Equal($"dendrite: error: --threads must be between 1 and {2 * Environment.ProcessorCount} " +
            $"(this machine's {Environment.ProcessorCount} CPUs, twice over), got {value}.", line);
    }

    [Fact]
    public void A_missing_data_directory_is_named()
    {
        string line = AssertUserError("train", "mnist-mlp", "--data", "/nonexistent");
        Assert.Equal("dendrite: error: MNIST directory not found: /nonexistent (--data).", line);
    }

    [Fact]
    public void A_data_directory_without_the_files_names_the_missing_file()
    {
        using var dir = new TempDirectory();
        string line = AssertUserError("train", "mnist-mlp", "--data", dir.Path);
        Assert.Contains(Path.Combine(dir.Path, "train-images-idx3-ubyte.gz"), line);
        Assert.Contains("--data", line);
    }

    [Fact]
    public void Eval_needs_only_the_test_split_and_names_data_when_it_is_missing()
    {
        using var dir = new TempDirectory();
        File.WriteAllText(dir.File(Mnist.TrainImages), "never read: eval reads the test split only");
        string line = AssertUserError("eval", "/nonexistent/model.safetensors", "--data", dir.Path);
        Assert.Contains("/nonexistent/model.safetensors", line);   // the model is read first
        using var model = new TempDirectory();
        var saved = new Dendrite.NN.Sequential(new Dendrite.NN.Flatten(), new Dendrite.NN.Linear(784, 10));
        Dendrite.IO.ModelFile.Save(saved, model.File("m.safetensors"), new Shape(1, 28, 28));
        line = AssertUserError("eval", model.File("m.safetensors"), "--data", dir.Path);
        Assert.Equal($"dendrite: error: MNIST file not found: {dir.File(Mnist.TestImages)}; the directory given by --data needs " +
            $"{Mnist.TestImages}, {Mnist.TestLabels}. Pass --data DIR to read another.", line);
    }

    [Fact]
    public void A_missing_directory_from_the_environment_says_to_pass_data()
    {
        string? before = Environment.GetEnvironmentVariable("DENDRITE_MNIST");
        try
        {
            Environment.SetEnvironmentVariable("DENDRITE_MNIST", "/nonexistent-mnist");
            string line = AssertUserError("train", "mnist-mlp");
            Assert.Equal("dendrite: error: MNIST directory not found: /nonexistent-mnist ($DENDRITE_MNIST). " +
                "Pass --data DIR, a directory with the four MNIST IDX .gz files.", line);
        }
        finally
        {
            Environment.SetEnvironmentVariable("DENDRITE_MNIST", before);
        }
    }

    [Fact]
    public void A_corrupt_data_file_names_the_file_and_the_problem()
    {
        using var dir = new TempDirectory();
        foreach (var name in new[] { Mnist.TrainImages, Mnist.TrainLabels, Mnist.TestImages, Mnist.TestLabels })
            File.WriteAllText(dir.File(name), "not gzip");
        string line = AssertUserError("train", "mnist-mlp", "--data", dir.Path);
        Assert.Contains(dir.File("train-images-idx3-ubyte.gz"), line);
        Assert.Contains("not a valid gzip stream", line);
    }

    [Fact]
    public void An_unknown_command_is_named()
    {
        string line = AssertUserError("bogus");
        Assert.Contains("'bogus'", line);
    }

    [Fact]
    public void A_missing_model_argument_is_reported()
    {
        string line = AssertUserError("train");
        Assert.Contains("Required argument missing", line);
    }

    [Fact]
    public void Help_exits_zero_and_lists_the_commands()
    {
        var (code, output, error) = Run("--help");
        Assert.Equal(0, code);
        Assert.Empty(error);
        Assert.Contains("dendrite", output);
        Assert.Contains("train <model>", output);
        Assert.Contains("--help", output);
        Assert.Contains("--version", output);
    }

    [Fact]
    public void Summary_prints_the_table_before_the_data_is_read()
    {
        var (code, output, error) = Run("train", "mnist-mlp", "--summary", "--data", "/nonexistent");

        Assert.NotEqual(0, code);                      // no data: training cannot start
        Assert.StartsWith("Model: Sequential, input [1, 1, 28, 28]\n", output);
        Assert.Contains("1 (Linear)    [1, 512]      401,920\n", output);
        Assert.Contains("Total params: 669,706\n", output);
        Assert.StartsWith("dendrite: error: ", error);
    }

    [Fact]
    public void Viz_on_a_model_without_convolutions_is_refused_before_training()
    {
        // The check comes before the data is read, so a missing data directory is never reached.
        string line = AssertUserError("train", "mnist-mlp", "--viz", Path.GetTempPath(), "--data", "/nonexistent");
        Assert.Equal("dendrite: error: --viz draws convolution filters and feature maps, but mnist-mlp has no Conv2d layer.", line);
    }

    [Fact]
    public void Train_help_exits_zero_and_mentions_every_option()
    {
        var (code, output, error) = Run("train", "--help");
        Assert.Equal(0, code);
        Assert.Empty(error);
        foreach (var option in new[] { "--epochs", "--batch-size", "--lr", "--seed", "--out", "--data", "--summary", "--viz", "--threads", "--help" })
            Assert.Contains(option, output);
        Assert.Contains("mnist-mlp", output);
        Assert.Contains("mnist-cnn", output);
        Assert.Contains("default: the preset's", output);
    }
}
