namespace Dendrite;

/// <summary>A size along the two spatial dimensions (height, width); a single number means both, as in PyTorch.</summary>
public readonly record struct Size2d(int H, int W)
{
    public static implicit operator Size2d(int both) => new(both, both);
    public static implicit operator Size2d((int H, int W) pair) => new(pair.H, pair.W);
    public override string ToString() => H == W ? $"{H}" : $"({H}, {W})";
}

/// <summary>
/// Convolution padding: a number of zeros per side (one number, or one per spatial dimension), or PyTorch's strings
/// "valid" (no padding) and "same" (the output keeps the input's size; stride 1 only, the odd zero going after).
/// </summary>
public readonly record struct ConvPadding
{
    private readonly string? _mode;

    private ConvPadding(string mode, Size2d amount) => (_mode, Amount) = (mode, amount);

    /// <summary>"explicit", "same" or "valid"; <c>default</c> is explicit zero padding.</summary>
    public string Mode => _mode ?? "explicit";
    public Size2d Amount { get; }

    public static ConvPadding Same { get; } = new("same", 0);
    public static ConvPadding Valid { get; } = new("valid", 0);

    public static implicit operator ConvPadding(int both) => new("explicit", both);
    public static implicit operator ConvPadding((int H, int W) pair) => new("explicit", pair);
    public static implicit operator ConvPadding(string mode) => mode switch
    {
        "same" => Same,
        "valid" => Valid,
        _ => throw new ArgumentException($"padding must be \"same\", \"valid\" or a number, got \"{mode}\"."),
    };

    /// <summary>Zeros before and after along one dimension with this kernel extent (dilation·(k − 1)).</summary>
    internal (int Before, int After) Resolve(int amount, int kernelExtent) => Mode switch
    {
        "same" => (kernelExtent / 2, kernelExtent - kernelExtent / 2),
        "valid" => (0, 0),
        _ => (amount, amount),
    };

    public override string ToString() => Mode == "explicit" ? Amount.ToString() : $"\"{Mode}\"";
}
