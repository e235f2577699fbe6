using System.CommandLine;
#if DENDRITE_PLUGINS
using System.Diagnostics.CodeAnalysis;
using System.Reflection;
using System.Runtime.Loader;
using Dendrite.IO;
#endif

namespace Dendrite.Cli;

/// <summary>
/// <c>--plugin PATH.dll</c>: assemblies with layer types of the user's own, loaded before the command runs so that
/// model files and ONNX export know those types. Each assembly gets its own load context that resolves its private
/// dependencies from its folder but shares every assembly the tool itself ships (Dendrite, Dendrite.Onnx, the
/// framework), so <c>Module</c> and <see cref="Dendrite.IO.IDendritePlugin"/> are one type on both sides.
/// </summary>
internal static class Plugins
{
    public static Option<string[]> Option() => new("--plugin")
    {
        Description = "An assembly (.dll) whose IDendritePlugin classes register layer types of your own for model files and ONNX export; repeat for several.",
        Recursive = true,
        AllowMultipleArgumentsPerToken = false,
    };

    /// <summary>
    /// Loads each assembly and runs its registrations, in the order given; a file named twice loads once (a second load
    /// would make its layer classes second, different types under the same registered names).
    /// </summary>
    /// <exception cref="InvalidDataException">One line naming the file: not found, not a .NET assembly, no plugin class,
    /// or a registration that failed.</exception>
    /// <exception cref="NotSupportedException">This is a NativeAOT build, which cannot load assemblies.</exception>
    public static void Load(IReadOnlyList<string> paths)
    {
        var loaded = new HashSet<string>(StringComparer.Ordinal);
        foreach (string path in paths)
            if (loaded.Add(Path.GetFullPath(path))) LoadOne(path);
    }

#if DENDRITE_PLUGINS
    // Why the suppressions: this code is compiled only into the framework-dependent tool (DENDRITE_PLUGINS), which is
    // neither trimmed nor compiled ahead of time; the NativeAOT build compiles the refusal below instead.
    [UnconditionalSuppressMessage("Trimming", "IL2026", Justification = "Framework-dependent build only: nothing is trimmed.")]
    [UnconditionalSuppressMessage("Trimming", "IL2072", Justification = "Framework-dependent build only: nothing is trimmed.")]
    [UnconditionalSuppressMessage("Trimming", "IL2067", Justification = "Framework-dependent build only: nothing is trimmed.")]
    [UnconditionalSuppressMessage("AOT", "IL3050", Justification = "Framework-dependent build only: not compiled ahead of time.")]
    private static void LoadOne(string path)
    {
        string full = Path.GetFullPath(path);
        if (!File.Exists(full)) throw new InvalidDataException($"--plugin {path}: file not found.");
        try
        {
            AssemblyName.GetAssemblyName(full);   // reads the header only: a native library or a text file stops here
        }
        catch (BadImageFormatException)
        {
            throw new InvalidDataException($"--plugin {path}: not a .NET assembly.");
        }
        Type[] types;
        try
        {
            var assembly = new PluginLoadContext(full).LoadFromAssemblyPath(full);
            types = assembly.GetExportedTypes();
        }
        catch (Exception e) when (e is FileNotFoundException or FileLoadException or BadImageFormatException or ReflectionTypeLoadException)
        {
            var cause = e is ReflectionTypeLoadException r ? r.LoaderExceptions.FirstOrDefault(x => x is not null) ?? e : e;
            throw new InvalidDataException($"--plugin {path}: its types could not be loaded: {cause.Message}");
        }
        var plugins = types.Where(t => t is { IsClass: true, IsAbstract: false } && typeof(IDendritePlugin).IsAssignableFrom(t)).ToList();
        if (plugins.Count == 0)
            throw new InvalidDataException($"--plugin {path}: no public class implements {typeof(IDendritePlugin).FullName}, so it registers nothing.");
        foreach (var type in plugins)
        {
            try
            {
                var plugin = (IDendritePlugin)(Activator.CreateInstance(type)
                    ?? throw new InvalidOperationException("the constructor returned null"));
                plugin.Register();
            }
            catch (Exception e)
            {
                var cause = e is TargetInvocationException { InnerException: { } inner } ? inner : e;
                throw new InvalidDataException($"--plugin {path}: {type.FullName} failed to register: {cause.Message}");
            }
        }
    }

    private sealed class PluginLoadContext(string pluginPath) : AssemblyLoadContext($"dendrite --plugin {Path.GetFileName(pluginPath)}")
    {
        // The assemblies the tool runs on, by simple name: a plugin's copy of Dendrite.dll must not load a second time.
        private static readonly Lazy<HashSet<string>> s_toolAssemblies = new(() =>
            ((AppContext.GetData("TRUSTED_PLATFORM_ASSEMBLIES") as string) ?? "")
                .Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries)
                .Select(Path.GetFileNameWithoutExtension)
                .OfType<string>()
                .ToHashSet(StringComparer.OrdinalIgnoreCase));

        private readonly AssemblyDependencyResolver _resolver = new(pluginPath);
        private readonly string _folder = Path.GetDirectoryName(pluginPath)!;

        protected override Assembly? Load(AssemblyName name)
        {
            if (name.Name is null || s_toolAssemblies.Value.Contains(name.Name)) return null;   // the tool's copy
            string? path = _resolver.ResolveAssemblyToPath(name);
            // A plugin copied without its .deps.json still finds the assemblies beside it.
            path ??= Path.Combine(_folder, name.Name + ".dll") is var local && File.Exists(local) ? local : null;
            return path is null ? null : LoadFromAssemblyPath(path);
        }

        protected override IntPtr LoadUnmanagedDll(string unmanagedDllName) =>
            _resolver.ResolveUnmanagedDllToPath(unmanagedDllName) is { } path ? LoadUnmanagedDllFromPath(path) : IntPtr.Zero;
    }
#else
    private static void LoadOne(string path) => throw new NotSupportedException(
        $"--plugin {path}: this dendrite is a NativeAOT build, which cannot load assemblies; " +
        "use the framework-dependent tool (dotnet tool install -g Dendrite.Tool) to load plugins.");
#endif
}
