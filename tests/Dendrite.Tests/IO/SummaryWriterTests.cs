using System.Buffers.Binary;
using Dendrite.IO;
using Dendrite.NN;
using Dendrite.Optim;
using Dendrite.Tests.TestSupport;
using Dendrite.Training;
using static Dendrite.Tests.IO.TfEventReader;

namespace Dendrite.Tests.IO;

public class SummaryWriterTests
{
    [Fact]
    public void Crc32c_matches_the_check_value_on_both_paths()
    {
        // The catalogue check value of CRC-32C (iSCSI): the CRC of the ASCII digits "123456789".
        Assert.Equal(0xE3069283u, Crc32C.Append(0, "123456789"u8));
        Assert.Equal(0xE3069283u, Crc32C.AppendScalar(0, "123456789"u8));
        var rng = new Random(5);
        for (int n = 0; n <= 70; n++)
        {
            var data = new byte[n];
            rng.NextBytes(data);
            Assert.Equal(Crc32C.AppendScalar(0, data), Crc32C.Append(0, data));
            // Appending in two pieces equals one pass.
            Assert.Equal(Crc32C.Append(0, data), Crc32C.Append(Crc32C.Append(0, data.AsSpan(0, n / 3)), data.AsSpan(n / 3)));
        }
    }

    [Fact]
    public void The_file_is_named_as_PyTorch_names_it_and_opens_with_the_file_version()
    {
        using var dir = new TempDirectory();
        string path;
        using (var writer = new SummaryWriter(dir.Path)) path = writer.FilePath;

        Assert.Matches($@"^events\.out\.tfevents\.\d{{10}}\.{System.Text.RegularExpressions.Regex.Escape(Environment.MachineName)}\.{Environment.ProcessId}\.\d+$",
            Path.GetFileName(path));
        var records = ReadRecords(File.ReadAllBytes(path));
        var first = Decode(Assert.Single(records));
        Assert.Equal("brain.Event:2", first.One(3).AsString);
        double now = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds() / 1000.0;
        Assert.InRange(first.One(1).AsDouble, now - 600, now + 1);
        Assert.Equal(1, first.One(1).WireType);   // a double, fixed 64-bit
    }

    [Fact]
    public void Scalars_keep_their_tags_steps_and_values()
    {
        using var dir = new TempDirectory();
        string path;
        using (var writer = new SummaryWriter(dir.Path))
        {
            path = writer.FilePath;
            writer.AddScalar("loss/train", 0.25, step: 1, wallTime: 1700000000.5);
            writer.AddScalar("loss/train", 0.125, step: 2);
            writer.AddScalar("accuracy/val", -3.5, step: 300);   // a step past one varint byte
        }
        var events = ReadRecords(File.ReadAllBytes(path)).Skip(1).Select(Decode).ToList();
        Assert.Equal(3, events.Count);
        Assert.Equal(1700000000.5, events[0].One(1).AsDouble);
        (string Tag, long Step, float Value)[] expected = [("loss/train", 1, 0.25f), ("loss/train", 2, 0.125f), ("accuracy/val", 300, -3.5f)];
        for (int i = 0; i < 3; i++)
        {
            Assert.Equal(expected[i].Step, (long)events[i].One(2).Scalar);
            var value = events[i].One(5).AsMessage.One(1).AsMessage;   // Event.summary → Summary.value
            Assert.Equal(expected[i].Tag, value.One(1).AsString);
            Assert.Equal(5, value.One(2).WireType);                     // simple_value is a 32-bit float
            Assert.Equal(expected[i].Value, value.One(2).AsFloat);
        }
    }

    [Fact]
    public void An_image_is_a_png_with_its_size_and_colorspace()
    {
        using var dir = new TempDirectory();
        string path;
        var image = Tensor.Zeros(3, 5, 7);
        image.Data[0] = 1f;
        using (var writer = new SummaryWriter(dir.Path))
        {
            path = writer.FilePath;
            writer.AddImage("digit", image, step: 4);
            writer.AddImage("grey", Tensor.Zeros(1, 2, 9), step: 5);
        }
        var events = ReadRecords(File.ReadAllBytes(path)).Skip(1).Select(Decode).ToList();
        var value = events[0].One(5).AsMessage.One(1).AsMessage;
        Assert.Equal("digit", value.One(1).AsString);
        var img = value.One(4).AsMessage;
        Assert.Equal(5UL, img.One(1).Scalar);   // height
        Assert.Equal(7UL, img.One(2).Scalar);   // width
        Assert.Equal(3UL, img.One(3).Scalar);   // RGB
        byte[] png = img.One(4).Bytes;
        Assert.Equal([0x89, (byte)'P', (byte)'N', (byte)'G', 0x0D, 0x0A, 0x1A, 0x0A], png[..8]);
        Assert.Equal(7, BinaryPrimitives.ReadInt32BigEndian(png.AsSpan(16)));
        Assert.Equal(5, BinaryPrimitives.ReadInt32BigEndian(png.AsSpan(20)));
        var grey = events[1].One(5).AsMessage.One(1).AsMessage.One(4).AsMessage;
        Assert.Equal((2UL, 9UL, 1UL), (grey.One(1).Scalar, grey.One(2).Scalar, grey.One(3).Scalar));
    }

    [Fact]
    public void A_histogram_holds_the_statistics_and_PyTorch_buckets()
    {
        using var dir = new TempDirectory();
        string path;
        float[] values = [1f, 1f, 2f, -0.5f];
        using (var writer = new SummaryWriter(dir.Path))
        {
            path = writer.FilePath;
            writer.AddHistogram("w", values, step: 7);
        }
        var evt = Decode(ReadRecords(File.ReadAllBytes(path))[1]);
        Assert.Equal(7UL, evt.One(2).Scalar);
        var value = evt.One(5).AsMessage.One(1).AsMessage;
        Assert.Equal("w", value.One(1).AsString);
        var histo = value.One(5).AsMessage;
        Assert.Equal(-0.5, histo.One(1).AsDouble);   // min
        Assert.Equal(2.0, histo.One(2).AsDouble);    // max
        Assert.Equal(4.0, histo.One(3).AsDouble);    // num
        Assert.Equal(3.5, histo.One(4).AsDouble);    // sum
        Assert.Equal(6.25, histo.One(5).AsDouble);   // 1 + 1 + 4 + 0.25
        double[] limits = PackedDoubles(histo.One(6)), counts = PackedDoubles(histo.One(7));
        Assert.Equal(limits.Length, counts.Length);
        Assert.Equal(4.0, counts.Sum());
        Assert.Equal(0.0, counts[0]);                // the empty bucket that carries the left edge
        // Each value lies in the bucket whose limits enclose it: bucket i covers (limits[i-1], limits[i]].
        foreach (float v in values)
        {
            int bucket = Array.FindIndex(limits, l => l > v);
            Assert.True(bucket > 0 && limits[bucket - 1] <= v, $"{v} has no bucket");
            Assert.True(counts[bucket] >= 1);
        }
        // PyTorch's edges: 1e-12 · 1.1^k; the bucket of 1 is [1.1^k·1e-12 ≤ 1 < next), holding both ones.
        int one = Array.FindIndex(limits, l => l > 1);
        Assert.Equal(2.0, counts[one]);
        Assert.Equal(1.1, limits[one] / limits[one - 1], 12);
    }

    [Fact]
    public void A_changed_byte_fails_the_readers_crc_check()
    {
        using var dir = new TempDirectory();
        string path;
        using (var writer = new SummaryWriter(dir.Path))
        {
            path = writer.FilePath;
            writer.AddScalar("loss", 0.5, 1);
        }
        byte[] file = File.ReadAllBytes(path);
        Assert.Equal(2, ReadRecords(file).Count);
        int firstLength = (int)BinaryPrimitives.ReadUInt64LittleEndian(file);
        var corruptData = (byte[])file.Clone();
        corruptData[12 + firstLength + 4 + 12 + 3] ^= 0x10;   // a byte inside the second record's data
        Assert.Contains("data CRC", Assert.Throws<InvalidDataException>(() => ReadRecords(corruptData)).Message);
        var corruptLength = (byte[])file.Clone();
        corruptLength[0] ^= 0x01;
        Assert.Contains("length CRC", Assert.Throws<InvalidDataException>(() => ReadRecords(corruptLength)).Message);
    }

    [Fact]
    public void Bad_input_is_named_before_anything_is_written()
    {
        using var dir = new TempDirectory();
        using var writer = new SummaryWriter(dir.Path);
        long before = new FileInfo(writer.FilePath).Length;
        Assert.Contains("tag is empty", Assert.Throws<ArgumentException>(() => writer.AddScalar("", 1, 0)).Message);
        Assert.Contains("no values", Assert.Throws<ArgumentException>(() => writer.AddHistogram("h", ReadOnlySpan<float>.Empty, 0)).Message);
        Assert.Contains("value 1 is NaN", Assert.Throws<ArgumentException>(() => writer.AddHistogram("h", [1f, float.NaN], 0)).Message);
        Assert.Contains("not a PNG", Assert.Throws<ArgumentException>(() => writer.AddImage("i", new byte[40], 0)).Message);
        Assert.Throws<ShapeMismatchException>(() => writer.AddImage("i", Tensor.Zeros(2, 3, 3), 0));
        writer.Flush();
        Assert.Equal(before, new FileInfo(writer.FilePath).Length);
        writer.Dispose();
        Assert.Throws<ObjectDisposedException>(() => writer.AddScalar("x", 1, 0));
    }

    [Fact]
    public void The_logger_writes_train_and_validation_scalars_and_weight_histograms_per_epoch()
    {
        using var dir = new TempDirectory();
        var model = new Sequential(new Flatten(), new Linear(784, 10, generator: new Generator(1)));
        string path;
        using (var logger = new TensorBoardLogger(dir.Path))
        {
            path = logger.Writer.FilePath;
            model.Fit(MnistData.Train.Take(100), new Sgd(model.Parameters(), lr: 0.1f), Losses.CrossEntropy, epochs: 2,
                batchSize: 50, validation: MnistData.Test.Take(50), callbacks: [logger], verbose: false);
        }
        var values = ReadRecords(File.ReadAllBytes(path)).Skip(1).Select(Decode)
            .Select(e => ((long)e.One(2).Scalar, e.One(5).AsMessage.One(1).AsMessage)).ToList();
        var scalars = values.Where(v => v.Item2.Any(f => f.Number == 2))
            .Select(v => (Step: v.Item1, Tag: v.Item2.One(1).AsString)).ToList();
        foreach (string tag in new[] { "loss/train", "accuracy/train", "loss/val", "accuracy/val" })
            Assert.Equal([1L, 2L], scalars.Where(s => s.Tag == tag).Select(s => s.Step));
        var histograms = values.Where(v => v.Item2.Any(f => f.Number == 5)).ToList();
        Assert.Equal(["1.weight", "1.bias", "1.weight", "1.bias"], histograms.Select(h => h.Item2.One(1).AsString));
        Assert.Equal(7840.0, histograms[0].Item2.One(5).AsMessage.One(3).AsDouble);   // num = 10 × 784 weights
    }

    [Fact]
    public void Logger_tags_pair_validation_keys_with_their_training_twins()
    {
        var logs = new Dictionary<string, double> { ["loss"] = 1, ["val_loss"] = 1, ["test_accuracy"] = 1, ["accuracy"] = 1, ["lr"] = 1, ["val_auc"] = 1 };
        Assert.Equal("loss/train", TensorBoardLogger.Tag("loss", logs));
        Assert.Equal("loss/val", TensorBoardLogger.Tag("val_loss", logs));
        Assert.Equal("accuracy/test", TensorBoardLogger.Tag("test_accuracy", logs));
        Assert.Equal("lr", TensorBoardLogger.Tag("lr", logs));
        Assert.Equal("val_auc", TensorBoardLogger.Tag("val_auc", logs));
        Assert.Equal("accuracy/train", TensorBoardLogger.Tag("accuracy", logs));
    }
}
