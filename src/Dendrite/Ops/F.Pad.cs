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
        var y = Tensor.Full(new Shape(outShape), value);
        CopyRows(input.Shape, new Shape(outShape), before, input.Data, y.Data, toPadded: true);
        return Tape.Record(y, nameof(Pad), [input], dy =>
        {
            var dx = Tensor.Empty(input.Shape);
            CopyRows(input.Shape, new Shape(outShape), before, dx.Data, dy.Data, toPadded: false);
            return [dx];
        });
    }

    /// <summary>Copies each last-dimension row of the inner tensor to (or from) its place inside the padded one.</summary>
    private static void CopyRows(Shape inner, Shape padded, int[] before, Span<float> innerData, Span<float> paddedData, bool toPadded)
    {
        int rank = inner.Rank;
        if (inner.Numel == 0) return;
        if (rank == 0)
        {
            if (toPadded) paddedData[0] = innerData[0]; else innerData[0] = paddedData[0];
            return;
        }
        int rowLength = inner[-1], rows = inner.Numel / rowLength;
        Span<int> index = stackalloc int[rank];
        for (int r = 0; r < rows; r++)
        {
            // index = the row's coordinates in the inner tensor (last one 0); offset = where it starts in the padded one.
            int rem = r, offset = 0, stride = padded[-1];
            for (int d = rank - 2; d >= 0; d--)
            {
                index[d] = rem % inner[d];
                rem /= inner[d];
            }
            offset = before[rank - 1];
            for (int d = rank - 2; d >= 0; d--)
            {
                offset += (index[d] + before[d]) * stride;
                stride *= padded[d];
            }
            var innerRow = innerData.Slice(r * rowLength, rowLength);
            var paddedRow = paddedData.Slice(offset, rowLength);
            if (toPadded) innerRow.CopyTo(paddedRow); else paddedRow.CopyTo(innerRow);
        }
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
