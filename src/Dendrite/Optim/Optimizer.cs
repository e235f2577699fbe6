using System.Runtime.CompilerServices;
using Dendrite.NN;

namespace Dendrite.Optim;

/// <summary>
/// Base of the optimisers: parameter groups, per-parameter state, <see cref="Step"/> and <see cref="ZeroGrad"/>.
/// Update rules follow PyTorch's documentation; parameters without a gradient are skipped, as in PyTorch.
/// </summary>
public abstract class Optimizer
{
    private readonly ConditionalWeakTable<Parameter, float[][]> _state = new();
    private readonly Dictionary<Parameter, int> _steps = new(ReferenceEqualityComparer.Instance);

    protected Optimizer(IEnumerable<Parameter> parameters, float lr, float weightDecay)
        : this([new ParamGroup(parameters, lr, weightDecay)]) { }

    protected Optimizer(IEnumerable<ParamGroup> groups)
    {
        ParamGroups = groups.ToList();
        if (ParamGroups.Count == 0 || ParamGroups.All(g => g.Params.Count == 0))
            throw new ArgumentException($"{GetType().Name}: got an empty parameter list.");
        foreach (var g in ParamGroups)
        {
            if (g.Lr < 0) throw new ArgumentOutOfRangeException(nameof(groups), $"{GetType().Name}: invalid learning rate {g.Lr}.");
            if (g.WeightDecay < 0) throw new ArgumentOutOfRangeException(nameof(groups), $"{GetType().Name}: invalid weight decay {g.WeightDecay}.");
        }
    }

    public IReadOnlyList<ParamGroup> ParamGroups { get; }

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
                var state = _state.GetValue(p, _ => NewState(p.Numel));
                int chunk = ParallelChunk;
                if (chunk > 0 && p.Numel >= 2 * chunk && Kernels.Threading.NumThreads > 1)
                {
                    // Purely elementwise rules split a large parameter across threads; each element's arithmetic is
                    // unchanged, so the result does not depend on the split.
                    var grad = p.Grad;
                    Kernels.Threading.For((p.Numel + chunk - 1) / chunk, c =>
                    {
                        int offset = c * chunk, length = Math.Min(chunk, p.Numel - offset);
                        Update(group, p.Data.Slice(offset, length), grad.Data.Slice(offset, length), state, step, offset);
                    });
                }
                else
                {
                    Update(group, p.Data, p.Grad.Data, state, step, 0);
                }
            }
    }

    /// <summary>Clears gradients: sets them to null (PyTorch's default) or, with setToNone false, fills them with zeros.</summary>
    public void ZeroGrad(bool setToNone = true)
    {
        foreach (var group in ParamGroups)
            foreach (var p in group.Params)
            {
                if (setToNone) p.ReleaseGrad();
                else p.Grad?.Data.Clear();
            }
    }

    /// <summary>Zero-filled state buffers for one parameter (momentum, moments…), as many as the rule needs.</summary>
    protected abstract float[][] NewState(int length);

    /// <summary>
    /// One update of parameter values <paramref name="p"/> from gradient <paramref name="g"/>; <paramref name="step"/>
    /// counts from 1. p and g may be a slice of the parameter starting at element <paramref name="offset"/> (only when
    /// <see cref="ParallelChunk"/> is set); the state buffers always cover the whole parameter.
    /// </summary>
    protected abstract void Update(ParamGroup group, Span<float> p, ReadOnlySpan<float> g, float[][] state, int step, int offset);

    /// <summary>
    /// Elements per slice when a large parameter is updated on several threads, or 0 to update it whole on the calling
    /// thread. Only rules in which each element's update reads nothing but that element's state may set it.
    /// </summary>
    protected virtual int ParallelChunk => 0;

    /// <summary>
    /// Per-parameter state, for checkpoints: step count and buffers, by parameter. A buffer an update has not needed
    /// yet is null (Sgd's momentum buffer before its first step with momentum).
    /// </summary>
    public IReadOnlyDictionary<Parameter, (int Step, float[][] Buffers)> State()
    {
        var result = new Dictionary<Parameter, (int, float[][])>(ReferenceEqualityComparer.Instance);
        foreach (var group in ParamGroups)
            foreach (var p in group.Params)
                if (_steps.TryGetValue(p, out int s) && _state.TryGetValue(p, out var buffers)) result[p] = (s, buffers);
        return result;
    }

    /// <summary>How many state buffers this rule keeps per parameter (the length of each entry of <see cref="State"/>).</summary>
    public int StateBufferCount => NewState(0).Length;

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
        var fresh = NewState(parameter.Numel);
        if (buffers.Length != fresh.Length)
            throw new ArgumentException($"{GetType().Name}.SetState: expected {fresh.Length} state buffers, got {buffers.Length}.");
        for (int k = 0; k < buffers.Length; k++)
        {
            if (buffers[k] is not { } b) continue;
            if (b.Length != parameter.Numel)
                throw new ArgumentException($"{GetType().Name}.SetState: buffer {k} holds {b.Length} values, the parameter {parameter.Numel}.");
            fresh[k] = (float[])b.Clone();
        }
        _state.AddOrUpdate(parameter, fresh);
        if (step > 0) _steps[parameter] = step;
        else _steps.Remove(parameter);
    }
}
