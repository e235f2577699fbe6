using Dendrite.NN;

namespace Dendrite.Training;

/// <summary>
/// What a data-parallel run plugs into a training run (the command line's MNIST run): this process's place among the
/// ranks, and the step that joins a model to them. Dendrite.Distributed implements it over MPI; the core library knows only this contract.
/// </summary>
public interface IDataParallel
{
    /// <summary>This process's rank in [0, <see cref="WorldSize"/>); rank 0 alone writes files.</summary>
    int Rank { get; }

    int WorldSize { get; }

    /// <summary>
    /// Makes <paramref name="model"/> rank 0's on every rank and returns the callback that averages gradients over the
    /// ranks after each backward pass; <paramref name="seed"/> seeds the rank's own dropout stream.
    /// </summary>
    ICallback Attach(Module model, ulong seed);
}
