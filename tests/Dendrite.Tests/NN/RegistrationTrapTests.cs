using Dendrite.NN;
using Dendrite.Optim;
using Dendrite.Training;

namespace Dendrite.Tests.NN;

/// <summary>The traps of issue 18: a layer called through Forward, a layer never registered, double hyperparameters.</summary>
public class RegistrationTrapTests
{
    /// <summary>fc1 registered and called through Forward; fc3 assigned but never registered.</summary>
    private sealed class Net : Module
    {
        private readonly Linear _fc1;
        private readonly ReLU _relu = new();
        public Linear Fc3 { get; }

        public Net()
        {
            _fc1 = AddModule("fc1", new Linear(4, 3));
            AddModule("relu", _relu);
            Fc3 = new Linear(3, 2);
        }

        public override Tensor Forward(Tensor input) => Fc3.Forward(_relu.Call(_fc1.Forward(input)));
    }

    [Fact]
    public void A_child_called_through_Forward_still_has_its_row_in_the_summary()
    {
        var summary = new Net().Summary(5, 4);
        Assert.Equal(["fc1", "relu"], summary.Rows.Select(r => r.Name));
        var fc1 = summary.Rows[0];
        Assert.True(fc1.CalledThroughForward);
        Assert.Equal(new Shape(5, 3), fc1.OutputShape);
        Assert.Equal(15, fc1.Parameters);
        Assert.False(summary.Rows[1].CalledThroughForward);
        Assert.Contains("fc1 (Linear)*", summary.ToString());
        Assert.Contains("called through Forward", summary.ToString());
    }

    [Fact]
    public void An_unregistered_layer_field_is_reported_once_by_name()
    {
        var net = new Net();
        var messages = net.UnregisteredModules();
        var message = Assert.Single(messages);
        Assert.StartsWith("Net.Fc3 holds a Linear that is not registered", message);
        Assert.Contains("AddModule(\"Fc3\"", message);
        Assert.Contains("Warning: Net.Fc3 holds a Linear", net.Summary(1, 4).ToString());

        var output = new StringWriter();
        var data = new Dendrite.Data.TensorDataset(Tensor.Ones(4, 4), Tensor.FromArray([0f, 1f, 0f, 1f], 4));
        net.Fit(data, new Sgd(net.Parameters(), lr: 0.1), Losses.CrossEntropy, verbose: false, output: output);
        net.Fit(data, new Sgd(net.Parameters(), lr: 0.1), Losses.CrossEntropy, verbose: false, output: output);
        Assert.Single(output.ToString().Split('\n'), line => line.Contains("Net.Fc3"));
        Assert.Empty(new Sequential(new Linear(2, 2)).UnregisteredModules());
    }

    [Fact]
    public void Hyperparameters_take_double_literals_and_keep_float_updates_bit_for_bit()
    {
        float Run(Func<IReadOnlyList<Parameter>, Optimizer> make)
        {
            var p = new Parameter(Tensor.FromArray([0.5f, -1.25f], 2));
            var opt = make([p]);
            for (int i = 0; i < 3; i++)
            {
                p.Grad = Tensor.FromArray([0.3f, -0.7f], 2);
                opt.Step();
            }
            return p.ToArray()[0] + 1000 * p.ToArray()[1];
        }
        Assert.Equal(Run(ps => new Adam(ps, lr: 1e-3f, beta1: 0.8f, weightDecay: 0.01f)), Run(ps => new Adam(ps, lr: 0.001, beta1: 0.8, weightDecay: 0.01)));
        Assert.Equal(Run(ps => new Sgd(ps, lr: 0.1f, momentum: 0.9f, nesterov: true)), Run(ps => new Sgd(ps, lr: 0.1, momentum: 0.9, nesterov: true)));
        Assert.Equal(Run(ps => new RmsProp(ps, lr: 0.01f, alpha: 0.9f)), Run(ps => new RmsProp(ps, lr: 0.01, alpha: 0.9)));
        Assert.Equal(Run(ps => new AdamW(ps, lr: 0.003f)), Run(ps => new AdamW(ps, lr: 0.003)));
        Assert.Equal(0.3f, new Dropout(0.3).P);
        Assert.Equal(0.2f, new LeakyReLU(0.2).NegativeSlope);
    }
}
