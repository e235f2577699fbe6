using Dendrite.Data;

namespace Dendrite.Tests.Data;

public class TensorDatasetTests
{
    private static TensorDataset Dataset() =>
        new(Tensor.Arange(24).Reshape(4, 2, 3), Tensor.FromArray([10f, 11f, 12f, 13f]));

    [Fact]
    public void GetBatch_gathers_rows_in_the_order_asked()
    {
        var (x, y) = Dataset().GetBatch([3, 0, 3]);
        Assert.Equal(new Shape(3, 2, 3), x.Shape);
        Assert.Equal(new Shape(3), y.Shape);
        Assert.Equal([18f, 19f, 20f, 21f, 22f, 23f, 0f, 1f, 2f, 3f, 4f, 5f, 18f, 19f, 20f, 21f, 22f, 23f], x.ToArray());
        Assert.Equal([13f, 10f, 13f], y.ToArray());
    }

    [Fact]
    public void GetBatch_copies_so_changing_a_batch_leaves_the_dataset_alone()
    {
        var data = Dataset();
        var (x, _) = data.GetBatch([1]);
        x.Data[0] = -1f;
        Assert.Equal(6f, data.Inputs[1, 0, 0]);
    }

    [Fact]
    public void The_indexer_returns_one_sample_without_a_batch_dimension()
    {
        var (x, y) = Dataset()[2];
        Assert.Equal(new Shape(2, 3), x.Shape);
        Assert.Equal(new Shape(), y.Shape);
        Assert.Equal([12f, 13f, 14f, 15f, 16f, 17f], x.ToArray());
        Assert.Equal(12f, y.Item());
    }

    [Fact]
    public void Take_keeps_the_first_samples()
    {
        var first = Dataset().Take(2);
        Assert.Equal(2, first.Count);
        Assert.Equal([10f, 11f], first.Targets.ToArray());
        Assert.Equal(4, Dataset().Take(100).Count);
    }

    [Fact]
    public void Out_of_range_indices_name_the_index_and_count()
    {
        var e = Assert.Throws<IndexOutOfRangeException>(() => Dataset().GetBatch([1, 4]));
        Assert.Contains("index 4 is out of range for 4 samples", e.Message);
        Assert.Throws<IndexOutOfRangeException>(() => Dataset()[-1]);
    }

    [Fact]
    public void Inputs_and_targets_of_different_lengths_are_rejected_naming_both_shapes()
    {
        var e = Assert.Throws<ShapeMismatchException>(() => new TensorDataset(Tensor.Zeros(4, 2), Tensor.Zeros(3)));
        Assert.Contains("[4, 2]", e.Message);
        Assert.Contains("[3]", e.Message);
    }
}
