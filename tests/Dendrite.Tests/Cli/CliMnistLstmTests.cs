using Dendrite.Tests.TestSupport;

namespace Dendrite.Tests.Cli;

/// <summary><c>dendrite train mnist-lstm</c>: the W3 preset is reachable from the shell.</summary>
[Collection(ProcessStateCollection.Name)]
public class CliMnistLstmTests
{
    [Fact]
    public void Train_accepts_mnist_lstm_and_its_help_describes_it()
    {
        var (code, _, error) = Run("train", "mnist-lstm", "--data", "/nonexistent");
        Assert.Equal(1, code);
        Assert.Equal("dendrite: error: MNIST directory not found: /nonexistent (--data).", error.Trim());   // the model name passed

        var (helpCode, help, _) = Run("train", "--help");
        Assert.Equal(0, helpCode);
        Assert.Contains("mnist-lstm (W3: LSTM(28, 128) over the 28 rows of each image", help);
    }

    private static (int Code, string Out, string Error) Run(params string[] args) => CliRunner.Run(args);
}
