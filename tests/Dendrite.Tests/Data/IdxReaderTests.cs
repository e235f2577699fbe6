using System.Buffers.Binary;
using System.IO.Compression;
using Dendrite.Data;
using Dendrite.Tests.TestSupport;

namespace Dendrite.Tests.Data;

/// <summary>A malformed IDX file gives a DataFormatException naming the file and what is wrong, plain or gzipped.</summary>
public sealed class IdxReaderTests : IDisposable
{
    private readonly TempDirectory _dir = new();

    public void Dispose() => _dir.Dispose();

    /// <summary>An unsigned-byte IDX file: 0x00 0x00 0x08 rank, then big-endian sizes, then the bytes.</summary>
    private static byte[] Idx(int[] dims, byte[] data)
    {
        var bytes = new byte[4 + 4 * dims.Length + data.Length];
        bytes[2] = 0x08;
        bytes[3] = (byte)dims.Length;
        for (int d = 0; d < dims.Length; d++) BinaryPrimitives.WriteInt32BigEndian(bytes.AsSpan(4 + 4 * d), dims[d]);
        data.CopyTo(bytes, 4 + 4 * dims.Length);
        return bytes;
    }

    private static byte[] Images(int n, int h = 2, int w = 3) =>
        Idx([n, h, w], Enumerable.Range(0, n * h * w).Select(i => (byte)i).ToArray());

    /// <summary>Writes <paramref name="content"/> as NAME (plain) or NAME.gz (gzip-compressed) and returns the path.</summary>
    private string Write(string name, byte[] content, bool gzip)
    {
        string path = _dir.File(gzip ? name + ".gz" : name);
        if (!gzip)
        {
            File.WriteAllBytes(path, content);
            return path;
        }
        using var file = File.Create(path);
        using var zip = new GZipStream(file, CompressionLevel.Optimal);
        zip.Write(content);
        return path;
    }

    private static DataFormatException Fails(string path, int rank)
    {
        var e = Assert.Throws<DataFormatException>(() => IdxReader.ReadBytes(path, rank));
        Assert.Contains(path, e.Message);
        return e;
    }

    [Theory, InlineData(false), InlineData(true)]
    public void A_valid_file_reads_back_its_dimensions_and_bytes(bool gzip)
    {
        string path = Write("ok", Images(2), gzip);
        var (dims, data) = IdxReader.ReadBytes(path, 3);
        Assert.Equal([2, 2, 3], dims);
        Assert.Equal(Enumerable.Range(0, 12).Select(i => (byte)i), data);
    }

    [Theory, InlineData(false), InlineData(true)]
    public void Wrong_magic_number(bool gzip)
    {
        var bytes = Images(2);
        bytes[2] = 0x0D; // float data instead of unsigned bytes
        var e = Fails(Write("magic", bytes, gzip), 3);
        Assert.Contains("wrong magic number 0x00000D03", e.Message);
        Assert.Contains("expected 0x00000803", e.Message);
    }

    [Theory, InlineData(false), InlineData(true)]
    public void A_labels_file_read_as_images_has_the_wrong_rank_in_its_magic(bool gzip)
    {
        var e = Fails(Write("labels", Idx([3], [1, 2, 3]), gzip), 3);
        Assert.Contains("wrong magic number 0x00000801", e.Message);
        Assert.Contains("3 dimensions", e.Message);
    }

    [Theory, InlineData(false), InlineData(true)]
    public void Shorter_than_the_magic_number(bool gzip)
    {
        var e = Fails(Write("tiny", [0, 0], gzip), 3);
        Assert.Contains("truncated at offset 2", e.Message);
    }

    [Theory, InlineData(false), InlineData(true)]
    public void Truncated_header(bool gzip)
    {
        var e = Fails(Write("header", Images(2)[..10], gzip), 3);
        Assert.Contains("truncated header", e.Message);
        Assert.Contains("offset 16", e.Message);
        Assert.Contains("10 bytes", e.Message);
    }

    [Theory, InlineData(false), InlineData(true)]
    public void Truncated_data(bool gzip)
    {
        var e = Fails(Write("data", Images(2)[..^5], gzip), 3);
        Assert.Contains("truncated data", e.Message);
        Assert.Contains("[2, 2, 3] need 12 bytes", e.Message);
        Assert.Contains("the file has 23 bytes", e.Message);
    }

    [Theory, InlineData(false), InlineData(true)]
    public void Trailing_bytes(bool gzip)
    {
        var e = Fails(Write("trailing", [.. Images(2), 7, 7, 7], gzip), 3);
        Assert.Contains("3 unexpected bytes after the data, from offset 28", e.Message);
    }

    [Theory, InlineData(false), InlineData(true)]
    public void A_zero_dimension(bool gzip)
    {
        var e = Fails(Write("zero", Idx([0, 28, 28], []), gzip), 3);
        Assert.Contains("dimension 0 at offset 4 has invalid size 0", e.Message);
    }

    [Fact]
    public void A_gz_file_that_is_not_gzip()
    {
        string path = _dir.File("plain.gz");
        File.WriteAllBytes(path, Images(2));
        var e = Fails(path, 3);
        Assert.Contains("not a valid gzip stream", e.Message);
    }

    [Fact]
    public void A_gzip_stream_cut_short()
    {
        string full = Write("cut", Images(50, 28, 28), gzip: true);
        string path = _dir.File("cut-short.gz");
        var bytes = File.ReadAllBytes(full);
        File.WriteAllBytes(path, bytes[..(bytes.Length / 2)]);
        var e = Fails(path, 3);
        Assert.True(e.Message.Contains("not a valid gzip stream") || e.Message.Contains("truncated data"), e.Message);
    }

    [Fact]
    public void A_gzipped_file_without_the_gz_name_gets_a_hint()
    {
        string zipped = Write("hidden", Images(2), gzip: true);
        string path = _dir.File("hidden-idx3-ubyte");
        File.Move(zipped, path);
        var e = Fails(path, 3);
        Assert.Contains("gzip-compressed", e.Message);
    }

    [Fact]
    public void A_missing_file_names_its_path()
    {
        string path = _dir.File("absent.gz");
        var e = Assert.Throws<FileNotFoundException>(() => IdxReader.ReadBytes(path, 1));
        Assert.Contains(path, e.Message);
    }

    // ---------------------------------------------------------------- a whole split: images and labels together

    private void WriteSplit(byte[] images, byte[] labels)
    {
        File.WriteAllBytes(_dir.File("img.gz"), Gzip(images));
        File.WriteAllBytes(_dir.File("lbl.gz"), Gzip(labels));
    }

    private static byte[] Gzip(byte[] content)
    {
        using var memory = new MemoryStream();
        using (var zip = new GZipStream(memory, CompressionLevel.Fastest)) zip.Write(content);
        return memory.ToArray();
    }

    [Fact]
    public void A_split_loads_pixels_scaled_to_zero_one_and_labels_as_floats()
    {
        WriteSplit(Idx([2, 1, 2], [0, 255, 51, 102]), Idx([2], [7, 3]));
        var split = Mnist.LoadSplit(_dir.Path, "img.gz", "lbl.gz");
        Assert.Equal(new Shape(2, 1, 1, 2), split.Inputs.Shape);
        Assert.Equal([0f, 1f, 0.2f, 0.4f], split.Inputs.ToArray());
        Assert.Equal([7f, 3f], split.Targets.ToArray());
    }

    [Fact]
    public void Label_count_different_from_image_count_names_both_files_and_counts()
    {
        WriteSplit(Images(3), Idx([2], [1, 2]));
        var e = Assert.Throws<DataFormatException>(() => Mnist.LoadSplit(_dir.Path, "img.gz", "lbl.gz"));
        Assert.Contains(_dir.File("img.gz") + " holds 3 images", e.Message);
        Assert.Contains(_dir.File("lbl.gz") + " holds 2 labels", e.Message);
    }

    [Fact]
    public void A_label_above_nine_names_the_file_value_and_offset()
    {
        WriteSplit(Images(3), Idx([3], [1, 10, 2]));
        var e = Assert.Throws<DataFormatException>(() => Mnist.LoadSplit(_dir.Path, "img.gz", "lbl.gz"));
        Assert.Contains(_dir.File("lbl.gz"), e.Message);
        Assert.Contains("label 10 at offset 9", e.Message);
    }

    [Fact]
    public void A_missing_directory_is_named()
    {
        string path = _dir.File("nowhere");
        var e = Assert.Throws<DirectoryNotFoundException>(() => Mnist.Load(path));
        Assert.Contains(path, e.Message);
    }
}
