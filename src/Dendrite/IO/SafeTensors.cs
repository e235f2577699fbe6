using System.Buffers.Binary;
using System.Runtime.InteropServices;
using System.Text;
using System.Text.Json;
using Dendrite.Data;

namespace Dendrite.IO;

/// <summary>
/// The safetensors format: an 8-byte little-endian header length N, N bytes of JSON mapping each tensor name to its
/// dtype, shape and [begin, end) byte offsets in the data section (plus an optional "__metadata__" object of strings),
/// then the data section, little-endian and row-major. Names follow PyTorch's state_dict ("0.weight"), so files move
/// to and from PyTorch by name.
/// </summary>
/// <remarks>
/// Writes F32. Reads F32, and F16, BF16 and F64 converted to float32, so half-precision PyTorch exports load too; and
/// the integer and boolean dtypes (I64, I32, I16, I8, U8, BOOL) converted to float32, since every Dendrite tensor is
/// float32: PyTorch stores BatchNorm's <c>num_batches_tracked</c> as I64. Integers beyond 2²⁴ round to the nearest float.
/// Reading checks everything the format promises, as the reference implementation does: the header parses, every entry
/// is well formed, sizes agree with shapes, no tensor overlaps another or runs past the end, and the data section has
/// no bytes that belong to no tensor. Each failure is an <see cref="InvalidDataException"/> naming the file, the
/// tensor where there is one, and the offset.
/// </remarks>
public static class SafeTensors
{
    /// <summary>Headers larger than this are refused rather than parsed, as the reference implementation does.</summary>
    public const int MaxHeaderBytes = 100_000_000;

    private const string MetadataKey = "__metadata__";

    /// <summary>Writes float32 tensors in dictionary order, atomically: a crash midway leaves the previous file intact.</summary>
    public static void Save(string path, IReadOnlyDictionary<string, Tensor> tensors, IReadOnlyDictionary<string, string>? metadata = null) =>
        AtomicFile.Write(path, stream => Write(stream, tensors, metadata));

    /// <summary>Writes the file to <paramref name="stream"/> (not atomic by itself; see <see cref="Save"/>).</summary>
    public static void Write(Stream stream, IReadOnlyDictionary<string, Tensor> tensors, IReadOnlyDictionary<string, string>? metadata = null)
    {
        if (!BitConverter.IsLittleEndian) throw new PlatformNotSupportedException("SafeTensors: big-endian machines are not supported.");
        byte[] header = Header(tensors, metadata);
        Span<byte> length = stackalloc byte[8];
        BinaryPrimitives.WriteUInt64LittleEndian(length, (ulong)header.Length);
        stream.Write(length);
        stream.Write(header);
        // A tensor on a device (a GPU) is copied to the host first, so a model saves from any device.
        foreach (var t in tensors.Values) stream.Write(MemoryMarshal.AsBytes(t.Device.IsHost ? t.Data : t.ToArray().AsSpan()));
    }

    private static byte[] Header(IReadOnlyDictionary<string, Tensor> tensors, IReadOnlyDictionary<string, string>? metadata)
    {
        using var buffer = new MemoryStream();
        using (var json = new Utf8JsonWriter(buffer))
        {
            json.WriteStartObject();
            if (metadata is { Count: > 0 })
            {
                json.WriteStartObject(MetadataKey);
                foreach (var (key, value) in metadata) json.WriteString(key, value);
                json.WriteEndObject();
            }
            long offset = 0;
            foreach (var (name, t) in tensors)
            {
                if (name == MetadataKey) throw new ArgumentException($"SafeTensors: \"{MetadataKey}\" is reserved and cannot name a tensor.");
                long bytes = (long)t.Numel * sizeof(float);
                json.WriteStartObject(name);
                json.WriteString("dtype", "F32");
                json.WriteStartArray("shape");
                foreach (int d in t.Shape) json.WriteNumberValue(d);
                json.WriteEndArray();
                json.WriteStartArray("data_offsets");
                json.WriteNumberValue(offset);
                json.WriteNumberValue(offset + bytes);
                json.WriteEndArray();
                json.WriteEndObject();
                offset += bytes;
            }
            json.WriteEndObject();
        }
        // The format pads the header with spaces so that the data starts 8-byte aligned.
        while (buffer.Length % 8 != 0) buffer.WriteByte((byte)' ');
        return buffer.ToArray();
    }

    /// <summary>Reads every tensor of a safetensors file, as float32, in file order.</summary>
    public static Dictionary<string, Tensor> Load(string path) => LoadWithMetadata(path).Tensors;

    /// <summary>Reads every tensor and the "__metadata__" strings (empty when the file has none).</summary>
    public static (Dictionary<string, Tensor> Tensors, Dictionary<string, string> Metadata) LoadWithMetadata(string path)
    {
        byte[] bytes = File.ReadAllBytes(path);
        var (entries, metadata, dataStart) = ParseHeader(path, bytes, bytes.Length);
        var tensors = new Dictionary<string, Tensor>();
        foreach (var e in entries)
        {
            var t = Tensor.Empty(e.Shape);
            Decode(e.DType, bytes.AsSpan(checked((int)(dataStart + e.Begin)), checked((int)(e.End - e.Begin))), t.Data);
            tensors[e.Name] = t;
        }
        return (tensors, metadata);
    }

    /// <summary>The "__metadata__" strings only, reading just the header.</summary>
    public static Dictionary<string, string> ReadMetadata(string path) => ReadHeader(path).Metadata;

    /// <summary>
    /// The tensors' names and shapes and the metadata, reading just the header but checking the layout it declares against
    /// the file's length: a caller can check what a file holds before allocating anything for it.
    /// </summary>
    internal static (List<(string Name, int[] Shape)> Tensors, Dictionary<string, string> Metadata) ReadHeader(string path)
    {
        using var file = File.OpenRead(path);
        Span<byte> lengthBytes = stackalloc byte[8];
        int read = file.ReadAtLeast(lengthBytes, 8, throwOnEndOfStream: false);
        if (read < 8) throw new InvalidDataException($"{path}: truncated: {read} bytes, the header length alone needs 8.");
        ulong headerLength = BinaryPrimitives.ReadUInt64LittleEndian(lengthBytes);
        CheckHeaderLength(path, headerLength, file.Length);
        var header = new byte[8 + (int)headerLength];
        lengthBytes.CopyTo(header);
        file.ReadExactly(header.AsSpan(8));
        var (entries, metadata, _) = ParseHeader(path, header, file.Length);
        return ([.. entries.Select(e => (e.Name, e.Shape))], metadata);
    }

    private sealed record Entry(string Name, string DType, int[] Shape, long Begin, long End);

    private static void CheckHeaderLength(string path, ulong headerLength, long fileLength)
    {
        if (headerLength > MaxHeaderBytes)
            throw new InvalidDataException($"{path}: header length {headerLength} at offset 0 exceeds the format's limit of " +
                $"{MaxHeaderBytes} bytes; the file is corrupted or not safetensors.");
        if (headerLength > (ulong)(fileLength - 8))
            throw new InvalidDataException($"{path}: header length {headerLength} at offset 0 runs past the end of the file ({fileLength} bytes).");
    }

    // bytes holds at least the length word and the header; fileLength is the whole file's, which the layout must tile.
    private static (List<Entry> Entries, Dictionary<string, string> Metadata, long DataStart) ParseHeader(string path, byte[] bytes, long fileLength)
    {
        if (bytes.Length < 8) throw new InvalidDataException($"{path}: truncated: {bytes.Length} bytes, the header length alone needs 8.");
        ulong headerLength = BinaryPrimitives.ReadUInt64LittleEndian(bytes);
        CheckHeaderLength(path, headerLength, fileLength);
        long dataStart = 8 + (long)headerLength;
        // The parser only checks UTF-8 inside strings when they are read; check it all up front, so that a damaged name
        // is a format error with its offset rather than an exception halfway through.
        var chars = new char[headerLength];
        if (System.Text.Unicode.Utf8.ToUtf16(bytes.AsSpan(8, (int)headerLength), chars, out int valid, out _, replaceInvalidSequences: false)
            != System.Buffers.OperationStatus.Done)
            throw new InvalidDataException($"{path}: corrupted header: invalid UTF-8 at offset {8 + valid}.");
        JsonDocument doc;
        try
        {
            doc = JsonDocument.Parse(bytes.AsMemory(8, (int)headerLength));
        }
        catch (JsonException e)
        {
            throw new InvalidDataException($"{path}: corrupted header (JSON at offset 8, {headerLength} bytes){NearTensor(bytes, e)}: {MessageText.OneLine(e.Message)}", e);
        }
        using (doc)
        {
            if (doc.RootElement.ValueKind != JsonValueKind.Object)
                throw new InvalidDataException($"{path}: corrupted header at offset 8: expected a JSON object, got {doc.RootElement.ValueKind}.");
            var metadata = new Dictionary<string, string>();
            var entries = new List<Entry>();
            var names = new HashSet<string>();
            foreach (var property in doc.RootElement.EnumerateObject())
            {
                if (!names.Add(property.Name))
                    throw new InvalidDataException($"{path}: corrupted header at offset 8: \"{MessageText.Printable(property.Name)}\" appears twice.");
                if (property.Name == MetadataKey) ReadMetadataObject(path, property.Value, metadata);
                else entries.Add(ReadEntry(path, property.Name, property.Value));
            }
            CheckLayout(path, entries, dataStart, fileLength - dataStart);
            return (entries, metadata, dataStart);
        }
    }

    // The header is one line of JSON, so the parser's byte position is an offset into it: the last entry name that
    // opens before it is the tensor whose description is damaged.
    private static string NearTensor(byte[] bytes, JsonException e)
    {
        if (e.LineNumber is not 0 || e.BytePositionInLine is not { } position) return "";
        string text = Encoding.UTF8.GetString(bytes, 8, (int)Math.Min(position, bytes.Length - 8));
        var matches = System.Text.RegularExpressions.Regex.Matches(text, "\"((?:[^\"\\\\]|\\\\.)*)\"\\s*:\\s*\\{");
        var last = matches.LastOrDefault(m => m.Groups[1].Value != MetadataKey);
        return last is null ? "" : $" in the entry of tensor \"{MessageText.Printable(last.Groups[1].Value)}\"";
    }

    private static void ReadMetadataObject(string path, JsonElement value, Dictionary<string, string> metadata)
    {
        if (value.ValueKind != JsonValueKind.Object)
            throw new InvalidDataException($"{path}: corrupted header: \"{MetadataKey}\" must be an object of strings, got {value.ValueKind}.");
        foreach (var item in value.EnumerateObject())
        {
            if (item.Value.ValueKind != JsonValueKind.String)
                throw new InvalidDataException($"{path}: corrupted header: \"{MetadataKey}\" entry \"{MessageText.Printable(item.Name)}\" must be a string, got {item.Value.ValueKind}.");
            if (!metadata.TryAdd(item.Name, item.Value.GetString()!))
                throw new InvalidDataException($"{path}: corrupted header: \"{MetadataKey}\" key \"{MessageText.Printable(item.Name)}\" appears twice.");
        }
    }

    private static Entry ReadEntry(string path, string name, JsonElement value)
    {
        string Where() => $"{path}: tensor \"{MessageText.Printable(name)}\"";
        if (value.ValueKind != JsonValueKind.Object)
            throw new InvalidDataException($"{Where()}: header entry must be an object with dtype, shape and data_offsets, got {value.ValueKind}.");
        var keys = new HashSet<string>(StringComparer.Ordinal);
        foreach (var key in value.EnumerateObject())
            if (!keys.Add(key.Name))
                throw new InvalidDataException($"{Where()}: header entry key \"{MessageText.Printable(key.Name)}\" appears twice.");
        if (!value.TryGetProperty("dtype", out var dtypeElement) || dtypeElement.ValueKind != JsonValueKind.String)
            throw new InvalidDataException($"{Where()}: header entry has no \"dtype\" string.");
        string dtype = dtypeElement.GetString()!;
        if (ElementSize(dtype) is not { } size)
            throw new InvalidDataException($"{Where()}: unknown or unsupported dtype \"{MessageText.Printable(dtype)}\"; Dendrite reads F32, F16, BF16, F64, I64, I32, I16, I8, U8 and BOOL.");
        int[] shape = ReadIntegers(value, "shape", Where)
            .Select(d => d <= int.MaxValue ? (int)d : throw new InvalidDataException($"{Where()}: dimension {d} is too large.")).ToArray();
        long[] offsets = ReadIntegers(value, "data_offsets", Where);
        if (offsets.Length != 2)
            throw new InvalidDataException($"{Where()}: \"data_offsets\" must hold two numbers [begin, end), got {offsets.Length}.");
        var (begin, end) = (offsets[0], offsets[1]);
        long numel = 1;
        foreach (int d in shape)
        {
            numel *= d;
            if (numel > int.MaxValue) throw new InvalidDataException($"{Where()}: shape [{string.Join(", ", shape)}] has more than {int.MaxValue} elements.");
        }
        if (end < begin || end - begin != numel * size)
            throw new InvalidDataException(
                $"{Where()}: data_offsets [{begin}, {end}) hold {end - begin} bytes, but shape [{string.Join(", ", shape)}] of {dtype} needs {numel * size}.");
        return new Entry(name, dtype, shape, begin, end);
    }

    private static long[] ReadIntegers(JsonElement entry, string key, Func<string> where)
    {
        if (!entry.TryGetProperty(key, out var array) || array.ValueKind != JsonValueKind.Array)
            throw new InvalidDataException($"{where()}: header entry has no \"{key}\" array.");
        var result = new long[array.GetArrayLength()];
        int i = 0;
        foreach (var item in array.EnumerateArray())
        {
            if (item.ValueKind != JsonValueKind.Number || !item.TryGetInt64(out long v) || v < 0)
                throw new InvalidDataException($"{where()}: \"{key}\" must hold non-negative integers, got {item.GetRawText()}.");
            result[i++] = v;
        }
        return result;
    }

    // Sorted by begin, the tensors must tile the data section exactly: an overlap would let one tensor alias another,
    // and bytes that belong to no tensor are how polyglot files hide a second payload.
    private static void CheckLayout(string path, List<Entry> entries, long dataStart, long dataLength)
    {
        var sorted = entries.OrderBy(e => e.Begin).ThenBy(e => e.End).ToList();
        long expected = 0;
        Entry? previous = null;
        foreach (var e in sorted)
        {
            if (e.End > dataLength)
                throw new InvalidDataException(
                    $"{path}: tensor \"{MessageText.Printable(e.Name)}\": truncated data: it needs bytes [{e.Begin}, {e.End}) of the data section " +
                    $"(file offsets [{dataStart + e.Begin}, {dataStart + e.End})), but the file ends at {dataStart + dataLength}.");
            if (e.Begin < expected && previous is not null)
                throw new InvalidDataException($"{path}: tensors \"{MessageText.Printable(previous.Name)}\" [{previous.Begin}, {previous.End}) and " +
                    $"\"{MessageText.Printable(e.Name)}\" [{e.Begin}, {e.End}) overlap in the data section.");
            if (e.Begin > expected)
                throw new InvalidDataException($"{path}: bytes [{expected}, {e.Begin}) of the data section, before tensor \"{MessageText.Printable(e.Name)}\", belong to no tensor.");
            expected = e.End;
            previous = e;
        }
        if (expected < dataLength)
            throw new InvalidDataException($"{path}: {dataLength - expected} bytes at the end of the data section (from data offset {expected}) belong to no tensor.");
    }

    private static int? ElementSize(string dtype) => dtype switch
    {
        "F32" or "I32" => 4,
        "F16" or "BF16" or "I16" => 2,
        "F64" or "I64" => 8,
        "I8" or "U8" or "BOOL" => 1,
        _ => null,
    };

    private static void Decode(string dtype, ReadOnlySpan<byte> source, Span<float> target)
    {
        switch (dtype)
        {
            case "F32":
                MemoryMarshal.Cast<byte, float>(source).CopyTo(target);
                break;
            case "F64":
                var doubles = MemoryMarshal.Cast<byte, double>(source);
                for (int i = 0; i < target.Length; i++) target[i] = (float)doubles[i];
                break;
            case "F16":
                var halves = MemoryMarshal.Cast<byte, Half>(source);
                for (int i = 0; i < target.Length; i++) target[i] = (float)halves[i];
                break;
            case "BF16":
                // bfloat16 is the top half of a float32's bits.
                var words = MemoryMarshal.Cast<byte, ushort>(source);
                for (int i = 0; i < target.Length; i++) target[i] = BitConverter.UInt32BitsToSingle((uint)words[i] << 16);
                break;
            case "I64":
                var longs = MemoryMarshal.Cast<byte, long>(source);
                for (int i = 0; i < target.Length; i++) target[i] = longs[i];
                break;
            case "I32":
                var ints = MemoryMarshal.Cast<byte, int>(source);
                for (int i = 0; i < target.Length; i++) target[i] = ints[i];
                break;
            case "I16":
                var shorts = MemoryMarshal.Cast<byte, short>(source);
                for (int i = 0; i < target.Length; i++) target[i] = shorts[i];
                break;
            case "I8":
                var signedBytes = MemoryMarshal.Cast<byte, sbyte>(source);
                for (int i = 0; i < target.Length; i++) target[i] = signedBytes[i];
                break;
            case "U8":
                for (int i = 0; i < target.Length; i++) target[i] = source[i];
                break;
            case "BOOL":
                // One byte per value; any non-zero byte reads as true, as numpy's bool view would.
                for (int i = 0; i < target.Length; i++) target[i] = source[i] != 0 ? 1f : 0f;
                break;
        }
    }
}
