using System.Buffers.Binary;
using System.IO.Compression;
using System.Text;
using Dendrite.Data;
using Dendrite.IO;
using Dendrite.NN;
using Dendrite.Optim;
using Dendrite.Tests.IO;
using Dendrite.Tests.TestSupport;

namespace Dendrite.Tests.Reliability;

/// <summary>
/// Issue 20's reproductions for files: sizes a small file declares are checked against what it holds, and against a
/// memory budget, before anything is allocated; messages name the file and the key or offset, in one printable line.
/// </summary>
[Collection(ProcessStateCollection.Name)]   // changes ModelFile.MaxParameterBytes and ImageFile.MaxPixels
public class FileLimitTests
{
    private static string ModelWithoutWeights(TempDirectory dir, string name, string architecture)
    {
        string path = dir.File(name);
        SafeTensors.Save(path, new Dictionary<string, Tensor>(), new Dictionary<string, string> { [ModelFile.ArchitectureKey] = architecture });
        return path;
    }

    // Bytes this thread allocates while running action: the loads below must refuse before they allocate for the model.
    private static long Allocated(Action action)
    {
        long before = GC.GetAllocatedBytesForCurrentThread();
        action();
        return GC.GetAllocatedBytesForCurrentThread() - before;
    }

    [Fact]
    public void A_GRU_with_two_billion_layers_is_refused_from_its_description_at_once()
    {
        using var dir = new TempDirectory();
        string path = ModelWithoutWeights(dir, "gru.safetensors", """{"type":"GRU","input_size":1,"hidden_size":1,"num_layers":2147483647}""");
        Assert.True(new FileInfo(path).Length < 200);
        InvalidDataException? e = null;
        long bytes = Allocated(() => e = Assert.Throws<InvalidDataException>(() => ModelFile.Load(path)));
        Assert.StartsWith(path + ": architecture: model (GRU): \"num_layers\" 2147483647 gives 8589934588 parameter tensors", e!.Message);
        Assert.True(bytes < 1 << 20, $"{bytes} bytes allocated");
    }

    [Fact]
    public void A_description_needing_far_more_tensors_than_the_file_holds_stops_listing_them()
    {
        using var dir = new TempDirectory();
        string path = ModelWithoutWeights(dir, "deep.safetensors", """{"type":"GRU","input_size":1,"hidden_size":1,"num_layers":5000}""");
        Assert.Equal($"{path}: architecture: model (GRU): the model holds more than 20 parameter tensors, and the file holds 0.",
            Assert.Throws<InvalidDataException>(() => ModelFile.Load(path)).Message);
    }

    [Fact]
    public void Linear_46000_by_46000_without_weights_is_refused_by_the_budget_or_by_the_header_before_building()
    {
        using var dir = new TempDirectory();
        string path = ModelWithoutWeights(dir, "big.safetensors",
            """{"type":"Sequential","children":{"0":{"type":"Linear","in_features":46000,"out_features":46000}}}""");
        Assert.True(new FileInfo(path).Length < 300);

        // 46000 · 46000 · 4 = 8,464,000,000 bytes of weights: over the default budget of 4 GiB.
        var overBudget = Assert.Throws<InvalidDataException>(() => ModelFile.Load(path));
        Assert.Contains("architecture: model.0 (Linear): the model's parameters reach 8464000000 bytes at \"0.weight\" [46000, 46000], " +
            "more than ModelFile.MaxParameterBytes = 4294967296", overBudget.Message);

        // Within a raised budget, the header is checked for the weights before anything is built: no 8.5 GB first.
        long saved = ModelFile.MaxParameterBytes;
        try
        {
            ModelFile.MaxParameterBytes = 16L << 30;
            InvalidDataException? missing = null;
            long bytes = Allocated(() => missing = Assert.Throws<InvalidDataException>(() => ModelFile.Load(path)));
            Assert.Equal($"{path} does not fit its architecture: missing keys 0.weight, 0.bias.", missing!.Message);
            Assert.True(bytes < 1 << 20, $"{bytes} bytes allocated");
        }
        finally
        {
            ModelFile.MaxParameterBytes = saved;
        }
    }

    [Fact]
    public void A_model_file_whose_weights_have_other_shapes_is_refused_from_the_header()
    {
        using var dir = new TempDirectory();
        string path = dir.File("m.safetensors");
        new Sequential(new Linear(3, 2)).Save(path);
        var (tensors, metadata) = SafeTensors.LoadWithMetadata(path);
        tensors["0.weight"] = Tensor.Zeros(2, 4);
        tensors["extra"] = Tensor.Zeros(1);
        SafeTensors.Save(path, tensors, metadata);
        var e = Assert.Throws<InvalidDataException>(() => ModelFile.Load(path));
        Assert.Equal($"{path} does not fit its architecture: unexpected keys extra; shape mismatch for 0.weight: model [2, 3], file [2, 4].", e.Message);
    }

    [Fact]
    public void Architecture_sizes_are_checked_field_by_field_before_a_layer_is_built()
    {
        Assert.Equal("architecture: model (Linear): \"in_features\" must be a positive integer, got -5.",
            Assert.Throws<InvalidDataException>(() => Architecture.FromJson("""{"type":"Linear","in_features":-5,"out_features":2}""")).Message);
        Assert.Equal("architecture: model (Conv2d): \"groups\" 3 must divide in_channels 4 and out_channels 6.",
            Assert.Throws<InvalidDataException>(() => Architecture.FromJson(
                """{"type":"Conv2d","in_channels":4,"out_channels":6,"kernel_size":3,"groups":3}""")).Message);
        Assert.Equal("architecture: model (LayerNorm): \"normalized_shape\" must hold positive integers, got [4, 0].",
            Assert.Throws<InvalidDataException>(() => Architecture.FromJson("""{"type":"LayerNorm","normalized_shape":[4,0]}""")).Message);
        Assert.Contains("tensor \"weight\" [2147483647, 2147483647] is larger than a tensor can be",
            Assert.Throws<InvalidDataException>(() => Architecture.FromJson(
                """{"type":"Embedding","num_embeddings":2147483647,"embedding_dim":2147483647}""")).Message);
    }

    [Theory, MemberData(nameof(ModelFileTests.LayerCases), MemberType = typeof(ModelFileTests))]
    public void The_state_worked_out_from_a_description_is_the_state_the_built_layer_holds(ModelFileTests.LayerCase layer)
    {
        var model = layer.Create();
        var expected = Architecture.ExpectedState(Architecture.Describe(model), long.MaxValue);
        Assert.NotNull(expected);
        Assert.Equal(model.StateDict().Select(kv => (kv.Key, kv.Value.Shape.ToString())),
            expected.Select(e => (e.Name, new Shape([.. e.Shape.Select(d => (int)d)]).ToString())));
    }

    [Fact]
    public void A_custom_layer_keeps_loading_by_building_it_since_only_its_constructor_knows_its_state()
    {
        Architecture.Register<CustomScale>("FileLimitTests.CustomScale", _ => [], _ => new CustomScale());
        var description = Architecture.Describe(new Sequential(new Linear(2, 2), new CustomScale()));
        Assert.Null(Architecture.ExpectedState(description, long.MaxValue));
        Assert.IsType<Sequential>(Architecture.Build(description));
    }

    private sealed class CustomScale : Module
    {
        public CustomScale() => AddParameter("scale", new Shape(3));
        public override Tensor Forward(Tensor x) => x;
    }

    [Fact]
    public void IDX_dimensions_of_2_to_the_64_with_no_data_are_refused_from_the_header()
    {
        using var dir = new TempDirectory();
        var header = new byte[16];
        header[2] = 0x08;
        header[3] = 3;
        BinaryPrimitives.WriteInt32BigEndian(header.AsSpan(4), 16);
        BinaryPrimitives.WriteInt32BigEndian(header.AsSpan(8), 1 << 30);
        BinaryPrimitives.WriteInt32BigEndian(header.AsSpan(12), 1 << 30);
        string path = dir.File("huge.idx");
        File.WriteAllBytes(path, header);
        var e = Assert.Throws<DataFormatException>(() => IdxReader.ReadBytes(path, 3));
        Assert.Equal($"{path}: dimensions [16, 1073741824, …] declare more than 2147483591 bytes of data, more than one array holds; the header is damaged.", e.Message);
    }

    [Theory, InlineData(false), InlineData(true)]
    public void An_IDX_header_declaring_more_than_the_file_holds_is_refused_before_the_data_is_allocated(bool gzip)
    {
        using var dir = new TempDirectory();
        var header = new byte[12];
        header[2] = 0x08;
        header[3] = 2;
        BinaryPrimitives.WriteInt32BigEndian(header.AsSpan(4), 1000);
        BinaryPrimitives.WriteInt32BigEndian(header.AsSpan(8), 1000);
        string path = dir.File(gzip ? "short.idx.gz" : "short.idx");
        if (gzip)
        {
            using var file = File.Create(path);
            using var stream = new GZipStream(file, CompressionLevel.Fastest);
            stream.Write(header);
        }
        else File.WriteAllBytes(path, header);
        DataFormatException? e = null;
        long bytes = Allocated(() => e = Assert.Throws<DataFormatException>(() => IdxReader.ReadBytes(path, 2)));
        Assert.Contains("truncated data: dimensions [1000, 1000] need 1000000 bytes from offset 12", e!.Message);
        // The uncompressed file is measured before reading; a compressed one reads into the declared size, never past it.
        if (!gzip) Assert.True(bytes < 100_000, $"{bytes} bytes allocated");
    }

    [Fact]
    public void A_checkpoint_RNG_word_of_17_hex_digits_is_a_format_error_not_an_overflow()
    {
        using var dir = new TempDirectory();
        var saved = Generator.Default.GetState();
        try
        {
            var model = new Sequential(new Linear(2, 2));
            var adam = new Adam(model.Parameters());
            string path = dir.File("epoch.ckpt.safetensors");
            Checkpoint.Save(path, model, adam, null, new TrainingProgress(1, 1, []));
            var (tensors, metadata) = SafeTensors.LoadWithMetadata(path);
            string word = Generator.Default.GetState()[0].ToString("x16");
            metadata[Checkpoint.MetadataKey] = metadata[Checkpoint.MetadataKey].Replace($"\"{word}\"", "\"1ffffffffffffffff\"");
            SafeTensors.Save(path, tensors, metadata);
            var e = Assert.Throws<InvalidDataException>(() => Checkpoint.Load(path, model, adam));
            Assert.Equal($"{path}: malformed checkpoint state: random generator \"default\" word 0 is not a 64-bit hex number " +
                "(1 to 16 hex digits): \"1ffffffffffffffff\"", e.Message);
        }
        finally
        {
            Generator.Default.SetState(saved);
        }
    }

    [Fact]
    public void Duplicate_JSON_keys_are_named_with_the_file_in_architectures_model_files_and_checkpoints()
    {
        using var dir = new TempDirectory();
        Assert.Equal("architecture: key \"in_features\" appears twice in $.",
            Assert.Throws<InvalidDataException>(() => Architecture.FromJson("""{"type":"Linear","in_features":2,"in_features":3,"out_features":1}""")).Message);

        string model = ModelWithoutWeights(dir, "dup.safetensors", """{"type":"Sequential","children":{"0":{"type":"ReLU"},"0":{"type":"Tanh"}}}""");
        Assert.Equal($"{model}: architecture: key \"0\" appears twice in $.children.",
            Assert.Throws<InvalidDataException>(() => ModelFile.Load(model)).Message);

        var saved = Generator.Default.GetState();
        try
        {
            var net = new Sequential(new Linear(2, 2));
            var adam = new Adam(net.Parameters());
            string path = dir.File("dup.ckpt.safetensors");
            Checkpoint.Save(path, net, adam, null, new TrainingProgress(1, 1, []));
            var (tensors, metadata) = SafeTensors.LoadWithMetadata(path);
            metadata[Checkpoint.MetadataKey] = metadata[Checkpoint.MetadataKey].Replace("\"epoch\":1", "\"epoch\":1,\"epoch\":2");
            SafeTensors.Save(path, tensors, metadata);
            Assert.Equal($"{path}: checkpoint state: key \"epoch\" appears twice in $.",
                Assert.Throws<InvalidDataException>(() => Checkpoint.Load(path, net, adam)).Message);
        }
        finally
        {
            Generator.Default.SetState(saved);
        }

        // In the safetensors header itself: the metadata object and a tensor's entry.
        string header = dir.File("dup-meta.safetensors");
        File.WriteAllBytes(header, SafeTensorsFile("""{"__metadata__":{"a":"1","a":"2"}}"""));
        Assert.Equal($"{header}: corrupted header: \"__metadata__\" key \"a\" appears twice.",
            Assert.Throws<InvalidDataException>(() => SafeTensors.Load(header)).Message);
    }

    private static byte[] SafeTensorsFile(string header, byte[]? data = null)
    {
        var json = Encoding.UTF8.GetBytes(header);
        var file = new byte[8 + json.Length + (data?.Length ?? 0)];
        BinaryPrimitives.WriteUInt64LittleEndian(file, (ulong)json.Length);
        json.CopyTo(file, 8);
        data?.CopyTo(file, 8 + json.Length);
        return file;
    }

    [Fact]
    public void PNG_decode_errors_carry_no_NUL_or_other_control_bytes()
    {
        using var dir = new TempDirectory();
        var png = Png.Encode([1, 2, 3, 4], 2, 2, 1);
        png[37] = png[38] = png[39] = png[40] = 0;   // the IDAT chunk's type: four NUL bytes, quoted by stb_image
        string path = dir.File("nul.png");
        File.WriteAllBytes(path, png);
        var e = Assert.Throws<DataFormatException>(() => ImageFile.Load(path));
        Assert.Equal($"{path}: not an image StbImageSharp can decode (unknown chunk type \"\").", e.Message);
        Assert.DoesNotContain(e.Message, char.IsControl);
    }

    [Fact]
    public void An_image_declaring_more_pixels_than_allowed_is_refused_before_decoding()
    {
        using var dir = new TempDirectory();
        var png = Png.Encode(new byte[4], 2, 2, 1);
        // 10^8 pixels: within stb_image's own bound (2^30 bytes), past ours.
        BinaryPrimitives.WriteInt32BigEndian(png.AsSpan(16), 10_000);
        BinaryPrimitives.WriteInt32BigEndian(png.AsSpan(20), 10_000);
        string path = dir.File("wide.png");
        File.WriteAllBytes(path, png);
        DataFormatException? e = null;
        long bytes = Allocated(() => e = Assert.Throws<DataFormatException>(() => ImageFile.Load(path, channels: 1)));
        Assert.Equal($"{path}: the header declares 10000x10000 pixels; ImageFile.MaxPixels allows 67108864.", e!.Message);
        Assert.True(bytes < 1 << 20, $"{bytes} bytes allocated");
        Assert.Throws<ArgumentOutOfRangeException>(() => ImageFile.MaxPixels = 0);
        Assert.Throws<ArgumentOutOfRangeException>(() => ModelFile.MaxParameterBytes = -1);
    }

    [Fact]
    public void Control_characters_quoted_from_a_table_or_a_sequence_file_are_escaped()
    {
        var table = Table.Parse("a,b\n1,x\u0000\u001b[31m\n", "t.csv");
        var e = Assert.Throws<DataFormatException>(() => table.Numeric(["b"]));
        Assert.Equal("t.csv: line 2, column \"b\" (number 2): \"x\\u0000\\u001B[31m\" is not a number.", e.Message);

        Assert.Contains("t.csv: line 1: the header is not usable: Col name",
            Assert.Throws<DataFormatException>(() => Table.Parse("a,a,b\n1,2,3\n", "t.csv")).Message);

        var fasta = Assert.Throws<DataFormatException>(() => SequenceFile.ParseFasta(new StringReader(">r\u0007\nAC\u0001GT\n"), "s.fa", Alphabet.Dna));
        Assert.DoesNotContain(fasta.Message, char.IsControl);
        Assert.Contains("symbol '\\u0001'", fasta.Message);
    }
}
