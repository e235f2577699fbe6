namespace Dendrite.Bench;

/// <summary>
/// W6's data: CIFAR-shaped images (3×32×32) of independent pixels uniform in [0, 1) — the range of byte/255 pixels, as
/// the MNIST workloads read theirs — and labels uniform in 0…9, from SplitMix64 seeded with the protocol seed. One
/// generator in the shared code, so both systems train on bit-identical data (the two libraries' own generators
/// differ); the labels are noise, so W6 reports speed, not accuracy.
/// </summary>
public static class SyntheticImages
{
    public static int PixelsPerImage => Protocol.ResNetChannels * Protocol.ResNetSize * Protocol.ResNetSize;

    /// <summary>
    /// <paramref name="count"/> images as [count, 3, 32, 32] in row-major order, and their labels. The same seed always
    /// gives the same data, so it is regenerated rather than stored.
    /// </summary>
    public static (float[] Pixels, int[] Labels) Generate(int count, ulong seed)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(count);
        var pixels = new float[(long)count * PixelsPerImage];
        var labels = new int[count];
        ulong state = seed;
        for (long i = 0; i < pixels.Length; i++)
            pixels[i] = (Next(ref state) >> 40) * (1f / (1 << 24)); // the top 24 bits: exact in a float, below 1
        for (int i = 0; i < count; i++)
            labels[i] = (int)((Next(ref state) >> 32) * (ulong)Protocol.ResNetClasses >> 32); // multiply-shift: unbiased enough for 10 classes
        return (pixels, labels);
    }

    /// <summary>SplitMix64 (Steele, Lea, Flood 2014), the seeding generator of Java's SplittableRandom and of xoshiro.</summary>
    private static ulong Next(ref ulong state)
    {
        ulong z = state += 0x9E3779B97F4A7C15UL;
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBUL;
        return z ^ (z >> 31);
    }
}
