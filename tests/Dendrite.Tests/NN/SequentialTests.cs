using Dendrite.NN;

namespace Dendrite.Tests.NN;

public class SequentialTests
{
    [Fact]
    public void Parameters_are_named_by_position_as_in_PyTorch()
    {
        var g = new Generator(1);
        var model = new Sequential(new Linear(4, 3, generator: g), new ReLU(), new Linear(3, 2, generator: g),
            new Linear(2, 1, bias: false, generator: g));
        Assert.Equal(["0.weight", "0.bias", "2.weight", "2.bias", "3.weight"], model.NamedParameters().Select(p => p.Name));
        Assert.Equal(["0.weight", "0.bias", "2.weight", "2.bias", "3.weight"], model.StateDict().Keys);
        Assert.Equal(new Shape(3, 4), model.StateDict()["0.weight"].Shape);
        Assert.Equal(4 * 3 + 3 + 3 * 2 + 2 + 2, model.Parameters().Sum(p => p.Numel));
    }

    [Fact]
    public void Nested_sequentials_join_names_with_dots()
    {
        var g = new Generator(1);
        var model = new Sequential(new Flatten(), new Sequential(new Linear(4, 3, generator: g), new Tanh()),
            new Linear(3, 2, generator: g));
        Assert.Equal(["1.0.weight", "1.0.bias", "2.weight", "2.bias"], model.NamedParameters().Select(p => p.Name));
    }

    [Fact]
    public void Forward_applies_layers_in_order()
    {
        // Linear(2 → 1) with W = [1, −1], b = 0, then ReLU: relu(x0 − x1).
        var linear = new Linear(2, 1, generator: new Generator(1));
        Init.Constant(linear.Weight, 1f);
        linear.Weight.Data[1] = -1f;
        Init.Zeros(linear.Bias!);
        var model = new Sequential(linear, new ReLU());
        var y = model.Forward(Tensor.FromArray([3f, 1f, 1f, 3f], 2, 2));
        Assert.Equal(new Shape(2, 1), y.Shape);
        Assert.Equal([2f, 0f], y.ToArray());
    }

    [Fact]
    public void Train_and_Eval_propagate_to_every_descendant()
    {
        var inner = new Sequential(new ReLU(), new Linear(2, 2, generator: new Generator(1)));
        var model = new Sequential(new Flatten(), inner);
        Assert.All(model.Modules(), m => Assert.True(m.Training));

        model.Eval();
        Assert.Equal(5, model.Modules().Count()); // itself, Flatten, inner, ReLU, Linear
        Assert.All(model.Modules(), m => Assert.False(m.Training));

        model.Train();
        Assert.All(model.Modules(), m => Assert.True(m.Training));
        model.Train(false);
        Assert.False(inner[1].Training);
    }
}
