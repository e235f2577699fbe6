namespace Dendrite.Tests.TestSupport;

/// <summary>
/// Tests that change process-wide state (Console.Out/Error, Threading.NumThreads) join this collection, which xUnit runs
/// alone, after the parallel collections, so no other test sees the change.
/// </summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class ProcessStateCollection
{
    public const string Name = "Process state";
}
