using System.Buffers.Binary;
using System.Text;
using System.Text.Json;
using Dendrite.IO;
using Dendrite.Tests.TestSupport;

namespace Dendrite.Tests.IO;

/// <summary>
/// Dendrite's safetensors files against the published format (an 8-byte little-endian header size, a JSON header of
/// {name: {dtype, shape, data_offsets}}, the data), read by a parser written here from that description alone; and
/// malformed files, each of which must give an InvalidDataException naming the file and the tensor.
/// </summary>
public class SafeTensorsFormatTests
{
    /// <summary>An independent reader: shares no code with Dendrite's writer or reader.</summary>
    private static Dictionary<string, (string DType, long[] Shape, float[] Values)> ParseIndependently(byte[] file, out Dictionary<string, string> metadata)
    {
        ulong n = 0;
        for (int i = 7; i >= 0; i--) n = (n << 8) | file[i]; // little-endian u64, byte by byte
        string header = Encoding.UTF8.GetString(file, 8, (int)n);
        using var doc = JsonDocument.Parse(header);
        int dataStart = 8 + (int)n;
        var result = new Dictionary<string, (string, long[], float[])>();
        metadata = [];
        foreach (var entry in doc.RootElement.EnumerateObject())
        {
            if (entry.Name == "__metadata__")
            {
                foreach (var m in entry.Value.EnumerateObject()) metadata[m.Name] = m.Value.GetString()!;
                continue;
            }
            string dtype = entry.Value.GetProperty("dtype").GetString()!;
            long[] shape = entry.Value.GetProperty("shape").EnumerateArray().Select(d => d.GetInt64()).ToArray();
            long[] offsets = entry.Value.GetProperty("data_offsets").EnumerateArray().Select(d => d.GetInt64()).ToArray();
            var values = new float[(offsets[1] - offsets[0]) / 4];
            for (int i = 0; i < values.Length; i++)
            {
                int at = dataStart + (int)offsets[0] + 4 * i;
                uint bits = (uint)(file[at] | file[at + 1] << 8 | file[at + 2] << 16 | file[at + 3] << 24);
                values[i] = BitConverter.UInt32BitsToSingle(bits);
            }
            result[entry.Name] = (dtype, shape, values);
        }
        return result;
    }

    [Fact]
    public void A_file_written_by_Dendrite_reads_back_with_an_independent_parser()
    {
        using var dir = new TempDirectory();
        string path = dir.File("m.safetensors");
        var w = Tensor.FromArray([1.5f, -2f, 3.25f, float.MaxValue, float.Epsilon, -0f], 2, 3);
        var b = Tensor.FromArray([0.1f, 0.2f], 2);
        var scalar = Tensor.Scalar(7f);
        SafeTensors.Save(path, new Dictionary<string, Tensor> { ["0.weight"] = w, ["0.bias"] = b, ["s"] = scalar },
            new Dictionary<string, string> { ["format"] = "pt" });

        byte[] file = File.ReadAllBytes(path);
        var tensors = ParseIndependently(file, out var metadata);

        Assert.Equal("pt", metadata["format"]);
        Assert.Equal(["0.weight", "0.bias", "s"], tensors.Keys);
        Assert.Equal("F32", tensors["0.weight"].DType);
        Assert.Equal([2L, 3L], tensors["0.weight"].Shape);
        Assert.Equal(w.ToArray(), tensors["0.weight"].Values);
        Assert.Equal([2L], tensors["0.bias"].Shape);
        Assert.Equal(b.ToArray(), tensors["0.bias"].Values);
        Assert.Empty(tensors["s"].Shape);
        Assert.Equal([7f], tensors["s"].Values);
        // The format pads the header so the data starts 8-byte aligned, and the data section holds exactly the tensors.
        ulong headerSize = BinaryPrimitives.ReadUInt64LittleEndian(file);
        Assert.Equal(0UL, headerSize % 8);
        Assert.Equal((6 + 2 + 1) * 4, file.Length - 8 - (int)headerSize);
    }

    /// <summary>Builds a file by hand: header JSON as given, then the data bytes.</summary>
    private static string Handmade(TempDirectory dir, string header, byte[] data, string name = "bad.safetensors")
    {
        byte[] json = Encoding.UTF8.GetBytes(header);
        var file = new byte[8 + json.Length + data.Length];
        BinaryPrimitives.WriteUInt64LittleEndian(file, (ulong)json.Length);
        json.CopyTo(file, 8);
        data.CopyTo(file, 8 + json.Length);
        string path = dir.File(name);
        File.WriteAllBytes(path, file);
        return path;
    }

    private static byte[] Floats(params float[] values) => values.SelectMany(BitConverter.GetBytes).ToArray();

    [Fact]
    public void Half_bfloat16_and_double_tensors_are_read_as_float32()
    {
        using var dir = new TempDirectory();
        byte[] half = [.. BitConverter.GetBytes((Half)1.5f), .. BitConverter.GetBytes((Half)(-0.25f))];
        byte[] bf16 = [0x80, 0x3F]; // 0x3F80 is the top half of 1.0f
        byte[] f64 = BitConverter.GetBytes(2.5);
        string path = Handmade(dir,
            """{"h":{"dtype":"F16","shape":[2],"data_offsets":[0,4]},"b":{"dtype":"BF16","shape":[1],"data_offsets":[4,6]},"d":{"dtype":"F64","shape":[1],"data_offsets":[6,14]}}""",
            [.. half, .. bf16, .. f64]);

        var t = SafeTensors.Load(path);

        Assert.Equal([1.5f, -0.25f], t["h"].ToArray());
        Assert.Equal([1f], t["b"].ToArray());
        Assert.Equal([2.5f], t["d"].ToArray());
    }

    [Fact]
    public void Integer_and_boolean_tensors_are_read_as_float32()
    {
        using var dir = new TempDirectory();
        byte[] i64 = [.. BitConverter.GetBytes(-3L), .. BitConverter.GetBytes(1L << 40)];
        byte[] i32 = BitConverter.GetBytes(123456);
        byte[] i16 = BitConverter.GetBytes((short)-300);
        byte[] small = [0xFE, 0xFE, 0x00, 0x01, 0x00, 0x02]; // I8 −2, U8 254, BOOL false, true, false, true (non-zero)
        string path = Handmade(dir,
            string.Join(",",
                """{"l":{"dtype":"I64","shape":[2],"data_offsets":[0,16]}""",
                """ "i":{"dtype":"I32","shape":[],"data_offsets":[16,20]}""",
                """ "s":{"dtype":"I16","shape":[1],"data_offsets":[20,22]}""",
                """ "b":{"dtype":"I8","shape":[1],"data_offsets":[22,23]}""",
                """ "u":{"dtype":"U8","shape":[1],"data_offsets":[23,24]}""",
                """ "m":{"dtype":"BOOL","shape":[4],"data_offsets":[24,28]}}"""),
            [.. i64, .. i32, .. i16, .. small]);

        var t = SafeTensors.Load(path);

        Assert.Equal([-3f, 1099511627776f], t["l"].ToArray());
        Assert.Equal(new Shape(), t["i"].Shape);
        Assert.Equal(123456f, t["i"].Item());
        Assert.Equal([-300f], t["s"].ToArray());
        Assert.Equal([-2f], t["b"].ToArray());
        Assert.Equal([254f], t["u"].ToArray());
        Assert.Equal([0f, 1f, 0f, 1f], t["m"].ToArray());
    }

    [Fact]
    public void A_batchnorm_state_dict_saved_by_pytorch_with_its_int64_counter_loads()
    {
        // save_file(nn.BatchNorm1d(3).state_dict()) as the safetensors library writes it: {"__metadata__": {"format":
        // "pt"}} and the tensors sorted by dtype, widest alignment first (I64 before F32), then by name; the header padded
        // with spaces to a multiple of 8; num_batches_tracked an I64 of shape [] (0-dimensional).
        using var dir = new TempDirectory();
        string header = string.Join(",",
            """{"__metadata__":{"format":"pt"}""",
            """ "num_batches_tracked":{"dtype":"I64","shape":[],"data_offsets":[0,8]}""".TrimStart(),
            """ "bias":{"dtype":"F32","shape":[3],"data_offsets":[8,20]}""".TrimStart(),
            """ "running_mean":{"dtype":"F32","shape":[3],"data_offsets":[20,32]}""".TrimStart(),
            """ "running_var":{"dtype":"F32","shape":[3],"data_offsets":[32,44]}""".TrimStart(),
            """ "weight":{"dtype":"F32","shape":[3],"data_offsets":[44,56]}}""".TrimStart());
        header = header.PadRight((header.Length + 7) / 8 * 8);
        string path = Handmade(dir, header,
            [.. BitConverter.GetBytes(42L), .. Floats(0.1f, -0.2f, 0.3f), .. Floats(0.25f, -1f, 3f), .. Floats(1.5f, 2f, 0.5f),
                .. Floats(1.5f, 0.5f, 2f)], "bn.safetensors");
        var bn = new Dendrite.NN.BatchNorm1d(3);
        Assert.Equal(["weight", "bias", "running_mean", "running_var", "num_batches_tracked"], bn.StateDict().Keys);

        var report = bn.LoadWeights(path);

        Assert.True(report.IsExactMatch);
        Assert.Equal([1.5f, 0.5f, 2f], bn.Weight!.ToArray());
        Assert.Equal([0.1f, -0.2f, 0.3f], bn.Bias!.ToArray());
        Assert.Equal([0.25f, -1f, 3f], bn.RunningMean!.ToArray());
        Assert.Equal([1.5f, 2f, 0.5f], bn.RunningVar!.ToArray());
        Assert.Equal(42f, bn.NumBatchesTracked!.Item());
        // Evaluation uses the loaded statistics: (x − mean)/√(var + eps)·γ + β for channel 0, x = 1.75: 1.5·1.5/√1.5 + 0.1.
        bn.Eval();
        var y = bn.Forward(Tensor.FromArray([1.75f, 0f, 0f], 1, 3)).ToArray();
        Assert.Equal(1.5 * 1.5 / Math.Sqrt(1.5 + 1e-5) + 0.1, y[0], 1e-5);
    }

    public static TheoryData<string, string, byte[], string[]> BadFiles => new()
    {
        // The JSON breaks inside the entry of "fc.bias": the message names it.
        { "corrupted header", """{"fc.weight":{"dtype":"F32","shape":[1],"data_offsets":[0,4]},"fc.bias":{"dtype":"F32","shape":[1],"data_offsets":[4,8}}""",
            Floats(1f, 2f), ["corrupted header", "fc.bias"] },
        { "unknown dtype", """{"fc.weight":{"dtype":"Q7","shape":[1],"data_offsets":[0,4]}}""", Floats(1f), ["fc.weight", "Q7"] },
        { "overlapping offsets", """{"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},"b":{"dtype":"F32","shape":[2],"data_offsets":[4,12]}}""",
            Floats(1f, 2f, 3f), ["\"a\"", "\"b\"", "overlap"] },
        { "truncated data", """{"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4]},"conv.weight":{"dtype":"F32","shape":[4],"data_offsets":[4,20]}}""",
            Floats(1f, 2f, 3f), ["conv.weight", "truncated"] },
        { "size disagrees with shape", """{"w":{"dtype":"F32","shape":[3],"data_offsets":[0,8]}}""", Floats(1f, 2f), ["\"w\"", "needs 12"] },
        { "bytes that belong to no tensor", """{"w":{"dtype":"F32","shape":[1],"data_offsets":[4,8]}}""", Floats(1f, 2f), ["[0, 4)", "\"w\""] },
        { "entry not an object", """{"w":[1,2]}""", [], ["\"w\"", "object"] },
        { "negative dimension", """{"w":{"dtype":"F32","shape":[-1],"data_offsets":[0,4]}}""", Floats(1f), ["\"w\"", "non-negative"] },
        { "missing dtype", """{"w":{"shape":[1],"data_offsets":[0,4]}}""", Floats(1f), ["\"w\"", "dtype"] },
        { "header is not an object", "[1, 2, 3]", [], ["expected a JSON object"] },
    };

    [Theory, MemberData(nameof(BadFiles))]
    public void A_malformed_file_gives_an_error_naming_the_file_and_the_tensor(string what, string header, byte[] data, string[] mentions)
    {
        using var dir = new TempDirectory();
        string path = Handmade(dir, header, data);

        var e = Assert.Throws<InvalidDataException>(() => SafeTensors.Load(path));

        Assert.StartsWith(path + ":", e.Message);
        foreach (var m in mentions) Assert.True(e.Message.Contains(m), $"{what}: expected \"{m}\" in: {e.Message}");
    }

    [Fact]
    public void A_file_cut_short_anywhere_gives_an_error_never_an_unhandled_exception()
    {
        using var dir = new TempDirectory();
        string good = dir.File("good.safetensors");
        SafeTensors.Save(good, new Dictionary<string, Tensor> { ["w"] = Tensor.Arange(6).Reshape(2, 3), ["b"] = Tensor.Ones(3) });
        byte[] bytes = File.ReadAllBytes(good);
        for (int length = 0; length < bytes.Length; length++)
        {
            string path = dir.File("cut.safetensors");
            File.WriteAllBytes(path, bytes[..length]);
            var e = Assert.Throws<InvalidDataException>(() => SafeTensors.Load(path));
            Assert.StartsWith(path + ":", e.Message);
        }
    }

    [Fact]
    public void Random_byte_corruption_gives_an_error_or_a_valid_read_never_an_unhandled_exception()
    {
        using var dir = new TempDirectory();
        string good = dir.File("good.safetensors");
        SafeTensors.Save(good, new Dictionary<string, Tensor> { ["layer.weight"] = Tensor.Arange(6).Reshape(2, 3), ["layer.bias"] = Tensor.Ones(3) });
        byte[] bytes = File.ReadAllBytes(good);
        var rng = new Generator(11);
        string path = dir.File("corrupt.safetensors");
        for (int trial = 0; trial < 300; trial++)
        {
            var copy = (byte[])bytes.Clone();
            int at = rng.NextInt(copy.Length);
            copy[at] = (byte)rng.NextInt(256);
            File.WriteAllBytes(path, copy);
            try
            {
                SafeTensors.Load(path);
            }
            catch (InvalidDataException e)
            {
                Assert.StartsWith(path + ":", e.Message);
            }
        }
    }

    [Fact]
    public void Metadata_reads_without_the_data()
    {
        using var dir = new TempDirectory();
        string path = dir.File("m.safetensors");
        SafeTensors.Save(path, new Dictionary<string, Tensor> { ["w"] = Tensor.Ones(1000) }, new Dictionary<string, string> { ["k"] = "v" });

        Assert.Equal(new Dictionary<string, string> { ["k"] = "v" }, SafeTensors.ReadMetadata(path));
    }
}
