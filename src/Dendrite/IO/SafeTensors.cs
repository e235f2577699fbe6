using System.Buffers.Binary;
using System.Runtime.InteropServices;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace Dendrite.IO;

/// <summary>
/// The safetensors format: an 8-byte little-endian header length, a JSON header mapping each tensor name to its dtype,
/// shape and [begin, end) byte offsets in the data section, then the raw little-endian data. Names follow PyTorch's
/// state_dict ("0.weight"), so files move to and from PyTorch by name.
/// </summary>
public static class SafeTensors
{
    /// <summary>Writes float32 tensors (atomically: the previous file survives a crash).</summary>
    public static void Save(string path, IReadOnlyDictionary<string, Tensor> tensors, IReadOnlyDictionary<string, string>? metadata = null)
    {
        var header = new JsonObject();
        if (metadata is not null)
        {
            var meta = new JsonObject();
            foreach (var (k, v) in metadata) meta[k] = v;
            header["__metadata__"] = meta;
        }
        long offset = 0;
        foreach (var (name, t) in tensors)
        {
            long bytes = (long)t.Numel * sizeof(float);
            header[name] = new JsonObject
            {
                ["dtype"] = "F32",
                ["shape"] = new JsonArray(t.Shape.Select(d => (JsonNode)d).ToArray()),
                ["data_offsets"] = new JsonArray(offset, offset + bytes),
            };
            offset += bytes;
        }
        byte[] json = Encoding.UTF8.GetBytes(header.ToJsonString());
        int padded = (json.Length + 7) / 8 * 8; // the format pads the header with spaces to 8-byte alignment
        AtomicFile.Write(path, stream =>
        {
            Span<byte> length = stackalloc byte[8];
            BinaryPrimitives.WriteUInt64LittleEndian(length, (ulong)padded);
            stream.Write(length);
            stream.Write(json);
            for (int i = json.Length; i < padded; i++) stream.WriteByte((byte)' ');
            foreach (var t in tensors.Values)
            {
                if (!BitConverter.IsLittleEndian) throw new PlatformNotSupportedException("SafeTensors: big-endian machines are not supported.");
                stream.Write(MemoryMarshal.AsBytes(t.Data));
            }
        });
    }

    /// <summary>Reads every tensor of a float32 safetensors file; errors name the file and the tensor.</summary>
    public static Dictionary<string, Tensor> Load(string path)
    {
        byte[] bytes = File.ReadAllBytes(path);
        if (bytes.Length < 8) throw new InvalidDataException($"{path}: truncated: {bytes.Length} bytes, the header length alone needs 8.");
        ulong headerLength = BinaryPrimitives.ReadUInt64LittleEndian(bytes);
        if (headerLength > (ulong)(bytes.Length - 8))
            throw new InvalidDataException($"{path}: header length {headerLength} at offset 0 runs past the end of the file ({bytes.Length} bytes).");
        int dataStart = 8 + (int)headerLength;
        JsonObject header;
        try
        {
            header = JsonNode.Parse(bytes.AsSpan(8, (int)headerLength))?.AsObject() ?? throw new InvalidDataException($"{path}: the header is not a JSON object.");
        }
        catch (Exception e) when (e is JsonException or InvalidOperationException)
        {
            throw new InvalidDataException($"{path}: corrupted header at offset 8: {e.Message}", e);
        }
        var result = new Dictionary<string, Tensor>();
        var ranges = new List<(long Begin, long End, string Name)>();
        foreach (var (name, node) in header)
        {
            if (name == "__metadata__") continue;
            try
            {
                var entry = node!.AsObject();
                string dtype = entry["dtype"]!.GetValue<string>();
                if (dtype != "F32") throw new InvalidDataException($"{path}: tensor \"{name}\" has dtype {dtype}; only F32 is supported.");
                int[] shape = entry["shape"]!.AsArray().Select(d => d!.GetValue<int>()).ToArray();
                long begin = entry["data_offsets"]![0]!.GetValue<long>(), end = entry["data_offsets"]![1]!.GetValue<long>();
                long numel = shape.Aggregate(1L, (p, d) => p * d);
                if (shape.Any(d => d < 0) || end < begin || end - begin != numel * 4)
                    throw new InvalidDataException($"{path}: tensor \"{name}\": offsets [{begin}, {end}) do not hold shape [{string.Join(", ", shape)}] of F32.");
                if (dataStart + end > bytes.Length)
                    throw new InvalidDataException($"{path}: tensor \"{name}\": data [{begin}, {end}) runs past the end of the file (data section holds {bytes.Length - dataStart} bytes).");
                ranges.Add((begin, end, name));
                var t = Tensor.Empty(shape);
                MemoryMarshal.Cast<byte, float>(bytes.AsSpan(dataStart + (int)begin, (int)(end - begin))).CopyTo(t.Data);
                result[name] = t;
            }
            catch (Exception e) when (e is NullReferenceException or InvalidOperationException or FormatException or ArgumentException or IndexOutOfRangeException)
            {
                throw new InvalidDataException($"{path}: tensor \"{name}\": malformed header entry ({e.Message}).", e);
            }
        }
        ranges.Sort();
        for (int i = 1; i < ranges.Count; i++)
            if (ranges[i].Begin < ranges[i - 1].End)
                throw new InvalidDataException($"{path}: tensors \"{ranges[i - 1].Name}\" and \"{ranges[i].Name}\" overlap in the data section.");
        return result;
    }
}
