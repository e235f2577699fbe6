namespace Dendrite.NN;

/// <summary>Flattens dimensions startDim..endDim; PyTorch's default keeps the batch dimension: [N, C, H, W] → [N, C·H·W].</summary>
public sealed class Flatten(int startDim = 1, int endDim = -1) : Module
{
    public int StartDim { get; } = startDim;
    public int EndDim { get; } = endDim;
    public override Tensor Forward(Tensor input) => F.Flatten(input, StartDim, EndDim);
    protected override string ExtraRepr() => $"start_dim={StartDim}, end_dim={EndDim}";
}

/// <summary>Splits one dimension into several (<see cref="F.Unflatten"/>): Unflatten(1, 1, 28, 28) turns [N, 784] into [N, 1, 28, 28].</summary>
public sealed class Unflatten(int dim, params int[] sizes) : Module
{
    public int Dim { get; } = dim;
    public int[] Sizes { get; } = sizes;
    public override Tensor Forward(Tensor input) => F.Unflatten(input, Dim, Sizes);
    protected override string ExtraRepr() => $"dim={Dim}, unflattened_size={new Shape(Sizes)}";
}

/// <summary>Zero padding of the last two dimensions (left, right, top, bottom), as PyTorch's ZeroPad2d.</summary>
public sealed class ZeroPad2d : Module
{
    public ZeroPad2d(int padding) : this(padding, padding, padding, padding) { }

    public ZeroPad2d(int left, int right, int top, int bottom) => Padding = [left, right, top, bottom];

    public int[] Padding { get; }
    public override Tensor Forward(Tensor input) => F.Pad(input, Padding);
    protected override string ExtraRepr() => $"({string.Join(", ", Padding)})";
}
