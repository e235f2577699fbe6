using System.Runtime.CompilerServices;
using Dendrite.Backends;
using Dendrite.NN;

namespace Dendrite.Optim;

/// <summary>
/// Base of the optimisers: parameter groups, per-parameter state, <see cref="Step"/> and <see cref="ZeroGrad"/>.
/// Update rules follow PyTorch's documentation; parameters without a gradient are skipped, as in PyTorch. The
/// arithmetic of each rule is the parameter's backend's (<see cref="Backend.AdamUpdate"/> …); the state buffers live
/// beside the parameter, on its device.
/// </summary>
public abstract class Optimizer
{
    private readonly ConditionalWeakTable<Parameter, Storage?[]> _state = new();

    /// <summary><see cref="NewState"/> as the state table's callback, made once: a method group converted at each
    /// step would allocate a delegate per parameter per step.</summary>
    private readonly ConditionalWeakTable<Parameter, Storage?[]>.CreateValueCallback _newState;
    private readonly Dictionary<Parameter, int> _steps = new(ReferenceEqualityComparer.Instance);

    protected Optimizer(IEnumerable<Parameter> parameters, double lr, double weightDecay)
        : this([new ParamGroup(parameters, lr, weightDecay)]) { }

    protected Optimizer(IEnumerable<ParamGroup> groups)
    {
        _newState = NewState;
        ParamGroups = groups.ToList();
        if (ParamGroups.Count == 0 || ParamGroups.All(g => g.Params.Count == 0))
            throw new ArgumentException($"{GetType().Name}: got an empty parameter list.");
        foreach (var g in ParamGroups)
        {
            CheckRange(GetType().Name, "learning rate", g.Lr);
            CheckRange(GetType().Name, "weight decay", g.WeightDecay);
        }
    }

    public IReadOnlyList<ParamGroup> ParamGroups { get; }

    /// <summary>
    /// Throws unless <paramref name="value"/> is a finite number in [min, max] (max itself refused when
    /// <paramref name="maxExcluded"/>): written so that NaN fails, where a plain <c>value &lt; 0</c> test lets it through.
    /// </summary>
    protected static void CheckRange(string optimizer, string name, double value, float min = 0f, float max = float.MaxValue,
        bool maxExcluded = false)
    {
        bool inside = value >= min && (maxExcluded ? value < max : value <= max);
        if (!inside)
            throw new ArgumentOutOfRangeException(name, $"{optimizer}: invalid {name} {value}: expected a finite number in " +
                $"[{min}, {(max == float.MaxValue ? "∞" : max.ToString(System.Globalization.CultureInfo.InvariantCulture))}{(maxExcluded ? ")" : "]")}.");
    }

    /// <summary>Learning rate of the first group, for display and single-group schedules.</summary>
    public float Lr => ParamGroups[0].Lr;

    /// <summary>Applies one update to every parameter that has a gradient.</summary>
    public void Step()
    {
        foreach (var group in ParamGroups)
            foreach (var p in group.Params)
            {
                if (p.Grad is null) continue;
                int step = _steps[p] = _steps.GetValueOrDefault(p) + 1;
                var state = _state.GetValue(p, _newState);
                Update(group, p, p.Grad, state, step);
                p.MarkModified();
            }
    }

    /// <summary>Clears gradients: sets them to null (PyTorch's default) or, with setToNone false, fills them with zeros.</summary>
    public void ZeroGrad(bool setToNone = true)
    {
        foreach (var group in ParamGroups)
            foreach (var p in group.Params)
            {
                if (setToNone) p.ReleaseGrad();
                else if (p.Grad is { } grad) grad.Backend.Fill(grad.Storage, 0f);
            }
    }

    /// <summary>How many state buffers the rule keeps per parameter (momentum, moments…).</summary>
    protected abstract int BufferCount { get; }

    /// <summary>
    /// The state buffers for one parameter, on its device: zeros (or the rule's initial value), or null for a buffer the
    /// rule creates lazily (<see cref="Zeros"/> then).
    /// </summary>
    protected abstract Storage?[] NewState(Parameter parameter);

    /// <summary>A buffer of <paramref name="parameter"/>'s size on its backend, filled with <paramref name="value"/>.</summary>
    protected static Storage Zeros(Parameter parameter, float value = 0f)
    {
        var buffer = parameter.Backend.Allocate(parameter.Numel);
        parameter.Backend.Fill(buffer, value);
        return buffer;
    }

    /// <summary>
    /// One update of parameter <paramref name="p"/> from its gradient <paramref name="grad"/>; <paramref name="step"/>
    /// counts from 1. A rule may create a null buffer of <paramref name="state"/> in place.
    /// </summary>
    protected abstract void Update(ParamGroup group, Parameter p, Tensor grad, Storage?[] state, int step);

    /// <summary>
    /// Per-parameter state, for checkpoints: step count and buffers, by parameter. A buffer an update has not needed
    /// yet is null (Sgd's momentum buffer before its first step with momentum).
    /// </summary>
    public IReadOnlyDictionary<Parameter, (int Step, float[][] Buffers)> State()
    {
        var result = new Dictionary<Parameter, (int, float[][])>(ReferenceEqualityComparer.Instance);
        foreach (var group in ParamGroups)
            foreach (var p in group.Params)
                if (_steps.TryGetValue(p, out int s) && _state.TryGetValue(p, out var buffers))
                    result[p] = (s, buffers.Select(b => b is null ? null! : HostValues(p.Backend, b)).ToArray());
        return result;
    }

    /// <summary>A buffer's values in host memory: the array itself for a whole host buffer, else a copy.</summary>
    private static float[] HostValues(Backend backend, Storage buffer)
    {
        if (buffer is CpuStorage { Offset: 0 } host && host.Length == host.Array.Length) return host.Array;
        var values = new float[buffer.Length];
        backend.Download(buffer, values);
        return values;
    }

    /// <summary>How many state buffers this rule keeps per parameter (the length of each entry of <see cref="State"/>).</summary>
    public int StateBufferCount => BufferCount;

    /// <summary>
    /// Restores one parameter's state from a checkpoint: its step count and buffers as <see cref="State"/> gave them
    /// (null where a buffer had not been created yet).
    /// </summary>
    /// <exception cref="ArgumentException">The parameter is not optimised here, or the buffers do not fit this rule.</exception>
    public void SetState(Parameter parameter, int step, float[]?[] buffers)
    {
        if (!ParamGroups.Any(g => g.Params.Contains(parameter)))
            throw new ArgumentException($"{GetType().Name}.SetState: the parameter {parameter.Shape} is not in any parameter group.");
        if (step < 0) throw new ArgumentOutOfRangeException(nameof(step), $"{GetType().Name}.SetState: step must be >= 0, got {step}.");
        if (buffers.Length != BufferCount)
            throw new ArgumentException($"{GetType().Name}.SetState: expected {BufferCount} state buffers, got {buffers.Length}.");
        for (int k = 0; k < buffers.Length; k++)
            if (buffers[k] is { } b && b.Length != parameter.Numel)
                throw new ArgumentException($"{GetType().Name}.SetState: buffer {k} holds {b.Length} values, the parameter {parameter.Numel}.");
        var fresh = NewState(parameter);
        for (int k = 0; k < buffers.Length; k++)
            if (buffers[k] is { } b) fresh[k] = parameter.Backend.Upload(b);
        _state.AddOrUpdate(parameter, fresh);
        if (step > 0) _steps[parameter] = step;
        else _steps.Remove(parameter);
    }
}
