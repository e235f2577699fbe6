using System.Numerics;
using System.Numerics.Tensors;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;

namespace Dendrite.Backends.Cpu;

/// <summary>
/// The elementwise part of one recurrent step for one batch row, fused: the gate nonlinearities, the state update and,
/// backwards, every gate's gradient in one pass over the row. The matrix products around them are GEMMs.
/// </summary>
/// <remarks>
/// Layouts (H = hidden size), PyTorch's gate order:
/// LSTM gates [4H] = i, f, g, o; GRU gates [3H] = r, z, n with hp [3H] = W_hh·h + b_hh ("reset after");
/// RNN gates [H] = the pre-activation, then h itself.
/// </remarks>
internal static class RecurrentCells
{
    /// <summary>
    /// LSTM step: gates hold the pre-activations on entry and i, f, g, o on exit; c ← f·c + i·g, tanhC ← tanh(c),
    /// h ← o·tanh(c). One pass over the row: each vector of hidden units goes through its four gates, the cell and
    /// the output while in registers (separate passes per gate and per product cost more than the arithmetic). With
    /// <paramref name="kernel"/> AVX-512, 16 units at a time: the five exponentials dominate, and 512-bit vectors halve them.
    /// </summary>
    public static void LstmForward(Span<float> gates, Span<float> c, Span<float> tanhC, Span<float> h, CpuIsa kernel)
    {
        int n = c.Length;
        if (gates.Length < 4 * n || tanhC.Length < n || h.Length < n)
            throw new ArgumentException("LstmForward: the gates need 4·H values and tanhC and h H each.");
        ref float gr = ref MemoryMarshal.GetReference(gates);
        ref float cr = ref MemoryMarshal.GetReference(c);
        ref float tc = ref MemoryMarshal.GetReference(tanhC);
        ref float hr = ref MemoryMarshal.GetReference(h);
        nuint hs = (nuint)n, j = 0;
        if (kernel == CpuIsa.Avx512 && Vector512.IsHardwareAccelerated)
        {
            for (; j + (nuint)Vector512<float>.Count <= hs; j += (nuint)Vector512<float>.Count)
            {
                var i = Sigmoid(Vector512.LoadUnsafe(ref gr, j));
                var f = Sigmoid(Vector512.LoadUnsafe(ref gr, hs + j));
                var g = Tanh(Vector512.LoadUnsafe(ref gr, 2 * hs + j));
                var o = Sigmoid(Vector512.LoadUnsafe(ref gr, 3 * hs + j));
                i.StoreUnsafe(ref gr, j);
                f.StoreUnsafe(ref gr, hs + j);
                g.StoreUnsafe(ref gr, 2 * hs + j);
                o.StoreUnsafe(ref gr, 3 * hs + j);
                var cell = Vector512.FusedMultiplyAdd(i, g, f * Vector512.LoadUnsafe(ref cr, j));
                cell.StoreUnsafe(ref cr, j);
                var t = Tanh(cell);
                t.StoreUnsafe(ref tc, j);
                (o * t).StoreUnsafe(ref hr, j);
            }
        }
        if (kernel != CpuIsa.Portable && Vector.IsHardwareAccelerated)
        {
            for (; j + (nuint)Vector<float>.Count <= hs; j += (nuint)Vector<float>.Count)
            {
                var i = Sigmoid(Vector.LoadUnsafe(ref gr, j));
                var f = Sigmoid(Vector.LoadUnsafe(ref gr, hs + j));
                var g = Tanh(Vector.LoadUnsafe(ref gr, 2 * hs + j));
                var o = Sigmoid(Vector.LoadUnsafe(ref gr, 3 * hs + j));
                i.StoreUnsafe(ref gr, j);
                f.StoreUnsafe(ref gr, hs + j);
                g.StoreUnsafe(ref gr, 2 * hs + j);
                o.StoreUnsafe(ref gr, 3 * hs + j);
                var cell = Vector.FusedMultiplyAdd(i, g, f * Vector.LoadUnsafe(ref cr, j));
                cell.StoreUnsafe(ref cr, j);
                var t = Tanh(cell);
                t.StoreUnsafe(ref tc, j);
                (o * t).StoreUnsafe(ref hr, j);
            }
        }
        for (; j < hs; j++)
        {
            float i = Sigmoid(Unsafe.Add(ref gr, j)), f = Sigmoid(Unsafe.Add(ref gr, hs + j));
            float g = Tanh(Unsafe.Add(ref gr, 2 * hs + j)), o = Sigmoid(Unsafe.Add(ref gr, 3 * hs + j));
            Unsafe.Add(ref gr, j) = i;
            Unsafe.Add(ref gr, hs + j) = f;
            Unsafe.Add(ref gr, 2 * hs + j) = g;
            Unsafe.Add(ref gr, 3 * hs + j) = o;
            float cell = MathF.FusedMultiplyAdd(i, g, f * Unsafe.Add(ref cr, j));
            Unsafe.Add(ref cr, j) = cell;
            float t = Tanh(cell);
            Unsafe.Add(ref tc, j) = t;
            Unsafe.Add(ref hr, j) = o * t;
        }
    }

    /// <summary>σ(x) = 1 / (1 + e^−x): exactly 0 and 1 far out (e^−x overflows to ∞ or vanishes), NaN stays NaN.</summary>
    private static Vector<float> Sigmoid(Vector<float> x) => Vector<float>.One / (Vector<float>.One + Vector.Exp(-x));

    private static Vector512<float> Sigmoid(Vector512<float> x) =>
        Vector512<float>.One / (Vector512<float>.One + Vector512.Exp(-x));

    private static float Sigmoid(float x) => 1f / (1f + MathF.Exp(-x));

    /// <summary>
    /// tanh(x) = 1 − 2 / (e^2x + 1) for |x| ≥ 1/4, exactly ±1 far out (e^2x overflows to ∞ or vanishes); below 1/4, where
    /// that subtraction would cancel most of the bits, the odd Taylor series to x^11 (what it leaves out is below
    /// 1e−10 there). Within a few units in the last place everywhere; NaN stays NaN.
    /// </summary>
    private static Vector<float> Tanh(Vector<float> x)
    {
        var wide = Vector<float>.One - Vector.Create(2f) / (Vector.Exp(x + x) + Vector<float>.One);
        var x2 = x * x;
        var series = Vector.Create(-1382f / 155925f);
        series = Vector.FusedMultiplyAdd(series, x2, Vector.Create(62f / 2835f));
        series = Vector.FusedMultiplyAdd(series, x2, Vector.Create(-17f / 315f));
        series = Vector.FusedMultiplyAdd(series, x2, Vector.Create(2f / 15f));
        series = Vector.FusedMultiplyAdd(series, x2, Vector.Create(-1f / 3f));
        series = Vector.FusedMultiplyAdd(series * x2, x, x);
        return Vector.ConditionalSelect(Vector.LessThan(Vector.Abs(x), Vector.Create(0.25f)), series, wide);
    }

    /// <summary>The 512-bit twin of the <see cref="Vector{T}"/> tanh above.</summary>
    private static Vector512<float> Tanh(Vector512<float> x)
    {
        var wide = Vector512<float>.One - Vector512.Create(2f) / (Vector512.Exp(x + x) + Vector512<float>.One);
        var x2 = x * x;
        var series = Vector512.Create(-1382f / 155925f);
        series = Vector512.FusedMultiplyAdd(series, x2, Vector512.Create(62f / 2835f));
        series = Vector512.FusedMultiplyAdd(series, x2, Vector512.Create(-17f / 315f));
        series = Vector512.FusedMultiplyAdd(series, x2, Vector512.Create(2f / 15f));
        series = Vector512.FusedMultiplyAdd(series, x2, Vector512.Create(-1f / 3f));
        series = Vector512.FusedMultiplyAdd(series * x2, x, x);
        return Vector512.ConditionalSelect(Vector512.LessThan(Vector512.Abs(x), Vector512.Create(0.25f)), series, wide);
    }

    private static float Tanh(float x) => MathF.Tanh(x);

    /// <summary>
    /// LSTM step backwards. With dh = dhCarry + dy (the state's gradient from later steps plus the output's):
    /// dc_t = dc + dh·o·(1 − tanh²c), then the gate pre-activation gradients
    /// di = dc_t·g·i(1 − i), df = dc_t·c_prev·f(1 − f), dg = dc_t·i·(1 − g²), do = dh·tanh c·o(1 − o),
    /// and dc ← dc_t·f for the previous step.
    /// </summary>
    public static void LstmBackward(ReadOnlySpan<float> gates, ReadOnlySpan<float> cPrev, ReadOnlySpan<float> tanhC,
        ReadOnlySpan<float> dhCarry, ReadOnlySpan<float> dy, Span<float> dc, Span<float> dGates)
    {
        int n = cPrev.Length;
        ref float gr = ref MemoryMarshal.GetReference(gates);
        ref float cp = ref MemoryMarshal.GetReference(cPrev);
        ref float tc = ref MemoryMarshal.GetReference(tanhC);
        ref float dhr = ref MemoryMarshal.GetReference(dhCarry);
        ref float dyr = ref MemoryMarshal.GetReference(dy);
        ref float dcr = ref MemoryMarshal.GetReference(dc);
        ref float dg = ref MemoryMarshal.GetReference(dGates);
        nuint h = (nuint)n, j = 0;
        if (Vector.IsHardwareAccelerated)
        {
            var one = Vector<float>.One;
            for (; j + (nuint)Vector<float>.Count <= h; j += (nuint)Vector<float>.Count)
            {
                var i = Vector.LoadUnsafe(ref gr, j);
                var f = Vector.LoadUnsafe(ref gr, h + j);
                var g = Vector.LoadUnsafe(ref gr, 2 * h + j);
                var o = Vector.LoadUnsafe(ref gr, 3 * h + j);
                var t = Vector.LoadUnsafe(ref tc, j);
                var dht = Vector.LoadUnsafe(ref dhr, j) + Vector.LoadUnsafe(ref dyr, j);
                var dct = Vector.LoadUnsafe(ref dcr, j) + dht * o * (one - t * t);
                (dct * g * i * (one - i)).StoreUnsafe(ref dg, j);
                (dct * Vector.LoadUnsafe(ref cp, j) * f * (one - f)).StoreUnsafe(ref dg, h + j);
                (dct * i * (one - g * g)).StoreUnsafe(ref dg, 2 * h + j);
                (dht * t * o * (one - o)).StoreUnsafe(ref dg, 3 * h + j);
                (dct * f).StoreUnsafe(ref dcr, j);
            }
        }
        for (; j < h; j++)
        {
            float i = Unsafe.Add(ref gr, j), f = Unsafe.Add(ref gr, h + j);
            float g = Unsafe.Add(ref gr, 2 * h + j), o = Unsafe.Add(ref gr, 3 * h + j);
            float t = Unsafe.Add(ref tc, j);
            float dht = Unsafe.Add(ref dhr, j) + Unsafe.Add(ref dyr, j);
            float dct = Unsafe.Add(ref dcr, j) + dht * o * (1 - t * t);
            Unsafe.Add(ref dg, j) = dct * g * i * (1 - i);
            Unsafe.Add(ref dg, h + j) = dct * Unsafe.Add(ref cp, j) * f * (1 - f);
            Unsafe.Add(ref dg, 2 * h + j) = dct * i * (1 - g * g);
            Unsafe.Add(ref dg, 3 * h + j) = dht * t * o * (1 - o);
            Unsafe.Add(ref dcr, j) = dct * f;
        }
    }

    /// <summary>
    /// GRU step ("reset after", PyTorch's form): gates hold W_ih·x + b_ih on entry and r, z, n on exit, with
    /// r = σ(x_r + hp_r), z = σ(x_z + hp_z), n = tanh(x_n + r·hp_n); hpN keeps hp_n for the backward;
    /// h ← (1 − z)·n + z·h, computed as n + z·(h − n).
    /// </summary>
    public static void GruForward(Span<float> gates, Span<float> hp, Span<float> hpN, Span<float> h)
    {
        int n = h.Length;
        var rz = gates[..(2 * n)];
        TensorPrimitives.Add(rz, hp[..(2 * n)], rz);
        TensorPrimitives.Sigmoid(rz, rz);
        hp.Slice(2 * n, n).CopyTo(hpN);
        var nGate = gates.Slice(2 * n, n);
        TensorPrimitives.FusedMultiplyAdd(gates[..n], hpN, nGate, nGate);
        TensorPrimitives.Tanh(nGate, nGate);
        TensorPrimitives.Subtract(h, nGate, h);
        TensorPrimitives.FusedMultiplyAdd(gates.Slice(n, n), h, nGate, h);
    }

    /// <summary>
    /// GRU step backwards. With dh = dhCarry + dy: dn = dh·(1 − z)·(1 − n²), dz = dh·(h_prev − n)·z(1 − z),
    /// dr = dn·hp_n·r(1 − r). The input side gets (dr, dz, dn), the hidden side (dr, dz, dn·r), and the direct path
    /// dh·z goes to dhPrev (the GEMM through W_hh adds the rest).
    /// </summary>
    public static void GruBackward(ReadOnlySpan<float> gates, ReadOnlySpan<float> hpN, ReadOnlySpan<float> hPrev,
        ReadOnlySpan<float> dhCarry, ReadOnlySpan<float> dy, Span<float> dInput, Span<float> dHidden, Span<float> dhPrev)
    {
        int count = hPrev.Length;
        ref float gr = ref MemoryMarshal.GetReference(gates);
        ref float hn = ref MemoryMarshal.GetReference(hpN);
        ref float hp = ref MemoryMarshal.GetReference(hPrev);
        ref float dhr = ref MemoryMarshal.GetReference(dhCarry);
        ref float dyr = ref MemoryMarshal.GetReference(dy);
        ref float di = ref MemoryMarshal.GetReference(dInput);
        ref float dhd = ref MemoryMarshal.GetReference(dHidden);
        ref float dp = ref MemoryMarshal.GetReference(dhPrev);
        nuint h = (nuint)count, j = 0;
        if (Vector.IsHardwareAccelerated)
        {
            var one = Vector<float>.One;
            for (; j + (nuint)Vector<float>.Count <= h; j += (nuint)Vector<float>.Count)
            {
                var r = Vector.LoadUnsafe(ref gr, j);
                var z = Vector.LoadUnsafe(ref gr, h + j);
                var n = Vector.LoadUnsafe(ref gr, 2 * h + j);
                var dht = Vector.LoadUnsafe(ref dhr, j) + Vector.LoadUnsafe(ref dyr, j);
                var dn = dht * (one - z) * (one - n * n);
                var dz = dht * (Vector.LoadUnsafe(ref hp, j) - n) * z * (one - z);
                var dr = dn * Vector.LoadUnsafe(ref hn, j) * r * (one - r);
                dr.StoreUnsafe(ref di, j);
                dz.StoreUnsafe(ref di, h + j);
                dn.StoreUnsafe(ref di, 2 * h + j);
                dr.StoreUnsafe(ref dhd, j);
                dz.StoreUnsafe(ref dhd, h + j);
                (dn * r).StoreUnsafe(ref dhd, 2 * h + j);
                (dht * z).StoreUnsafe(ref dp, j);
            }
        }
        for (; j < h; j++)
        {
            float r = Unsafe.Add(ref gr, j), z = Unsafe.Add(ref gr, h + j), n = Unsafe.Add(ref gr, 2 * h + j);
            float dht = Unsafe.Add(ref dhr, j) + Unsafe.Add(ref dyr, j);
            float dn = dht * (1 - z) * (1 - n * n);
            float dz = dht * (Unsafe.Add(ref hp, j) - n) * z * (1 - z);
            float dr = dn * Unsafe.Add(ref hn, j) * r * (1 - r);
            Unsafe.Add(ref di, j) = dr;
            Unsafe.Add(ref di, h + j) = dz;
            Unsafe.Add(ref di, 2 * h + j) = dn;
            Unsafe.Add(ref dhd, j) = dr;
            Unsafe.Add(ref dhd, h + j) = dz;
            Unsafe.Add(ref dhd, 2 * h + j) = dn * r;
            Unsafe.Add(ref dp, j) = dht * z;
        }
    }

    /// <summary>Elman step: gates hold the pre-activation on entry and h = tanh or relu of it on exit.</summary>
    public static void RnnForward(Span<float> gates, bool relu, Span<float> h)
    {
        if (relu) TensorPrimitives.Max(gates, 0f, gates);
        else TensorPrimitives.Tanh(gates, gates);
        gates.CopyTo(h);
    }

    /// <summary>Elman step backwards: dpre = (dhCarry + dy)·(1 − h²) for tanh, ·[h &gt; 0] for relu.</summary>
    public static void RnnBackward(ReadOnlySpan<float> h, bool relu, ReadOnlySpan<float> dhCarry, ReadOnlySpan<float> dy,
        Span<float> dGates)
    {
        for (int j = 0; j < h.Length; j++)
        {
            float dht = dhCarry[j] + dy[j];
            dGates[j] = relu ? (h[j] > 0 ? dht : 0f) : dht * (1 - h[j] * h[j]);
        }
    }
}
