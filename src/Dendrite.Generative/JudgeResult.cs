using System.Globalization;
using System.Text;

namespace Dendrite.Generative;

/// <summary>
/// How a classifier labelled N samples: per class, how many it labelled so (<see cref="Labels"/>) and how many of
/// those with probability at least <see cref="Threshold"/> (<see cref="ConfidentLabels"/>).
/// </summary>
public sealed record JudgeResult(int[] Labels, int[] ConfidentLabels, float Threshold)
{
    /// <summary>For samples made to order (a conditional generator): how many the classifier labelled as the class
    /// asked for. Null when no class was asked.</summary>
    public int? MatchingAskedClass { get; init; }

    /// <summary>Mean distance between two samples the classifier puts in one class (<see cref="DigitJudge.WithinClassSpread"/>),
    /// and the same for real digits: a generator that makes one digit per class, however convincing, scores near 0
    /// against the real digits' spread. Null when not measured.</summary>
    public (double Generated, double Real)? Spread { get; init; }

    /// <summary>How many samples were judged.</summary>
    public int Total => Labels.Sum();

    /// <summary>How many samples got a confident label.</summary>
    public int Confident => ConfidentLabels.Sum();

    /// <summary>The share of samples with a confident label, in [0, 1].</summary>
    public double ConfidentFraction => Total == 0 ? 0 : (double)Confident / Total;

    /// <summary>Whether every class got at least one confident label.</summary>
    public bool EveryClassOccurs => ConfidentLabels.All(c => c > 0);

    /// <summary>Issue 6's acceptance: at least <paramref name="fraction"/> confident and every class present.</summary>
    public bool Passes(double fraction = 0.9) => ConfidentFraction >= fraction && EveryClassOccurs;

    /// <summary>The class histogram as a small table, then the confident share.</summary>
    public override string ToString()
    {
        var c = CultureInfo.InvariantCulture;
        var s = new StringBuilder();
        s.Append("class      ").AppendJoin("", Enumerable.Range(0, Labels.Length).Select(k => $"{k,6}")).AppendLine();
        s.Append("labelled   ").AppendJoin("", Labels.Select(v => $"{v,6}")).AppendLine();
        s.Append(c, $"p >= {Threshold:0.00}  ").AppendJoin("", ConfidentLabels.Select(v => $"{v,6}")).AppendLine();
        s.Append(c, $"{Confident} of {Total} samples ({ConfidentFraction * 100:0.0}%) labelled with confidence >= {Threshold:0.00}; ");
        s.Append(EveryClassOccurs ? "every class occurs." : $"missing classes: {string.Join(", ", Enumerable.Range(0, Labels.Length).Where(k => ConfidentLabels[k] == 0))}.");
        if (MatchingAskedClass is { } matching)
            s.AppendLine().Append(c, $"{matching} of {Total} samples ({100.0 * matching / Total:0.0}%) labelled as the class the generator was asked for.");
        if (Spread is { } spread)
            s.AppendLine().Append(c,
                $"Within-class spread (mean distance between two digits of one label): generated {spread.Generated:0.00}, real test digits {spread.Real:0.00} (ratio {spread.Generated / spread.Real:0.00}).");
        return s.ToString();
    }
}
