using Dendrite.Backends;

namespace Dendrite.Tests.Backends;

public partial class BackendAgreementTests
{
    // ------------------------------------------------------------------ selection, gathering, sorting

    private static IEnumerable<AgreementCase> Indexing()
    {
        foreach (int n in Sizes)
            yield return new($"Where {n}", g => [Ties(g, n, 5), Normal(g, n), Normal(g, n), Unwritten(n)],
                (b, s) => b.Where(s[0], s[1], s[2], s[3])) { Exact = true };

        // The index is as large as x, smaller along other dimensions, and longer than x along dim (repeats).
        (int[] X, int Dim, int[] Index)[] gathers =
        [
            ([7, 5], 1, [7, 5]), ([7, 5], 0, [17, 3]), ([3, 17, 2], 1, [2, 65, 2]), ([65], 0, [7]), ([2, 3, 4, 5], 2, [2, 1, 9, 5]),
        ];
        foreach (var (x, dim, index) in gathers)
        {
            string name = $"{Dims(x)} dim {dim} by {Dims(index)}";
            float[] Index(Generator g) => Indices(g, Numel(index), x[dim]);
            yield return new($"Gather {name}", g => [Normal(g, Numel(x)), Index(g), Unwritten(Numel(index))],
                (b, s) => b.Gather(s[0], x, dim, s[1], index, s[2])) { Exact = true };
            yield return new($"ScatterAdd {name}", g => [Normal(g, Numel(index)), Index(g), Unwritten(Numel(x))],
                (b, s) => b.ScatterAdd(s[0], index, dim, s[1], s[2], x)) { Terms = Numel(index) / Math.Max(1, Numel(x) / x[dim]) + 1 };
        }

        int[][] views = [[1, 65, 1], [7, 17, 5], [3, 1, 63], [2, 63, 1], [1, 7, 17], [3, 0, 4]];
        foreach (var v in views)
            foreach (bool descending in new[] { false, true })
            {
                var (outer, n, inner) = (v[0], v[1], v[2]);
                // Few distinct values, so that ties test stability, and NaNs, which sort above every number.
                yield return new($"SortIndices [{outer},{n},{inner}]{(descending ? " descending" : "")} with ties and NaN",
                    g => [Ties(g, outer * n * inner, 11), Unwritten(outer * n * inner)],
                    (b, s) => b.SortIndices(s[0], outer, n, inner, descending, s[1])) { Exact = true };
            }

        int[][] adaptive = [[3, 7, 9, 3, 4], [2, 5, 5, 5, 5], [1, 17, 1, 4, 1], [2, 4, 3, 1, 1], [1, 3, 5, 7, 11]];
        foreach (var a in adaptive)
        {
            var (planes, h, w, oh, ow) = (a[0], a[1], a[2], a[3], a[4]);
            string name = $"{planes}×{h}×{w}→{oh}×{ow}";
            int input = planes * h * w, output = planes * oh * ow;
            yield return new($"AdaptiveMaxPool {name} with ties and NaN",
                r => [Ties(r, input, 13), Unwritten(output), Unwritten(output)],
                (b, s) => b.AdaptiveMaxPool(planes, h, w, oh, ow, s[0], s[1], s[2])) { Exact = true };
            // Windows overlap when the output is larger than the input, so one input may collect several gradients.
            yield return new($"AdaptiveMaxPoolBackward {name}",
                r => [Ties(r, input, 13), Unwritten(output), Unwritten(output), Normal(r, output), Unwritten(input)],
                (b, s) =>
                {
                    b.AdaptiveMaxPool(planes, h, w, oh, ow, s[0], s[1], s[2]);
                    b.AdaptiveMaxPoolBackward(planes, h, w, oh, ow, s[3], s[2], s[4]);
                }) { Terms = (oh / h + 2) * (ow / w + 2) };
        }
    }
}
