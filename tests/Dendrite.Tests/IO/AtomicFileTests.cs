using Dendrite.IO;
using Dendrite.Tests.TestSupport;

namespace Dendrite.Tests.IO;

public class AtomicFileTests
{
    [Fact]
    public void A_write_that_throws_leaves_the_old_content_and_no_temporary_file()
    {
        using var dir = new TempDirectory();
        string path = dir.File("a.txt");
        AtomicFile.WriteAllText(path, "old");

        var e = Assert.Throws<InvalidOperationException>(() => AtomicFile.Write(path, s =>
        {
            s.Write("new, half"u8);
            throw new InvalidOperationException("boom");
        }));

        Assert.Equal("boom", e.Message);
        Assert.Equal("old", File.ReadAllText(path));
        Assert.Equal([path], Directory.GetFiles(dir.Path));
    }

    [Fact]
    public void A_write_replaces_the_content_and_creates_missing_directories()
    {
        using var dir = new TempDirectory();
        string path = Path.Combine(dir.Path, "sub", "dir", "a.txt");
        AtomicFile.WriteAllText(path, "first");
        AtomicFile.WriteAllText(path, "second");

        Assert.Equal("second", File.ReadAllText(path));
        Assert.Equal([path], Directory.GetFiles(Path.GetDirectoryName(path)!));
    }

    [Fact]
    public void The_directory_entry_is_flushed_on_Linux_and_macOS()
    {
        using var dir = new TempDirectory();
        Assert.Equal(OperatingSystem.IsLinux() || OperatingSystem.IsMacOS(), AtomicFile.FlushDirectory(dir.Path));
    }
}
