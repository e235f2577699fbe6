using Dendrite.Backends;

namespace Dendrite;

/// <summary>
/// A seeded pseudo-random generator (xoshiro256**, seeded through SplitMix64).
/// Same seed, same stream on every machine and .NET version, unlike <see cref="Random"/>'s unspecified algorithm.
/// </summary>
public sealed class Generator
{
    private ulong _s0, _s1, _s2, _s3;
    private float? _spareNormal;

    public Generator(ulong seed) => Reseed(seed);

    /// <summary>The generator used when none is passed; reseed it with <see cref="Torch.ManualSeed"/>.</summary>
    public static Generator Default { get; } = new(0x5EED);

    public void Reseed(ulong seed)
    {
        ulong x = seed;
        _s0 = Xoshiro256.SplitMix(ref x); _s1 = Xoshiro256.SplitMix(ref x); _s2 = Xoshiro256.SplitMix(ref x); _s3 = Xoshiro256.SplitMix(ref x);
        _spareNormal = null;
    }

    /// <summary>The whole state, so that a run can be resumed exactly.</summary>
    public ulong[] GetState() => [_s0, _s1, _s2, _s3, _spareNormal is { } s ? 1UL + BitConverter.SingleToUInt32Bits(s) : 0UL];

    public void SetState(ulong[] state)
    {
        if (state.Length != 5) throw new ArgumentException($"Generator.SetState: expected 5 words, got {state.Length}.");
        (_s0, _s1, _s2, _s3) = (state[0], state[1], state[2], state[3]);
        _spareNormal = state[4] == 0 ? null : BitConverter.UInt32BitsToSingle((uint)(state[4] - 1));
    }

    public ulong NextULong() => Xoshiro256.Next(ref _s0, ref _s1, ref _s2, ref _s3);

    /// <summary>Uniform in [0, 1) with 24 random bits, the float32 resolution.</summary>
    public float NextFloat() => (NextULong() >> 40) * (1f / (1 << 24));

    /// <summary>Uniform in [0, 1) with 53 random bits.</summary>
    public double NextDouble() => (NextULong() >> 11) * (1.0 / (1UL << 53));

    /// <summary>Uniform integer in [0, n), without modulo bias (Lemire's method).</summary>
    public int NextInt(int n)
    {
        if (n <= 0) throw new ArgumentOutOfRangeException(nameof(n), $"NextInt: n must be positive, got {n}.");
        ulong range = (ulong)n;
        UInt128 m = (UInt128)NextULong() * range;
        ulong low = (ulong)m;
        if (low < range)
        {
            ulong threshold = (0UL - range) % range;
            while (low < threshold)
            {
                m = (UInt128)NextULong() * range;
                low = (ulong)m;
            }
        }
        return (int)(m >> 64);
    }

    /// <summary>Standard normal sample (Box–Muller, the second value kept for the next call).</summary>
    public float NextNormal()
    {
        if (_spareNormal is { } spare)
        {
            _spareNormal = null;
            return spare;
        }
        double u1 = 1.0 - NextDouble(); // (0, 1]: log stays finite
        double u2 = NextDouble();
        double r = Math.Sqrt(-2.0 * Math.Log(u1));
        _spareNormal = (float)(r * Math.Sin(2 * Math.PI * u2));
        return (float)(r * Math.Cos(2 * Math.PI * u2));
    }

    /// <summary>Fisher–Yates shuffle of <paramref name="items"/> in place.</summary>
    public void Shuffle<T>(Span<T> items)
    {
        for (int i = items.Length - 1; i > 0; i--)
        {
            int j = NextInt(i + 1);
            (items[i], items[j]) = (items[j], items[i]);
        }
    }
}
