using System.Collections;

namespace Dendrite;

/// <summary>The dimensions of a tensor, outermost first. Prints like PyTorch's size: <c>[64, 1, 28, 28]</c>.</summary>
public readonly struct Shape : IEquatable<Shape>, IReadOnlyList<int>
{
    private readonly int[]? _dims;

    public Shape(params int[] dims)
    {
        foreach (int d in dims)
            if (d < 0) throw new ArgumentException($"Shape: dimensions must be >= 0, got [{string.Join(", ", dims)}].");
        _dims = (int[])dims.Clone();
    }

    public Shape(ReadOnlySpan<int> dims) : this(dims.ToArray()) { }

    private int[] Dims => _dims ?? [];

    public int Rank => Dims.Length;

    /// <summary>Number of elements: the product of the dimensions (1 for a scalar).</summary>
    public int Numel
    {
        get
        {
            // Held at 2³¹ after each factor, so the product never wraps (four dimensions of 65536 would wrap a long to 0).
            long n = 1;
            foreach (int d in Dims) n = Math.Min(n * d, (long)int.MaxValue + 1);
            if (n > int.MaxValue)
                throw new ArgumentException($"Shape {this} has more than {int.MaxValue} elements, more than a tensor can hold.");
            return (int)n;
        }
    }

    /// <summary>Dimension <paramref name="dim"/>; negative values count from the end as in PyTorch.</summary>
    public int this[int dim] => Dims[NormalizeDim(dim)];

    public int Count => Rank;

    /// <summary>Maps a possibly negative dimension index into [0, Rank).</summary>
    public int NormalizeDim(int dim)
    {
        int d = dim < 0 ? dim + Rank : dim;
        if (d < 0 || d >= Rank)
            throw new ArgumentOutOfRangeException(nameof(dim), $"Dimension {dim} is out of range for a tensor of shape {this} (rank {Rank}).");
        return d;
    }

    public int[] ToArray() => (int[])Dims.Clone();

    public ReadOnlySpan<int> AsSpan() => Dims;

    /// <summary>Product of dimensions in [start, end).</summary>
    public int Product(int start, int end)
    {
        int n = 1;
        for (int i = start; i < end; i++) n *= Dims[i];
        return n;
    }

    public bool Equals(Shape other) => Dims.AsSpan().SequenceEqual(other.Dims);
    public override bool Equals(object? obj) => obj is Shape s && Equals(s);
    public override int GetHashCode()
    {
        var h = new HashCode();
        foreach (int d in Dims) h.Add(d);
        return h.ToHashCode();
    }
    public static bool operator ==(Shape a, Shape b) => a.Equals(b);
    public static bool operator !=(Shape a, Shape b) => !a.Equals(b);

    public override string ToString() => "[" + string.Join(", ", Dims) + "]";

    public IEnumerator<int> GetEnumerator() => ((IEnumerable<int>)Dims).GetEnumerator();
    IEnumerator IEnumerable.GetEnumerator() => GetEnumerator();

    public static implicit operator Shape(int[] dims) => new(dims);
}
