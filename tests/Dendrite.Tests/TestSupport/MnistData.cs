using Dendrite.Data;

namespace Dendrite.Tests.TestSupport;

/// <summary>The vendored MNIST (data/mnist), read once per test run and shared: decoding it takes about a second.</summary>
public static class MnistData
{
    private static readonly Lazy<(TensorDataset Train, TensorDataset Test)> s_data = new(() => Mnist.Load());

    public static TensorDataset Train => s_data.Value.Train;
    public static TensorDataset Test => s_data.Value.Test;
}
