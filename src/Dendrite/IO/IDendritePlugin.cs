namespace Dendrite.IO;

/// <summary>
/// The entry point of a plugin assembly: layer types of your own, made known to tools that load models without your
/// source code. <c>dendrite --plugin MyLayers.dll …</c> creates every public, non-abstract class of the assembly that
/// implements this interface (through its public parameterless constructor) and calls <see cref="Register"/> once,
/// before the command runs.
/// </summary>
/// <example>
/// <code>
/// public sealed class MyLayers : IDendritePlugin
/// {
///     public void Register()
///     {
///         Architecture.Register&lt;ScaledTanh&gt;("ScaledTanh", m => new() { ["init"] = m.Init }, c => new ScaledTanh(c.Float("init")));
///         OnnxExport.Register&lt;ScaledTanh&gt;((m, g, x) => g.Node("Mul", [g.Node("Tanh", [x.Name]), g.Initializer("alpha", m.Alpha)]));
///     }
/// }
/// </code>
/// </example>
public interface IDendritePlugin
{
    /// <summary>
    /// Registers the assembly's layer types: <see cref="Architecture.Register{T}"/> for model files, and
    /// <c>OnnxExport.Register&lt;T&gt;</c> (Dendrite.Onnx) for ONNX export.
    /// </summary>
    void Register();
}
