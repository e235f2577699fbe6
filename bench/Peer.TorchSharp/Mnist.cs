using System.Buffers.Binary;
using System.IO.Compression;
using TorchSharp;

namespace Dendrite.Bench.Peer;

/// <summary>
/// The four MNIST IDX files (gzip) read into tensors: images [N, 1, 28, 28] float32 byte/255, labels [N] int64,
/// found the way Dendrite's Mnist.Load finds them ($DENDRITE_MNIST, else data/mnist above the working directory).
/// </summary>
internal static class Mnist
{
    public static (torch.Tensor Images, torch.Tensor Labels) Load(string directory, bool train)
    {
        string prefix = train ? "train" : "t10k";
        var (imageDims, pixels) = Read(Path.Combine(directory, $"{prefix}-images-idx3-ubyte.gz"), 0x803);
        var (labelDims, labels) = Read(Path.Combine(directory, $"{prefix}-labels-idx1-ubyte.gz"), 0x801);
        if (imageDims[0] != labelDims[0]) throw new InvalidDataException($"{directory}: {imageDims[0]} {prefix} images but {labelDims[0]} labels.");
        // Convert inside libtorch (byte → float32, then / 255 as IEEE float32, the same values as Dendrite's byte/255f), so
        // no managed float copy of the images lingers in this process's resident set.
        using var bytes = torch.tensor(pixels, [imageDims[0], 1, imageDims[1], imageDims[2]]);
        var images = bytes.to_type(torch.ScalarType.Float32).div_(255f);
        using var labelBytes = torch.tensor(labels, [labelDims[0]]);
        return (images, labelBytes.to_type(torch.ScalarType.Int64));
    }

    public static string FindDirectory(string? explicitDirectory)
    {
        if (!string.IsNullOrEmpty(explicitDirectory)) return explicitDirectory;
        var fromEnv = Environment.GetEnvironmentVariable("DENDRITE_MNIST");
        if (!string.IsNullOrEmpty(fromEnv)) return fromEnv;
        foreach (var start in new[] { Directory.GetCurrentDirectory(), AppContext.BaseDirectory })
            for (var dir = new DirectoryInfo(start); dir is not null; dir = dir.Parent)
            {
                string candidate = Path.Combine(dir.FullName, "data", "mnist");
                if (File.Exists(Path.Combine(candidate, "train-images-idx3-ubyte.gz"))) return candidate;
            }
        throw new DirectoryNotFoundException("MNIST data not found: no data/mnist above the working directory; pass --data DIR or set DENDRITE_MNIST.");
    }

    private static (int[] Dims, byte[] Data) Read(string path, int magic)
    {
        using var stream = new GZipStream(File.OpenRead(path), CompressionMode.Decompress);
        using var memory = new MemoryStream();
        stream.CopyTo(memory);
        var bytes = memory.GetBuffer().AsSpan(0, (int)memory.Length);
        int found = BinaryPrimitives.ReadInt32BigEndian(bytes);
        if (found != magic) throw new InvalidDataException($"{path}: magic 0x{found:x}, expected 0x{magic:x}.");
        int rank = magic & 0xff;
        var dims = new int[rank];
        for (int d = 0; d < rank; d++) dims[d] = BinaryPrimitives.ReadInt32BigEndian(bytes[(4 + 4 * d)..]);
        int header = 4 + 4 * rank;
        return (dims, bytes[header..].ToArray());
    }
}
