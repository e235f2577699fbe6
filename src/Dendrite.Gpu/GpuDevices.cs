using System.Reflection;
using System.Runtime.InteropServices;
using ILGPU;
using ILGPU.Runtime;
using ILGPU.Runtime.CPU;
using ILGPU.Runtime.Cuda;
using ILGPU.Runtime.OpenCL;

namespace Dendrite.Gpu;

/// <summary>
/// The devices ILGPU sees, as Dendrite <see cref="Device"/>s: CUDA GPUs, OpenCL devices and the simulator (ILGPU's
/// CPU accelerator, which runs every kernel exactly, shared memory and barriers included, many times slower than the
/// CPU backend). Each device's backend is made once, on first use, and lives as long as the process.
/// </summary>
public static class GpuDevices
{
    private static readonly Lock Gate = new();
    private static readonly Dictionary<string, Device> Made = [];
    private static Context? _context;

    /// <summary>The ILGPU context (CUDA, OpenCL and CPU accelerators, with ILGPU.Algorithms' intrinsics).</summary>
    internal static Context Context
    {
        get
        {
            lock (Gate)
            {
                if (_context is not null) return _context;
                NativeLibraries.Register();
                return _context = Context.Create(builder => builder.CPU().Cuda().OpenCL().EnableAlgorithms());
            }
        }
    }

    /// <summary>ILGPU's CPU accelerator as a device named "simulator": every GPU kernel, run on the host.</summary>
    /// <remarks>
    /// Its groups hold 16 threads (4 warps of 4, each thread an OS thread), so the tiled GEMM runs 4×4 tiles there, the
    /// same kernel as a GPU's 16×16 ones; more threads only make it slower on a few cores.
    /// </remarks>
    public static Device Simulator => Get("simulator", () => new CPUDevice(numThreadsPerWarp: 4, numWarpsPerMultiprocessor: 4, numMultiprocessors: 1));

    /// <summary>CUDA GPU <paramref name="index"/> as "cuda:N"; a one-line exception when there is none.</summary>
    public static Device Cuda(int index)
    {
        var gpus = Context.GetCudaDevices();
        if (gpus.Count == 0)
            throw new InvalidOperationException($"no CUDA device found: ILGPU sees {Seen()}.");
        if (index < 0 || index >= gpus.Count)
            throw new ArgumentOutOfRangeException(nameof(index), $"cuda:{index}: ILGPU sees {gpus.Count} CUDA device(s), cuda:0 … cuda:{gpus.Count - 1}.");
        return Get($"cuda:{index}", () => Context.GetCudaDevice(index));
    }

    /// <summary>OpenCL device <paramref name="index"/> (one ILGPU supports) as "opencl:N".</summary>
    public static Device OpenCL(int index)
    {
        var devices = Context.GetCLDevices();
        if (index < 0 || index >= devices.Count)
            throw new InvalidOperationException($"no OpenCL device {index} found: ILGPU sees {Seen()}.");
        return Get($"opencl:{index}", () => Context.GetCLDevice(index));
    }

    /// <summary>
    /// A device by name as the command line spells it: "cpu", "reference", "simulator", "cuda" (= "cuda:0"),
    /// "cuda:N", "opencl:N".
    /// </summary>
    public static Device Parse(string name)
    {
        string lower = name.Trim().ToLowerInvariant();
        if (lower == "cpu") return Device.Cpu;
        if (lower == "reference") return Device.Reference;
        if (lower == "simulator") return Simulator;
        if (lower == "cuda") return Cuda(0);
        if (lower.StartsWith("cuda:", StringComparison.Ordinal) && int.TryParse(lower[5..], out int cuda)) return Cuda(cuda);
        if (lower.StartsWith("opencl:", StringComparison.Ordinal) && int.TryParse(lower[7..], out int cl)) return OpenCL(cl);
        throw new ArgumentException($"--device: '{name}' is not a device; use cpu, cuda:N, opencl:N or simulator.");
    }

    /// <summary>One line per accelerator ILGPU sees, then whether a CUDA device and cuBLAS were found.</summary>
    public static IReadOnlyList<string> List()
    {
        var lines = new List<string>();
        foreach (var device in Context.Devices)
            lines.Add(device switch
            {
                CudaDevice cuda => $"{NameOf(device)}: {cuda.Name}, sm_{(int)cuda.Architecture!.Value.Major}{cuda.Architecture!.Value.Minor}, "
                    + $"{cuda.NumMultiprocessors} multiprocessors at {cuda.ClockRate / 1000} MHz, {cuda.MemorySize >> 20} MiB",
                _ => $"{NameOf(device)}: {device.Name} ({device.AcceleratorType})",
            });
        if (Context.GetCudaDevices().Count == 0) lines.Add("no CUDA device (ILGPU found no CUDA driver or GPU)");
        lines.Add(CuBlasLoads() ? "cuBLAS: found" : "cuBLAS: not found (GEMM runs on the own tiled kernel)");
        return lines;
    }

    private static string NameOf(ILGPU.Runtime.Device device) => device.AcceleratorType switch
    {
        AcceleratorType.Cuda => $"cuda:{IndexAmong(Context.GetCudaDevices().Count, i => Context.GetCudaDevice(i), device)}",
        AcceleratorType.OpenCL => $"opencl:{IndexAmong(Context.GetCLDevices().Count, i => Context.GetCLDevice(i), device)}",
        _ => device == Context.GetCPUDevice(0) ? "simulator" : "cpu accelerator",
    };

    private static int IndexAmong(int count, Func<int, ILGPU.Runtime.Device> at, ILGPU.Runtime.Device device)
    {
        for (int i = 0; i < count; i++)
            if (ReferenceEquals(at(i), device)) return i;
        return -1;
    }

    private static string Seen() => string.Join(", ", Context.Devices.Select(d => $"{d.Name} ({d.AcceleratorType})"));

    /// <summary>Whether libcublas loads (by any of the names ILGPU.Algorithms asks for).</summary>
    public static bool CuBlasLoads() => NativeLibraries.CuBlasNames.Any(name => NativeLibrary.TryLoad(name, out _));

    private static Device Get(string name, Func<ILGPU.Runtime.Device> find)
    {
        lock (Gate)
        {
            if (Made.TryGetValue(name, out var made)) return made;
            var accelerator = find().CreateAccelerator(Context);
            var device = new Device(name, new GpuBackend(accelerator, name));
            Made.Add(name, device);
            return device;
        }
    }
}

/// <summary>
/// Finds the CUDA driver and cuBLAS where ILGPU's names miss them: Debian and Ubuntu ship libcuda.so.1 without the
/// development symlink libcuda.so, and newer CUDA ships libcublas under a newer version number.
/// </summary>
internal static class NativeLibraries
{
    public static readonly string[] CuBlasNames = ["libcublas.so", "libcublas.so.13", "libcublas.so.12", "libcublas.so.11", "cublas64_12.dll", "cublas64_11.dll"];

    private static bool _registered;

    public static void Register()
    {
        if (_registered) return;
        _registered = true;
        foreach (var assembly in new[] { typeof(Context).Assembly, typeof(CuBlas).Assembly })
        {
            try
            {
                NativeLibrary.SetDllImportResolver(assembly, Resolve);
            }
            catch (InvalidOperationException)
            {
                // Someone registered a resolver for this assembly first; theirs stands.
            }
        }
    }

    private static IntPtr Resolve(string name, Assembly assembly, DllImportSearchPath? path)
    {
        if (NativeLibrary.TryLoad(name, assembly, path, out var handle)) return handle;
        if (!OperatingSystem.IsLinux()) return IntPtr.Zero;
        string[] fallbacks = name.Contains("cublas", StringComparison.OrdinalIgnoreCase) ? CuBlasNames
            : name.Contains("cuda", StringComparison.OrdinalIgnoreCase) ? ["libcuda.so.1", "libcuda.so"]
            : [];
        foreach (string fallback in fallbacks)
            if (NativeLibrary.TryLoad(fallback, out handle)) return handle;
        return IntPtr.Zero;
    }
}

/// <summary>The GPU devices as static members of <see cref="Device"/>: <c>model.To(Device.Cuda(0))</c> with <c>using Dendrite.Gpu;</c>.</summary>
public static class GpuDeviceExtensions
{
    extension(Device)
    {
        /// <summary>CUDA GPU <paramref name="index"/> ("cuda:N"); throws "no CUDA device found: …" when there is none.</summary>
        public static Device Cuda(int index) => GpuDevices.Cuda(index);

        /// <summary>ILGPU's CPU accelerator running every GPU kernel ("simulator"), for tests without a GPU.</summary>
        public static Device Simulator => GpuDevices.Simulator;

        /// <summary>OpenCL device <paramref name="index"/> that ILGPU supports ("opencl:N").</summary>
        public static Device OpenCL(int index) => GpuDevices.OpenCL(index);
    }
}
