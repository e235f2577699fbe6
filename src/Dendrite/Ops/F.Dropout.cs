using Dendrite.Autograd;
using Dendrite.Backends;

namespace Dendrite;

public static partial class F
{
    /// <summary>
    /// Inverted dropout, as <c>torch.nn.functional.dropout</c>: in training each element is zeroed with probability
    /// <paramref name="p"/> and the survivors are scaled by 1/(1 − p), so the expected value is unchanged and evaluation
    /// needs no rescaling. With <paramref name="training"/> false (or p = 0) x is returned as it is.
    /// </summary>
    /// <param name="generator">Source of the mask; <see cref="Generator.Default"/> when null, so <c>Torch.ManualSeed</c> fixes it.</param>
    public static Tensor Dropout(Tensor x, float p = 0.5f, bool training = true, Generator? generator = null)
    {
        CheckDropoutProbability(nameof(Dropout), p);
        if (!training || p == 0f) return x;
        var (y, mask) = DropoutValues(x, p, generator ?? Generator.Default);
        return RecordDropout(x, y, mask, nameof(Dropout));
    }

    /// <summary>
    /// y = x·mask with mask[i] = 0 with probability p, else 1/(1 − p). One draw from the generator seeds the whole
    /// mask, which the backend fills from that seed alone (<see cref="Backend.BernoulliMask"/>).
    /// </summary>
    internal static (Tensor Y, Tensor Mask) DropoutValues(Tensor x, float p, Generator generator)
    {
        var mask = Tensor.Empty(x.Shape, x.Device);
        var y = Tensor.Empty(x.Shape, x.Device);
        x.Backend.BernoulliMask(x.Storage, mask.Storage, y.Storage, p, p < 1f ? 1f / (1f - p) : 0f, generator.NextULong());
        return (y, mask);
    }

    /// <summary>
    /// Channel dropout, as <c>torch.nn.functional.dropout2d</c>: zeroes whole feature maps of an [N, C, H, W] (or
    /// unbatched [C, H, W]) input with probability p and scales the rest by 1/(1 − p). Adjacent pixels of a map are
    /// strongly correlated, so dropping them one by one regularises little; dropping the map does.
    /// </summary>
    public static Tensor Dropout2d(Tensor x, float p = 0.5f, bool training = true, Generator? generator = null)
    {
        CheckDropoutProbability(nameof(Dropout2d), p);
        if (x.Rank is not (3 or 4))
            throw new ShapeMismatchException($"Dropout2d: expected a 4-D [N, C, H, W] or 3-D [C, H, W] input, got {x.Shape}.");
        if (!training || p == 0f) return x;
        int maps = x.Rank == 4 ? x.Shape[0] * x.Shape[1] : x.Shape[0];
        int mapSize = x.Numel / Math.Max(maps, 1);
        Span<float> keep = maps <= 1024 ? stackalloc float[maps] : new float[maps];
        FillDropoutMask(keep, p, generator ?? Generator.Default);
        var mask = Tensor.Empty(x.Shape, x.Device);
        x.Backend.FillBlocks(keep, mapSize, mask.Storage);
        return RecordDropout(x, Product(x, mask), mask, nameof(Dropout2d));
    }

    private static void CheckDropoutProbability(string op, float p)
    {
        if (!(p >= 0f && p <= 1f)) throw new ArgumentOutOfRangeException(nameof(p), $"{op}: p must be in [0, 1], got {p}.");
    }

    /// <summary>Each entry becomes 0 with probability p, else 1/(1 − p) (all 0 when p = 1, as in PyTorch).</summary>
    private static void FillDropoutMask(Span<float> mask, float p, Generator generator)
    {
        float scale = p < 1f ? 1f / (1f - p) : 0f;
        for (int i = 0; i < mask.Length; i++) mask[i] = generator.NextFloat() < p ? 0f : scale;
    }

    /// <summary>Records y = x ∘ mask; the mask, already scaled, is also the derivative.</summary>
    private static Tensor RecordDropout(Tensor x, Tensor y, Tensor mask, string op)
    {
        return Tape.Record(y, op, [x], dy => [Product(dy, mask)]);
    }
}
