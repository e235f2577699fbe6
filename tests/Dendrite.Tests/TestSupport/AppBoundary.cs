using System.Reflection.Metadata;
using System.Reflection.Metadata.Ecma335;
using System.Reflection.PortableExecutable;
using System.Text.RegularExpressions;
using System.Xml.Linq;

namespace Dendrite.Tests.TestSupport;

/// <summary>
/// Finds where app code crosses into places it must not reach: CLI flag text in a library assembly, and project
/// references to examples/ (examples are leaves: nothing depends on them).
/// </summary>
public static partial class AppBoundary
{
    /// <summary>A command-line flag as the CLI spells them: two hyphens and a lowercase letter ("--epochs").</summary>
    [GeneratedRegex("--[a-z]")]
    private static partial Regex FlagPattern();

    /// <summary>
    /// The string literals of the assembly at <paramref name="path"/> (its #US heap, where every literal and every
    /// literal part of an interpolated string lands) that contain a CLI flag.
    /// </summary>
    public static IReadOnlyList<string> FlagTextIn(string path)
    {
        using var stream = File.OpenRead(path);
        using var pe = new PEReader(stream);
        var reader = pe.GetMetadataReader();
        var found = new List<string>();
        // Offset 0 of the heap is the empty string; GetNextHandle steps over each entry's length prefix and returns a
        // nil handle past the last one.
        var handle = reader.GetNextHandle(default(UserStringHandle));
        for (; !handle.IsNil; handle = reader.GetNextHandle(handle))
        {
            string literal = reader.GetUserString(handle);
            if (FlagPattern().IsMatch(literal)) found.Add(literal);
        }
        return found;
    }

    /// <summary>
    /// The ProjectReference paths of the project file <paramref name="projectXml"/> (which lives in
    /// <paramref name="projectDirectory"/>) that resolve to a folder under <paramref name="examplesDirectory"/>.
    /// </summary>
    public static IReadOnlyList<string> ExampleReferences(string projectXml, string projectDirectory,
        string examplesDirectory)
    {
        string examples = Path.TrimEndingDirectorySeparator(Path.GetFullPath(examplesDirectory));
        examples += Path.DirectorySeparatorChar;
        return XDocument.Parse(projectXml).Descendants()
            .Where(e => e.Name.LocalName == "ProjectReference")
            .Select(e => (string?)e.Attribute("Include") ?? "")
            .Where(include => Path.GetFullPath(Path.Combine(projectDirectory, include.Replace('\\', '/')))
                .StartsWith(examples, StringComparison.Ordinal))
            .ToList();
    }

    /// <summary>The repository's root: the first folder above the test binaries that holds Dendrite.slnx.</summary>
    public static string RepositoryRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
            if (File.Exists(Path.Combine(dir.FullName, "Dendrite.slnx"))) return dir.FullName;
        throw new DirectoryNotFoundException($"No Dendrite.slnx above {AppContext.BaseDirectory}.");
    }
}
