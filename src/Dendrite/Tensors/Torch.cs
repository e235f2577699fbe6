namespace Dendrite;

/// <summary>Process-wide settings, named after their PyTorch counterparts.</summary>
public static class Torch
{
    /// <summary>Reseeds <see cref="Generator.Default"/>, like <c>torch.manual_seed</c>.</summary>
    public static void ManualSeed(ulong seed) => Generator.Default.Reseed(seed);
}
