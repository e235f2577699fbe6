using System.Collections;
using System.Diagnostics.CodeAnalysis;

namespace Dendrite.NN;

/// <summary>
/// Modules held by name, as <c>torch.nn.ModuleDict</c>: registered as children under their keys (in insertion order),
/// so that their parameters reach the optimiser and the state dict reads "heads.classifier.weight". Keys are non-empty
/// and contain no dots, as in PyTorch.
/// </summary>
/// <remarks>A container, not a layer: <see cref="Forward"/> throws; the module holding it calls the children.</remarks>
public sealed class ModuleDict : Module, IReadOnlyDictionary<string, Module>
{
    private readonly Dictionary<string, Module> _modules = [];
    private readonly List<string> _order = [];

    public ModuleDict(params IEnumerable<KeyValuePair<string, Module>> modules)
    {
        foreach (var (key, module) in modules) Add(key, module);
    }

    /// <summary>Adds <paramref name="module"/> under <paramref name="key"/>; a key already there is an error.</summary>
    public ModuleDict Add(string key, Module module)
    {
        ArgumentNullException.ThrowIfNull(module);
        AddModule(key, module);
        _modules.Add(key, module);
        _order.Add(key);
        return this;
    }

    public int Count => _modules.Count;

    public Module this[string key] => _modules.TryGetValue(key, out var module)
        ? module
        : throw new KeyNotFoundException($"ModuleDict: no module named \"{key}\"; it holds {(_order.Count == 0 ? "none" : string.Join(", ", _order))}.");

    /// <summary>The keys in insertion order.</summary>
    public IEnumerable<string> Keys => _order;

    /// <summary>The modules in insertion order.</summary>
    public IEnumerable<Module> Values => _order.Select(k => _modules[k]);

    public bool ContainsKey(string key) => _modules.ContainsKey(key);

    public bool TryGetValue(string key, [MaybeNullWhen(false)] out Module value) =>
        _modules.TryGetValue(key, out value);

    public IEnumerator<KeyValuePair<string, Module>> GetEnumerator() =>
        _order.Select(k => new KeyValuePair<string, Module>(k, _modules[k])).GetEnumerator();

    IEnumerator IEnumerable.GetEnumerator() => GetEnumerator();

    /// <summary>Always throws: a dictionary of modules has no computation of its own.</summary>
    public override Tensor Forward(Tensor input) =>
        throw new NotSupportedException("ModuleDict is a container, call its children: dict[\"name\"].Call(x).");
}
