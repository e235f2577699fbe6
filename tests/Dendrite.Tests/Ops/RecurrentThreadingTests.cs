using Dendrite.Backends;
using Dendrite.Backends.Cpu;
using Dendrite.NN;
using Dendrite.Tests.TestSupport;

namespace Dendrite.Tests.Ops;

/// <summary>Recurrent layers split each step's rows over threads: the results must not depend on how many.</summary>
[Collection(ProcessStateCollection.Name)]
public class RecurrentThreadingTests
{
    [Theory]
    [InlineData("lstm")]
    [InlineData("gru")]
    public void Values_and_gradients_are_identical_on_one_thread_and_on_several(string cell)
    {
        // Batch 64 × hidden 128 is large enough for the row pass to be split (see RecurrentLayer).
        var one = Run(cell, threads: 1);
        var three = Run(cell, threads: 3);
        for (int i = 0; i < one.Length; i++) Assert.Equal(one[i], three[i]);
    }

    private static float[][] Run(string cell, int threads)
    {
        int saved = Threading.NumThreads;
        try
        {
            Threading.NumThreads = threads;
            var g = new Generator(4);
            RNNBase rnn = cell == "lstm" ? new LSTM(5, 128, bidirectional: true, generator: g) : new GRU(5, 128, bidirectional: true, generator: g);
            var x = Tensor.Randn(new Shape(6, 64, 5), g).RequireGrad();
            var mask = Tensor.Ones(64, 6);
            mask[3, 5] = 0f;
            mask[7, 4] = 0f;
            mask[7, 5] = 0f;
            var r = rnn is LSTM lstm ? lstm.Forward(x, null, null, mask) : ((GRU)rnn).Forward(x, null, mask);
            F.Add(F.Sum(F.Mul(r.Output, Tensor.Randn(r.Output.Shape, g))), F.Sum(F.Mul(r.H, Tensor.Randn(r.H.Shape, g)))).Backward();
            return [r.Output.ToArray(), r.H.ToArray(), x.Grad!.ToArray(), .. rnn.Parameters().Select(p => p.Grad!.ToArray())];
        }
        finally
        {
            Threading.NumThreads = saved;
        }
    }
}
