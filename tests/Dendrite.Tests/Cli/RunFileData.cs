using System.Globalization;
using Dendrite.Data;
using Dendrite.IO;

namespace Dendrite.Tests.Cli;

/// <summary>Small synthetic data sets written as files, for the run-file tests: coloured shapes as PNGs, motif sequences as FASTA.</summary>
internal static class RunFileData
{
    public static readonly string[] ShapeClasses = ["bar", "ring", "square"];

    /// <summary>
    /// root/bar, root/ring, root/square with <paramref name="perClass"/> RGB PNGs each: one shape in a random bright colour
    /// on a dark noisy background, at a jittered place, on canvases of 20 or 24 pixels (so training must resize).
    /// </summary>
    public static void WriteShapes(string root, int perClass, ulong seed)
    {
        var g = new Generator(seed);
        foreach (string shape in ShapeClasses)
        {
            Directory.CreateDirectory(Path.Combine(root, shape));
            for (int i = 0; i < perClass; i++)
                Png.Write(Path.Combine(root, shape, string.Create(CultureInfo.InvariantCulture, $"{i:000}.png")), Shape(shape, g));
        }
    }

    /// <summary>One [3, S, S] image of <paramref name="shape"/>.</summary>
    public static Tensor Shape(string shape, Generator g, int? channels = null)
    {
        int size = g.NextInt(2) == 0 ? 20 : 24, c = channels ?? 3;
        var image = Tensor.Empty(c, size, size);
        var d = image.Data;
        var colour = new float[c];
        for (int k = 0; k < c; k++) colour[k] = 0.6f + 0.4f * g.NextFloat();
        float centre = size / 2f + (g.NextInt(5) - 2), half = size * 0.3f;
        for (int y = 0; y < size; y++)
            for (int x = 0; x < size; x++)
            {
                float dx = x + 0.5f - centre, dy = y + 0.5f - centre, r = MathF.Sqrt(dx * dx + dy * dy);
                bool inside = shape switch
                {
                    "bar" => MathF.Abs(dy) < half * 0.35f && MathF.Abs(dx) < half * 1.2f,
                    "ring" => r < half && r > half * 0.55f,
                    _ => MathF.Abs(dx) < half * 0.8f && MathF.Abs(dy) < half * 0.8f,
                };
                for (int k = 0; k < c; k++) d[(k * size + y) * size + x] = inside ? colour[k] : 0.15f * g.NextFloat();
            }
        return image;
    }

    /// <summary>
    /// <paramref name="count"/> DNA records of 30–40 bases, half of them holding TATAAT somewhere ("label=motif"), the
    /// others checked free of it ("label=none"); lower case, wrapped at 20 bases.
    /// </summary>
    public static void WriteMotifs(string path, int count, ulong seed)
    {
        var g = new Generator(seed);
        const string motif = "TATAAT";
        using var writer = new StreamWriter(path);
        for (int i = 0; i < count; i++)
        {
            bool positive = i % 2 == 1;
            int length = 30 + g.NextInt(11);
            string s;
            do
            {
                var chars = new char[length];
                for (int p = 0; p < length; p++) chars[p] = "ACGT"[g.NextInt(4)];
                if (positive) motif.CopyTo(0, chars, g.NextInt(length - motif.Length + 1), motif.Length);
                s = new string(chars);
            }
            while (!positive && s.Contains(motif, StringComparison.Ordinal));
            writer.WriteLine(string.Create(CultureInfo.InvariantCulture, $">seq{i} label={(positive ? "motif" : "none")}"));
            for (int start = 0; start < s.Length; start += 20) writer.WriteLine(s[start..Math.Min(s.Length, start + 20)].ToLowerInvariant());
        }
    }
}
