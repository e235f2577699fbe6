using System.Globalization;
using System.Text;

namespace Dendrite;

public partial class Tensor
{
    private const int SummarizeAbove = 1000; // PyTorch's default print threshold
    private const int EdgeItems = 3;

    /// <summary>
    /// Values laid out as PyTorch prints them (<c>tensor([[1., 2.], [3., 4.]])</c>, large tensors summarised
    /// with <c>...</c>), followed by the shape and, when recorded, the op that made it.
    /// </summary>
    public override string ToString()
    {
        bool summarize = Numel > SummarizeAbove;
        var format = ChooseFormat(summarize);
        var sb = new StringBuilder("tensor(");
        if (Rank == 0) sb.Append(format(Data[0]));
        else AppendDim(sb, 0, 0, format, summarize, indent: 7);
        sb.Append(", shape=").Append(Shape);
        if (GradFn is not null) sb.Append(", grad_fn=").Append(GradFn.Op);
        else if (RequiresGrad) sb.Append(", requires_grad=True");
        return sb.Append(')').ToString();
    }

    private Func<float, string> ChooseFormat(bool summarize)
    {
        var shown = new List<float>();
        var data = Data;
        for (int i = 0; i < data.Length; i++)
            if (!summarize || i < EdgeItems || i >= data.Length - EdgeItems || data.Length < 2 * SummarizeAbove) shown.Add(data[i]);
        var finite = shown.Where(float.IsFinite).ToList();
        bool allIntegers = finite.All(v => v == MathF.Round(v));
        float maxAbs = finite.Count == 0 ? 0 : finite.Max(MathF.Abs);
        float minAbs = finite.Where(v => v != 0).Select(MathF.Abs).DefaultIfEmpty(0).Min();
        var inv = CultureInfo.InvariantCulture;
        if (allIntegers && maxAbs < 1e8f)
        {
            int width = finite.Count == 0 ? 1 : finite.Max(v => v.ToString("0", inv).Length);
            return v => Pad(float.IsFinite(v) ? v.ToString("0", inv) + "." : Special(v), width + 1);
        }
        bool scientific = maxAbs >= 1e8f || (minAbs > 0 && (maxAbs / minAbs > 1000f || minAbs < 1e-4f));
        if (scientific)
            return v => Pad(float.IsFinite(v) ? v.ToString("0.0000e+00", inv) : Special(v), 11);
        int w = finite.Count == 0 ? 6 : finite.Max(v => v.ToString("0.0000", inv).Length);
        return v => Pad(float.IsFinite(v) ? v.ToString("0.0000", inv) : Special(v), w);
    }

    private static string Special(float v) => float.IsNaN(v) ? "nan" : v > 0 ? "inf" : "-inf";
    private static string Pad(string s, int width) => s.PadLeft(width);

    private void AppendDim(StringBuilder sb, int dim, int offset, Func<float, string> format, bool summarize, int indent)
    {
        int size = Shape[dim];
        int stride = Shape.Product(dim + 1, Rank);
        sb.Append('[');
        bool cut = summarize && size > 2 * EdgeItems;
        for (int i = 0; i < size; i++)
        {
            if (cut && i == EdgeItems)
            {
                sb.Append(dim == Rank - 1 ? "...," : "...,");
                sb.Append(dim == Rank - 1 ? " " : "\n" + new string(' ', indent + dim + 1));
                i = size - EdgeItems;
            }
            if (dim == Rank - 1) sb.Append(format(Data[offset + i]));
            else AppendDim(sb, dim + 1, offset + i * stride, format, summarize, indent);
            if (i < size - 1)
            {
                sb.Append(',');
                if (dim == Rank - 1) sb.Append(' ');
                else sb.Append('\n', Rank - dim - 1).Append(' ', indent + dim + 1);
            }
        }
        sb.Append(']');
    }
}
