using System.Collections;
using System.Globalization;

namespace Dendrite.NN;

/// <summary>
/// Modules held in a list, as <c>torch.nn.ModuleList</c>: registered as children named "0", "1", … so that their
/// parameters reach <see cref="Module.Parameters"/> (and the optimiser), <see cref="Module.StateDict"/> reads
/// "blocks.0.weight" in the module that holds the list, and train/eval mode and <see cref="Module.To"/> reach them. A
/// plain <c>List&lt;Module&gt;</c> field registers nothing, so its layers would silently not train.
/// </summary>
/// <remarks>
/// A container, not a layer: it has no computation of its own, and <see cref="Forward"/> throws, as PyTorch's does. The
/// module holding it calls the children, through <see cref="Module.Call"/> so that hooks and
/// <see cref="Module.Summary"/> see them: <c>foreach (var block in _blocks) x = block.Call(x);</c>.
/// </remarks>
public sealed class ModuleList : Module, IReadOnlyList<Module>
{
    private readonly List<Module> _modules = [];

    public ModuleList(params IEnumerable<Module> modules)
    {
        foreach (var module in modules) Add(module);
    }

    /// <summary>Appends <paramref name="module"/>, registered under the next index (PyTorch's <c>append</c>).</summary>
    public ModuleList Add(Module module)
    {
        ArgumentNullException.ThrowIfNull(module);
        AddModule(_modules.Count.ToString(CultureInfo.InvariantCulture), module);
        _modules.Add(module);
        return this;
    }

    /// <summary>Appends each of <paramref name="modules"/> (PyTorch's <c>extend</c>).</summary>
    public ModuleList AddRange(IEnumerable<Module> modules)
    {
        foreach (var module in modules) Add(module);
        return this;
    }

    public int Count => _modules.Count;

    /// <summary>The module at <paramref name="index"/>; a negative index counts from the end, as in Python.</summary>
    public Module this[int index]
    {
        get
        {
            int i = index < 0 ? index + _modules.Count : index;
            if (i < 0 || i >= _modules.Count)
                throw new ArgumentOutOfRangeException(nameof(index), $"ModuleList: index {index} is out of range for {_modules.Count} modules.");
            return _modules[i];
        }
    }

    public IEnumerator<Module> GetEnumerator() => _modules.GetEnumerator();

    IEnumerator IEnumerable.GetEnumerator() => GetEnumerator();

    /// <summary>Always throws: a list of modules has no computation of its own.</summary>
    public override Tensor Forward(Tensor input) =>
        throw new NotSupportedException("ModuleList is a container, call its children: foreach (var m in list) x = m.Call(x);");
}
