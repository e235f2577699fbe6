using BenchmarkDotNet.Running;

namespace Dendrite.Benchmarks;

/// <summary>
/// Micro-benchmarks of Dendrite's kernels through its public API. Pick with BenchmarkDotNet's switches, e.g.
/// <c>dotnet run -c Release --project bench/Dendrite.Benchmarks -- --filter '*Gemm*'</c> (see bench/README.md).
/// </summary>
public static class Program
{
    public static void Main(string[] args) => BenchmarkSwitcher.FromAssembly(typeof(Program).Assembly).Run(args);
}
