using Dendrite.IO;
using Dendrite.NN;
using Dendrite.Tests.TestSupport;

namespace Dendrite.Tests.NN;

public class StateDictTests
{
    private static Sequential Model(ulong seed)
    {
        var g = new Generator(seed);
        return new Sequential(new Linear(3, 4, generator: g), new ReLU(), new Linear(4, 2, generator: g));
    }

    private static readonly Tensor s_input = Tensor.Randn(new Shape(5, 3), new Generator(99));

    [Fact]
    public void LoadStateDict_into_a_fresh_model_reproduces_its_outputs()
    {
        var trained = Model(1);
        var fresh = Model(2);
        Assert.NotEqual(trained.Forward(s_input).ToArray(), fresh.Forward(s_input).ToArray());

        var (missing, unexpected) = fresh.LoadStateDict(trained.StateDict());

        Assert.Empty(missing);
        Assert.Empty(unexpected);
        Assert.Equal(trained.Forward(s_input).ToArray(), fresh.Forward(s_input).ToArray());
    }

    [Fact]
    public void LoadStateDict_copies_values_rather_than_sharing_tensors()
    {
        var source = Model(1);
        var target = Model(2);
        target.LoadStateDict(source.StateDict());
        source.StateDict()["0.bias"].Data[0] += 1f;
        Assert.NotEqual(source.StateDict()["0.bias"][0], target.StateDict()["0.bias"][0]);
    }

    [Fact]
    public void A_state_dict_survives_a_safetensors_round_trip()
    {
        using var dir = new TempDirectory();
        var trained = Model(1);
        string path = dir.File("model.safetensors");
        SafeTensors.Save(path, trained.StateDict());

        var loaded = SafeTensors.Load(path);
        Assert.Equal(trained.StateDict().Keys.Order(), loaded.Keys.Order());
        var fresh = Model(3);
        fresh.LoadStateDict(loaded);
        Assert.Equal(trained.Forward(s_input).ToArray(), fresh.Forward(s_input).ToArray());
    }

    [Fact]
    public void Missing_keys_are_named()
    {
        var state = Model(1).StateDict().Where(kv => kv.Key != "2.bias").ToDictionary();
        var e = Assert.Throws<ArgumentException>(() => Model(2).LoadStateDict(state));
        Assert.Contains("missing keys 2.bias", e.Message);
        Assert.Contains("Sequential", e.Message);
    }

    [Fact]
    public void Unexpected_keys_are_named()
    {
        var state = Model(1).StateDict().ToDictionary();
        state["3.weight"] = Tensor.Zeros(2, 2);
        var e = Assert.Throws<ArgumentException>(() => Model(2).LoadStateDict(state));
        Assert.Contains("unexpected keys 3.weight", e.Message);
    }

    [Fact]
    public void Shape_mismatches_name_the_key_and_both_shapes_even_when_not_strict()
    {
        var state = Model(1).StateDict().ToDictionary();
        state["0.weight"] = Tensor.Zeros(3, 4);
        var target = Model(2);
        var before = target.StateDict()["0.weight"].ToArray();
        var e = Assert.Throws<ArgumentException>(() => target.LoadStateDict(state, strict: false));
        Assert.Contains("0.weight: expected [4, 3], got [3, 4]", e.Message);
        Assert.Equal(before, target.StateDict()["0.weight"].ToArray()); // nothing half-loaded
    }

    [Fact]
    public void Non_strict_loading_returns_missing_and_unexpected_keys_and_loads_the_rest()
    {
        var source = Model(1);
        var state = source.StateDict().Where(kv => kv.Key != "2.bias").ToDictionary();
        state["extra"] = Tensor.Zeros(1);
        var target = Model(2);
        var biasBefore = target.StateDict()["2.bias"].ToArray();

        var (missing, unexpected) = target.LoadStateDict(state, strict: false);

        Assert.Equal(["2.bias"], missing);
        Assert.Equal(["extra"], unexpected);
        Assert.Equal(source.StateDict()["0.weight"].ToArray(), target.StateDict()["0.weight"].ToArray());
        Assert.Equal(biasBefore, target.StateDict()["2.bias"].ToArray());
    }
}
