using System.Buffers.Binary;
using System.Globalization;

namespace Dendrite.IO;

/// <summary>
/// Writes TensorBoard event files, as PyTorch's <c>torch.utils.tensorboard.SummaryWriter</c>: scalars, images and
/// histograms under a tag and a step, read by <c>tensorboard --logdir DIR</c>. One writer owns one file in
/// <see cref="LogDir"/>, named <c>events.out.tfevents.{unix seconds}.{host}.{pid}.{n}</c> as PyTorch names it.
/// </summary>
/// <remarks>
/// Format: a TFRecord file (per record: uint64 length, masked CRC-32C of those 8 bytes, the data, masked CRC-32C of
/// the data; little-endian) of serialized <c>tensorflow.Event</c> messages, the first holding only
/// <c>file_version = "brain.Event:2"</c>. Field numbers follow TensorBoard's event.proto and summary.proto:
/// Event {wall_time 1 double, step 2 int64, file_version 3, summary 5}; Summary {value 1}; Summary.Value {tag 1,
/// simple_value 2 float, image 4, histo 5}; Summary.Image {height 1, width 2, colorspace 3, encoded_image_string 4};
/// HistogramProto {min 1, max 2, num 3, sum 4, sum_squares 5, bucket_limit 6, bucket 7 (packed doubles)}.
/// Records are appended as they come; <see cref="Flush"/> (or <see cref="Dispose"/>) pushes them to the file, and
/// TensorBoard reads a file that is still growing.
/// </remarks>
public sealed class SummaryWriter : IDisposable
{
    private static int s_files;
    private static readonly Lazy<double[]> s_defaultBins = new(DefaultBinEdges);

    private readonly FileStream _file;
    private readonly Lock _lock = new();
    private bool _disposed;

    /// <param name="logDir">Directory of the event file, made when missing; null gives PyTorch's default,
    /// <c>runs/{month}{day}_{hh}-{mm}-{ss}_{host}</c>.</param>
    /// <param name="filenameSuffix">Appended to the file name, as PyTorch's <c>filename_suffix</c>.</param>
    public SummaryWriter(string? logDir = null, string filenameSuffix = "")
    {
        LogDir = logDir ?? Path.Combine("runs",
            DateTime.Now.ToString("MMMdd_HH-mm-ss", CultureInfo.InvariantCulture) + "_" + Environment.MachineName);
        if (filenameSuffix.IndexOfAny(Path.GetInvalidFileNameChars()) >= 0 || filenameSuffix.Contains('/'))
            throw new ArgumentException($"SummaryWriter: filenameSuffix \"{filenameSuffix}\" may not hold a path separator or a character invalid in file names.", nameof(filenameSuffix));
        Directory.CreateDirectory(LogDir);
        long seconds = DateTimeOffset.UtcNow.ToUnixTimeSeconds();
        string name = string.Create(CultureInfo.InvariantCulture,
            $"events.out.tfevents.{seconds:D10}.{Environment.MachineName}.{Environment.ProcessId}.{Interlocked.Increment(ref s_files) - 1}{filenameSuffix}");
        FilePath = Path.Combine(LogDir, name);
        _file = new FileStream(FilePath, FileMode.CreateNew, FileAccess.Write, FileShare.Read, 1 << 16);
        WriteEvent(new ProtoWire().Double(1, WallTime(null)).String(3, "brain.Event:2"));
        Flush();   // the file announces itself at once, so TensorBoard lists the run before its first value
    }

    /// <summary>The directory the event file lies in.</summary>
    public string LogDir { get; }

    /// <summary>The event file this writer appends to.</summary>
    public string FilePath { get; }

    /// <summary>
    /// The histogram bin edges PyTorch's <c>bins="tensorflow"</c> uses: ±10⁻¹² growing by factors of 1.1 up to
    /// 10²⁰, mirrored around 0 (TensorBoard's own default buckets).
    /// </summary>
    public static IReadOnlyList<double> DefaultBins => s_defaultBins.Value;

    /// <summary>Logs one number under <paramref name="tag"/> at <paramref name="step"/> (Summary.Value.simple_value).</summary>
    /// <param name="wallTime">Seconds since 1970 to record; null takes the clock.</param>
    public void AddScalar(string tag, double value, long step, double? wallTime = null) =>
        WriteSummary(step, wallTime, new ProtoWire().String(1, CheckTag(tag, "AddScalar")).Float(2, (float)value));

    /// <summary>
    /// Logs an image, [C, H, W] with C = 1 (grey) or 3 (RGB), or [H, W], values in [0, 1] (PyTorch's default
    /// <c>dataformats="CHW"</c> and float scaling), encoded as PNG.
    /// </summary>
    /// <exception cref="ShapeMismatchException">The tensor has another shape.</exception>
    public void AddImage(string tag, Tensor image, long step, double? wallTime = null)
    {
        CheckTag(tag, "AddImage");
        var (channels, height, width) = Png.ImageLayout(image, "SummaryWriter.AddImage");
        var pixels = Png.ToBytes(image.ToArray(), channels, height * width, PixelScale.Unit, "SummaryWriter.AddImage");
        AddImage(tag, Png.Encode(pixels, width, height, channels), step, wallTime);
    }

    /// <summary>Logs an already encoded PNG file; its size and colour type are read from its header.</summary>
    /// <exception cref="ArgumentException">The bytes are not a PNG file.</exception>
    public void AddImage(string tag, ReadOnlySpan<byte> png, long step, double? wallTime = null)
    {
        CheckTag(tag, "AddImage");
        ReadOnlySpan<byte> signature = [0x89, (byte)'P', (byte)'N', (byte)'G', 0x0D, 0x0A, 0x1A, 0x0A];
        if (png.Length < 33 || !png[..8].SequenceEqual(signature) || !png.Slice(12, 4).SequenceEqual("IHDR"u8))
            throw new ArgumentException($"SummaryWriter.AddImage: \"{tag}\": the {png.Length} bytes are not a PNG file (no PNG signature and IHDR header).");
        int width = BinaryPrimitives.ReadInt32BigEndian(png[16..]);
        int height = BinaryPrimitives.ReadInt32BigEndian(png[20..]);
        // Summary.Image.colorspace: 1 grey, 2 grey + alpha, 3 RGB, 4 RGBA; PNG colour types 0, 4, 2, 6 (3, palette, is shown as RGB).
        int colorspace = png[25] switch { 0 => 1, 4 => 2, 6 => 4, _ => 3 };
        var image = new ProtoWire().Int32(1, height).Int32(2, width).Int32(3, colorspace).Bytes(4, png);
        WriteSummary(step, wallTime, new ProtoWire().String(1, tag).Message(4, image));
    }

    /// <summary>Logs the distribution of a tensor's values (a weight, an activation) with <see cref="DefaultBins"/>.</summary>
    public void AddHistogram(string tag, Tensor values, long step, double? wallTime = null) =>
        AddHistogram(tag, values.ToArray(), step, wallTime);

    /// <summary>
    /// Logs the distribution of <paramref name="values"/>: min, max, count, sum and sum of squares, and the counts in
    /// <see cref="DefaultBins"/>, trimmed to the occupied range plus one empty bucket on the left, as PyTorch's
    /// <c>make_histogram</c> (numpy's <c>histogram</c>: bins [a, b), the last [a, b]).
    /// </summary>
    /// <exception cref="ArgumentException">No values, or a value that is NaN or infinite.</exception>
    public void AddHistogram(string tag, ReadOnlySpan<float> values, long step, double? wallTime = null)
    {
        CheckTag(tag, "AddHistogram");
        if (values.IsEmpty) throw new ArgumentException($"SummaryWriter.AddHistogram: \"{tag}\" has no values; a histogram needs at least one.");
        var edges = s_defaultBins.Value;
        var counts = new double[edges.Length - 1];
        double min = double.PositiveInfinity, max = double.NegativeInfinity, sum = 0, sumSquares = 0;
        for (int i = 0; i < values.Length; i++)
        {
            double v = values[i];
            if (!double.IsFinite(v))
                throw new ArgumentException($"SummaryWriter.AddHistogram: \"{tag}\": value {i} is {values[i]}; a histogram takes finite values only.");
            min = Math.Min(min, v);
            max = Math.Max(max, v);
            sum += v;
            sumSquares += v * v;
            int at = Array.BinarySearch(edges, v);
            int bin = at >= 0 ? Math.Min(at, counts.Length - 1) : ~at - 1;
            if (bin >= 0 && bin < counts.Length) counts[bin]++;   // beyond ±1e20 numpy counts nothing either
        }
        int first = Array.FindIndex(counts, c => c > 0), last = Array.FindLastIndex(counts, c => c > 0);
        if (first < 0)
            throw new ArgumentException($"SummaryWriter.AddHistogram: \"{tag}\": every value lies beyond ±1e20, outside the default bins.");
        // TensorBoard keeps only right edges, so an empty bucket left of the first occupied one carries its left edge.
        var limits = new List<double>();
        var buckets = new List<double>();
        if (first == 0) buckets.Add(0);
        for (int b = Math.Max(first - 1, 0); b <= last; b++) buckets.Add(counts[b]);
        for (int e = first; e <= last + 1; e++) limits.Add(edges[e]);
        var histo = new ProtoWire().Double(1, min).Double(2, max).Double(3, values.Length).Double(4, sum).Double(5, sumSquares)
            .PackedDoubles(6, limits).PackedDoubles(7, buckets);
        WriteSummary(step, wallTime, new ProtoWire().String(1, tag).Message(5, histo));
    }

    /// <summary>Pushes the records written so far to the file.</summary>
    public void Flush()
    {
        lock (_lock)
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            _file.Flush(flushToDisk: false);
        }
    }

    /// <summary>Flushes and closes the file; the writer takes no more values.</summary>
    public void Dispose()
    {
        lock (_lock)
        {
            if (_disposed) return;
            _disposed = true;
            _file.Flush();
            _file.Dispose();
        }
    }

    private static double[] DefaultBinEdges()
    {
        // The same doubles as PyTorch's loop (v = 1e-12; while v < 1e20: v *= 1.1), so the edges match bit for bit.
        var positive = new List<double>();
        for (double v = 1e-12; v < 1e20; v *= 1.1) positive.Add(v);
        var edges = new double[positive.Count * 2 + 1];
        for (int i = 0; i < positive.Count; i++)
        {
            edges[positive.Count - 1 - i] = -positive[i];
            edges[positive.Count + 1 + i] = positive[i];
        }
        return edges;
    }

    private static string CheckTag(string tag, string method) => string.IsNullOrEmpty(tag)
        ? throw new ArgumentException($"SummaryWriter.{method}: the tag is empty; TensorBoard groups values by tag.", nameof(tag))
        : tag;

    private static double WallTime(double? given) => given ?? DateTimeOffset.UtcNow.ToUnixTimeMilliseconds() / 1000.0;

    private void WriteSummary(long step, double? wallTime, ProtoWire value) =>
        WriteEvent(new ProtoWire().Double(1, WallTime(wallTime)).Int64(2, step).Message(5, new ProtoWire().Message(1, value)));

    private void WriteEvent(ProtoWire evt)
    {
        byte[] data = evt.ToArray();
        Span<byte> header = stackalloc byte[12];
        BinaryPrimitives.WriteUInt64LittleEndian(header, (ulong)data.Length);
        BinaryPrimitives.WriteUInt32LittleEndian(header[8..], Crc32C.Mask(Crc32C.Append(0, header[..8])));
        Span<byte> footer = stackalloc byte[4];
        BinaryPrimitives.WriteUInt32LittleEndian(footer, Crc32C.Mask(Crc32C.Append(0, data)));
        lock (_lock)
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            _file.Write(header);
            _file.Write(data);
            _file.Write(footer);
        }
    }
}
