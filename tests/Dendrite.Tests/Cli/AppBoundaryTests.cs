using System.Reflection;
using System.Reflection.Emit;
using Dendrite.Tests.TestSupport;

namespace Dendrite.Tests.Cli;

/// <summary>
/// App code stays out of the library and off the examples (issue 15): Dendrite.dll holds no CLI flag text, and no
/// project but the tests references an example. Each check is shown to fire on a deliberate violation.
/// </summary>
public class AppBoundaryTests
{
    [Fact]
    public void The_library_assembly_holds_no_cli_flag_text()
    {
        string library = typeof(Tensor).Assembly.Location;

        Assert.Empty(AppBoundary.FlagTextIn(library));
    }

    [Fact]
    public void The_cli_project_references_no_example()
    {
        string root = AppBoundary.RepositoryRoot();
        string project = Path.Combine(root, "src", "Dendrite.Cli", "Dendrite.Cli.csproj");

        var references = AppBoundary.ExampleReferences(File.ReadAllText(project), Path.GetDirectoryName(project)!,
            Path.Combine(root, "examples"));

        Assert.Empty(references);
    }

    [Fact]
    public void No_project_in_src_bench_or_examples_references_an_example_and_no_example_references_the_cli()
    {
        string root = AppBoundary.RepositoryRoot();
        var projects = new[] { "src", "bench", "examples" }
            .SelectMany(folder =>
                Directory.EnumerateFiles(Path.Combine(root, folder), "*.csproj", SearchOption.AllDirectories))
            .ToList();
        Assert.NotEmpty(projects);
        var violations = new List<string>();
        foreach (string project in projects)
        {
            string xml = File.ReadAllText(project);
            string directory = Path.GetDirectoryName(project)!;
            foreach (string reference in AppBoundary.ExampleReferences(xml, directory, Path.Combine(root, "examples")))
                violations.Add($"{project} -> {reference}");
            bool isExample = project.StartsWith(Path.Combine(root, "examples"), StringComparison.Ordinal);
            if (isExample && xml.Contains("Dendrite.Cli"))
                violations.Add($"{project} -> the CLI");
        }
        Assert.Empty(violations);
    }

    [Fact]
    public void The_flag_check_reports_a_literal_that_names_a_flag_in_a_built_assembly()
    {
        using var dir = new TempDirectory();
        string path = dir.File("Violation.dll");
        var assembly = new PersistedAssemblyBuilder(new AssemblyName("Violation"), typeof(object).Assembly);
        var type = assembly.DefineDynamicModule("Violation")
            .DefineType("Messages", TypeAttributes.Public | TypeAttributes.Abstract | TypeAttributes.Sealed);
        // Only the first names a flag: a rule of hyphens, a minus and an upper-case letter after two hyphens do not.
        string[] literals = ["--epochs must be at least 1, got 0.", "-----------", "x - y", "--N"];
        for (int i = 0; i < literals.Length; i++)
        {
            var il = type.DefineMethod($"M{i}", MethodAttributes.Public | MethodAttributes.Static, typeof(string), [])
                .GetILGenerator();
            il.Emit(OpCodes.Ldstr, literals[i]);
            il.Emit(OpCodes.Ret);
        }
        type.CreateType();
        assembly.Save(path);

        Assert.Equal(["--epochs must be at least 1, got 0."], AppBoundary.FlagTextIn(path));
    }

    [Fact]
    public void The_reference_check_reports_a_project_that_references_an_example()
    {
        string root = AppBoundary.RepositoryRoot();
        string cli = Path.Combine(root, "src", "Dendrite.Cli");
        const string project = """
            <Project Sdk="Microsoft.NET.Sdk">
              <ItemGroup>
                <ProjectReference Include="../Dendrite/Dendrite.csproj" />
                <ProjectReference Include="..\..\examples\Gan\Gan.csproj" />
              </ItemGroup>
            </Project>
            """;

        var references = AppBoundary.ExampleReferences(project, cli, Path.Combine(root, "examples"));

        Assert.Equal([@"..\..\examples\Gan\Gan.csproj"], references);
    }
}
