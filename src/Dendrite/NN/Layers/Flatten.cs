namespace Dendrite.NN;

/// <summary>Flattens dimensions startDim..endDim; PyTorch's default keeps the batch dimension: [N, C, H, W] → [N, C·H·W].</summary>
public sealed class Flatten(int startDim = 1, int endDim = -1) : Module
{
    public int StartDim { get; } = startDim;
    public int EndDim { get; } = endDim;
    public override Tensor Forward(Tensor input) => F.Flatten(input, StartDim, EndDim);
    protected override string ExtraRepr() => $"start_dim={StartDim}, end_dim={EndDim}";
}
