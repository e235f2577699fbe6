namespace Dendrite.Examples.HeartbeatConv1d;

/// <summary>
/// Beat-localisation accuracy (fraction of signals whose highest-scoring position is the beat's) of both networks, on
/// held-out signals with beats at positions seen in training and at positions never seen.
/// </summary>
public sealed record HeartbeatResult(double DenseSeen, double DenseUnseen, double ConvSeen, double ConvUnseen);
