using System.Collections.Concurrent;
using System.Diagnostics.CodeAnalysis;
using System.Reflection;

namespace Dendrite.NN;

/// <summary>
/// Base class of layers and models, as <c>torch.nn.Module</c>: named parameters, buffers and child modules, registered
/// explicitly in the constructor; train/eval mode; state dicts keyed by dotted PyTorch names ("0.weight").
/// </summary>
// Why the annotation: UnregisteredModules reads the fields of GetType(); annotated here, the trimmer (NativeAOT) keeps
// the fields of every class derived from Module, so that scan sees in a published binary what it sees under the JIT.
[DynamicallyAccessedMembers(DynamicallyAccessedMemberTypes.PublicFields | DynamicallyAccessedMemberTypes.NonPublicFields)]
public abstract class Module
{
    private readonly List<(string Name, Parameter Value)> _parameters = [];
    private readonly List<(string Name, Tensor Value)> _buffers = [];
    private readonly List<(string Name, Module Value)> _children = [];

    // Every registered name, so that a registration checks for a clash in constant time: a module with n entries was
    // built in O(n²) (a 46000-layer GRU from a damaged file took minutes).
    private readonly HashSet<string> _names = new(StringComparer.Ordinal);

    /// <summary>True in training mode (the default), false after <see cref="Eval"/>; Dropout and BatchNorm read it.</summary>
    public bool Training { get; private set; } = true;

    /// <summary>The computation. Inputs and outputs follow PyTorch's layouts.</summary>
    public abstract Tensor Forward(Tensor input);

    private List<Action<Module, Tensor, Tensor>>? _forwardHooks;

    /// <summary>
    /// Runs <see cref="Forward"/>, then the forward hooks registered on this module, as calling a PyTorch module does.
    /// Containers call their children through here, so hooks see every layer; call models through here too.
    /// </summary>
    public Tensor Call(Tensor input)
    {
        var output = Forward(input);
        if (_forwardHooks is { Count: > 0 } hooks)
            foreach (var hook in hooks.ToArray()) hook(this, input, output);   // a copy: a hook may remove itself
        return output;
    }

    /// <summary>Whether forward hooks are registered: containers that fuse layers keep hooked ones apart.</summary>
    internal bool HasForwardHooks => _forwardHooks is { Count: > 0 };

    /// <summary>
    /// Registers <paramref name="hook"/>(module, input, output) to run after every <see cref="Call"/> of this module, as
    /// PyTorch's <c>register_forward_hook</c>: for inspecting activations, shapes and statistics. Dispose the returned
    /// handle to remove it.
    /// </summary>
    public IDisposable RegisterForwardHook(Action<Module, Tensor, Tensor> hook)
    {
        ArgumentNullException.ThrowIfNull(hook);
        (_forwardHooks ??= []).Add(hook);
        return new HookHandle(() => _forwardHooks.Remove(hook));
    }

    private sealed class HookHandle(Action remove) : IDisposable
    {
        private Action? _remove = remove;

        public void Dispose()
        {
            _remove?.Invoke();
            _remove = null;
        }
    }

    /// <summary>
    /// A Keras-style table of the layers that run on an input of <paramref name="inputShape"/> (batch dimension
    /// included, e.g. 1, 1, 28, 28): each layer's name, type, output shape and parameter count, then the totals.
    /// </summary>
    /// <remarks>
    /// The model runs once on zeros, in eval mode without recording, with a forward hook on every descendant; so only
    /// layers reached through <see cref="Call"/> get a row (containers such as <see cref="Sequential"/> use it). The
    /// model's mode is restored afterwards. Non-trainable counts frozen parameters and buffers, as Keras counts
    /// BatchNorm's moving statistics.
    /// </remarks>
    public ModelSummary Summary(params int[] inputShape) => ModelSummary.Build(this, new Shape(inputShape));

    protected Parameter AddParameter(string name, Parameter parameter)
    {
        CheckName(name);
        _parameters.Add((name, parameter));
        return parameter;
    }

    protected Parameter AddParameter(string name, Shape shape) => AddParameter(name, new Parameter(shape));

    /// <summary>Registers state that is saved with the model but not trained (running statistics).</summary>
    protected Tensor AddBuffer(string name, Tensor buffer)
    {
        CheckName(name);
        _buffers.Add((name, buffer));
        return buffer;
    }

    protected T AddModule<T>(string name, T module) where T : Module
    {
        CheckName(name);
        _children.Add((name, module));
        return module;
    }

    private void CheckName(string name)
    {
        if (string.IsNullOrEmpty(name) || name.Contains('.'))
            throw new ArgumentException($"{GetType().Name}: invalid name \"{name}\" (non-empty, no dots).");
        if (!_names.Add(name))
            throw new ArgumentException($"{GetType().Name}: the name \"{name}\" is already registered.");
    }

    /// <summary>Direct children with their names, in registration order.</summary>
    public IEnumerable<(string Name, Module Module)> NamedChildren() => _children.Select(c => (c.Name, c.Value));

    /// <summary>Every parameter of this module and its descendants, with dotted names, depth first.</summary>
    public IEnumerable<(string Name, Parameter Parameter)> NamedParameters(string prefix = "")
    {
        foreach (var (name, p) in _parameters) yield return (prefix + name, p);
        foreach (var (name, child) in _children)
            foreach (var item in child.NamedParameters(prefix + name + ".")) yield return item;
    }

    public IEnumerable<(string Name, Tensor Buffer)> NamedBuffers(string prefix = "")
    {
        foreach (var (name, b) in _buffers) yield return (prefix + name, b);
        foreach (var (name, child) in _children)
            foreach (var item in child.NamedBuffers(prefix + name + ".")) yield return item;
    }

    /// <summary>The parameters this module registered itself, without its children's.</summary>
    internal IEnumerable<Parameter> DirectParameters() => _parameters.Select(p => p.Value);

    /// <summary>Every parameter, for an optimiser.</summary>
    public IReadOnlyList<Parameter> Parameters() => NamedParameters().Select(p => p.Parameter).ToList();

    /// <summary>Every descendant with its dotted name ("0", "encoder.1"), depth first; this module itself is "".</summary>
    public IEnumerable<(string Name, Module Module)> NamedModules(string prefix = "")
    {
        yield return (prefix, this);
        foreach (var (name, child) in _children)
            foreach (var item in child.NamedModules(prefix.Length == 0 ? name : prefix + "." + name)) yield return item;
    }

    /// <summary>This module and every descendant, depth first.</summary>
    public IEnumerable<Module> Modules()
    {
        yield return this;
        foreach (var (_, child) in _children)
            foreach (var m in child.Modules()) yield return m;
    }

    /// <summary>Switches this module and its descendants to training (<paramref name="mode"/> true) or evaluation mode.</summary>
    public Module Train(bool mode = true)
    {
        foreach (var m in Modules()) m.Training = mode;
        return this;
    }

    /// <summary>Evaluation mode: Dropout off, BatchNorm uses running statistics.</summary>
    public Module Eval() => Train(false);

    /// <summary>Clears the gradients of all parameters (sets them to null, as PyTorch's default <c>set_to_none=True</c>).</summary>
    public void ZeroGrad(bool setToNone = true)
    {
        foreach (var p in Parameters())
        {
            if (setToNone) p.ReleaseGrad();
            else if (p.Grad is { } grad) grad.Backend.Fill(grad.Storage, 0f);
        }
    }

    /// <summary>
    /// Moves every parameter and buffer of this module and its descendants to <paramref name="device"/>, in place (the
    /// same <see cref="Parameter"/> objects, as PyTorch's <c>module.to(device)</c>), and returns this module. Build the
    /// optimiser after moving, as PyTorch advises: its state lives on the device its parameters had.
    /// </summary>
    public Module To(Device device)
    {
        foreach (var (_, p) in NamedParameters()) p.MoveTo(device);
        foreach (var (_, b) in NamedBuffers()) b.MoveTo(device);
        return this;
    }

    /// <summary>Parameters and buffers by dotted name (the tensors themselves, not copies), in PyTorch's order.</summary>
    public IReadOnlyDictionary<string, Tensor> StateDict()
    {
        var dict = new Dictionary<string, Tensor>();
        foreach (var (name, p) in NamedParameters()) dict[name] = p;
        foreach (var (name, b) in NamedBuffers()) dict[name] = b;
        return dict;
    }

    /// <summary>
    /// Copies values from <paramref name="state"/> into this module's parameters and buffers by name. Shapes must match;
    /// with <paramref name="strict"/>, missing and unexpected keys are errors too. Returns the keys that were missing
    /// and unexpected.
    /// </summary>
    public (IReadOnlyList<string> Missing, IReadOnlyList<string> Unexpected) LoadStateDict(IReadOnlyDictionary<string, Tensor> state, bool strict = true)
    {
        var own = StateDict();
        var missing = own.Keys.Where(k => !state.ContainsKey(k)).ToList();
        var unexpected = state.Keys.Where(k => !own.ContainsKey(k)).ToList();
        var mismatched = own.Where(kv => state.TryGetValue(kv.Key, out var t) && t.Shape != kv.Value.Shape)
            .Select(kv => $"{kv.Key}: expected {kv.Value.Shape}, got {state[kv.Key].Shape}").ToList();
        var problems = new List<string>();
        if (mismatched.Count > 0) problems.Add("shape mismatch for " + string.Join("; ", mismatched));
        if (strict && missing.Count > 0) problems.Add("missing keys " + string.Join(", ", missing));
        if (strict && unexpected.Count > 0) problems.Add("unexpected keys " + string.Join(", ", unexpected));
        if (problems.Count > 0)
            throw new ArgumentException($"LoadStateDict into {GetType().Name}: " + string.Join("; ", problems) + ".");
        foreach (var (key, target) in own)
            if (state.TryGetValue(key, out var source)) target.CopyFrom(source);   // either may live on any device
        return (missing, unexpected);
    }

    private static readonly ConcurrentDictionary<Type, FieldInfo[]> s_referenceFields = new();
    private bool _unregisteredReported;

    /// <summary>
    /// One message for each field of this module or a descendant that holds a layer registered nowhere in the tree
    /// ("Net.fc3 holds a Linear that is not registered: …"). Such a layer still runs, but its parameters are not in
    /// <see cref="Parameters"/>: the optimiser never updates them and the state dict does not save them. PyTorch
    /// registers a layer on assignment; here registration is explicit, so this is how a forgotten
    /// <see cref="AddModule{T}"/> shows. Lists of layers held in a field count too.
    /// </summary>
    public IReadOnlyList<string> UnregisteredModules()
    {
        var registered = new HashSet<Module>(Modules(), ReferenceEqualityComparer.Instance);
        var found = new List<string>();
        foreach (var (path, module) in NamedModules())
            foreach (var field in ReferenceFields(module.GetType()))
            {
                var value = field.GetValue(module);
                IEnumerable<Module> held = value switch
                {
                    Module m => [m],
                    IEnumerable<Module> many => many,
                    _ => [],
                };
                foreach (var layer in held)
                {
                    if (layer is null || registered.Contains(layer)) continue;
                    string member = MemberName(field);
                    string owner = path.Length == 0 ? GetType().Name : $"{GetType().Name}.{path}";
                    found.Add($"{owner}.{member} holds a {layer.GetType().Name} that is not registered: its parameters are " +
                        $"neither trained nor saved. Register it in {module.GetType().Name}'s constructor: " +
                        $"{member} = AddModule(\"{member}\", new {layer.GetType().Name}(…)).");
                    registered.Add(layer);   // once, even when two fields hold it
                }
            }
        return found;
    }

    /// <summary>Writes <see cref="UnregisteredModules"/> to <paramref name="writer"/>, the first time only for this model.</summary>
    internal void ReportUnregisteredModules(TextWriter writer)
    {
        if (_unregisteredReported) return;
        _unregisteredReported = true;
        foreach (var message in UnregisteredModules()) writer.WriteLine("Warning: " + message);
    }

    /// <summary>Instance fields of reference type declared by <paramref name="type"/> and its bases below Module.</summary>
    private static FieldInfo[] ReferenceFields(Type type) => s_referenceFields.GetOrAdd(type, ScanReferenceFields);

    [UnconditionalSuppressMessage("Trimming", "IL2070", Justification = "Only Module types reach here, and Module's "
        + "DynamicallyAccessedMembers annotation keeps the fields of every class derived from it.")]
    [UnconditionalSuppressMessage("Trimming", "IL2075", Justification = "The bases walked are Module types too (the walk "
        + "stops at Module), whose fields the same annotation keeps.")]
    private static FieldInfo[] ScanReferenceFields(Type type)
    {
        var fields = new List<FieldInfo>();
        for (var c = type; c is not null && c != typeof(Module); c = c.BaseType)
            fields.AddRange(c.GetFields(BindingFlags.Instance | BindingFlags.Public | BindingFlags.NonPublic | BindingFlags.DeclaredOnly)
                .Where(f => !f.FieldType.IsValueType && f.FieldType != typeof(string)));
        return [.. fields];
    }

    /// <summary>The name a user wrote: "Fc3" for an auto-property's backing field "&lt;Fc3&gt;k__BackingField".</summary>
    private static string MemberName(FieldInfo field) =>
        field.Name.StartsWith('<') && field.Name.IndexOf('>') is > 1 and var end ? field.Name[1..end] : field.Name;

    /// <summary>Constructor arguments, as PyTorch's <c>extra_repr</c>.</summary>
    protected virtual string ExtraRepr() => "";

    public override string ToString()
    {
        if (_children.Count == 0) return $"{GetType().Name}({ExtraRepr()})";
        var lines = _children.Select(c => $"  ({c.Name}): " + c.Value.ToString().Replace("\n", "\n  "));
        return $"{GetType().Name}(\n{string.Join("\n", lines)}\n)";
    }
}
