namespace Dendrite.Data;

/// <summary>
/// Finds the data the repository vendors under <c>data/</c>, for examples and tests run from inside it.
/// </summary>
internal static class VendoredData
{
    /// <summary>
    /// The folder <c>data/<paramref name="folder"/></c> that holds <paramref name="markerFile"/>, found by walking up
    /// from the working and the application directories; null when there is none.
    /// </summary>
    public static string? Find(string folder, string markerFile)
    {
        foreach (var start in new[] { Directory.GetCurrentDirectory(), AppContext.BaseDirectory })
            for (var dir = new DirectoryInfo(start); dir is not null; dir = dir.Parent)
            {
                string candidate = Path.Combine(dir.FullName, "data", folder);
                if (File.Exists(Path.Combine(candidate, markerFile))) return candidate;
            }
        return null;
    }
}
