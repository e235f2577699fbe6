using Dendrite.IO;
using Dendrite.NN;

namespace Dendrite.Onnx;

/// <summary>
/// Exports a model as an ONNX file (opset 17, IR version 8) that ONNX Runtime and other ONNX tools run. The graph has one
/// input "input" of shape [batch, …sample shape] and one output "output"; the batch size is symbolic. Weights are
/// initializers named by their PyTorch state-dict path. The model is exported in evaluation mode (Dropout is identity,
/// BatchNorm uses its running statistics).
/// </summary>
/// <remarks>
/// Each layer type has one emitter, registered in <see cref="BuiltInExporters"/> or by users with <see cref="Register{T}"/>:
/// a function that adds the layer's ONNX nodes to an <see cref="OnnxGraph"/> and returns the name of its output.
/// </remarks>
public static class OnnxExport
{
    /// <summary>The ONNX operator set the built-in emitters target.</summary>
    public const int Opset = 17;

    /// <summary>The IR version that goes with opset 17.</summary>
    public const long IrVersion = 8;

    private static readonly Dictionary<Type, Func<Module, OnnxGraph, OnnxValue, string>> s_emitters = [];
    private static readonly Lock s_lock = new();

    static OnnxExport() => BuiltInExporters.RegisterAll();

    /// <summary>
    /// Registers how layers of type <typeparamref name="T"/> become ONNX nodes: <paramref name="emit"/> receives the layer,
    /// the graph and the input value, adds nodes, and returns the name of the layer's output. Registering again replaces.
    /// </summary>
    public static void Register<T>(Func<T, OnnxGraph, OnnxValue, string> emit) where T : Module
    {
        lock (s_lock) s_emitters[typeof(T)] = (m, g, x) => emit((T)m, g, x);
    }

    /// <summary>The layer types that have an emitter.</summary>
    public static IReadOnlyCollection<Type> RegisteredTypes
    {
        get
        {
            lock (s_lock) return [.. s_emitters.Keys];
        }
    }

    internal static Func<Module, OnnxGraph, OnnxValue, string> EmitterFor(Module module, string path)
    {
        lock (s_lock)
            if (s_emitters.TryGetValue(module.GetType(), out var emit)) return emit;
        string where = path.Length == 0 ? "the model" : $"layer \"{path}\"";
        throw new NotSupportedException(
            $"ONNX export: {where} is a {module.GetType().Name}, which has no ONNX emitter. Hint: OnnxExport.Register<{module.GetType().Name}>(…).");
    }

    /// <summary>
    /// Writes <paramref name="model"/> to <paramref name="path"/> as ONNX (atomically). <paramref name="sampleShape"/> is
    /// the shape of one input sample without the batch dimension ([1, 28, 28] for MNIST images).
    /// </summary>
    /// <exception cref="NotSupportedException">A layer has no emitter, or an argument ONNX cannot express.</exception>
    public static void Save(Module model, string path, Shape sampleShape) => AtomicFile.Write(path, s => s.Write(ToBytes(model, sampleShape)));

    /// <summary>The ONNX model as bytes (a serialized ModelProto).</summary>
    public static byte[] ToBytes(Module model, Shape sampleShape)
    {
        bool wasTraining = model.Training;
        model.Eval();
        try
        {
            using var _ = Tensor.NoGrad();
            // Batch 2, not 1: an emitter that baked the batch size into a shape would then fail the round-trip tests.
            var sample = Tensor.Zeros(new Shape([2, .. sampleShape]));
            var graph = new OnnxGraph();
            var output = graph.Emit(model, new OnnxValue("input", sample));
            graph.Output(output.Name, "output");
            var proto = OnnxProto.Graph("dendrite", graph.Nodes, graph.Initializers,
                [OnnxProto.FloatValueInfo("input", "batch", sampleShape.AsSpan())],
                [OnnxProto.FloatValueInfo("output", "batch", output.Shape.AsSpan()[1..])]);
            string version = System.Reflection.CustomAttributeExtensions
                .GetCustomAttribute<System.Reflection.AssemblyInformationalVersionAttribute>(typeof(Module).Assembly)?.InformationalVersion ?? "0";
            return OnnxProto.Model(IrVersion, Opset, version, proto, model.GetType().Name + " exported by Dendrite").ToArray();
        }
        finally
        {
            model.Train(wasTraining);
        }
    }
}
