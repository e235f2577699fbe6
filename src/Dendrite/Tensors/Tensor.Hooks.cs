namespace Dendrite;

public partial class Tensor
{
    // How many tensors carry hooks anywhere in the process: while none do, Backward skips counting contributions.
    private static int s_hookedLeaves;
    private static int s_backwardPasses;

    // One field for all of it: most tensors never take a hook, and every op's output pays for each field here.
    private GradHooks? _gradHooks;

    /// <summary>
    /// Calls <paramref name="hook"/> with this leaf during every backward pass, as soon as its <see cref="Grad"/> holds
    /// that pass's whole contribution (PyTorch's <c>register_post_accumulate_grad_hook</c>): after the last op reading
    /// it has run its backward, while the ops nearer the input still run theirs. Data-parallel training starts
    /// reducing a layer's gradients there, overlapping communication with the rest of the backward pass.
    /// A leaf that the pass does not reach gets no call. Dispose the result to remove the hook.
    /// </summary>
    public IDisposable RegisterPostAccumulateGradHook(Action<Tensor> hook)
    {
        ArgumentNullException.ThrowIfNull(hook);
        if (!IsLeaf)
            throw new InvalidOperationException($"RegisterPostAccumulateGradHook: the tensor of shape {Shape} was made " +
                $"by {GradFn!.Op}; only leaves accumulate gradients.");
        if (!RequiresGrad)
            throw new InvalidOperationException($"RegisterPostAccumulateGradHook: the tensor of shape {Shape} does not " +
                "require grad, so no backward pass accumulates into it.");
        if (_gradHooks is null)
        {
            _gradHooks = new GradHooks();
            Interlocked.Increment(ref s_hookedLeaves);
        }
        _gradHooks.Hooks.Add(hook);
        return new HookRemover(this, hook);
    }

    internal static bool AnyGradHooks => Volatile.Read(ref s_hookedLeaves) > 0;

    internal bool HasGradHooks => _gradHooks is not null && GradFn is null;

    /// <summary>A number no other backward pass of this process uses, to tell this pass's counts from stale ones.</summary>
    internal static int NewBackwardPass() => Interlocked.Increment(ref s_backwardPasses);

    /// <summary>Counts an edge of backward pass <paramref name="pass"/> that will bring this hooked leaf a gradient.</summary>
    internal void ExpectContribution(int pass)
    {
        var state = _gradHooks!;
        if (state.Pass != pass) (state.Pass, state.Pending) = (pass, 0);
        state.Pending++;
    }

    /// <summary>One expected edge of pass <paramref name="pass"/> is done; the last one runs the hooks.</summary>
    internal void ContributionDone(int pass)
    {
        if (_gradHooks is not { } state || GradFn is not null || state.Pass != pass) return;
        if (--state.Pending == 0)
            foreach (var hook in state.Hooks) hook(this);
    }

    internal void RunGradHooks()
    {
        foreach (var hook in _gradHooks!.Hooks) hook(this);
    }

    private sealed class GradHooks
    {
        public readonly List<Action<Tensor>> Hooks = [];
        public int Pass;      // the backward pass that last counted this leaf's contributions
        public int Pending;   // how many of that pass's contributions are still to come
    }

    private sealed class HookRemover(Tensor owner, Action<Tensor> hook) : IDisposable
    {
        private Tensor? _owner = owner;

        public void Dispose()
        {
            if (_owner is not { _gradHooks: { } state } owner) return;
            state.Hooks.Remove(hook);
            if (state.Hooks.Count == 0)
            {
                owner._gradHooks = null;
                Interlocked.Decrement(ref s_hookedLeaves);
            }
            _owner = null;
        }
    }
}
