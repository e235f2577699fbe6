namespace Dendrite.Data;

/// <summary>Builds one batch from the dataset indices a <see cref="DataLoader"/> chose for it.</summary>
public delegate TBatch BatchCollator<TBatch>(ReadOnlySpan<int> indices);
