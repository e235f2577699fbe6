namespace Dendrite.Tests.Ops;

/// <summary>A shape mismatch in MatMul, Linear or a loss names the op and both shapes, as Shape prints them.</summary>
public class ShapeErrorTests
{
    private static void AssertNames(ShapeMismatchException e, string op, params string[] shapes)
    {
        Assert.StartsWith(op, e.Message);
        foreach (var s in shapes) Assert.Contains(s, e.Message);
    }

    [Fact]
    public void MatMul_with_different_inner_dimensions()
    {
        var e = Assert.Throws<ShapeMismatchException>(() => F.MatMul(Tensor.Zeros(2, 3), Tensor.Zeros(4, 5)));
        AssertNames(e, "MatMul", "[2, 3]", "[4, 5]");
        Assert.Contains("3 ≠", e.Message);
    }

    [Fact]
    public void MatMul_with_batch_dimensions_that_do_not_broadcast()
    {
        var e = Assert.Throws<ShapeMismatchException>(() => F.MatMul(Tensor.Zeros(2, 3, 4), Tensor.Zeros(5, 4, 6)));
        AssertNames(e, "MatMul", "[2, 3, 4]", "[5, 4, 6]", "2 vs 5");
    }

    [Fact]
    public void MatMul_vector_against_matrix()
    {
        var e = Assert.Throws<ShapeMismatchException>(() => F.MatMul(Tensor.Zeros(3), Tensor.Zeros(4, 2)));
        AssertNames(e, "MatMul", "[3]", "[4, 2]");
    }

    [Fact]
    public void Functional_linear_with_the_wrong_input_width()
    {
        var e = Assert.Throws<ShapeMismatchException>(() => F.Linear(Tensor.Zeros(2, 5), Tensor.Zeros(4, 3)));
        AssertNames(e, "Linear", "[2, 5]", "[4, 3]");
    }

    [Fact]
    public void Functional_linear_with_the_wrong_bias()
    {
        var e = Assert.Throws<ShapeMismatchException>(() => F.Linear(Tensor.Zeros(2, 3), Tensor.Zeros(4, 3), Tensor.Zeros(3)));
        AssertNames(e, "Linear", "[4]", "[3]");
    }

    public static TheoryData<string, Func<Tensor, Tensor, Tensor>> ElementwiseLosses => new()
    {
        { "MSELoss", (a, b) => F.MSELoss(a, b) },
        { "L1Loss", (a, b) => F.L1Loss(a, b) },
        { "BCELoss", (a, b) => F.BCELoss(a, b) },
        { "BCEWithLogitsLoss", (a, b) => F.BCEWithLogitsLoss(a, b) },
        { "HuberLoss", (a, b) => F.HuberLoss(a, b) },
    };

    [Theory, MemberData(nameof(ElementwiseLosses))]
    public void Elementwise_losses_with_mismatched_shapes(string op, Func<Tensor, Tensor, Tensor> loss)
    {
        var input = Tensor.Full(new Shape(2, 3), 0.5f);
        var e = Assert.Throws<ShapeMismatchException>(() => loss(input, Tensor.Zeros(3, 2)));
        AssertNames(e, op, "[2, 3]", "[3, 2]");
    }

    [Fact]
    public void MSELoss_does_not_silently_broadcast_a_target()
    {
        // PyTorch broadcasts [4, 1] against [4] into a [4, 4] loss with only a warning: a classic silent bug.
        var e = Assert.Throws<ShapeMismatchException>(() => F.MSELoss(Tensor.Zeros(4, 1), Tensor.Zeros(4)));
        AssertNames(e, "MSELoss", "[4, 1]", "[4]");
    }

    [Fact]
    public void CrossEntropy_with_a_target_of_the_wrong_length()
    {
        var e = Assert.Throws<ShapeMismatchException>(() => F.CrossEntropy(Tensor.Zeros(4, 10), Tensor.Zeros(5)));
        AssertNames(e, "CrossEntropy", "[4, 10]", "[5]");
        Assert.Contains("expected class indices of shape [4]", e.Message);
    }

    [Fact]
    public void CrossEntropy_with_probabilities_of_the_wrong_width()
    {
        var e = Assert.Throws<ShapeMismatchException>(() => F.CrossEntropy(Tensor.Zeros(4, 10), Tensor.Zeros(4, 9)));
        AssertNames(e, "CrossEntropy", "[4, 10]", "[4, 9]");
    }

    [Fact]
    public void NLLLoss_with_a_target_of_the_wrong_length()
    {
        var e = Assert.Throws<ShapeMismatchException>(() => F.NLLLoss(Tensor.Zeros(3, 5), Tensor.Zeros(2)));
        AssertNames(e, "NLLLoss", "[3, 5]", "[2]");
    }

    [Fact]
    public void CrossEntropy_with_a_class_index_out_of_range_names_the_value_and_position()
    {
        var e = Assert.Throws<ArgumentOutOfRangeException>(() => F.CrossEntropy(Tensor.Zeros(2, 3), Tensor.FromArray([0f, 3f])));
        Assert.Contains("CrossEntropy: target 3 at position 1", e.Message);
        Assert.Contains("[0, 3)", e.Message);
    }

    [Fact]
    public void BCELoss_rejects_values_outside_zero_one_with_a_hint()
    {
        var e = Assert.Throws<ArgumentOutOfRangeException>(() => F.BCELoss(Tensor.FromArray([0.5f, 1.5f]), Tensor.Zeros(2)));
        Assert.Contains("1.5", e.Message);
        Assert.Contains("BCEWithLogitsLoss", e.Message);
    }
}
