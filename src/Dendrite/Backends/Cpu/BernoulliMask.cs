using System.Runtime.Intrinsics;

namespace Dendrite.Backends.Cpu;

/// <summary>
/// Dropout's masks, drawn fast enough not to show in a training step: four xoshiro256** streams run side by side in
/// one vector, each 64-bit draw gives two 24-bit uniforms, and fixed chunks of the mask are filled in parallel. Each
/// chunk's streams are seeded from (seed, chunk index) alone, so the mask depends on the seed and never on the thread
/// count. A scalar path computes the same lanes in the same order where 256-bit vectors are not accelerated.
/// </summary>
internal static class BernoulliMask
{
    /// <summary>Elements per chunk: big enough to amortise seeding, small enough to balance a few cores.</summary>
    private const int ChunkSize = 1 << 14;

    /// <summary>Uniforms per step of the four-lane generator: two 32-bit halves of four 64-bit draws.</summary>
    private const int PerStep = 8;

    /// <summary>
    /// mask[i] = 0 with probability <paramref name="p"/>, else <paramref name="keep"/>; then y[i] = x[i]·mask[i]. A
    /// uniform u (24 bits) drops its element when u·2⁻²⁴ &lt; p, as Generator.NextFloat compared with p would.
    /// </summary>
    public static void Apply(ReadOnlySpan<float> x, Span<float> mask, Span<float> y, float p, float keep, ulong seed) =>
        Apply(x, mask, y, p, keep, seed, vectorised: Vector256.IsHardwareAccelerated);

    /// <summary><see cref="Apply(ReadOnlySpan{float}, Span{float}, Span{float}, float, float, ulong)"/> on the path chosen (tests compare the two).</summary>
    internal static unsafe void Apply(ReadOnlySpan<float> x, Span<float> mask, Span<float> y, float p, float keep, ulong seed, bool vectorised)
    {
        if (x.Length != mask.Length || y.Length != mask.Length)
            throw new ArgumentException($"BernoulliMask: x ({x.Length}), mask ({mask.Length}) and y ({y.Length}) must have one length.");
        uint threshold = (uint)Math.Ceiling(p * 16777216.0);
        int length = mask.Length, chunks = (length + ChunkSize - 1) / ChunkSize;
        fixed (float* px = x, pm = mask, py = y)
        {
            float* xs = px, ms = pm, ys = py;
            Threading.For(chunks, chunk =>
            {
                int start = chunk * ChunkSize, count = Math.Min(ChunkSize, length - start);
                FillChunk(xs + start, ms + start, ys + start, count, threshold, keep, seed, (ulong)chunk, vectorised);
            }, parallel: length >= 1 << 16);
        }
    }

    private static unsafe void FillChunk(float* x, float* mask, float* y, int count, uint threshold, float keep, ulong seed, ulong chunk, bool vectorised)
    {
        // SplitMix64 from a per-chunk starting point spreads nearby (seed, chunk) pairs over unrelated states.
        ulong sm = seed ^ (chunk * 0xD1B54A32D192ED03UL);
        Span<ulong> s = stackalloc ulong[16]; // 4 words of each of the 4 lanes: s[word·4 + lane]
        for (int i = 0; i < 16; i++) s[i] = Xoshiro256.SplitMix(ref sm);
        if (vectorised) FillVector(x, mask, y, count, threshold, keep, s);
        else FillScalar(x, mask, y, count, threshold, keep, s);
    }

    private static unsafe void FillVector(float* x, float* mask, float* y, int count, uint threshold, float keep, Span<ulong> state)
    {
        var s0 = Vector256.Create(state[0], state[1], state[2], state[3]);
        var s1 = Vector256.Create(state[4], state[5], state[6], state[7]);
        var s2 = Vector256.Create(state[8], state[9], state[10], state[11]);
        var s3 = Vector256.Create(state[12], state[13], state[14], state[15]);
        var limit = Vector256.Create(threshold);
        var kept = Vector256.Create(keep);
        uint* tail = stackalloc uint[PerStep];
        for (int i = 0; i < count; i += PerStep)
        {
            // xoshiro256**: result = rotl(s1·5, 7)·9, with the multiplies as shift-adds (no 64-bit vector multiply on AVX2).
            var t5 = (s1 << 2) + s1;
            var r = (t5 << 7) | (t5 >>> 57);
            var result = (r << 3) + r;
            var t = s1 << 17;
            s2 ^= s0; s3 ^= s1; s1 ^= s2; s0 ^= s3;
            s2 ^= t;
            s3 = (s3 << 45) | (s3 >>> 19);

            var u = result.AsUInt32() >>> 8;
            var m = Vector256.ConditionalSelect(Vector256.GreaterThanOrEqual(u, limit).AsSingle(), kept, Vector256<float>.Zero);
            if (i + PerStep <= count)
            {
                m.Store(mask + i);
                (Vector256.Load(x + i) * m).Store(y + i);
            }
            else
            {
                u.Store(tail);
                for (int j = 0; i + j < count; j++)
                {
                    float mj = tail[j] >= threshold ? keep : 0f;
                    mask[i + j] = mj;
                    y[i + j] = x[i + j] * mj;
                }
            }
        }
    }

    private static unsafe void FillScalar(float* x, float* mask, float* y, int count, uint threshold, float keep, Span<ulong> s)
    {
        for (int i = 0; i < count; i += PerStep)
        {
            for (int lane = 0; lane < 4; lane++)
            {
                ulong result = Xoshiro256.Next(ref s[lane], ref s[4 + lane], ref s[8 + lane], ref s[12 + lane]);
                // Little-endian halves, as the vector path's reinterpretation as eight 32-bit lanes orders them.
                for (int half = 0; half < 2; half++)
                {
                    int k = i + 2 * lane + half;
                    if (k >= count) continue;
                    uint u = (uint)(result >> (32 * half)) >> 8;
                    float mk = u >= threshold ? keep : 0f;
                    mask[k] = mk;
                    y[k] = x[k] * mk;
                }
            }
        }
    }
}
