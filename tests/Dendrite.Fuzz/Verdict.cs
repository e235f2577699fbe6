namespace Dendrite.Fuzz;

/// <summary>How one input ended.</summary>
public enum Verdict
{
    /// <summary>Loaded without error.</summary>
    Accepted,

    /// <summary>Refused with the format's exception type and a clean message (one printable line naming the file).</summary>
    Rejected,

    /// <summary>Any other exception, a refusal with a message that is not clean, or a worker process that died.</summary>
    Crash,

    /// <summary>Still running when the time per input ran out.</summary>
    Hang,

    /// <summary>Ran out of the memory limit.</summary>
    Oom,
}

/// <summary>The verdict on one input, with the exception type and message behind it.</summary>
public sealed record Outcome(Verdict Verdict, string Detail = "")
{
    public static Outcome Accepted { get; } = new(Verdict.Accepted);
}
