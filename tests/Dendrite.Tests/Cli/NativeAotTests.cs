using System.Runtime.Intrinsics;
using System.Xml.Linq;
using Dendrite.Backends.Cpu;
using Dendrite.Tests.TestSupport;

namespace Dendrite.Tests.Cli;

/// <summary>
/// The dendrite CLI as a NativeAOT binary (issue 19, acceptance 4). Publishing takes minutes, so tests/aot/check.sh
/// publishes and runs the binary; these guard what makes it work in every build: every assembly the binary compiles
/// runs the trim and AOT analyzers (IsAotCompatible, whose warnings are errors), the binary is compiled for an
/// instruction set with AVX2 (NativeAOT never checks AVX2 at run time, so the default would run the portable
/// kernels), and <c>dendrite devices</c> says which kernels run.
/// </summary>
[Collection(ProcessStateCollection.Name)]
public class NativeAotTests
{
    private static readonly string CliProject = Path.Combine(AppBoundary.RepositoryRoot(), "src", "Dendrite.Cli", "Dendrite.Cli.csproj");

    /// <summary>The projects the native binary compiles: the CLI's references outside a "PublishAot != true" condition.</summary>
    private static List<string> NativeReferences()
    {
        var cli = XDocument.Load(CliProject);
        return [.. cli.Descendants("ProjectReference")
            .Where(r => r.Ancestors().All(a => !((string?)a.Attribute("Condition") ?? "").Contains("'$(PublishAot)' != 'true'")))
            .Select(r => Path.GetFullPath(Path.Combine(Path.GetDirectoryName(CliProject)!, (string)r.Attribute("Include")!)))];
    }

    [Fact]
    public void Every_library_the_native_binary_compiles_runs_the_aot_analyzers()
    {
        var references = NativeReferences();

        Assert.Contains(references, p => p.EndsWith(Path.Combine("Dendrite", "Dendrite.csproj"), StringComparison.Ordinal));
        Assert.DoesNotContain(references, p => p.Contains("Dendrite.Gpu", StringComparison.Ordinal));
        foreach (string project in references)
        {
            var isAotCompatible = XDocument.Load(project).Descendants("IsAotCompatible").Select(e => e.Value.Trim()).ToList();
            Assert.True(isAotCompatible is ["true"], $"{Path.GetFileName(project)}: <IsAotCompatible>true</IsAotCompatible> missing.");
        }
    }

    [Fact]
    public void An_x64_publish_is_a_portable_binary_with_avx2_and_avx512_siblings()
    {
        var project = XDocument.Load(CliProject);
        var instructionSet = project.Descendants("IlcInstructionSet").Single(e => e.Value.Trim() == "x86-64-v2");
        Assert.Contains("'$(IlcInstructionSet)' == ''", (string?)instructionSet.Attribute("Condition"));   // a -p: value wins
        Assert.Contains("'$(PublishAot)' == 'true'", (string?)instructionSet.Parent!.Attribute("Condition"));

        var variants = project.Descendants("Target").Single(t => (string?)t.Attribute("Name") == "PublishInstructionSetVariants");
        Assert.Equal("Publish", (string?)variants.Attribute("AfterTargets"));
        var sets = variants.Descendants("_DendriteVariant").ToDictionary(v => (string)v.Attribute("Include")!, v => (string)v.Attribute("Isa")!);
        Assert.Equal(new Dictionary<string, string> { ["avx2"] = "x86-64-v3", ["avx512"] = "x86-64-v4" }, sets);
    }

    [Fact]
    public void Kernel_instruction_set_is_the_widest_vector_the_process_accelerates()
    {
        string expected = Vector512.IsHardwareAccelerated ? "avx512" : Vector256.IsHardwareAccelerated ? "avx2" : "portable";

        Assert.Equal(expected, CpuBackend.KernelInstructionSet);
    }

    [Fact]
    public void Devices_names_the_kernels_and_under_the_jit_no_native_build()
    {
        var (code, output, error) = CliRunner.Run("devices");

        string kernels = CpuBackend.KernelInstructionSet switch { "avx512" => "AVX-512", "avx2" => "AVX2", _ => "portable" };
        Assert.Equal(0, code);
        Assert.Equal("", error);
        Assert.StartsWith($"cpu: {Environment.ProcessorCount} cores, {kernels} kernels", output);
        Assert.DoesNotContain("native build", output);
    }
}
