using Dendrite.NN;

namespace Dendrite.Onnx;

/// <summary>
/// The graph an export builds. Layer emitters (see <see cref="OnnxExport.Register{T}"/>) add nodes and initializers
/// through it; names are made unique, and initializers carry the layer's PyTorch state-dict path ("1.weight").
/// </summary>
public sealed class OnnxGraph
{
    private readonly List<ProtoWriter> _nodes = [];
    private readonly List<ProtoWriter> _initializers = [];
    private readonly HashSet<string> _names = [];
    private readonly Stack<(Module Module, string Path)> _scope = new();
    private int _counter;

    internal OnnxGraph() { }

    internal IReadOnlyList<ProtoWriter> Nodes => _nodes;
    internal IReadOnlyList<ProtoWriter> Initializers => _initializers;

    /// <summary>The state-dict path of the layer being emitted ("" at the top, "3" for a Sequential's fourth layer).</summary>
    public string Path => _scope.Count == 0 ? "" : _scope.Peek().Path;

    /// <summary>
    /// Emits <paramref name="module"/> applied to <paramref name="input"/> with its registered emitter and returns its
    /// output. Containers call this for each child; the child's name is looked up among the current module's children.
    /// </summary>
    public OnnxValue Emit(Module module, OnnxValue input)
    {
        string path = _scope.Count == 0 ? "" : ChildPath(module);
        var emit = OnnxExport.EmitterFor(module, path);
        _scope.Push((module, path));
        try
        {
            string output = emit(module, this, input);
            return new OnnxValue(output, module.Forward(input.Sample));
        }
        finally
        {
            _scope.Pop();
        }
    }

    private string ChildPath(Module child)
    {
        var (parent, parentPath) = _scope.Peek();
        foreach (var (name, c) in parent.NamedChildren())
            if (ReferenceEquals(c, child)) return parentPath.Length == 0 ? name : parentPath + "." + name;
        throw new ArgumentException($"ONNX export: {child.GetType().Name} is emitted from {parent.GetType().Name} but is not one of its children.");
    }

    /// <summary>A float initializer named after the current layer ("1.weight"); returns its name.</summary>
    public string Initializer(string localName, Tensor value)
    {
        string name = Unique(Path.Length == 0 ? localName : Path + "." + localName);
        _initializers.Add(OnnxProto.FloatTensor(name, value));
        return name;
    }

    /// <summary>An int64 vector initializer (Reshape's target shape, axes); returns its name.</summary>
    public string Int64Initializer(string localName, params long[] values)
    {
        string name = Unique(Path.Length == 0 ? localName : Path + "." + localName);
        _initializers.Add(OnnxProto.Int64Tensor(name, values));
        return name;
    }

    /// <summary>A float scalar constant; returns its name.</summary>
    public string Scalar(string localName, float value) => Initializer(localName, Tensor.Scalar(value));

    /// <summary>Adds a node of the default ONNX domain with one output and returns the output's name.</summary>
    public string Node(string opType, string[] inputs, params OnnxAttribute[] attributes)
    {
        string output = Unique((Path.Length == 0 ? "" : Path + "/") + opType);
        _nodes.Add(OnnxProto.Node(opType, output, inputs, [output], attributes));
        return output;
    }

    /// <summary>Adds a node with <paramref name="outputs"/> outputs (LSTM's Y, Y_h, Y_c) and returns their names.</summary>
    public string[] Node(string opType, string[] inputs, int outputs, params OnnxAttribute[] attributes)
    {
        string stem = (Path.Length == 0 ? "" : Path + "/") + opType;
        var names = new string[outputs];
        for (int i = 0; i < outputs; i++) names[i] = Unique(stem + (i == 0 ? "" : "_" + i.ToString(System.Globalization.CultureInfo.InvariantCulture)));
        _nodes.Add(OnnxProto.Node(opType, names[0], inputs, names, attributes));
        return names;
    }

    // The graph's result takes a fixed name through an Identity node (ONNX Runtime elides it).
    internal void Output(string value, string name) => _nodes.Add(OnnxProto.Node("Identity", name, [value], [Unique(name)], []));

    private string Unique(string name)
    {
        string candidate = name;
        while (!_names.Add(candidate)) candidate = name + "_" + ++_counter;
        return candidate;
    }
}
