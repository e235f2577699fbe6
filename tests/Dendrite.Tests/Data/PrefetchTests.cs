using Dendrite.Data;
using Dendrite.NN;
using Dendrite.Optim;
using Dendrite.Tests.TestSupport;
using Dendrite.Training;

namespace Dendrite.Tests.Data;

/// <summary>Background prefetching and the collate hook change no bit of a run.</summary>
[Collection(ProcessStateCollection.Name)]   // Dropout draws from Generator.Default
public class PrefetchTests
{
    private static (float[][] Weights, IReadOnlyList<double> Loss) Train(Func<Sequential> build, int batchSize, int images,
        bool prefetch, int epochs)
    {
        Generator.Default.Reseed(42);   // Dropout's masks come from here
        var model = build();
        var history = model.Fit(MnistData.Train.Take(images), new Adam(model.Parameters(), lr: 1e-3), Losses.CrossEntropy,
            epochs: epochs, batchSize: batchSize, seed: 5, verbose: false, prefetch: prefetch);
        return ([.. model.Parameters().Select(p => p.ToArray())], history["loss"]);
    }

    [Fact]
    public void W1_trains_to_the_same_bits_with_and_without_prefetch()
    {
        // 1,280 images, batch 128, 3 epochs: 30 steps of the mnist-mlp preset
        var plain = Train(() => Dendrite.Tests.Training.FitTests.W1(seed: 1), 128, 1280, prefetch: false, epochs: 3);
        var ahead = Train(() => Dendrite.Tests.Training.FitTests.W1(seed: 1), 128, 1280, prefetch: true, epochs: 3);
        Assert.Equal(plain.Loss, ahead.Loss);
        Assert.Equal(plain.Weights, ahead.Weights);
    }

    [Fact]
    public void W2_with_dropout_trains_to_the_same_bits_with_and_without_prefetch()
    {
        // the mnist-cnn preset on 640 images at batch 64: 10 steps, Dropout drawing from the default generator
        static Sequential W2()
        {
            var g = new Generator(2);
            return new Sequential(new Conv2d(1, 32, 3, generator: g), new ReLU(), new Conv2d(32, 64, 3, generator: g), new ReLU(),
                new MaxPool2d(2), new Dropout(0.25), new Flatten(), new Linear(9216, 128, generator: g), new ReLU(),
                new Dropout(0.5), new Linear(128, 10, generator: g));
        }
        var plain = Train(W2, 64, 640, prefetch: false, epochs: 1);
        var ahead = Train(W2, 64, 640, prefetch: true, epochs: 1);
        Assert.Equal(plain.Loss, ahead.Loss);
        Assert.Equal(plain.Weights, ahead.Weights);
    }

    [Fact]
    public void A_collate_hook_with_prefetch_gives_the_same_batches_in_the_same_order()
    {
        var data = MnistData.Train.Take(300);
        float[] Sums(bool prefetch)
        {
            var loader = new DataLoader(data, 32, shuffle: true, seed: 9, recycle: true, prefetch: prefetch);
            var sums = new List<float>();
            for (int epoch = 0; epoch < 2; epoch++)
                foreach (var (x, y, first) in loader.Batches(indices =>
                {
                    var (bx, by) = data.GetBatch(indices);
                    return (bx, by, indices[0]);
                }))
                {
                    sums.Add(F.Sum(x).Item() + F.Sum(y).Item() * 1000 + first);
                }
            return [.. sums];
        }
        var plain = Sums(prefetch: false);
        Assert.Equal(20, plain.Length);
        Assert.Equal(plain, Sums(prefetch: true));
    }

    [Fact]
    public void A_failing_batch_surfaces_in_the_loop_and_stopping_early_is_clean()
    {
        var data = MnistData.Train.Take(100);
        var loader = new DataLoader(data, 10, prefetch: true, recycle: true);
        var e = Assert.Throws<InvalidOperationException>(() =>
        {
            foreach (var _ in loader.Batches<int>(indices => indices[0] == 30 ? throw new InvalidOperationException("batch 3 is broken") : indices[0])) { }
        });
        Assert.Equal("batch 3 is broken", e.Message);
        int taken = 0;
        foreach (var (x, _) in loader)
            if (++taken == 2) break;   // the batch built ahead is dropped, its storage returned
        Assert.Equal(2, taken);
        Assert.Equal(10, loader.Count());
    }
}
