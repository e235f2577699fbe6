namespace Dendrite.Tests.Ops;

/// <summary>
/// Issue 18's ops: minimum, variance, gathering, selection, narrowing and strided slicing, splitting, sorting,
/// adaptive max pooling, and the class-weighted, positive-weighted and KL-divergence losses.
/// </summary>
public partial class GradCheckTableTests
{
    private static readonly Tensor GatherColumns = Tensor.FromArray([2f, 0f, 1f, 1f, 3f, 3f], 3, 2);
    private static readonly Tensor GatherRows = Tensor.FromArray([3f, 0f, 1f, 1f, 0f, 2f, 3f, 3f, 2f, 0f], 5, 2);
    private static readonly Tensor RowMask = Tensor.FromArray([1f, 0f, 0f, 1f], 4);
    private static readonly Tensor ClassWeights3 = Tensor.FromArray([0.5f, 2f, 1.25f], 3);

    private static IEnumerable<OpCase> Selection()
    {
        yield return new("min all [3,4]", x => F.Min(x[0]), [[3, 4]], []) { Domain = NoTies };
        yield return new("min dim 1 [3,4]", x => F.Min(x[0], 1), [[3, 4]], [3]) { Domain = NoTies };
        yield return new("min dim 0 keepDim [2,3,4]", x => F.Min(x[0], 0, true), [[2, 3, 4]], [1, 3, 4]) { Domain = NoTies };
        yield return new("min dims 0,2 [2,3,4]", x => F.Min(x[0], [0, 2]), [[2, 3, 4]], [3]) { Domain = NoTies };

        foreach (var (name, all, dims) in new (string, Func<Tensor, float, Tensor>, Func<Tensor, int[], bool, float, Tensor>)[]
                 {
                     ("var", F.Var, F.Var),
                     ("std", F.Std, F.Std),
                 })
        {
            yield return new($"{name} all [3,4]", x => all(x[0], 1f), [[3, 4]], []);
            yield return new($"{name} all correction 0 [5]", x => all(x[0], 0f), [[5]], []);
            yield return new($"{name} dim 1 [3,4]", x => dims(x[0], [1], false, 1f), [[3, 4]], [3]);
            yield return new($"{name} dim -1 keepDim correction 0 [2,3,4]", x => dims(x[0], [-1], true, 0f), [[2, 3, 4]], [2, 3, 1]);
            yield return new($"{name} dims 0,2 [2,3,4]", x => dims(x[0], [0, 2], false, 1f), [[2, 3, 4]], [3]);
        }
        yield return new("std dim 0 [4,2]", x => F.Std(x[0], 0), [[4, 2]], [2]);

        yield return new("gather dim 1 [3,4] by [3,2]", x => F.Gather(x[0], 1, GatherColumns.To(x[0].Device)), [[3, 4]], [3, 2]);
        // Rows picked more than once collect each pick's gradient.
        yield return new("gather dim 0 [4,3] by [5,2] with repeats", x => F.Gather(x[0], 0, GatherRows.To(x[0].Device)), [[4, 3]], [5, 2]);

        yield return new("where mask [4] a [3,4] b [1]", x => F.Where(RowMask.To(x[0].Device), x[0], x[1]), [[3, 4], [1]], [3, 4]);
        yield return new("where mask [4] a [3,1] b [3,4]", x => F.Where(RowMask.To(x[0].Device), x[0], x[1]), [[3, 1], [3, 4]], [3, 4]);
        yield return new("where mask [4] a [2,4] b 0", x => F.Where(RowMask.To(x[0].Device), x[0], 0f), [[2, 4]], [2, 4]);

        yield return new("narrow dim 1 [3,5] 1+3", x => F.Narrow(x[0], 1, 1, 3), [[3, 5]], [3, 3]);
        yield return new("narrow dim 0 [4,3] -3+2", x => F.Narrow(x[0], 0, -3, 2), [[4, 3]], [2, 3]);
        yield return new("narrow dim 2 [2,3,4] 3+1", x => x[0].Narrow(2, 3, 1), [[2, 3, 4]], [2, 3, 1]);
        yield return new("slice dim 1 [3,6] ::2", x => F.Slice(x[0], 1, null, null, 2), [[3, 6]], [3, 3]);
        yield return new("slice dim -1 [2,3,7] -5:-1:3", x => F.Slice(x[0], -1, -5, -1, 3), [[2, 3, 7]], [2, 3, 2]);
        yield return new("slice dim 0 [5,2] 1:100", x => F.Slice(x[0], 0, 1, 100), [[5, 2]], [4, 2]);

        // Pieces scaled apart before joining, so a piece's gradient sent to another's place would show.
        Func<Tensor[], Tensor> Rejoin(Func<Tensor, Tensor[]> split, int dim) => x =>
            F.Cat(split(x[0]).Select((p, i) => F.Mul(p, i + 1f)).ToArray(), dim);
        yield return new("split [5,3] size 2", Rejoin(t => F.Split(t, 2), 0), [[5, 3]], [5, 3]);
        yield return new("split [2,6] sizes 1,3,2 dim 1", Rejoin(t => F.Split(t, [1, 3, 2], 1), 1), [[2, 6]], [2, 6]);
        yield return new("chunk [2,5] 3 dim -1", Rejoin(t => F.Chunk(t, 3, -1), 1), [[2, 5]], [2, 5]);

        yield return new("sort [3,5]", x => F.Sort(x[0]).Values, [[3, 5]], [3, 5]) { Domain = NoTies };
        yield return new("sort descending dim 0 [4,3]", x => F.Sort(x[0], 0, descending: true).Values, [[4, 3]], [4, 3])
        {
            Domain = NoTies,
        };
        yield return new("topk 2 [3,5]", x => F.TopK(x[0], 2).Values, [[3, 5]], [3, 2]) { Domain = NoTies };
        yield return new("topk 3 smallest dim 0 [4,3]", x => F.TopK(x[0], 3, 0, largest: false).Values, [[4, 3]], [3, 3])
        {
            Domain = NoTies,
        };

        yield return new("adaptive_max_pool2d [2,2,5,7]→3×4", x => F.AdaptiveMaxPool2d(x[0], (3, 4)), [[2, 2, 5, 7]], [2, 2, 3, 4])
        {
            Domain = NoTies,
        };
        // More outputs than inputs: windows overlap and one input may win several of them.
        yield return new("adaptive_max_pool2d [1,3,3]→5×5", x => F.AdaptiveMaxPool2d(x[0], 5), [[1, 3, 3]], [1, 5, 5]) { Domain = NoTies };
        yield return new("adaptive_max_pool1d [2,3,7]→4", x => F.AdaptiveMaxPool1d(x[0], 4), [[2, 3, 7]], [2, 3, 4]) { Domain = NoTies };
    }

    private static IEnumerable<OpCase> WeightedLosses()
    {
        foreach (var r in new[] { Reduction.Mean, Reduction.Sum, Reduction.None })
        {
            bool none = r == Reduction.None;
            int[] n = none ? [4] : [], nl = none ? [2, 4] : [];
            Tensor W(Tensor[] x) => ClassWeights3.To(x[0].Device);
            yield return new($"cross_entropy [4,3] index weight {r}",
                x => F.CrossEntropy(x[0], Labels4.To(x[0].Device), r, weight: W(x)), [[4, 3]], n);
            yield return new($"cross_entropy [4,3] ignoreIndex weight {r}",
                x => F.CrossEntropy(x[0], Labels4Ignored.To(x[0].Device), r, weight: W(x)), [[4, 3]], n);
            yield return new($"cross_entropy [4,3] index smoothing 0.2 weight {r}",
                x => F.CrossEntropy(x[0], Labels4Ignored.To(x[0].Device), r, labelSmoothing: 0.2f, weight: W(x)), [[4, 3]], n);
            yield return new($"cross_entropy [4,3] probabilities smoothing 0.1 weight {r}",
                x => F.CrossEntropy(x[0], F.Softmax(x[1], 1), r, labelSmoothing: 0.1f, weight: W(x)), [[4, 3], [4, 3]], n);
            yield return new($"cross_entropy [2,3,4] index weight {r}",
                x => F.CrossEntropy(x[0], Labels2x4.To(x[0].Device), r, weight: W(x)), [[2, 3, 4]], nl);
            yield return new($"nll [4,3] weight {r}", x => F.NLLLoss(x[0], Labels4.To(x[0].Device), r, weight: W(x)), [[4, 3]], n);
            yield return new($"nll [4,3] ignoreIndex weight {r}",
                x => F.NLLLoss(x[0], Labels4Ignored.To(x[0].Device), r, weight: W(x)), [[4, 3]], n);
            yield return new($"nll [2,3,4] weight {r}", x => F.NLLLoss(x[0], Labels2x4.To(x[0].Device), r, weight: W(x)), [[2, 3, 4]], nl);

            int[] per = none ? [4, 3] : [];
            yield return new($"bce weight [3] {r}", x => F.BCELoss(x[0], x[1], r, weight: x[2]), [[4, 3], [4, 3], [3]], per)
            {
                Domains = [Probability, Probability, Domain.Positive],
            };
            yield return new($"bce_with_logits weight [4,1] {r}", x => F.BCEWithLogitsLoss(x[0], x[1], r, weight: x[2]),
                [[4, 3], [4, 3], [4, 1]], per) { Domains = [new(-3f, 3f), new(0f, 1f), Domain.Positive] };
            yield return new($"bce_with_logits posWeight [3] {r}", x => F.BCEWithLogitsLoss(x[0], x[1], r, posWeight: x[2]),
                [[4, 3], [4, 3], [3]], per) { Domains = [new(-3f, 3f), new(0f, 1f), Domain.Positive] };
            yield return new($"bce_with_logits posWeight and weight {r}",
                x => F.BCEWithLogitsLoss(x[0], x[1], r, weight: x[3], posWeight: x[2]),
                [[4, 3], [4, 3], [3], [4, 3]], per) { Domains = [new(-3f, 3f), new(0f, 1f), Domain.Positive, Domain.Positive] };
        }

        foreach (var r in new[] { Reduction.Mean, Reduction.Sum, Reduction.None, Reduction.BatchMean })
            foreach (bool logTarget in new[] { false, true })
            {
                string s = $"{r}{(logTarget ? " logTarget" : "")}";
                Func<Tensor, Tensor> target = logTarget ? t => F.LogSoftmax(t, -1) : t => F.Softmax(t, -1);
                yield return new($"kl_div [3,4] {s}", x => F.KLDivLoss(F.LogSoftmax(x[0], -1), target(x[1]), r, logTarget),
                    [[3, 4], [3, 4]], r == Reduction.None ? [3, 4] : []);
                yield return new($"kl_div [2,3,4] {s}", x => F.KLDivLoss(F.LogSoftmax(x[0], 1), target(x[1]), r, logTarget),
                    [[2, 3, 4], [2, 3, 4]], r == Reduction.None ? [2, 3, 4] : []);
            }
    }
}
