using System.Diagnostics;
using System.IO.Compression;
using System.Reflection;
using System.Reflection.Metadata;
using System.Text.Json;
using System.Xml.Linq;
using Dendrite.Tests.TestSupport;

namespace Dendrite.Tests.Packaging;

/// <summary>
/// What a user installs: <c>dotnet pack</c> at the root into a folder feed, each package's metadata and symbols, a
/// fresh console project that adds the Dendrite package from the feed and trains XOR, and the dendrite tool installed
/// from the feed training MNIST with the data it carries. Takes a minute or two: it packs, restores, builds and runs.
/// </summary>
[Trait("Category", "Packaging")]
public class LocalFeedTests(Xunit.Abstractions.ITestOutputHelper log)
{
    private static readonly string[] s_packages =
        ["Dendrite", "Dendrite.Onnx", "Dendrite.Distributed", "Dendrite.Gpu", "Dendrite.Generative", "Dendrite.Tool"];

    // The portable PDB's SourceLink custom debug information (System.Reflection.Metadata's PortablePdbGuids).
    private static readonly Guid s_sourceLinkKind = new("CC110556-A091-4D38-9FEC-25AB9A351A6A");

    private static readonly string s_configuration =
        typeof(LocalFeedTests).Assembly.GetCustomAttribute<AssemblyConfigurationAttribute>()?.Configuration ?? "Release";

    [Fact]
    public void The_packages_install_from_a_folder_feed_and_work()
    {
        using var work = new TempDirectory();
        string feed = Directory.CreateDirectory(work.File("feed")).FullName;
        string root = AppBoundary.RepositoryRoot();

        // The test build has built every project: pack what it built.
        Run(root, ChildEnvironment(packages: null), "dotnet", "pack", Path.Combine(root, "Dendrite.slnx"), "-c", s_configuration, "--no-build", "-o", feed);
        var packed = Directory.EnumerateFiles(feed, "*.nupkg").Select(Path.GetFileName).Order(StringComparer.Ordinal).ToList();
        string version = Version(Path.Combine(feed, packed.Single(f => f!.StartsWith("Dendrite.Tool.", StringComparison.Ordinal))!));
        Assert.Matches(@"^0\.\d+\.\d+", version);
        // Only the libraries and the tool: no example, test or benchmark project.
        Assert.Equal(s_packages.Select(p => $"{p}.{version}.nupkg").Order(StringComparer.Ordinal), packed);
        foreach (string id in s_packages) CheckPackage(feed, id, version);
        CheckSourceLink(Path.Combine(feed, $"Dendrite.{version}.snupkg"), "Dendrite.pdb");

        var environment = ChildEnvironment(work.File("nuget-packages"));
        ConsumerTrainsXor(work, feed, version, environment);
        ToolInstallsAndTrains(work, feed, version, environment);
    }

    private static string Version(string nupkg)
    {
        using var zip = ZipFile.OpenRead(nupkg);
        return Nuspec(zip).Descendants().Single(e => e.Name.LocalName == "version").Value;
    }

    private static XDocument Nuspec(ZipArchive zip)
    {
        var entry = zip.Entries.Single(e => !e.FullName.Contains('/') && e.Name.EndsWith(".nuspec", StringComparison.Ordinal));
        using var stream = entry.Open();
        return XDocument.Load(stream);
    }

    private static void CheckPackage(string feed, string id, string version)
    {
        using var zip = ZipFile.OpenRead(Path.Combine(feed, $"{id}.{version}.nupkg"));
        var metadata = Nuspec(zip).Descendants().Single(e => e.Name.LocalName == "metadata");
        string? Value(string name) => metadata.Elements().SingleOrDefault(e => e.Name.LocalName == name)?.Value;
        var files = zip.Entries.Select(e => e.FullName).ToHashSet();

        Assert.Equal(id, Value("id"));
        Assert.Equal(version, Value("version"));
        Assert.False(string.IsNullOrWhiteSpace(Value("description")), $"{id}: no description");
        Assert.False(string.IsNullOrWhiteSpace(Value("authors")), $"{id}: no authors");
        Assert.Contains("deep-learning", Value("tags") ?? "");
        var license = metadata.Elements().Single(e => e.Name.LocalName == "license");
        Assert.Equal(("expression", "MIT"), ((string?)license.Attribute("type"), license.Value));
        Assert.Equal("README.md", Value("readme"));
        Assert.Contains("README.md", files);
        Assert.Contains("LICENSE", files);
        var repository = metadata.Elements().Single(e => e.Name.LocalName == "repository");
        Assert.Equal("git", (string?)repository.Attribute("type"));
        Assert.StartsWith("https://", (string?)repository.Attribute("url"));
        Assert.Matches("^[0-9a-f]{40}$", (string?)repository.Attribute("commit") ?? "");
        Assert.True(File.Exists(Path.Combine(feed, $"{id}.{version}.snupkg")), $"{id}: no symbol package");

        if (id == "Dendrite") Assert.Contains("buildTransitive/Dendrite.props", files);
        if (id == "Dendrite.Tool")
        {
            Assert.Contains("tools/net10.0/any/DotnetToolSettings.xml", files);
            foreach (string data in new[] { global::Dendrite.Data.Mnist.TrainImages, global::Dendrite.Data.Mnist.TrainLabels, global::Dendrite.Data.Mnist.TestImages, global::Dendrite.Data.Mnist.TestLabels })
                Assert.Contains($"tools/net10.0/any/data/mnist/{data}", files);
            // The tool bundles its libraries: nothing it needs is an example.
            Assert.DoesNotContain(files, f => f.Contains("Examples", StringComparison.Ordinal) || f.EndsWith("/Xor.dll", StringComparison.Ordinal));
        }
    }

    /// <summary>The PDB inside the symbol package maps the sources to the repository (SourceLink).</summary>
    private static void CheckSourceLink(string snupkg, string pdbName)
    {
        using var zip = ZipFile.OpenRead(snupkg);
        var entry = zip.Entries.Single(e => e.Name == pdbName);
        using var pdb = new MemoryStream();
        using (var stream = entry.Open()) stream.CopyTo(pdb);
        pdb.Position = 0;
        using var provider = MetadataReaderProvider.FromPortablePdbStream(pdb);
        var reader = provider.GetMetadataReader();
        string? json = null;
        foreach (var handle in reader.CustomDebugInformation)
        {
            var info = reader.GetCustomDebugInformation(handle);
            if (reader.GetGuid(info.Kind) == s_sourceLinkKind) json = System.Text.Encoding.UTF8.GetString(reader.GetBlobBytes(info.Value));
        }
        Assert.True(json is not null, $"{snupkg}: {pdbName} has no SourceLink document");
        using var document = JsonDocument.Parse(json);
        var target = document.RootElement.GetProperty("documents").EnumerateObject().Single().Value.GetString();
        Assert.Matches("^https://.*/[0-9a-f]{40}/\\*$", target);
    }

    private void ConsumerTrainsXor(TempDirectory work, string feed, string version, Dictionary<string, string?> environment)
    {
        string app = Directory.CreateDirectory(work.File("app")).FullName;
        // The folder feed, and this machine's package cache as a second folder feed, so the libraries Dendrite depends
        // on restore without a download; the user's own sources still apply (no <clear/>).
        string cache = Environment.GetEnvironmentVariable("NUGET_PACKAGES") is { Length: > 0 } configured ? configured
            : Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".nuget", "packages");
        File.WriteAllText(Path.Combine(app, "NuGet.config"), $"""
            <?xml version="1.0" encoding="utf-8"?>
            <configuration>
              <packageSources>
                <add key="dendrite-local-feed" value="{feed}" />
                <add key="machine-package-cache" value="{cache}" />
              </packageSources>
            </configuration>
            """);
        File.WriteAllText(Path.Combine(app, "XorApp.csproj"), """
            <Project Sdk="Microsoft.NET.Sdk">
              <PropertyGroup>
                <OutputType>Exe</OutputType>
                <TargetFramework>net10.0</TargetFramework>
                <Nullable>enable</Nullable>
                <ImplicitUsings>enable</ImplicitUsings>
              </PropertyGroup>
            </Project>
            """);
        File.WriteAllText(Path.Combine(app, "Program.cs"), """
            using Dendrite;
            using Dendrite.NN;
            using Dendrite.Optim;

            var x = Tensor.FromArray(new float[,] { { 0, 0 }, { 0, 1 }, { 1, 0 }, { 1, 1 } });
            var y = Tensor.FromArray([0f, 1f, 1f, 0f], 4, 1);
            var generator = new Generator(1);
            var model = new Sequential(new Linear(2, 8, generator: generator), new Tanh(), new Linear(8, 1, generator: generator), new Sigmoid());
            var optimizer = new Adam(model.Parameters(), lr: 0.05f);
            for (int step = 0; step < 500; step++)
            {
                var loss = F.BCELoss(model.Forward(x), y);
                optimizer.ZeroGrad();
                loss.Backward();
                optimizer.Step();
            }
            float[] outputs;
            using (Tensor.NoGrad()) outputs = model.Forward(x).ToArray();
            int correct = outputs.Select((o, i) => (o >= 0.5f) == (y.ToArray()[i] >= 0.5f)).Count(c => c);
            Console.WriteLine($"XOR: {correct}/4 correct ({100 * correct / 4}%)");
            return correct == 4 ? 0 : 1;
            """);
        Run(app, environment, "dotnet", "add", "package", "Dendrite", "--version", version);
        Run(app, environment, "dotnet", "build", "-c", "Release");
        string output = Run(app, environment, "dotnet", Path.Combine(app, "bin", "Release", "net10.0", "XorApp.dll"));
        Assert.Equal("XOR: 4/4 correct (100%)\n", output);

        // buildTransitive/Dendrite.props reached the application: its runtime settings are the library's.
        using var runtimeConfig = JsonDocument.Parse(File.ReadAllText(Path.Combine(app, "bin", "Release", "net10.0", "XorApp.runtimeconfig.json")));
        var settings = runtimeConfig.RootElement.GetProperty("runtimeOptions").GetProperty("configProperties");
        Assert.True(settings.GetProperty("System.GC.RetainVM").GetBoolean());
        Assert.False(settings.GetProperty("System.GC.Concurrent").GetBoolean());
        Assert.True(settings.GetProperty("System.Runtime.TieredPGO").GetBoolean());
    }

    private void ToolInstallsAndTrains(TempDirectory work, string feed, string version, Dictionary<string, string?> environment)
    {
        string tools = work.File("tools");
        Run(work.Path, environment, "dotnet", "tool", "install", "--tool-path", tools, "--add-source", feed, "Dendrite.Tool", "--version", version);
        string dendrite = Path.Combine(tools, OperatingSystem.IsWindows() ? "dendrite.exe" : "dendrite");
        string help = Run(work.Path, environment, dendrite, "--help");
        Assert.StartsWith("Description:\n  Dendrite: deep learning in pure C#.", help);
        Assert.Contains("Usage:\n  dendrite [command] [options]", help);
        Assert.Contains("--plugin", help);
        Assert.Contains("train", help);

        // Outside the repository and with no DENDRITE_MNIST: the MNIST files come from the tool's own folder.
        string trained = Run(work.Path, environment, dendrite, "train", "mnist-mlp", "--epochs", "1", "--train-samples", "512");
        Assert.Contains(" training and 10000 test images", trained);
        Assert.Contains("Final test accuracy: ", trained);
    }

    /// <summary>
    /// The environment of the child dotnet processes: MSBuild's variables from the test run removed (they would point
    /// the child's build at this one's), a private package folder so the feed's packages are extracted afresh rather
    /// than taken from an older run's cache, and no DENDRITE_MNIST.
    /// </summary>
    private static Dictionary<string, string?> ChildEnvironment(string? packages)
    {
        var environment = new Dictionary<string, string?>
        {
            ["DENDRITE_MNIST"] = null,
            ["DOTNET_CLI_TELEMETRY_OPTOUT"] = "1",
            ["DOTNET_NOLOGO"] = "1",
            ["DOTNET_SKIP_FIRST_TIME_EXPERIENCE"] = "1",
            // The tool's launcher finds the runtime this test runs on.
            ["DOTNET_ROOT"] = Path.GetFullPath(Path.Combine(Path.GetDirectoryName(typeof(object).Assembly.Location)!, "..", "..", "..")),
        };
        if (packages is not null) environment["NUGET_PACKAGES"] = packages;
        foreach (var key in Environment.GetEnvironmentVariables().Keys.Cast<string>())
            if (key.StartsWith("MSBuild", StringComparison.OrdinalIgnoreCase) && key != "MSBUILDDISABLENODEREUSE" || key is "DOTNET_HOST_PATH")
                environment[key] = null;
        return environment;
    }

    private string Run(string directory, Dictionary<string, string?> environment, params string[] command)
    {
        var start = new ProcessStartInfo(command[0])
        {
            WorkingDirectory = directory,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (string arg in command.Skip(1)) start.ArgumentList.Add(arg);
        foreach (var (key, value) in environment)
            if (value is null) start.Environment.Remove(key);
            else start.Environment[key] = value;
        var clock = Stopwatch.StartNew();
        using var process = Process.Start(start)!;
        var error = process.StandardError.ReadToEndAsync();
        string output = process.StandardOutput.ReadToEnd();
        bool exited = process.WaitForExit(600_000);
        log.WriteLine($"{string.Join(' ', command)}: exit {(exited ? process.ExitCode : -1)} after {clock.Elapsed.TotalSeconds:0.0} s");
        Assert.True(exited, $"{string.Join(' ', command)} did not finish within ten minutes");
        Assert.True(process.ExitCode == 0, $"{string.Join(' ', command)} failed ({process.ExitCode}):\n{output}\n{error.Result}");
        return output;
    }
}
