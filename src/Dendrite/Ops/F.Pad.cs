using Dendrite.Autograd;

namespace Dendrite;

public static partial class F
{
    /// <summary>
    /// Constant padding, as <c>torch.nn.functional.pad</c>: <paramref name="pad"/> lists (before, after) pairs starting
    /// from the last dimension, so (1, 1, 2, 0) adds one column each side and two rows on top. The gradient is the
    /// output gradient with the padding cut off.
    /// </summary>
    public static Tensor Pad(Tensor input, int[] pad, float value = 0f)
    {
        if (pad.Length % 2 != 0 || pad.Length / 2 > input.Rank)
            throw new ArgumentException($"Pad: expected (before, after) pairs for at most {input.Rank} trailing dimensions of {input.Shape}, got {pad.Length} numbers.");
        if (pad.Any(p => p < 0))
            throw new ArgumentOutOfRangeException(nameof(pad), $"Pad: amounts must be >= 0, got ({string.Join(", ", pad)}).");
        int rank = input.Rank;
        var before = new int[rank];
        var outShape = input.Shape.AsSpan().ToArray();
        for (int i = 0; i < pad.Length / 2; i++)
        {
            int dim = rank - 1 - i;
            before[dim] = pad[2 * i];
            outShape[dim] += pad[2 * i] + pad[2 * i + 1];
        }
        var y = Tensor.Full(new Shape(outShape), value, input.Device);
        input.Backend.PadInto(input.Storage, input.Shape.AsSpan(), before, y.Storage, outShape);
        return Tape.Record(y, nameof(Pad), [input], dy =>
        {
            var dx = Tensor.Empty(input.Shape, input.Device);
            input.Backend.UnpadFrom(dy.Storage, outShape, before, dx.Storage, input.Shape.AsSpan());
            return [dx];
        });
    }

    /// <summary>The inverse of <see cref="Flatten"/> for one dimension: splits dimension <paramref name="dim"/> into <paramref name="sizes"/>.</summary>
    public static Tensor Unflatten(Tensor input, int dim, params int[] sizes)
    {
        int d = dim < 0 ? dim + input.Rank : dim;
        if (d < 0 || d >= input.Rank)
            throw new ArgumentOutOfRangeException(nameof(dim), $"Unflatten: dim {dim} is out of range for {input.Shape}.");
        if (sizes.Aggregate(1, (p, s) => p * s) != input.Shape[d])
            throw new ShapeMismatchException($"Unflatten: sizes {new Shape(sizes)} do not multiply to dimension {d} of {input.Shape} ({input.Shape[d]}).");
        var shape = input.Shape.AsSpan();
        return Reshape(input, [.. shape[..d], .. sizes, .. shape[(d + 1)..]]);
    }
}
