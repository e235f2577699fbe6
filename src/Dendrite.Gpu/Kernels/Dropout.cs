using ILGPU;

namespace Dendrite.Gpu.Kernels;

internal struct MaskArgs
{
    public ArrayView<float> X, Mask, Y;
    public uint Threshold;
    public float Keep;
    public ulong Seed;
}

internal static partial class GpuKernels
{
    /// <summary>Elements per independently seeded chunk: the mask stream's definition (the CPU backends' chunk).</summary>
    public const int MaskChunk = 1 << 14;

    /// <summary>
    /// One thread per (chunk, lane) of the mask stream the CPU backends draw, so masks agree to the bit: chunk c's
    /// four xoshiro256** lanes are seeded by SplitMix64 from seed ⊕ c·0xD1B54A32D192ED03 (word w of lane l is output
    /// 4w + l); each step, lane l's draw gives elements 8·step + 2l (low half) and 8·step + 2l + 1 (high half), and a
    /// half's top 24 bits u drop the element when u &lt; Threshold = ⌈p·2²⁴⌉.
    /// </summary>
    public static void BernoulliMask(Index1D t, MaskArgs a)
    {
        int chunk = t / 4, lane = t % 4;
        int start = chunk * MaskChunk;
        int count = a.Mask.IntLength - start < MaskChunk ? a.Mask.IntLength - start : MaskChunk;
        ulong seeding = a.Seed ^ ((ulong)chunk * 0xD1B54A32D192ED03UL);
        ulong s0 = 0, s1 = 0, s2 = 0, s3 = 0;
        for (int w = 0; w < 16; w++)
        {
            ulong value = SplitMix(ref seeding);
            if (w == lane) s0 = value;
            else if (w == 4 + lane) s1 = value;
            else if (w == 8 + lane) s2 = value;
            else if (w == 12 + lane) s3 = value;
        }
        for (int step = 0; step < count; step += 8)
        {
            ulong draw = XoshiroNext(ref s0, ref s1, ref s2, ref s3);
            for (int half = 0; half < 2; half++)
            {
                int k = step + 2 * lane + half;
                if (k >= count) continue;
                uint u = (uint)(draw >> (32 * half)) >> 8;
                float value = u < a.Threshold ? 0f : a.Keep;
                a.Mask[start + k] = value;
                a.Y[start + k] = a.X[start + k] * value;
            }
        }
    }

    /// <summary>SplitMix64's step (Dendrite.Backends.Xoshiro256.SplitMix, which is internal to the core).</summary>
    private static ulong SplitMix(ref ulong x)
    {
        ulong z = x += 0x9E3779B97F4A7C15UL;
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBUL;
        return z ^ (z >> 31);
    }

    private static ulong RotateLeft(ulong x, int k) => (x << k) | (x >> (64 - k));

    /// <summary>xoshiro256**'s step (Dendrite.Backends.Xoshiro256.Next).</summary>
    private static ulong XoshiroNext(ref ulong s0, ref ulong s1, ref ulong s2, ref ulong s3)
    {
        ulong result = RotateLeft(s1 * 5, 7) * 9;
        ulong t = s1 << 17;
        s2 ^= s0; s3 ^= s1; s1 ^= s2; s0 ^= s3;
        s2 ^= t;
        s3 = RotateLeft(s3, 45);
        return result;
    }
}
