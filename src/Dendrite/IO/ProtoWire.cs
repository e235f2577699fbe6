using System.Buffers.Binary;
using System.Text;

namespace Dendrite.IO;

/// <summary>
/// Writes one protobuf message field by field, by hand (the core references no protobuf package): each field is a
/// varint key (field number × 8 + wire type), then a varint, 8 or 4 little-endian bytes, or a varint length and the
/// bytes. A nested message is built on its own writer and added as a length-delimited field, which is its encoding.
/// Fields holding their proto3 default are still written; readers take them as given.
/// </summary>
internal sealed class ProtoWire
{
    private const int Varint = 0, Fixed64 = 1, LengthDelimited = 2, Fixed32 = 5;

    private readonly MemoryStream _buffer = new();

    public ProtoWire Int64(int field, long value)
    {
        Key(field, Varint);
        WriteVarint((ulong)value);   // negative int64 takes ten bytes, as protobuf's two's-complement rule says
        return this;
    }

    public ProtoWire Int32(int field, int value) => Int64(field, value);

    public ProtoWire Double(int field, double value)
    {
        Key(field, Fixed64);
        Span<byte> bytes = stackalloc byte[8];
        BinaryPrimitives.WriteDoubleLittleEndian(bytes, value);
        _buffer.Write(bytes);
        return this;
    }

    public ProtoWire Float(int field, float value)
    {
        Key(field, Fixed32);
        Span<byte> bytes = stackalloc byte[4];
        BinaryPrimitives.WriteSingleLittleEndian(bytes, value);
        _buffer.Write(bytes);
        return this;
    }

    public ProtoWire String(int field, string value) => Bytes(field, Encoding.UTF8.GetBytes(value));

    public ProtoWire Bytes(int field, ReadOnlySpan<byte> value)
    {
        Key(field, LengthDelimited);
        WriteVarint((ulong)value.Length);
        _buffer.Write(value);
        return this;
    }

    /// <summary>A repeated double in the packed form (one length-delimited run of 8-byte values), proto3's default.</summary>
    public ProtoWire PackedDoubles(int field, IReadOnlyList<double> values)
    {
        Key(field, LengthDelimited);
        WriteVarint((ulong)values.Count * 8);
        Span<byte> bytes = stackalloc byte[8];
        foreach (double v in values)
        {
            BinaryPrimitives.WriteDoubleLittleEndian(bytes, v);
            _buffer.Write(bytes);
        }
        return this;
    }

    public ProtoWire Message(int field, ProtoWire message) => Bytes(field, message.ToArray());

    public byte[] ToArray() => _buffer.ToArray();

    private void Key(int field, int wireType) => WriteVarint((ulong)((uint)field << 3 | (uint)wireType));

    private void WriteVarint(ulong value)
    {
        while (value >= 0x80)
        {
            _buffer.WriteByte((byte)(value | 0x80));
            value >>= 7;
        }
        _buffer.WriteByte((byte)value);
    }
}
