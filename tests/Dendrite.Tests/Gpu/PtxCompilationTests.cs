using System.Reflection;
using Dendrite.Backends;
using Dendrite.Gpu;
using Dendrite.Gpu.Kernels;
using ILGPU;
using ILGPU.Backends.EntryPoints;
using ILGPU.Backends.PTX;
using ILGPU.Runtime;
using ILGPU.Runtime.Cuda;

namespace Dendrite.Tests.Gpu;

/// <summary>
/// Acceptance 1 of issue 17, without a GPU: ILGPU's PTX backend compiles every kernel of the GPU backend for sm_80
/// (PTX ISA 7.0) with no device present, so IL its frontend cannot translate fails here rather than on a user's GPU.
/// </summary>
public class PtxCompilationTests
{
    public static TheoryData<string> Kernels()
    {
        var data = new TheoryData<string>();
        foreach (var method in KernelMethods()) data.Add(method.Name);
        return data;
    }

    private static IEnumerable<MethodInfo> KernelMethods() =>
        typeof(GpuKernels).GetMethods(BindingFlags.Public | BindingFlags.Static).Where(m => m.ReturnType == typeof(void));

    [Theory, MemberData(nameof(Kernels))]
    public void Kernel_compiles_to_ptx_for_sm_80(string name)
    {
        var method = typeof(GpuKernels).GetMethod(name, BindingFlags.Public | BindingFlags.Static)!;
        var ptx = new PTXBackend(GpuDevices.Context, CudaArchitecture.SM_80, CudaInstructionSet.ISA_70, nvvmAPI: null!);
        bool implicitlyGrouped = method.GetParameters()[0].ParameterType == typeof(Index1D);
        var entry = implicitlyGrouped
            ? EntryPointDescription.FromImplicitlyGroupedKernel(method)
            : EntryPointDescription.FromExplicitlyGroupedKernel(method);

        var compiled = (PTXCompiledKernel)ptx.Compile(entry, new KernelSpecialization());

        Assert.Contains(".target sm_80", compiled.PTXAssembly);
        Assert.Contains(".entry", compiled.PTXAssembly);
    }

    [Fact]
    public void The_table_lists_every_kernel_the_backend_launches()
    {
        // Kernels are public static void methods of GpuKernels; the backend launches nothing else.
        var names = KernelMethods().Select(m => m.Name).ToHashSet();
        Assert.True(names.Count >= 60, $"only {names.Count} kernels found");
        foreach (string expected in new[] { "GemmTiled", "Im2Col", "Col2Im", "BernoulliMask", "RecurrentBackward", "AdamUpdate", "Softmax" })
            Assert.Contains(expected, names);
        var abstractMethods = typeof(Backend).GetMethods().Where(m => m.IsAbstract).ToList();
        foreach (var m in abstractMethods)
        {
            var implementation = typeof(GpuBackend).GetMethod(m.Name, m.GetParameters().Select(p => p.ParameterType).ToArray())!;
            Assert.Equal(typeof(GpuBackend), implementation.DeclaringType);
        }
    }
}
