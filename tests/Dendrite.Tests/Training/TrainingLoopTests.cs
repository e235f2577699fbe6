using Dendrite.Data;
using Dendrite.NN;
using Dendrite.Optim;
using Dendrite.Training;

namespace Dendrite.Tests.Training;

/// <summary>Fit's train step, multi-input batches, masks, class weights and gradient clipping.</summary>
public class TrainingLoopTests
{
    /// <summary>A small classification problem: 64 samples of 5 features, 3 classes from the sign pattern.</summary>
    private static TensorDataset Blobs(ulong seed = 3)
    {
        var g = new Generator(seed);
        var x = new float[64 * 5];
        var y = new float[64];
        for (int i = 0; i < 64; i++)
        {
            for (int j = 0; j < 5; j++) x[i * 5 + j] = g.NextNormal();
            y[i] = x[i * 5] > 0.5f ? 2 : x[i * 5 + 1] > 0 ? 1 : 0;
        }
        return new TensorDataset(Tensor.FromArray(x, 64, 5), Tensor.FromArray(y, 64));
    }

    private static Sequential Mlp(ulong seed)
    {
        var g = new Generator(seed);
        return new Sequential(new Linear(5, 16, generator: g), new ReLU(), new Linear(16, 3, generator: g));
    }

    private static float[][] Weights(Module m) => [.. m.Parameters().Select(p => p.ToArray())];

    [Fact]
    public void Fit_with_gradientClipNorm_equals_the_PyTorch_loop_with_clip_grad_norm_bit_for_bit()
    {
        var data = Blobs();
        var fitted = Mlp(1);
        var fitOpt = new Sgd(fitted.Parameters(), lr: 0.5);
        var history = fitted.Fit(data, fitOpt, Losses.CrossEntropy, epochs: 2, batchSize: 16, shuffle: false, verbose: false,
            gradientClipNorm: 0.25);

        var manual = Mlp(1);
        var opt = new Sgd(manual.Parameters(), lr: 0.5);
        var norms = new List<float>();
        for (int epoch = 0; epoch < 2; epoch++)
            foreach (var (x, y) in new DataLoader(data, 16))
            {
                var loss = F.CrossEntropy(manual.Call(x), y);
                opt.ZeroGrad();
                loss.Backward();
                norms.Add(Utils.ClipGradNorm(manual.Parameters(), 0.25).Item());
                opt.Step();
            }
        Assert.Equal(Weights(manual), Weights(fitted));
        Assert.Contains(norms, n => n > 0.25f);   // the limit was reached, so clipping changed the run
        Assert.Equal(2, history.Epochs);
    }

    [Fact]
    public void Fit_with_gradientClipValue_equals_the_loop_with_clip_grad_value()
    {
        var data = Blobs();
        var fitted = Mlp(2);
        fitted.Fit(data, new Sgd(fitted.Parameters(), lr: 0.3), Losses.CrossEntropy, batchSize: 32, shuffle: false,
            verbose: false, gradientClipValue: 0.01);
        var manual = Mlp(2);
        var opt = new Sgd(manual.Parameters(), lr: 0.3);
        foreach (var (x, y) in new DataLoader(data, 32))
        {
            var loss = F.CrossEntropy(manual.Call(x), y);
            opt.ZeroGrad();
            loss.Backward();
            Utils.ClipGradValue(manual.Parameters(), 0.01);
            opt.Step();
        }
        Assert.Equal(Weights(manual), Weights(fitted));
        var unclipped = Mlp(2);
        unclipped.Fit(data, new Sgd(unclipped.Parameters(), lr: 0.3), Losses.CrossEntropy, batchSize: 32, shuffle: false, verbose: false);
        Assert.NotEqual(Weights(unclipped), Weights(fitted));
    }

    [Fact]
    public void Class_weights_weigh_each_samples_loss_by_its_class_over_the_batch_size()
    {
        // logits rows and targets 0, 1, 1, 2; weights {1: 2, 2: 0.5} (class 0 unlisted: 1).
        float[] logits = [1f, 2f, 0.5f, 0.3f, -1f, 2f, 0f, 0f, 0f, 2f, 1f, -1f];
        float[] targets = [0f, 1f, 1f, 2f];
        var weights = new Dictionary<int, double> { [1] = 2.0, [2] = 0.5 };
        double expected = 0;
        var expectedGrad = new double[12];
        for (int i = 0; i < 4; i++)
        {
            var row = logits.AsSpan(i * 3, 3).ToArray().Select(v => (double)v).ToArray();
            double logSum = Math.Log(row.Sum(Math.Exp));
            int t = (int)targets[i];
            double w = weights.TryGetValue(t, out double v) ? v : 1.0;
            expected += w * (logSum - row[t]) / 4;                            // Σ w(yᵢ)·lᵢ / N
            for (int c = 0; c < 3; c++) expectedGrad[i * 3 + c] = w * (Math.Exp(row[c] - logSum) - (c == t ? 1 : 0)) / 4;
        }
        var output = Tensor.FromArray(logits, 4, 3);
        output.RequiresGrad = true;
        var loss = ClassWeighting.Loss(Losses.CrossEntropy, output, Tensor.FromArray(targets, 4), weights);
        Assert.Equal(expected, loss.Item(), 5);
        loss.Backward();
        var grad = output.Grad!.ToArray();
        for (int k = 0; k < 12; k++) Assert.Equal(expectedGrad[k], grad[k], 5);

        // one-hot targets pick the class by argmax; equal weights give the plain loss
        var oneHot = Tensor.FromArray([1f, 0f, 0f, 0f, 1f, 0f, 0f, 1f, 0f, 0f, 0f, 1f], 4, 3);
        var onesLoss = ClassWeighting.Loss((o, t) => F.CrossEntropy(o, t), Tensor.FromArray(logits, 4, 3), oneHot,
            new Dictionary<int, double> { [0] = 1, [1] = 1, [2] = 1 });
        Assert.Equal(F.CrossEntropy(Tensor.FromArray(logits, 4, 3), Tensor.FromArray(targets, 4)).Item(), onesLoss.Item(), 6);
    }

    [Fact]
    public void Class_weights_in_Fit_change_training_and_refuse_regression_targets()
    {
        var data = Blobs();
        var plain = Mlp(4);
        plain.Fit(data, new Sgd(plain.Parameters(), lr: 0.1), Losses.CrossEntropy, batchSize: 16, shuffle: false, verbose: false);
        var weighted = Mlp(4);
        weighted.Fit(data, new Sgd(weighted.Parameters(), lr: 0.1), Losses.CrossEntropy, batchSize: 16, shuffle: false, verbose: false,
            classWeights: new Dictionary<int, double> { [2] = 5.0 });
        Assert.NotEqual(Weights(plain), Weights(weighted));

        var regression = new TensorDataset(Tensor.FromArray([0.5f, 1.5f], 2, 1), Tensor.FromArray([0.25f, 2f], 2, 1));
        var net = new Linear(1, 1);
        var e = Assert.Throws<ArgumentException>(() => net.Fit(regression, new Sgd(net.Parameters()), Losses.MSE, verbose: false,
            classWeights: new Dictionary<int, double> { [0] = 2 }));
        Assert.Contains("classWeights", e.Message);
        Assert.Contains("0.25", e.Message);
        Assert.Throws<ArgumentOutOfRangeException>(() => net.Fit(regression, new Sgd(net.Parameters()), Losses.MSE, verbose: false,
            classWeights: new Dictionary<int, double> { [0] = -1 }));
    }

    [Fact]
    public void A_custom_train_step_runs_per_batch_and_Fit_keeps_history_and_callbacks()
    {
        var data = Blobs();
        var reference = Mlp(5);
        var expected = reference.Fit(data, new Adam(reference.Parameters(), lr: 0.01), Losses.CrossEntropy, epochs: 2,
            batchSize: 16, verbose: false, seed: 7);

        var model = Mlp(5);
        var seen = new List<(int Epoch, int Step)>();
        var history = model.Fit(data, new Adam(model.Parameters(), lr: 0.01), Losses.CrossEntropy, epochs: 2, batchSize: 16,
            verbose: false, seed: 7, trainStep: (context, batch) =>
            {
                seen.Add((context.Epoch, context.Step));
                return TrainContext.DefaultStep(context, batch);
            });
        Assert.Equal([(1, 1), (1, 2), (1, 3), (1, 4), (2, 1), (2, 2), (2, 3), (2, 4)], seen);
        Assert.Equal(expected["loss"], history["loss"]);
        Assert.Equal(expected["accuracy"], history["accuracy"]);
        Assert.Equal(Weights(reference), Weights(model));
    }

    [Fact]
    public void A_custom_step_may_train_differently_and_a_diverging_one_still_stops_Fit()
    {
        var data = Blobs();
        var model = Mlp(6);
        var opt = new Sgd(model.Parameters(), lr: 0.1);
        // a step that only evaluates: no update, so the weights stay as they were
        var before = Weights(model);
        model.Fit(data, opt, Losses.CrossEntropy, batchSize: 16, verbose: false, trainStep: (c, b) =>
        {
            var output = c.Forward(b);
            return new StepResult(c.ComputeLoss(output, b), output);
        });
        Assert.Equal(before, Weights(model));
        var e = Assert.Throws<TrainingDivergedException>(() => model.Fit(data, opt, Losses.CrossEntropy, batchSize: 16,
            verbose: false, trainStep: (c, b) => new StepResult(Tensor.Scalar(float.NaN), c.Forward(b))));
        Assert.Contains("epoch 1, step 1", e.Message);
    }

    /// <summary>y = a(x₁) + b(x₂): a model with two inputs.</summary>
    private sealed class TwoInputs : Module, IMultiInputModule
    {
        private readonly Linear _a, _b;

        public TwoInputs()
        {
            var g = new Generator(9);
            _a = AddModule("a", new Linear(3, 2, generator: g));
            _b = AddModule("b", new Linear(4, 2, generator: g));
        }

        public override Tensor Forward(Tensor input) => throw new InvalidOperationException("TwoInputs takes two inputs.");

        public Tensor Forward(IReadOnlyList<Tensor> inputs, Tensor? mask) => F.Add(_a.Call(inputs[0]), _b.Call(inputs[1]));
    }

    private static MultiInputDataset TwoInputData()
    {
        var g = new Generator(11);
        var x1 = new float[40 * 3];
        var x2 = new float[40 * 4];
        var y = new float[40];
        for (int i = 0; i < 40; i++)
        {
            for (int j = 0; j < 3; j++) x1[i * 3 + j] = g.NextNormal();
            for (int j = 0; j < 4; j++) x2[i * 4 + j] = g.NextNormal();
            y[i] = x1[i * 3] + x2[i * 4 + 3] > 0 ? 1 : 0;   // needs both inputs
        }
        return new MultiInputDataset([Tensor.FromArray(x1, 40, 3), Tensor.FromArray(x2, 40, 4)], Tensor.FromArray(y, 40));
    }

    [Fact]
    public void A_two_input_model_trains_through_Fit_and_Evaluate_with_both_inputs()
    {
        var data = TwoInputData();
        var model = new TwoInputs();
        var history = model.Fit(data, new Adam(model.Parameters(), lr: 0.05), Losses.CrossEntropy, epochs: 30, batchSize: 8,
            verbose: false, seed: 1);
        Assert.True(history["loss"][^1] < history["loss"][0] / 2, $"loss {history["loss"][0]} → {history["loss"][^1]}");
        Assert.True(history["accuracy"][^1] >= 0.9, $"accuracy {history["accuracy"][^1]}");

        var (loss, accuracy) = model.Evaluate(data, Losses.CrossEntropy);
        using (Tensor.NoGrad())
        {
            var all = data.BatchOf([.. Enumerable.Range(0, 40)]);
            Assert.Equal(F.CrossEntropy(model.Forward(all.Inputs, null), all.Target).Item(), loss, 5);
        }
        Assert.NotNull(accuracy);
    }

    [Fact]
    public void A_one_input_model_given_two_inputs_is_told_how_to_take_them()
    {
        var model = new Linear(3, 2);
        var e = Assert.Throws<InvalidOperationException>(() =>
            model.Fit(TwoInputData(), new Sgd(model.Parameters()), Losses.CrossEntropy, verbose: false));
        Assert.Contains("2 inputs", e.Message);
        Assert.Contains("Linear", e.Message);
        Assert.Contains("IMultiInputModule", e.Message);
    }

    /// <summary>Records the mask each forward receives.</summary>
    private sealed class MaskSpy : Module, IMultiInputModule
    {
        public readonly List<(float[] Mask, int Steps)> Masks = [];
        private readonly RecurrentClassifier _net = new(new GRU(4, 3, batchFirst: true), 2, new Generator(1));

        public MaskSpy() => AddModule("net", _net);

        public override Tensor Forward(Tensor input) => _net.Call(input);

        public Tensor Forward(IReadOnlyList<Tensor> inputs, Tensor? mask)
        {
            Masks.Add((mask!.ToArray(), inputs[0].Shape[1]));
            return ((IMultiInputModule)_net).Forward(inputs, mask);
        }
    }

    [Fact]
    public void Padded_sequences_reach_a_masked_model_with_their_per_batch_mask()
    {
        var data = new SequenceDataset(["ACG", "ACGTAC", "AC", "TTTT"], [0, 1, 0, 1], ["a", "b"], Alphabet.Dna);
        var spy = new MaskSpy();
        spy.Fit(data, new Adam(spy.Parameters(), lr: 0.01), Losses.CrossEntropy, batchSize: 2, shuffle: false, verbose: false);
        Assert.Equal(2, spy.Masks.Count);
        Assert.Equal(6, spy.Masks[0].Steps);   // padded to this batch's longest, not the dataset's
        Assert.Equal([1f, 1f, 1f, 0f, 0f, 0f, 1f, 1f, 1f, 1f, 1f, 1f], spy.Masks[0].Mask);
        Assert.Equal(4, spy.Masks[1].Steps);
        Assert.Equal([1f, 1f, 0f, 0f, 1f, 1f, 1f, 1f], spy.Masks[1].Mask);

        // a RecurrentClassifier is such a model: Evaluate's loss is the masked forward's
        var classifier = new RecurrentClassifier(new LSTM(4, 3, batchFirst: true), 2, new Generator(2));
        var (loss, _) = classifier.Evaluate(data, Losses.CrossEntropy, batchSize: 4);
        var (batch, targets) = data.Collate([0, 1, 2, 3]);
        using var _ = Tensor.NoGrad();
        Assert.Equal(F.CrossEntropy(classifier.Forward(batch.Inputs, batch.Mask), targets).Item(), loss, 6);
        Assert.NotEqual(F.CrossEntropy(classifier.Forward(batch.Inputs), targets).Item(), loss, 6);
    }
}
