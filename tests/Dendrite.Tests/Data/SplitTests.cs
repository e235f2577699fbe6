using Dendrite.Data;

namespace Dendrite.Tests.Data;

public class SplitTests
{
    private static TensorDataset Labeled(params int[] labels) =>
        new(Tensor.FromArray([.. labels.Select((_, i) => (float)i)], labels.Length, 1), Tensor.FromArray([.. labels.Select(l => (float)l)], labels.Length));

    [Fact]
    public void Subset_maps_indices_into_its_dataset()
    {
        var data = Labeled(0, 1, 2, 3, 4);
        var subset = new Subset(data, [4, 1]);
        var (x, y) = subset.GetBatch([1, 0]);
        Assert.Equal([1f, 4f], x.ToArray());
        Assert.Equal([1f, 4f], y.ToArray());
        Assert.Equal(4f, subset[0].Target.Item());
        Assert.Throws<IndexOutOfRangeException>(() => new Subset(data, [5]));
    }

    [Fact]
    public void Random_split_is_a_seeded_partition_with_pytorch_sizes()
    {
        var data = Labeled([.. Enumerable.Range(0, 10)]);
        var parts = Splits.RandomSplit(data, [0.25, 0.25, 0.5], seed: 3);
        // floor gives 2, 2, 5; the one left over goes to the first subset.
        Assert.Equal([3, 2, 5], parts.Select(p => p.Count));
        Assert.Equal(Enumerable.Range(0, 10), parts.SelectMany(p => p.Indices).Order());
        var again = Splits.RandomSplit(data, [0.25, 0.25, 0.5], seed: 3);
        Assert.Equal(parts[0].Indices, again[0].Indices);
        Assert.NotEqual(parts[2].Indices, Splits.RandomSplit(data, [0.25, 0.25, 0.5], seed: 4)[2].Indices);
    }

    [Fact]
    public void Stratified_split_keeps_class_shares()
    {
        // 30 of class 0, 10 of class 1; test 25% = 10 samples: 7.5 and 2.5, tie broken toward class 0 → 8 and 2.
        var labels = Enumerable.Repeat(0, 30).Concat(Enumerable.Repeat(1, 10)).ToArray();
        var data = Labeled(labels);
        var (train, test) = Splits.Stratified(data, 0.25, seed: 1);
        Assert.Equal(10, test.Count);
        Assert.Equal(30, train.Count);
        Assert.Equal(8, test.Indices.Count(i => labels[i] == 0));
        Assert.Equal(2, test.Indices.Count(i => labels[i] == 1));
        Assert.Empty(train.Indices.Intersect(test.Indices));
        Assert.Equal(test.Indices, Splits.Stratified(data, 0.25, seed: 1).Test.Indices);
        Assert.Equal(labels.Where((_, i) => test.Indices.Contains(i)).Count(), Splits.LabelsOf(test).Length);
    }

    [Fact]
    public void Weighted_sampler_draws_in_proportion_to_weights()
    {
        var sampler = new WeightedRandomSampler([1, 0, 3], count: 40000, seed: 7);
        var order = sampler.Order(0);
        Assert.Equal(0, order.Count(i => i == 1));
        Assert.InRange(order.Count(i => i == 2) / 40000.0, 0.74, 0.76);
        Assert.Equal(order, sampler.Order(0));
        Assert.NotEqual(order, sampler.Order(1));
        var without = new WeightedRandomSampler([1, 0, 3, 2], count: 3, replacement: false, seed: 7).Order(0);
        Assert.Equal([0, 2, 3], without.Order());
        Assert.Equal([0.5, 0.5, 1.0], WeightedRandomSampler.BalancedWeights([4, 4, 9]));
    }

    [Fact]
    public void Stratified_sampler_spreads_a_rare_class_over_every_batch()
    {
        var labels = Enumerable.Range(0, 100).Select(i => i < 90 ? 0 : 1).ToArray();
        var data = Labeled(labels);
        var loader = new DataLoader(data, batchSize: 10, sampler: new StratifiedSampler(labels, seed: 2));
        foreach (var (_, y) in loader) Assert.Equal(1, y.ToArray().Count(v => v == 1f));
        var seen = loader.SelectMany(b => b.Input.ToArray()).Select(v => (int)v).Order();
        Assert.Equal(Enumerable.Range(0, 100), seen);
    }

    [Fact]
    public void Loader_with_a_sampler_counts_its_batches_and_refuses_shuffle_too()
    {
        var data = Labeled(0, 1, 2);
        var loader = new DataLoader(data, batchSize: 4, sampler: new WeightedRandomSampler([1, 1, 1], count: 9, seed: 1));
        Assert.Equal(3, loader.Count);
        Assert.Equal([4, 4, 1], loader.Select(b => b.Input.Shape[0]));
        Assert.Throws<ArgumentException>(() => new DataLoader(data, shuffle: true, sampler: new StratifiedSampler([0, 1, 0])));
    }
}
