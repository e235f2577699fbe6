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
