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
        // Batch 64 × hidden 128 is large enough for the row pass to be split (see RecurrentLayer); the weight gradients
        // are summed per chunk of rows, chunks fixed by the batch alone, whatever the threads.
        var one = Run(cell, threads: 1);
        foreach (int threads in new[] { 2, 3, 4 })
        {
            var several = Run(cell, threads);
            for (int i = 0; i < one.Length; i++) Assert.Equal(one[i], several[i]);
        }
    }

    /// <summary>Every instruction set (forced) and its own row tiles: the CPU's backward adds each chunk's share of the
    /// weight gradients over blocks of steps; a batch of 200 makes three chunks, the last one short.</summary>
    [Theory]
    [InlineData("lstm", "Avx512")]
    [InlineData("lstm", "Avx2")]
    [InlineData("lstm", "Portable")]
    [InlineData("gru", "Avx512")]
    [InlineData("gru", "Avx2")]
    [InlineData("rnn", "Avx2")]
    public void Weight_gradients_summed_per_chunk_of_rows_match_a_step_by_step_twin(string cell, string isa)
    {
        using var forced = Isa.Force(Enum.Parse<CpuIsa>(isa));
        const int steps = 5, batch = 200, inputSize = 3, hidden = 9;
        var g = new Generator(7);
        var module = RecurrentGradCheckTests.Create(cell, inputSize, hidden, 1, true, g);
        var x1 = Tensor.Randn(new Shape(steps, batch, inputSize), g).RequireGrad();
        var w1 = module.FlatWeights.Select(w => w.Detach().Clone().RequireGrad()).ToArray();
        var x2 = x1.Detach().Clone().RequireGrad();
        var w2 = w1.Select(w => w.Detach().Clone().RequireGrad()).ToArray();
        var present = Enumerable.Range(0, batch * steps).Select(i => i % steps < 1 + i / steps % steps ? 1f : 0f).ToArray();
        var mask = Tensor.FromArray(present, batch, steps);
        var fused = RecurrentGradCheckTests.Run(cell, x1, null, null, w1, 1, true, mask, batchFirst: false);
        var twin = RecurrentReference.Run(cell, x2, null, null, w2, 1, true, mask);
        var wy = Tensor.Randn(fused.Output.Shape, g);
        F.Sum(F.Mul(fused.Output, wy)).Backward();
        F.Sum(F.Mul(twin.Output, wy)).Backward();
        RecurrentValueTests.AssertClose(x2.Grad!, x1.Grad!, 1e-4f, $"{cell} {isa}: dx");
        for (int i = 0; i < w1.Length; i++)
            RecurrentValueTests.AssertClose(w2[i].Grad!, w1[i].Grad!, 1e-4f, $"{cell} {isa}: d{module.NamedParameters().ElementAt(i).Name}");
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
