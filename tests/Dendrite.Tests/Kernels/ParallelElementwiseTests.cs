using Dendrite.Backends;
using Dendrite.Backends.Cpu;
using Dendrite.Tests.TestSupport;

namespace Dendrite.Tests.Kernels;

/// <summary>Long elementwise work is split over the threads; the values must be the serial ones, on any thread count.</summary>
[Collection(ProcessStateCollection.Name)]
public class ParallelElementwiseTests
{
    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(3)]
    public void Relu_and_its_backward_over_a_long_tensor_match_the_definition(int threads)
    {
        int before = Threading.NumThreads;
        Threading.NumThreads = threads;
        try
        {
            var x = Tensor.Randn(new Shape(300_001), new Generator(4)).RequireGrad();
            var dy = Tensor.Randn(new Shape(300_001), new Generator(5));
            var y = F.ReLU(x);
            y.Backward(dy);
            for (int i = 0; i < x.Numel; i++)
            {
                Assert.Equal(Math.Max(x.Data[i], 0f), y.Data[i]);
                Assert.Equal(x.Data[i] > 0 ? dy.Data[i] : 0f, x.Grad!.Data[i]);
            }
        }
        finally
        {
            Threading.NumThreads = before;
        }
    }

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    public void Per_channel_sums_are_the_same_on_any_thread_count(int threads)
    {
        int before = Threading.NumThreads;
        Threading.NumThreads = threads;
        try
        {
            var values = Tensor.Randn(new Shape(16, 8, 3000), new Generator(6));
            var sums = new float[8];
            Convolution.SumPerChannel(values.Data, 16, 8, 3000, sums);
            for (int c = 0; c < 8; c++)
            {
                float expected = 0;
                for (int n = 0; n < 16; n++) expected += System.Numerics.Tensors.TensorPrimitives.Sum(values.Data.Slice((n * 8 + c) * 3000, 3000));
                Assert.Equal(expected, sums[c]);
            }
        }
        finally
        {
            Threading.NumThreads = before;
        }
    }
}
