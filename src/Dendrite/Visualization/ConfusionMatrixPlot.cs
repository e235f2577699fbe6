using System.Globalization;
using Dendrite.Training;

namespace Dendrite.Visualization;

/// <summary>
/// A confusion matrix as a picture: one square per (true, predicted) pair, rows true classes top to bottom and
/// columns predicted classes left to right (scikit-learn's <c>ConfusionMatrixDisplay</c> layout), shaded from white
/// to blue by the share of the row's samples, with the count written in the square. Classes are labelled by index
/// (the built-in font has digits only); <see cref="ConfusionMatrix.ToString"/> prints the names beside them.
/// </summary>
public static class ConfusionMatrixPlot
{
    private static readonly Rgb s_full = new(8, 69, 148);

    /// <summary>Draws <paramref name="matrix"/> on a new canvas, <paramref name="cell"/> pixels per square.</summary>
    public static Canvas Draw(ConfusionMatrix matrix, int cell = 48)
    {
        const int margin = 28;
        int c = matrix.Classes;
        var canvas = new Canvas(margin + c * cell + 8, margin + c * cell + 8);
        for (int k = 0; k < c; k++)
        {
            string label = k.ToString(CultureInfo.InvariantCulture);
            int centre = margin + k * cell + cell / 2;
            canvas.DrawText(centre - Canvas.TextWidth(label) / 2, 8, label, Rgb.Black);
            canvas.DrawText(margin - 6 - Canvas.TextWidth(label), centre - 5, label, Rgb.Black);
        }
        for (int actual = 0; actual < c; actual++)
        {
            long support = matrix.Support(actual);
            for (int predicted = 0; predicted < c; predicted++)
            {
                long count = matrix[actual, predicted];
                double share = support == 0 ? 0 : (double)count / support;
                int x = margin + predicted * cell, y = margin + actual * cell;
                canvas.FillRect(x, y, cell - 1, cell - 1, Blend(share));
                string text = count.ToString(CultureInfo.InvariantCulture);
                var ink = share > 0.5 ? Rgb.White : Rgb.Black;
                canvas.DrawText(x + (cell - 1 - Canvas.TextWidth(text)) / 2, y + (cell - 1) / 2 - 5, text, ink);
            }
        }
        return canvas;
    }

    /// <summary>Draws <paramref name="matrix"/> and saves it as a PNG (atomically).</summary>
    public static void Save(ConfusionMatrix matrix, string path, int cell = 48) => Draw(matrix, cell).Save(path);

    /// <summary>White at 0, the full blue at 1.</summary>
    internal static Rgb Blend(double share) => new(
        (byte)Math.Round(255 + (s_full.R - 255) * share),
        (byte)Math.Round(255 + (s_full.G - 255) * share),
        (byte)Math.Round(255 + (s_full.B - 255) * share));
}
