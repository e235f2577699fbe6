namespace Dendrite.Distributed;

/// <summary>A collective could not finish because another rank aborted the job; the message is that rank's.</summary>
public sealed class ProcessGroupAbortedException(string message) : Exception(message);
