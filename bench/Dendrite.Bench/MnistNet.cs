using Dendrite.NN;

namespace Dendrite.Bench;

/// <summary>
/// PyTorch's examples/mnist <c>Net</c> written as a user writes a custom module, with no <see cref="Sequential"/>:
/// the W2 network, its convolution block through the public fused op. Benchmarked as w2m beside the W2 preset, and
/// checked by the tests (which compile this file) to train to the preset's bits.
/// </summary>
public sealed class MnistNet : Module
{
    private readonly Conv2d _conv1;
    private readonly Conv2d _conv2;
    private readonly Linear _fc1;
    private readonly Linear _fc2;

    public MnistNet()
    {
        _conv1 = AddModule("conv1", new Conv2d(1, 32, 3));
        _conv2 = AddModule("conv2", new Conv2d(32, 64, 3));
        _fc1 = AddModule("fc1", new Linear(9216, 128));
        _fc2 = AddModule("fc2", new Linear(128, 10));
    }

    public override Tensor Forward(Tensor input)
    {
        var x = _conv1.Call(input);
        // relu → conv2 → relu → max_pool2d(2) → dropout(0.25), as one op.
        x = F.Conv2dReluMaxPool2d(x, _conv2.Weight, _conv2.Bias, reluInput: true, dropout: 0.25f, training: Training);
        x = F.Flatten(x, 1);
        x = F.ReLU(_fc1.Call(x));
        x = F.Dropout(x, 0.5f, Training);
        return _fc2.Call(x);
    }
}
