using System.Globalization;
using Dendrite.Data;
using Dendrite.NN;

namespace Dendrite.Cli;

/// <summary>
/// Turns the files a user hands to <c>eval</c> and <c>predict</c> into model inputs: PNG images, IDX image and label files
/// (MNIST's format, gzipped or not) and CSV rows. Bytes of images become byte/255, as the MNIST loader does.
/// </summary>
internal static class ModelInputs
{
    /// <summary>"1,28,28" → [1, 28, 28].</summary>
    public static Shape ParseShape(string text, string option)
    {
        var parts = text.Split(',', StringSplitOptions.TrimEntries);
        var dims = new int[parts.Length];
        for (int i = 0; i < parts.Length; i++)
            if (!int.TryParse(parts[i], NumberStyles.None, CultureInfo.InvariantCulture, out dims[i]) || dims[i] < 1)
                throw new ArgumentException($"{option} must be positive integers separated by commas, such as 1,28,28; got \"{text}\".");
        long elements = 1;
        foreach (int d in dims)
            if ((elements *= d) > int.MaxValue)
                throw new ArgumentException($"{option} {text} has more than {int.MaxValue} elements per sample, more than a tensor holds.");
        return new Shape(dims);
    }

    /// <summary>
    /// One image (PNG, or JPEG, BMP, GIF, TGA: whatever StbImageSharp decodes) as a batch of one: gray levels in [0, 1],
    /// alpha composited over black (MNIST's background), resized by area averaging to the sample's last two dimensions.
    /// </summary>
    public static Tensor Png(string path, Shape sample, bool invert)
    {
        var (height, width, pixels) = ReadGray(path);
        var (h, w) = sample.Rank >= 2 ? (sample[-2], sample[-1]) : SquareSide(sample.Numel, path);
        if (sample.Numel != h * w)
            throw new ArgumentException($"{path}: the model takes samples of shape {sample}, which is not one grayscale image.");
        var resized = height == h && width == w ? pixels : Resize(pixels, height, width, h, w);
        if (invert) for (int i = 0; i < resized.Length; i++) resized[i] = 1f - resized[i];
        return Tensor.FromArray(resized, [1, .. sample]);
    }

    private static (int Height, int Width, float[] Pixels) ReadGray(string path)
    {
        if (!File.Exists(path)) throw new FileNotFoundException($"image file not found: {path}", path);
        StbImageSharp.ImageResult image;
        try
        {
            image = StbImageSharp.ImageResult.FromMemory(File.ReadAllBytes(path), StbImageSharp.ColorComponents.GreyAlpha);
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            // stb_image reports a damaged or unsupported file with a bare Exception ("unknown image type", "bad png sig"…).
            throw new DataFormatException($"{path}: not an image StbImageSharp can decode ({e.Message}).", e);
        }
        var pixels = new float[image.Width * image.Height];
        for (int i = 0; i < pixels.Length; i++) pixels[i] = image.Data[2 * i] * image.Data[2 * i + 1] / (255f * 255f);
        return (image.Height, image.Width, pixels);
    }

    private static (int, int) SquareSide(int numel, string path)
    {
        int side = (int)Math.Round(Math.Sqrt(numel));
        return side * side == numel ? (side, side)
            : throw new ArgumentException($"{path}: the model takes {numel} features, not a square image; pass --input-shape H,W.");
    }

    // Each output pixel averages the input pixels whose centres fall in its footprint (at least the nearest one).
    private static float[] Resize(float[] src, int sh, int sw, int h, int w)
    {
        var dst = new float[h * w];
        for (int y = 0; y < h; y++)
        {
            int y0 = y * sh / h, y1 = Math.Max(y0 + 1, (y + 1) * sh / h);
            for (int x = 0; x < w; x++)
            {
                int x0 = x * sw / w, x1 = Math.Max(x0 + 1, (x + 1) * sw / w);
                float sum = 0;
                for (int yy = y0; yy < y1; yy++)
                    for (int xx = x0; xx < x1; xx++) sum += src[yy * sw + xx];
                dst[y * w + x] = sum / ((y1 - y0) * (x1 - x0));
            }
        }
        return dst;
    }

    /// <summary>An IDX file of images ([N, H, W] bytes) as [N, …sample].</summary>
    public static Tensor IdxImages(string path, Shape sample)
    {
        var (dims, bytes) = IdxReader.ReadBytes(path, 3);
        if (dims[1] * dims[2] != sample.Numel)
            throw new ArgumentException($"{path}: images of {dims[1]}×{dims[2]} pixels, but the model takes samples of shape {sample}.");
        var x = Tensor.Empty([dims[0], .. sample]);
        var data = x.Data;
        for (int i = 0; i < bytes.Length; i++) data[i] = bytes[i] / 255f;
        return x;
    }

    /// <summary>An IDX file of labels ([N] bytes).</summary>
    public static Tensor IdxLabels(string path)
    {
        var (dims, bytes) = IdxReader.ReadBytes(path, 1);
        var y = Tensor.Empty(dims[0]);
        for (int i = 0; i < bytes.Length; i++) y.Data[i] = bytes[i];
        return y;
    }

    /// <summary>
    /// CSV rows, one sample each, values divided by <paramref name="divideBy"/>; with <paramref name="labelFirst"/> the
    /// first column is the class label (the layout of the common MNIST CSV files), a whole number of at least 0. Blank
    /// lines are skipped. The first row is a header when <paramref name="header"/> says so; when it is null, only when
    /// none of its fields is a number, so a data row with a typo is an error naming it, never dropped as a "header".
    /// Every value must be finite: NaN and infinity are refused with their line and column.
    /// </summary>
    public static (Tensor Inputs, Tensor? Labels) Csv(string path, Shape sample, bool labelFirst, float divideBy, bool? header = null)
    {
        if (!File.Exists(path)) throw new FileNotFoundException($"CSV file not found: {path}", path);
        CheckDivisor(divideBy);
        var rows = new List<float[]>();
        var labels = new List<float>();
        int lineNumber = 0;
        bool firstRow = true;
        foreach (var line in File.ReadLines(path))
        {
            lineNumber++;
            if (string.IsNullOrWhiteSpace(line)) continue;
            var fields = line.Split(',', StringSplitOptions.TrimEntries);
            if (firstRow)
            {
                firstRow = false;
                bool isHeader = header ?? fields.All(f => !float.TryParse(f, NumberStyles.Float, CultureInfo.InvariantCulture, out _));
                if (isHeader) continue;
            }
            int expected = sample.Numel + (labelFirst ? 1 : 0);
            if (fields.Length != expected)
                throw new DataFormatException($"{path}: line {lineNumber} has {fields.Length} values, expected {expected} " +
                    $"({(labelFirst ? "a label and " : "")}{sample.Numel} for samples of shape {sample}).");
            var values = new float[sample.Numel];
            for (int i = 0; i < fields.Length; i++)
            {
                if (!float.TryParse(fields[i], NumberStyles.Float, CultureInfo.InvariantCulture, out float v))
                    throw new DataFormatException($"{path}: line {lineNumber}, column {i + 1}: \"{Clip(fields[i])}\" is not a number" +
                        (rows.Count == 0 && header is null ? " (pass --header if the first row names the columns)." : "."));
                if (!float.IsFinite(v))
                    throw new DataFormatException($"{path}: line {lineNumber}, column {i + 1}: \"{Clip(fields[i])}\" is not a finite number.");
                if (labelFirst && i == 0 && (v < 0 || v != MathF.Floor(v)))
                    throw new DataFormatException($"{path}: line {lineNumber}, column 1: the label \"{Clip(fields[i])}\" is not a class number (0, 1, 2, …).");
                if (labelFirst && i == 0) labels.Add(v);
                else values[i - (labelFirst ? 1 : 0)] = v / divideBy;
            }
            rows.Add(values);
        }
        if (rows.Count == 0) throw new DataFormatException($"{path}: no rows.");
        var x = Tensor.Empty([rows.Count, .. sample]);
        for (int r = 0; r < rows.Count; r++) rows[r].CopyTo(x.Data.Slice(r * sample.Numel, sample.Numel));
        return (x, labelFirst ? Tensor.FromArray([.. labels], labels.Count) : null);
    }

    private static string Clip(string text) => text.Length <= 32 ? text : text[..32] + "…";

    /// <summary>--divide-by: a finite number above 0 (0 turned every value into infinity or NaN).</summary>
    public static void CheckDivisor(float divideBy)
    {
        if (!(divideBy > 0) || !float.IsFinite(divideBy))
            throw new ArgumentException(string.Create(CultureInfo.InvariantCulture, $"--divide-by must be a positive number, got {divideBy}."));
    }

    /// <summary>
    /// Refuses a model that cannot score anything: no parameters (an empty Sequential passes its input through) or a
    /// parameter holding NaN or infinity.
    /// </summary>
    public static void CheckModel(Module model, string path)
    {
        if (!model.Parameters().Any())
            throw new InvalidDataException($"{path}: the model has no parameters, so it has learned nothing to score with.");
        if (Training.ParameterCheck.FirstNonFinite(model) is { } bad)
            throw new InvalidDataException($"{path}: \"{bad}\" holds NaN or infinity; the model's outputs would be meaningless.");
    }

    /// <summary>
    /// The number of classes when <paramref name="outputs"/> look like a classifier's ([N, C], C ≥ 2, all finite), else
    /// null; <paramref name="what"/> then says what the model outputs.
    /// </summary>
    public static int? Classes(Tensor outputs, out string what)
    {
        int perSample = outputs.Shape.Rank == 0 || outputs.Shape[0] == 0 ? 0 : outputs.Numel / outputs.Shape[0];
        string first = string.Join(" ", outputs.Data[..Math.Min(perSample, 8)].ToArray().Select(v => v.ToString("G6", CultureInfo.InvariantCulture)))
            + (perSample > 8 ? " …" : "");
        what = $"the model outputs shape {outputs.Shape} ({perSample} value{(perSample == 1 ? "" : "s")} per sample; the first sample's: {first})";
        if (!Training.ParameterCheck.IsFinite(outputs)) { what += ", with NaN or infinity among them"; return null; }
        return outputs.Shape.Rank == 2 && outputs.Shape[1] >= 2 ? outputs.Shape[1] : null;
    }

    /// <summary>
    /// Class probabilities from the model's output: the output itself when the model ends in Softmax, its exponential
    /// after LogSoftmax, otherwise the softmax of the logits.
    /// </summary>
    public static Tensor Probabilities(Module model, Tensor output)
    {
        var last = model is Sequential { Count: > 0 } s ? s[s.Count - 1] : model;
        return last switch
        {
            Softmax => output,
            LogSoftmax => F.Exp(output),
            _ => F.Softmax(output, -1),
        };
    }
}
