namespace Dendrite.Generative;

/// <summary>What a GAN run did: every step's measurements, how long training took, and the judge's verdict (if asked).</summary>
public sealed record GanRunResult(IReadOnlyList<GanStep> Steps, int EpochsRun, TimeSpan TrainingTime, bool StoppedByTimeLimit,
    JudgeResult? Judgement);
