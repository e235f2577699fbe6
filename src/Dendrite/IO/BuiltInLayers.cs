using System.Text.Json.Nodes;
using Dendrite.NN;

namespace Dendrite.IO;

/// <summary>
/// How each built-in layer describes itself as JSON and is rebuilt: one registration per layer, keys named as
/// PyTorch's constructor arguments. A new layer type adds one line here (and one in Dendrite.Onnx's OnnxExporters for
/// ONNX export); the save/load table test fails until it also has a row there.
/// </summary>
internal static class BuiltInLayers
{
    internal static void RegisterAll()
    {
        Architecture.RegisterContainer<Sequential>("Sequential", _ => [], (_, children) => new Sequential([.. children.Select(c => c.Module)]));
        Architecture.Register<Identity>("Identity", _ => [], _ => new Identity());
        Architecture.Register<Flatten>("Flatten", m => new() { ["start_dim"] = m.StartDim, ["end_dim"] = m.EndDim },
            c => new Flatten(c.Int("start_dim", 1), c.Int("end_dim", -1)));
        Architecture.Register<Linear>("Linear", m => new() { ["in_features"] = m.In, ["out_features"] = m.Out, ["bias"] = m.Bias is not null },
            c => new Linear(c.Int("in_features"), c.Int("out_features"), c.Bool("bias", true)));

        Architecture.Register<ReLU>("ReLU", _ => [], _ => new ReLU());
        Architecture.Register<Sigmoid>("Sigmoid", _ => [], _ => new Sigmoid());
        Architecture.Register<Tanh>("Tanh", _ => [], _ => new Tanh());
        Architecture.Register<SiLU>("SiLU", _ => [], _ => new SiLU());
        Architecture.Register<LeakyReLU>("LeakyReLU", m => new() { ["negative_slope"] = m.NegativeSlope },
            c => new LeakyReLU(c.Float("negative_slope", 0.01f)));
        Architecture.Register<ELU>("ELU", m => new() { ["alpha"] = m.Alpha }, c => new ELU(c.Float("alpha", 1f)));
        Architecture.Register<Softplus>("Softplus", m => new() { ["beta"] = m.Beta, ["threshold"] = m.Threshold },
            c => new Softplus(c.Float("beta", 1f), c.Float("threshold", 20f)));
        Architecture.Register<GELU>("GELU", m => new() { ["approximate"] = m.Approximate }, c => new GELU(c.String("approximate", "none")));
        Architecture.Register<Softmax>("Softmax", m => new() { ["dim"] = m.Dim }, c => new Softmax(c.Int("dim", -1)));
        Architecture.Register<LogSoftmax>("LogSoftmax", m => new() { ["dim"] = m.Dim }, c => new LogSoftmax(c.Int("dim", -1)));
        Architecture.Register<Maxout>("Maxout", m => new() { ["pool_size"] = m.PoolSize, ["dim"] = m.Dim },
            c => new Maxout(c.Int("pool_size"), c.Int("dim", -1)));
    }
}
