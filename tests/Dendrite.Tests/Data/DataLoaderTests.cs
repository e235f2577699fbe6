using Dendrite.Data;

namespace Dendrite.Tests.Data;

public class DataLoaderTests
{
    /// <summary>Sample i has input [i, 10·i] and target i, so a batch shows which indices it holds.</summary>
    private static TensorDataset Indexed(int n)
    {
        var x = Tensor.Empty(n, 2);
        for (int i = 0; i < n; i++) (x[i, 0], x[i, 1]) = (i, 10 * i);
        return new TensorDataset(x, Tensor.Arange(n));
    }

    private static int[] Order(DataLoader loader) => loader.SelectMany(b => b.Target.ToArray()).Select(v => (int)v).ToArray();

    [Theory]
    [InlineData(10, 3, false, 4, new[] { 3, 3, 3, 1 })]
    [InlineData(10, 3, true, 3, new[] { 3, 3, 3 })]
    [InlineData(9, 3, false, 3, new[] { 3, 3, 3 })]
    [InlineData(9, 3, true, 3, new[] { 3, 3, 3 })]
    [InlineData(2, 5, false, 1, new[] { 2 })]
    [InlineData(2, 5, true, 0, new int[0])]
    public void Batch_counts_and_sizes(int n, int batchSize, bool dropLast, int expectedCount, int[] expectedSizes)
    {
        var loader = new DataLoader(Indexed(n), batchSize, dropLast: dropLast);
        Assert.Equal(expectedCount, loader.Count);
        Assert.Equal(expectedSizes, loader.Select(b => b.Input.Shape[0]).ToArray());
    }

    [Fact]
    public void Without_shuffle_batches_follow_the_dataset_order()
    {
        var loader = new DataLoader(Indexed(5), batchSize: 2);
        var batches = loader.ToList();
        Assert.Equal([0f, 0f, 1f, 10f], batches[0].Input.ToArray());
        Assert.Equal(new Shape(2, 2), batches[0].Input.Shape);
        Assert.Equal([4f, 40f], batches[2].Input.ToArray());
        Assert.Equal([0, 1, 2, 3, 4], Order(loader));
    }

    [Fact]
    public void Shuffle_visits_every_index_exactly_once_per_epoch_and_keeps_inputs_with_targets()
    {
        var loader = new DataLoader(Indexed(103), batchSize: 8, shuffle: true, seed: 4);
        for (int epoch = 0; epoch < 3; epoch++)
        {
            var seen = new List<int>();
            foreach (var (x, y) in loader)
                for (int r = 0; r < y.Numel; r++)
                {
                    Assert.Equal(y[r], x[r, 0]);
                    Assert.Equal(10 * y[r], x[r, 1]);
                    seen.Add((int)y[r]);
                }
            Assert.Equal(Enumerable.Range(0, 103), seen.Order());
            Assert.NotEqual(Enumerable.Range(0, 103), seen); // actually shuffled
        }
    }

    [Fact]
    public void The_same_seed_gives_the_same_order_and_another_seed_another()
    {
        var a = Order(new DataLoader(Indexed(50), 7, shuffle: true, seed: 1));
        var b = Order(new DataLoader(Indexed(50), 7, shuffle: true, seed: 1));
        var c = Order(new DataLoader(Indexed(50), 7, shuffle: true, seed: 2));
        Assert.Equal(a, b);
        Assert.NotEqual(a, c);
    }

    [Fact]
    public void Each_epoch_has_its_own_order_and_resuming_at_an_epoch_repeats_it()
    {
        var loader = new DataLoader(Indexed(50), 7, shuffle: true, seed: 1);
        var first = Order(loader);
        var second = Order(loader);
        Assert.NotEqual(first, second);
        Assert.Equal(2, loader.Epoch);

        var resumed = new DataLoader(Indexed(50), 7, shuffle: true, seed: 1) { Epoch = 1 };
        Assert.Equal(second, Order(resumed));
    }

    [Fact]
    public void Shuffle_with_dropLast_drops_a_different_remainder_each_epoch()
    {
        var loader = new DataLoader(Indexed(10), 3, shuffle: true, seed: 3, dropLast: true);
        var first = Order(loader);
        var second = Order(loader);
        Assert.Equal(9, first.Length);
        Assert.Equal(9, first.Distinct().Count());
        Assert.Equal(9, second.Distinct().Count());
    }

    [Fact]
    public void A_batch_size_below_one_is_rejected()
    {
        var e = Assert.Throws<ArgumentOutOfRangeException>(() => new DataLoader(Indexed(3), 0));
        Assert.Contains("batchSize must be >= 1, got 0", e.Message);
    }
}

public class DataLoaderRecycleTests
{
    [Fact]
    public void Recycling_loader_reuses_storage_across_iterations_and_keeps_values_right_within_each()
    {
        var x = Tensor.Arange(0, 40).Reshape(10, 4);
        var y = Tensor.Arange(0, 10);
        var loader = new DataLoader(new Dendrite.Data.TensorDataset(x, y), batchSize: 5, recycle: true);
        var storages = new List<float[]>();
        var firstValues = new List<float>();
        foreach (var (xb, yb) in loader)
        {
            var doubled = F.Mul(xb, 2f);               // made inside the iteration: recycled with it
            firstValues.Add(doubled[0, 0]);
            storages.Add(xb.HostArray);
        }
        Assert.Equal([0f, 40f], firstValues);
        // The second batch of a second epoch lands in storage the first epoch gave back.
        foreach (var (xb, _) in loader) storages.Add(xb.HostArray);
        Assert.Contains(storages[2], storages.Take(2));
    }
}
