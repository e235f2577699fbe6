using System.Runtime.CompilerServices;

// Why: ILGPU's launchers are emitted into its own dynamic assembly, which must see the internal argument structs.
[assembly: InternalsVisibleTo("ILGPURuntime")]

namespace Dendrite.Gpu.Kernels;

/// <summary>
/// Up to eight dimension values passed by value to a kernel (ILGPU takes no arrays or fixed buffers as kernel
/// arguments, so the dimensions are fields read through a switch).
/// </summary>
internal struct Dims8
{
    public int D0, D1, D2, D3, D4, D5, D6, D7;

    /// <summary>Tensors of higher rank than this are refused with a message naming the op.</summary>
    public const int MaxRank = 8;

    public readonly int Get(int d) => d switch
    {
        0 => D0, 1 => D1, 2 => D2, 3 => D3, 4 => D4, 5 => D5, 6 => D6, _ => D7,
    };

    public void Set(int d, int value)
    {
        switch (d)
        {
            case 0: D0 = value; break;
            case 1: D1 = value; break;
            case 2: D2 = value; break;
            case 3: D3 = value; break;
            case 4: D4 = value; break;
            case 5: D5 = value; break;
            case 6: D6 = value; break;
            default: D7 = value; break;
        }
    }
}

/// <summary>
/// How output element i (row-major over <see cref="Dims"/>) finds its operands: its multi-index dotted with each
/// operand's per-dimension strides (0 along a broadcast dimension). Permutation, broadcasting and padding are all
/// such maps.
/// </summary>
internal struct IndexMap
{
    public int Rank;
    public Dims8 Dims;
    public Dims8 AStrides;
    public Dims8 BStrides;

    /// <summary>Offsets of output element <paramref name="flat"/> in operands a and b.</summary>
    public readonly void Locate(int flat, out int a, out int b)
    {
        a = 0;
        b = 0;
        for (int d = Rank - 1; d >= 0; d--)
        {
            int size = Dims.Get(d);
            int index = flat % size;
            flat /= size;
            a += index * AStrides.Get(d);
            b += index * BStrides.Get(d);
        }
    }
}

/// <summary>A yes/no kernel argument: ILGPU passes only blittable fields, and bool is not blittable in .NET.</summary>
internal readonly struct Flag
{
    private readonly byte _value;

    private Flag(byte value) => _value = value;

    public static implicit operator bool(Flag flag) => flag._value != 0;

    public static implicit operator Flag(bool value) => new(value ? (byte)1 : (byte)0);
}
