using Dendrite.Tests.TestSupport;

namespace Dendrite.Tests.Ops;

/// <summary>
/// Values of issue 18's selection ops worked out from PyTorch's documented definitions: min, var/std, gather, where,
/// narrow and strided slices, split/chunk sizing, stable sort and topk, adaptive max pooling.
/// </summary>
public abstract class SelectionValueTests : DeviceTests
{
    private const double Tol = 1e-6;

    private static void Equal(float[] expected, Tensor actual) => Assert.Equal(expected, actual.ToArray());

    [Fact]
    public void Min_takes_the_first_smallest_and_argmin_names_it()
    {
        var x = On(Tensor.FromArray([3f, 1f, 1f, 0f, 5f, -1f], 2, 3)).RequireGrad();
        Assert.Equal(-1f, F.Min(x).Item());
        var rows = F.Min(x, 1);
        Equal([1f, -1f], rows);
        Equal([1f, 2f], F.ArgMin(x, 1));
        Equal([0f, 1f, -1f], F.Min(x, 0));
        Assert.Equal(new Shape(2, 1), F.Min(x, -1, keepDim: true).Shape);
        // The tie in row 0 (1 at positions 1 and 2): the gradient goes to the first.
        F.Sum(rows).Backward();
        Equal([0f, 1f, 0f, 0f, 0f, 1f], x.Grad!);
        Assert.True(float.IsNaN(F.Min(On(Tensor.FromArray([1f, float.NaN, -3f], 3))).Item()));
    }

    [Fact]
    public void Var_and_std_use_bessels_correction_by_default()
    {
        // [1, 2, 3, 4]: mean 2.5, Σ(x − mean)² = 5; var = 5/3 (correction 1), 5/4 (correction 0); std = √(5/3).
        var x = On(Tensor.FromArray([1f, 2f, 3f, 4f], 4));
        Assert.Equal(5.0 / 3, F.Var(x).Item(), Tol);
        Assert.Equal(1.25, F.Var(x, correction: 0f).Item(), Tol);
        Assert.Equal(1.2909944, F.Std(x).Item(), Tol);
        // Rows [1, 2, 3] and [4, 6, 8]: variances 1 and 4; over both dimensions, mean 4 and Σ(x − 4)² = 34: 34/5 = 6.8.
        var m = On(Tensor.FromArray([1f, 2f, 3f, 4f, 6f, 8f], 2, 3));
        Equal([1f, 4f], F.Var(m, 1));
        Assert.Equal(new Shape(2, 1), F.Std(m, 1, keepDim: true).Shape);
        Assert.Equal(6.8, F.Var(m, [0, 1]).Item(), 1e-5);
        // One value with correction 1: 0/0, as PyTorch.
        Assert.True(float.IsNaN(F.Var(On(Tensor.FromArray([2f], 1))).Item()));
    }

    [Fact]
    public void Gather_picks_along_a_dimension_and_its_gradient_adds_up_repeats()
    {
        // PyTorch's example: gather([[1, 2], [3, 4]], 1, [[0, 0], [1, 0]]) = [[1, 1], [4, 3]].
        var x = On(Tensor.FromArray([1f, 2f, 3f, 4f], 2, 2)).RequireGrad();
        var y = F.Gather(x, 1, On(Tensor.FromArray([0f, 0f, 1f, 0f], 2, 2)));
        Equal([1f, 1f, 4f, 3f], y);
        F.Sum(y).Backward();
        Equal([2f, 0f, 1f, 1f], x.Grad!);

        var e = Assert.Throws<ArgumentOutOfRangeException>(() => F.Gather(x, 1, On(Tensor.FromArray([2f], 1, 1))));
        Assert.Contains("Gather: index value 2 at position 0 is not a position in [0, 2)", e.Message);
        Assert.Throws<ShapeMismatchException>(() => F.Gather(x, 1, On(Tensor.FromArray([0f, 0f, 0f], 3, 1))));
    }

    [Fact]
    public void Where_keeps_the_branch_not_taken_out_of_values_and_gradients()
    {
        var condition = On(Tensor.FromArray([1f, 0f, 1f], 3));
        var a = On(Tensor.FromArray([1f, 2f, 3f], 3)).RequireGrad();
        var b = On(Tensor.FromArray([float.NaN, 5f, float.PositiveInfinity], 3)).RequireGrad();
        var y = F.Where(condition, a, b);
        Equal([1f, 5f, 3f], y);
        F.Sum(y).Backward();
        Equal([1f, 0f, 1f], a.Grad!);
        Equal([0f, 1f, 0f], b.Grad!);
        // Broadcasting: a column condition against a row.
        var column = On(Tensor.FromArray([0f, 1f], 2, 1));
        Equal([-1f, -1f, 1f, 2f], F.Where(column, On(Tensor.FromArray([1f, 2f], 2)), -1f));
    }

    [Fact]
    public void Narrow_and_slice_follow_pythons_bounds()
    {
        // x = [[0 1 2 3 4], [5 6 7 8 9]].
        var x = On(Tensor.FromArray(Enumerable.Range(0, 10).Select(i => (float)i).ToArray(), 2, 5));
        Equal([3f, 4f, 8f, 9f], F.Narrow(x, 1, -2, 2));
        Equal([5f, 6f, 7f, 8f, 9f], F.Narrow(x, 0, 1, 1));
        Equal([1f, 3f, 6f, 8f], F.Slice(x, 1, -4, null, 2));           // x[:, -4::2]
        Equal([0f, 3f, 5f, 8f], F.Slice(x, -1, null, null, 3));        // x[:, ::3]
        Assert.Equal(new Shape(2, 0), F.Slice(x, 1, 4, 2).Shape);      // x[:, 4:2] is empty
        Equal([2f, 3f, 4f, 7f, 8f, 9f], F.Slice(x, 1, 2, 100));        // bounds past the end are clipped
        Assert.Throws<ArgumentOutOfRangeException>(() => F.Narrow(x, 1, 3, 3));
        Assert.Throws<ArgumentOutOfRangeException>(() => F.Slice(x, 1, 0, 2, 0));
    }

    [Fact]
    public void Split_and_chunk_size_their_pieces_as_pytorch()
    {
        int[] Sizes(Tensor[] pieces) => pieces.Select(p => p.Shape[0]).ToArray();
        Assert.Equal([2, 2, 1], Sizes(F.Split(On(Tensor.Zeros(5, 2)), 2)));
        Assert.Equal([1, 4], Sizes(F.Split(On(Tensor.Zeros(5, 2)), [1, 4])));
        // torch.chunk: pieces of ⌈size/chunks⌉, so fewer pieces than asked can come back.
        Assert.Equal([2, 2, 1], Sizes(F.Chunk(On(Tensor.Zeros(5)), 4)));
        Assert.Equal([2, 2, 2], Sizes(F.Chunk(On(Tensor.Zeros(6)), 4)));
        Assert.Equal([1, 1, 1], Sizes(F.Chunk(On(Tensor.Zeros(3)), 5)));
        Assert.Equal([0, 0, 0], Sizes(F.Chunk(On(Tensor.Zeros(0)), 3)));
        var rows = F.Chunk(On(Tensor.FromArray([1f, 2f, 3f, 4f, 5f, 6f], 2, 3)), 2, dim: 1);
        Equal([1f, 2f, 4f, 5f], rows[0]);
        Equal([3f, 6f], rows[1]);
        var e = Assert.Throws<ArgumentException>(() => F.Split(On(Tensor.Zeros(5)), [2, 2]));
        Assert.Contains("Split: sizes [2, 2] must be non-negative and add up to 5", e.Message);
    }

    [Fact]
    public void Sort_is_stable_and_puts_nan_above_every_number()
    {
        var x = On(Tensor.FromArray([3f, 1f, float.NaN, 1f, 2f], 5));
        var (values, indices) = F.Sort(x);
        Equal([1f, 1f, 2f, 3f, float.NaN], values);
        Equal([1f, 3f, 4f, 0f, 2f], indices);
        (values, indices) = F.Sort(x, descending: true);
        Equal([float.NaN, 3f, 2f, 1f, 1f], values);
        Equal([2f, 0f, 4f, 1f, 3f], indices);

        // Along dimension 0 of [[2, 9], [1, 9], [3, 0]].
        var m = On(Tensor.FromArray([2f, 9f, 1f, 9f, 3f, 0f], 3, 2));
        (values, indices) = F.Sort(m, 0);
        Equal([1f, 0f, 2f, 9f, 3f, 9f], values);
        Equal([1f, 2f, 0f, 0f, 2f, 1f], indices);
    }

    [Fact]
    public void TopK_returns_the_largest_or_smallest_in_order_and_refuses_a_k_too_large()
    {
        var x = On(Tensor.FromArray([1f, 5f, 3f, 5f, 0f, 2f, 8f, 6f], 2, 4)).RequireGrad();
        var (values, indices) = F.TopK(x, 2);
        Equal([5f, 5f, 8f, 6f], values);
        Equal([1f, 3f, 2f, 3f], indices);
        (values, indices) = F.TopK(x, 1, dim: 0, largest: false);
        Equal([0f, 2f, 3f, 5f], values);
        Equal([1f, 1f, 0f, 0f], indices);
        F.Sum(F.TopK(x, 2).Values).Backward();
        Equal([0f, 1f, 0f, 1f, 0f, 0f, 1f, 1f], x.Grad!);
        var e = Assert.Throws<ArgumentOutOfRangeException>(() => F.TopK(x, 5));
        Assert.Contains("TopK: k = 5 is out of range for dimension -1 of size 4", e.Message);
    }

    [Fact]
    public void Adaptive_max_pooling_uses_pytorchs_windows()
    {
        // L = 5 to 3: windows [⌊i·5/3⌋, ⌈(i+1)·5/3⌉) = [0, 2), [1, 4), [3, 5) over [1, 5, 2, 4, 3]: maxima 5, 5, 4.
        var x = On(Tensor.FromArray([1f, 5f, 2f, 4f, 3f], 1, 1, 5)).RequireGrad();
        var y = F.AdaptiveMaxPool1d(x, 3);
        Equal([5f, 5f, 4f], y);
        F.Sum(y).Backward();
        Equal([0f, 2f, 0f, 1f, 0f], x.Grad!); // the 5 wins two overlapping windows

        // Where the output divides the input, adaptive pooling is ordinary max pooling.
        var image = On(Tensor.Randn(new Shape(2, 3, 6, 4), new Generator(3)));
        Assert.Equal(F.MaxPool2d(image, (3, 2)).ToArray(), F.AdaptiveMaxPool2d(image, (2, 2)).ToArray());
        Equal(F.Max(F.Reshape(image, 2, 3, 24), 2).ToArray(), F.Flatten(new Dendrite.NN.AdaptiveMaxPool2d(1).Forward(image), 1));
    }
}

public sealed class SelectionValueTestsOnCpu : SelectionValueTests
{
    protected override Device Device => Device.Cpu;
}

public sealed class SelectionValueTestsOnReference : SelectionValueTests
{
    protected override Device Device => Device.Reference;
}
