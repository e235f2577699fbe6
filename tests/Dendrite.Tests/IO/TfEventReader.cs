using System.Buffers.Binary;
using System.Text;

namespace Dendrite.Tests.IO;

/// <summary>
/// A reader of TensorBoard event files written for the tests from the published formats alone, sharing no code with
/// the writer: TFRecord framing (uint64 length, masked CRC-32C of the length, data, masked CRC-32C of the data) and
/// protobuf's wire format decoded generically by wire type. The CRC is computed bit by bit, not from a table.
/// </summary>
internal static class TfEventReader
{
    /// <summary>One protobuf field: its number, wire type, and the number (varint, fixed) or the bytes (length-delimited).</summary>
    public sealed record Field(int Number, int WireType, ulong Scalar, byte[] Bytes)
    {
        public double AsDouble => BitConverter.UInt64BitsToDouble(Scalar);
        public float AsFloat => BitConverter.UInt32BitsToSingle((uint)Scalar);
        public string AsString => Encoding.UTF8.GetString(Bytes);
        public List<Field> AsMessage => Decode(Bytes);
    }

    /// <summary>The data of every record in the file; throws InvalidDataException naming the record when a CRC is wrong.</summary>
    public static List<byte[]> ReadRecords(byte[] file)
    {
        var records = new List<byte[]>();
        int at = 0;
        while (at < file.Length)
        {
            if (file.Length - at < 12) throw new InvalidDataException($"record {records.Count}: truncated header at byte {at}");
            ulong length = BinaryPrimitives.ReadUInt64LittleEndian(file.AsSpan(at));
            uint lengthCrc = BinaryPrimitives.ReadUInt32LittleEndian(file.AsSpan(at + 8));
            if (lengthCrc != Masked(file.AsSpan(at, 8)))
                throw new InvalidDataException($"record {records.Count}: length CRC mismatch at byte {at}");
            at += 12;
            if ((ulong)(file.Length - at) < length + 4) throw new InvalidDataException($"record {records.Count}: truncated data");
            var data = file.AsSpan(at, (int)length).ToArray();
            uint dataCrc = BinaryPrimitives.ReadUInt32LittleEndian(file.AsSpan(at + (int)length));
            if (dataCrc != Masked(data)) throw new InvalidDataException($"record {records.Count}: data CRC mismatch");
            at += (int)length + 4;
            records.Add(data);
        }
        return records;
    }

    /// <summary>The fields of one message in order (repeated fields appear once per occurrence).</summary>
    public static List<Field> Decode(byte[] message)
    {
        var fields = new List<Field>();
        int at = 0;
        while (at < message.Length)
        {
            ulong key = Varint(message, ref at);
            int number = (int)(key >> 3), wire = (int)(key & 7);
            switch (wire)
            {
                case 0:
                    fields.Add(new Field(number, wire, Varint(message, ref at), []));
                    break;
                case 1:
                    fields.Add(new Field(number, wire, BinaryPrimitives.ReadUInt64LittleEndian(message.AsSpan(at)), []));
                    at += 8;
                    break;
                case 2:
                    int length = (int)Varint(message, ref at);
                    fields.Add(new Field(number, wire, 0, message.AsSpan(at, length).ToArray()));
                    at += length;
                    break;
                case 5:
                    fields.Add(new Field(number, wire, BinaryPrimitives.ReadUInt32LittleEndian(message.AsSpan(at)), []));
                    at += 4;
                    break;
                default:
                    throw new InvalidDataException($"wire type {wire} of field {number} at byte {at}");
            }
        }
        return fields;
    }

    /// <summary>A packed repeated double field's values.</summary>
    public static double[] PackedDoubles(Field field)
    {
        var values = new double[field.Bytes.Length / 8];
        for (int i = 0; i < values.Length; i++) values[i] = BinaryPrimitives.ReadDoubleLittleEndian(field.Bytes.AsSpan(i * 8));
        return values;
    }

    public static Field One(this List<Field> fields, int number) => Assert.Single(fields, f => f.Number == number);

    private static ulong Varint(byte[] data, ref int at)
    {
        ulong value = 0;
        for (int shift = 0; ; shift += 7)
        {
            byte b = data[at++];
            value |= (ulong)(b & 0x7F) << shift;
            if (b < 0x80) return value;
        }
    }

    /// <summary>TFRecord's masked CRC-32C: the CRC rotated right by 15 bits, plus 0xa282ead8.</summary>
    private static uint Masked(ReadOnlySpan<byte> data)
    {
        uint crc = 0xFFFFFFFF;
        foreach (byte b in data)
        {
            crc ^= b;
            for (int k = 0; k < 8; k++) crc = (crc >> 1) ^ (0x82F63B78u & (0u - (crc & 1)));
        }
        crc = ~crc;
        return unchecked(((crc >> 15) | (crc << 17)) + 0xa282ead8u);
    }
}
