using Dendrite.IO;
using Dendrite.Onnx;

namespace Dendrite.PluginSample;

/// <summary>Registers <see cref="ScaledTanh"/> for model files and for ONNX export (Tanh, then Mul by α).</summary>
public sealed class SamplePlugin : IDendritePlugin
{
    public void Register()
    {
        Architecture.Register<ScaledTanh>("ScaledTanh", m => new() { ["init"] = m.Init }, c => new ScaledTanh(c.Float("init")));
        OnnxExport.Register<ScaledTanh>((m, g, x) => g.Node("Mul", [g.Node("Tanh", [x.Name]), g.Initializer("alpha", m.Alpha)]));
    }
}
