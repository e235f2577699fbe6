using Dendrite.Autograd;

namespace Dendrite;

public static partial class F
{
    /// <summary>The same values in another shape (a view sharing storage); one dimension may be −1 and is inferred.</summary>
    public static Tensor Reshape(Tensor x, params int[] shape)
    {
        var target = InferShape(nameof(Reshape), x.Shape, shape);
        var y = x.ViewAs(target);
        return Tape.Record(y, nameof(Reshape), [x], dy => [dy.ViewAs(x.Shape)]);
    }

    private static Shape InferShape(string op, Shape from, int[] shape)
    {
        int inferred = -1, known = 1;
        for (int i = 0; i < shape.Length; i++)
        {
            if (shape[i] == -1)
            {
                if (inferred >= 0) throw new ArgumentException($"{op}: only one dimension can be -1, got [{string.Join(", ", shape)}].");
                inferred = i;
            }
            else if (shape[i] < 0) throw new ArgumentException($"{op}: invalid dimension {shape[i]} in [{string.Join(", ", shape)}].");
            else known *= shape[i];
        }
        var dims = (int[])shape.Clone();
        if (inferred >= 0)
        {
            if (known == 0 || from.Numel % known != 0)
                throw new ShapeMismatchException($"{op}: cannot view shape {from} ({from.Numel} elements) as [{string.Join(", ", shape)}].");
            dims[inferred] = from.Numel / known;
        }
        var target = new Shape(dims);
        if (target.Numel != from.Numel)
            throw new ShapeMismatchException($"{op}: cannot view shape {from} ({from.Numel} elements) as {target} ({target.Numel} elements).");
        return target;
    }

    /// <summary>Dimensions startDim..endDim (inclusive, negatives from the end) merged into one.</summary>
    public static Tensor Flatten(Tensor x, int startDim = 0, int endDim = -1)
    {
        if (x.Rank == 0) return Reshape(x, 1);
        int s = x.Shape.NormalizeDim(startDim), e = x.Shape.NormalizeDim(endDim);
        if (s > e) throw new ArgumentException($"Flatten: startDim {startDim} comes after endDim {endDim} for shape {x.Shape}.");
        var dims = new List<int>();
        for (int d = 0; d < s; d++) dims.Add(x.Shape[d]);
        dims.Add(x.Shape.Product(s, e + 1));
        for (int d = e + 1; d < x.Rank; d++) dims.Add(x.Shape[d]);
        return Reshape(x, [.. dims]);
    }

    /// <summary>x with a new dimension of size 1 inserted at <paramref name="dim"/>.</summary>
    public static Tensor Unsqueeze(Tensor x, int dim)
    {
        int d = dim < 0 ? dim + x.Rank + 1 : dim;
        if (d < 0 || d > x.Rank) throw new ArgumentOutOfRangeException(nameof(dim), $"Unsqueeze: dimension {dim} is out of range for shape {x.Shape}.");
        var dims = x.Shape.ToList();
        dims.Insert(d, 1);
        return Reshape(x, [.. dims]);
    }

    /// <summary>x without dimension <paramref name="dim"/>, which must have size 1.</summary>
    public static Tensor Squeeze(Tensor x, int dim)
    {
        int d = x.Shape.NormalizeDim(dim);
        if (x.Shape[d] != 1) return x;
        var dims = x.Shape.ToList();
        dims.RemoveAt(d);
        return Reshape(x, [.. dims]);
    }

    /// <summary>Rows [start, start + length) of dimension 0: a view sharing storage.</summary>
    public static Tensor Slice(Tensor x, int start, int length)
    {
        if (x.Rank == 0) throw new ArgumentException("Slice: a scalar has no dimension 0 to slice.");
        if (start < 0 || length < 0 || start + length > x.Shape[0])
            throw new ArgumentOutOfRangeException(nameof(start), $"Slice: rows [{start}, {start + length}) are out of range for shape {x.Shape}.");
        var y = x.RowView(start, length);
        return Tape.Record(y, nameof(Slice), [x], dy =>
        {
            var dx = Tensor.Zeros(x.Shape, x.Device);
            x.Backend.Copy(dy.Storage, dx.RowView(start, length).Storage);
            return [dx];
        });
    }

    /// <summary>
    /// Positions [start, start + length) of dimension <paramref name="dim"/>, as <c>torch.narrow</c>; a negative start
    /// counts from the end. Along dimension 0 the result is a view sharing storage (<see cref="Slice(Tensor, int, int)"/>),
    /// along any other dimension a copy.
    /// </summary>
    public static Tensor Narrow(Tensor x, int dim, int start, int length)
    {
        if (x.Rank == 0) throw new ArgumentException("Narrow: a scalar has no dimension to narrow.");
        int d = x.Shape.NormalizeDim(dim), size = x.Shape[d];
        int from = start < 0 ? start + size : start;
        if (from < 0 || from > size || length < 0 || from + length > size)
            throw new ArgumentOutOfRangeException(nameof(start),
                $"Narrow: positions [{start}, {start} + {length}) are out of range for dimension {dim} of size {size} (shape {x.Shape}).");
        if (d == 0) return Slice(x, from, length);
        return StridedSlice(nameof(Narrow), x, d, from, length, 1);
    }

    /// <summary>
    /// Python's x[…, start:end:step, …] along dimension <paramref name="dim"/> (PyTorch's basic slicing): null bounds
    /// mean the whole dimension, negative ones count from the end, bounds past the ends are clipped, and the step must
    /// be positive, as in PyTorch. Always a copy. Not to be confused with <see cref="Slice(Tensor, int, int)"/>, which
    /// takes (start, length) along dimension 0.
    /// </summary>
    public static Tensor Slice(Tensor x, int dim, int? start, int? end, int step = 1)
    {
        if (x.Rank == 0) throw new ArgumentException("Slice: a scalar has no dimension to slice.");
        if (step < 1) throw new ArgumentOutOfRangeException(nameof(step), $"Slice: step must be positive, got {step}.");
        int d = x.Shape.NormalizeDim(dim), size = x.Shape[d];
        int Clip(int? bound, int absent)
        {
            if (bound is not { } b) return absent;
            return Math.Clamp(b < 0 ? b + size : b, 0, size);
        }
        int from = Clip(start, 0), to = Clip(end, size);
        int length = to > from ? (to - from + step - 1) / step : 0;
        return StridedSlice(nameof(Slice), x, d, from, length, step);
    }

    /// <summary>Positions from, from + step, … (length of them) of dimension d, copied; the gradient goes back to them.</summary>
    private static Tensor StridedSlice(string op, Tensor x, int d, int from, int length, int step)
    {
        var dims = x.Shape.ToArray();
        int size = dims[d];
        dims[d] = length;
        var y = Tensor.Empty(new Shape(dims), x.Device);
        int outer = x.Shape.Product(0, d), inner = x.Shape.Product(d + 1, x.Rank);
        CopyStrided(x, from, step, size, y, length, outer, inner, toSlice: true);
        return Tape.Record(y, op, [x], dy =>
        {
            var dx = Tensor.Zeros(x.Shape, x.Device);
            CopyStrided(dy, from, step, size, dx, length, outer, inner, toSlice: false);
            return [dx];
        });
    }

    /// <summary>
    /// Copies position from + k·step of a [outer, size, inner] tensor to position k of a [outer, length, inner] one (or
    /// back): one block copy of every outer run when the positions are adjacent, else one per position.
    /// </summary>
    private static void CopyStrided(Tensor source, int from, int step, int size, Tensor target, int length, int outer, int inner,
        bool toSlice)
    {
        if (length == 0 || outer == 0 || inner == 0) return;
        var backend = source.Backend;
        if (step == 1)
        {
            if (toSlice) backend.CopyBlocks(source.Storage, from * inner, size * inner, target.Storage, 0, length * inner, length * inner, outer);
            else backend.CopyBlocks(source.Storage, 0, length * inner, target.Storage, from * inner, size * inner, length * inner, outer);
            return;
        }
        for (int k = 0; k < length; k++)
        {
            int wide = (from + k * step) * inner, narrow = k * inner;
            if (toSlice) backend.CopyBlocks(source.Storage, wide, size * inner, target.Storage, narrow, length * inner, inner, outer);
            else backend.CopyBlocks(source.Storage, narrow, length * inner, target.Storage, wide, size * inner, inner, outer);
        }
    }

    /// <summary>
    /// x cut along <paramref name="dim"/> into pieces of <paramref name="splitSize"/> (the last one shorter when the
    /// size does not divide), as <c>torch.split</c>. Each piece is a <see cref="Narrow"/> of x.
    /// </summary>
    public static Tensor[] Split(Tensor x, int splitSize, int dim = 0)
    {
        if (x.Rank == 0) throw new ArgumentException("Split: a scalar has no dimension to split.");
        int d = x.Shape.NormalizeDim(dim), size = x.Shape[d];
        if (splitSize < 1 && !(splitSize == 0 && size == 0))
            throw new ArgumentOutOfRangeException(nameof(splitSize), $"Split: splitSize must be positive, got {splitSize}.");
        int pieces = splitSize == 0 ? 1 : Math.Max((size + splitSize - 1) / splitSize, 1);
        var sizes = new int[pieces];
        for (int i = 0; i < pieces; i++) sizes[i] = Math.Min(splitSize, size - i * splitSize);
        return SplitValidated(x, sizes, d);
    }

    /// <summary>x cut along <paramref name="dim"/> into pieces of the given sizes, which must add up to its size (<c>torch.split</c> with a list).</summary>
    public static Tensor[] Split(Tensor x, int[] sizes, int dim = 0)
    {
        if (x.Rank == 0) throw new ArgumentException("Split: a scalar has no dimension to split.");
        int d = x.Shape.NormalizeDim(dim);
        if (sizes.Any(s => s < 0) || sizes.Sum() != x.Shape[d])
            throw new ArgumentException(
                $"Split: sizes [{string.Join(", ", sizes)}] must be non-negative and add up to {x.Shape[d]}, the size of dimension {dim} of {x.Shape}.");
        return SplitValidated(x, sizes, d);
    }

    private static Tensor[] SplitValidated(Tensor x, int[] sizes, int d)
    {
        var pieces = new Tensor[sizes.Length];
        for (int i = 0, start = 0; i < sizes.Length; start += sizes[i], i++) pieces[i] = Narrow(x, d, start, sizes[i]);
        return pieces;
    }

    /// <summary>
    /// x cut along <paramref name="dim"/> into at most <paramref name="chunks"/> pieces of ⌈size/chunks⌉ (the last one
    /// shorter), as <c>torch.chunk</c>: 5 rows in 4 chunks give pieces of 2, 2 and 1 (three, not four). An empty
    /// dimension gives <paramref name="chunks"/> empty pieces.
    /// </summary>
    public static Tensor[] Chunk(Tensor x, int chunks, int dim = 0)
    {
        if (chunks < 1) throw new ArgumentOutOfRangeException(nameof(chunks), $"Chunk: chunks must be positive, got {chunks}.");
        if (x.Rank == 0) throw new ArgumentException("Chunk: a scalar has no dimension to chunk.");
        int d = x.Shape.NormalizeDim(dim), size = x.Shape[d];
        if (size == 0) return SplitValidated(x, new int[chunks], d);
        return Split(x, (size + chunks - 1) / chunks, d);
    }

    /// <summary>x with dimensions <paramref name="dim0"/> and <paramref name="dim1"/> swapped (copied into new contiguous storage).</summary>
    public static Tensor Transpose(Tensor x, int dim0, int dim1)
    {
        var perm = Enumerable.Range(0, x.Rank).ToArray();
        int a = x.Shape.NormalizeDim(dim0), b = x.Shape.NormalizeDim(dim1);
        (perm[a], perm[b]) = (perm[b], perm[a]);
        return Permute(x, perm);
    }

    /// <summary>The transpose of a 2-D tensor.</summary>
    public static Tensor T(Tensor x)
    {
        if (x.Rank != 2) throw new ShapeMismatchException($"T: expects a 2-D tensor, got shape {x.Shape}; use Transpose(dim0, dim1).");
        return Transpose(x, 0, 1);
    }

    /// <summary>x with its dimensions reordered: output dimension i is input dimension dims[i].</summary>
    public static Tensor Permute(Tensor x, params int[] dims)
    {
        if (dims.Length != x.Rank)
            throw new ShapeMismatchException($"Permute: {dims.Length} dimensions given for a tensor of shape {x.Shape}.");
        var perm = dims.Select(x.Shape.NormalizeDim).ToArray();
        if (perm.Distinct().Count() != perm.Length)
            throw new ArgumentException($"Permute: dimensions [{string.Join(", ", dims)}] repeat.");
        var y = PermuteValues(x, perm);
        var inverse = new int[perm.Length];
        for (int i = 0; i < perm.Length; i++) inverse[perm[i]] = i;
        return Tape.Record(y, nameof(Permute), [x], dy => [PermuteValues(dy, inverse)]);
    }

    private static Tensor PermuteValues(Tensor x, int[] perm)
    {
        var y = Tensor.Empty(perm.Select(p => x.Shape[p]).ToArray(), x.Device);
        x.Backend.Permute(x.Storage, x.Shape.AsSpan(), perm, y.Storage);
        return y;
    }

    /// <summary>Tensors joined along an existing dimension; all other dimensions must match.</summary>
    public static Tensor Cat(Tensor[] tensors, int dim = 0)
    {
        if (tensors.Length == 0) throw new ArgumentException("Cat: needs at least one tensor.");
        var first = tensors[0].Shape;
        int d = first.NormalizeDim(dim);
        int total = 0;
        foreach (var t in tensors)
        {
            CheckSameDevice(nameof(Cat), tensors[0], t, "tensors[0]", "another tensor");
            bool fits = t.Rank == first.Rank;
            for (int i = 0; fits && i < first.Rank; i++) fits = i == d || t.Shape[i] == first[i];
            if (!fits) throw new ShapeMismatchException($"Cat: shape {t.Shape} does not match {first} outside dimension {d}.");
            total += t.Shape[d];
        }
        var dims = first.ToArray();
        dims[d] = total;
        var device = tensors[0].Device;
        var y = Tensor.Empty(new Shape(dims), device);
        int outer = first.Product(0, d), inner = first.Product(d + 1, first.Rank);
        int offset = 0;
        foreach (var t in tensors)
        {
            int run = t.Shape[d] * inner;
            device.Backend.CopyBlocks(t.Storage, 0, run, y.Storage, offset, total * inner, run, outer);
            offset += run;
        }
        return Tape.Record(y, nameof(Cat), tensors, dy =>
        {
            var grads = new Tensor?[tensors.Length];
            int off = 0;
            for (int k = 0; k < tensors.Length; k++)
            {
                int run = tensors[k].Shape[d] * inner;
                if (tensors[k].RequiresGrad)
                {
                    var g = Tensor.Empty(tensors[k].Shape, device);
                    device.Backend.CopyBlocks(dy.Storage, off, total * inner, g.Storage, 0, run, run, outer);
                    grads[k] = g;
                }
                off += run;
            }
            return grads;
        });
    }

    /// <summary>Tensors of one shape stacked along a new dimension.</summary>
    public static Tensor Stack(Tensor[] tensors, int dim = 0) => Cat(tensors.Select(t => Unsqueeze(t, dim)).ToArray(), dim);
}
