namespace Dendrite.Backends;

/// <summary>
/// The steps of the xoshiro256** generator and of SplitMix64, its seeding sequence (Vigna): shared by the tensors'
/// <c>Generator</c> and by backends that draw dropout masks, so a mask drawn on any backend follows the same streams.
/// </summary>
internal static class Xoshiro256
{
    /// <summary>SplitMix64: one step of the seeding sequence, also used to seed independent streams.</summary>
    public static ulong SplitMix(ref ulong x)
    {
        ulong z = x += 0x9E3779B97F4A7C15UL;
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBUL;
        return z ^ (z >> 31);
    }

    /// <summary>One step of xoshiro256** on the state (s0, s1, s2, s3): returns the next output and advances the state.</summary>
    public static ulong Next(ref ulong s0, ref ulong s1, ref ulong s2, ref ulong s3)
    {
        ulong result = ulong.RotateLeft(s1 * 5, 7) * 9;
        ulong t = s1 << 17;
        s2 ^= s0; s3 ^= s1; s1 ^= s2; s0 ^= s3;
        s2 ^= t;
        s3 = ulong.RotateLeft(s3, 45);
        return result;
    }
}
