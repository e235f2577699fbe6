using System.CommandLine;
using System.Runtime.CompilerServices;
using Dendrite.Backends.Cpu;
#if DENDRITE_GPU
using Dendrite.Gpu;
#endif

namespace Dendrite.Cli;

/// <summary>The --device option of train, eval and predict, and the <c>dendrite devices</c> command.</summary>
public static class Devices
{
    public static Option<string> Option() => new("--device")
    {
        Description = "Where to compute: cpu (default), cuda:N (an NVIDIA GPU through the GPU backend), opencl:N or simulator (the GPU kernels run on the CPU, slowly).",
        DefaultValueFactory = _ => "cpu",
    };

    /// <summary>The device a --device value names; a user error (one line) when it does not exist here.</summary>
    public static Device Resolve(string name)
    {
        if (name.Trim().Equals("cpu", StringComparison.OrdinalIgnoreCase)) return Device.Cpu;
#if DENDRITE_GPU
        try
        {
            return GpuDevices.Parse(name);
        }
        catch (InvalidOperationException e)
        {
            throw new ArgumentException(e.Message);
        }
#else
        throw new ArgumentException($"--device {name}: this build of dendrite has no GPU backend (ahead-of-time builds leave it out); use --device cpu.");
#endif
    }

    /// <summary>
    /// Which SIMD kernels run, and in a native (ahead-of-time) binary that the choice was made when it was compiled: a
    /// NativeAOT binary never uses wider instructions than it was compiled for (docs/native.md).
    /// </summary>
    public static string CpuKernels()
    {
        string kernels = CpuBackend.KernelInstructionSet switch
        {
            "avx512" => "AVX-512 kernels",
            "avx2" => "AVX2 kernels",
            _ => "portable kernels (no AVX2)",
        };
        return RuntimeFeature.IsDynamicCodeSupported ? kernels : kernels + " (native build: fixed when it was compiled)";
    }

    public static Command Command()
    {
        var command = new Command("devices", "List the devices dendrite can compute on: the CPU, and what the GPU backend (ILGPU) sees, with whether cuBLAS was found.");
        command.SetAction(_ =>
        {
            Console.WriteLine($"cpu: {Environment.ProcessorCount} cores, {CpuKernels()}");
#if DENDRITE_GPU
            foreach (string line in GpuDevices.List()) Console.WriteLine(line);
#else
            Console.WriteLine("no GPU backend in this build (ahead-of-time builds leave ILGPU out)");
#endif
            return 0;
        });
        return command;
    }
}
