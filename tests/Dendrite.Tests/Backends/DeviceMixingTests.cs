using Dendrite.NN;

namespace Dendrite.Tests.Backends;

/// <summary>ops run there, gradients come back through To, devices never mix.</summary>
public class DeviceMixingTests
{
    [Fact]
    public void An_op_given_tensors_on_two_devices_names_both()
    {
        var onCpu = Tensor.Ones(3);
        var onReference = Tensor.Ones(3).To(Device.Reference);

        var e = Assert.Throws<ArgumentException>(() => F.Add(onCpu, onReference));
        Assert.Contains("Add: expected all tensors on one device, but input is on cpu and other on reference",
            e.Message);
        Assert.Contains("To(device)", e.Message);

        e = Assert.Throws<ArgumentException>(() => F.MatMul(onReference, Tensor.Ones(3, 2)));
        Assert.Contains("MatMul: expected all tensors on one device, but a is on reference and b on cpu", e.Message);

        var layer = new Linear(3, 2);
        layer.To(Device.Reference);
        e = Assert.Throws<ArgumentException>(() => layer.Forward(Tensor.Ones(4, 3)));
        Assert.Contains("input is on cpu and weight on reference", e.Message);
    }

    [Fact]
    public void A_tensor_moved_to_the_reference_device_computes_there_and_its_gradient_comes_back()
    {
        // y = Σ 2x² over x = (1, 2, 3): y = 28, dy/dx = 4x.
        var x = Tensor.FromArray([1f, 2f, 3f], 3).RequireGrad();
        var moved = x.To(Device.Reference);
        var y = F.Sum(F.Mul(F.Mul(moved, moved), 2f));

        Assert.Same(Device.Reference, moved.Device);
        Assert.Same(Device.Reference, y.Device);
        Assert.Equal(28f, y.Item());
        y.Backward();
        Assert.Same(Device.Cpu, x.Grad!.Device);
        Assert.Equal([4f, 8f, 12f], x.Grad.ToArray());
        Assert.Equal("reference", Device.Reference.ToString());
        Assert.True(Device.Reference.IsHost);
    }
}
