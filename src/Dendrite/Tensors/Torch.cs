using Dendrite.Backends.Cpu;

namespace Dendrite;

/// <summary>Process-wide settings, named after their PyTorch counterparts.</summary>
public static class Torch
{
    /// <summary>Reseeds <see cref="Generator.Default"/>, like <c>torch.manual_seed</c>.</summary>
    public static void ManualSeed(ulong seed) => Generator.Default.Reseed(seed);

    /// <summary>
    /// Threads the CPU backend's kernels use (all cores by default, or <c>DENDRITE_NUM_THREADS</c>), like
    /// <c>torch.get_num_threads</c> and <c>torch.set_num_threads</c>. Results never depend on it.
    /// </summary>
    public static int NumThreads
    {
        get => Threading.NumThreads;
        set => Threading.NumThreads = value;
    }
}
