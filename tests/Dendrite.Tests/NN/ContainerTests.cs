using Dendrite.NN;
using Dendrite.Optim;

namespace Dendrite.Tests.NN;

/// <summary>ModuleList and ModuleDict: registration under PyTorch's names, and the parameters reaching the optimiser.</summary>
public class ContainerTests
{
    /// <summary>A model in PyTorch's habit: a list of blocks and a dictionary of heads, called by its own Forward.</summary>
    private sealed class Tower : Module
    {
        private readonly ModuleList _blocks;
        private readonly ModuleDict _heads;

        public Tower()
        {
            _blocks = AddModule("blocks", new ModuleList(new Linear(4, 4, generator: new Generator(1)), new Linear(4, 4, generator: new Generator(2))));
            _blocks.Add(new Tanh());
            _heads = AddModule("heads", new ModuleDict { { "classifier", new Linear(4, 3, generator: new Generator(3)) } });
            _heads.Add("regressor", new Linear(4, 1, bias: false, generator: new Generator(4)));
        }

        public override Tensor Forward(Tensor input)
        {
            var x = input;
            foreach (var block in _blocks) x = block.Call(x);
            return F.Add(F.Sum(_heads["classifier"].Call(x), 1, keepDim: true), _heads["regressor"].Call(x));
        }
    }

    [Fact]
    public void Children_are_named_as_in_pytorchs_state_dict()
    {
        var model = new Tower();
        Assert.Equal(
            ["blocks.0.weight", "blocks.0.bias", "blocks.1.weight", "blocks.1.bias", "heads.classifier.weight", "heads.classifier.bias",
                "heads.regressor.weight"],
            model.StateDict().Keys);
        Assert.Equal(7, model.Parameters().Count);
    }

    [Fact]
    public void Parameters_in_the_containers_train()
    {
        var model = new Tower();
        var before = model.StateDict().ToDictionary(kv => kv.Key, kv => kv.Value.ToArray());
        var optimizer = new Sgd(model.Parameters(), lr: 0.1f);
        var loss = F.Sum(F.Pow(model.Forward(Tensor.Randn(new Shape(5, 4), new Generator(1))), 2f));
        optimizer.ZeroGrad();
        loss.Backward();
        optimizer.Step();
        foreach (var (name, tensor) in model.StateDict())
            Assert.False(before[name].SequenceEqual(tensor.ToArray()), $"{name} did not change");
    }

    [Fact]
    public void Summary_shows_the_children_called_through_the_containers()
    {
        var summary = new Tower().Summary(2, 4);
        Assert.Equal(["blocks.0", "blocks.1", "blocks.2", "heads.classifier", "heads.regressor"], summary.Rows.Select(r => r.Name));
        Assert.Equal([2, 2, 2, 2, 2], summary.Rows.Select(r => r.Depth));
        Assert.Equal(20 + 20 + 15 + 4, summary.TotalParameters);
    }

    [Fact]
    public void Lists_index_count_and_enumerate_like_pythons()
    {
        var first = new Linear(2, 2);
        var last = new ReLU();
        var list = new ModuleList(first).AddRange([new Tanh(), last]);
        Assert.Equal(3, list.Count);
        Assert.Same(first, list[0]);
        Assert.Same(last, list[-1]);
        Assert.Equal(new Module[] { first, list[1], last }, list);
        Assert.Contains("index 3 is out of range for 3 modules", Assert.Throws<ArgumentOutOfRangeException>(() => list[3]).Message);
        list.Eval();
        Assert.All(list, m => Assert.False(m.Training));
    }

    [Fact]
    public void Dictionaries_keep_insertion_order_and_name_what_is_missing()
    {
        var dict = new ModuleDict { { "b", new ReLU() }, { "a", new Tanh() } };
        Assert.Equal(["b", "a"], dict.Keys);
        Assert.Equal(["b", "a"], dict.Select(kv => kv.Key));
        Assert.True(dict.ContainsKey("a"));
        Assert.IsType<Tanh>(dict["a"]);
        var e = Assert.Throws<KeyNotFoundException>(() => dict["c"]);
        Assert.Equal("ModuleDict: no module named \"c\"; it holds b, a.", e.Message);
        Assert.Throws<ArgumentException>(() => dict.Add("a", new ReLU()));
        Assert.Throws<ArgumentException>(() => dict.Add("x.y", new ReLU()));
    }

    [Fact]
    public void Containers_have_no_forward_of_their_own()
    {
        var e = Assert.Throws<NotSupportedException>(() => new ModuleList(new ReLU()).Forward(Tensor.Ones(2)));
        Assert.StartsWith("ModuleList is a container, call its children", e.Message);
        e = Assert.Throws<NotSupportedException>(() => new ModuleDict().Call(Tensor.Ones(2)));
        Assert.StartsWith("ModuleDict is a container, call its children", e.Message);
    }
}
