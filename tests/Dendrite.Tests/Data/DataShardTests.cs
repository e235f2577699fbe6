using Dendrite.Data;

namespace Dendrite.Tests.Data;

public class DataShardTests
{
    private static TensorDataset Indexed(int n) => new(Tensor.Arange(n).Reshape(n, 1), Tensor.Arange(n));

    private static int[] Labels(Tensor target) => target.ToArray().Select(v => (int)v).ToArray();

    private static int[] Order(DataLoader loader) => loader.SelectMany(b => Labels(b.Target)).ToArray();

    [Fact]
    public void Ranks_take_every_worldSize_th_position_and_pad_by_repeating_the_start()
    {
        // 10 samples over 4 ranks: padded to 12 with positions 0 and 1 again; rank r takes r, r + 4, r + 8.
        int[] order = [9, 8, 7, 6, 5, 4, 3, 2, 1, 0];
        Assert.Equal([9, 5, 1], new DataShard(0, 4).Select(order));
        Assert.Equal([8, 4, 0], new DataShard(1, 4).Select(order));
        Assert.Equal([7, 3, 9], new DataShard(2, 4).Select(order));
        Assert.Equal([6, 2, 8], new DataShard(3, 4).Select(order));
    }

    [Fact]
    public void Sharded_loaders_split_each_shuffled_epoch_into_disjoint_equal_parts()
    {
        var data = Indexed(64);
        var whole = new DataLoader(data, batchSize: 8, shuffle: true, seed: 3);
        var parts = Enumerable.Range(0, 2)
            .Select(r => new DataLoader(data, batchSize: 4, shuffle: true, seed: 3) { Shard = new DataShard(r, 2) })
            .ToList();
        for (int epoch = 0; epoch < 2; epoch++)
        {
            var expected = whole.Select(b => Labels(b.Target).Order().ToArray()).ToList();
            var batches = parts.Select(p => p.Select(b => Labels(b.Target)).ToList()).ToList();
            Assert.All(parts, p => Assert.Equal(8, p.Count));
            // Batch b of the two ranks together is batch b of one loader with twice the batch size.
            for (int b = 0; b < expected.Count; b++)
                Assert.Equal(expected[b], batches[0][b].Concat(batches[1][b]).Order().ToArray());
        }
    }

    [Fact]
    public void Without_a_shard_the_order_is_unchanged()
    {
        var plain = new DataLoader(Indexed(10), batchSize: 3, shuffle: true, seed: 5);
        var single = new DataLoader(Indexed(10), batchSize: 3, shuffle: true, seed: 5) { Shard = new DataShard(0, 1) };
        Assert.Equal(Order(plain), Order(single));
        Assert.Equal(4, single.Count);
    }

    [Fact]
    public void A_rank_outside_the_world_is_refused()
    {
        var e = Assert.Throws<ArgumentOutOfRangeException>(() => new DataShard(2, 2));
        Assert.Contains("rank must be in [0, 2), got 2", e.Message);
    }
}
