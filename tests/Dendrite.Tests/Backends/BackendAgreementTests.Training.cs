using Dendrite.Backends;

namespace Dendrite.Tests.Backends;

/// <summary>Normalisation, losses, dropout masks, recurrent steps and the optimisers' update rules.</summary>
public partial class BackendAgreementTests
{
    private static IEnumerable<AgreementCase> Normalisation()
    {
        // The last shape is large enough for the CPU to split channels over threads.
        foreach (var (batch, channels, size, affine) in new[] { (1, 3, 17, true), (7, 5, 9, false), (2, 65, 1, true),
            (8, 8, 257, true) })
        {
            string name = $"[{batch},{channels},{size}]{(affine ? " affine" : "")}";
            int n = batch * channels * size;
            int terms = batch * size;
            // x, gamma, beta, y, mean, variance, invStd, then dy, dx, dGamma, dBeta.
            float[][] Buffers(Generator r) =>
            [
                Normal(r, n, 2f), Normal(r, channels), Normal(r, channels), Unwritten(n), Unwritten(channels),
                Unwritten(channels), Unwritten(channels), Normal(r, n), Unwritten(n), Unwritten(channels),
                Unwritten(channels),
            ];
            void Train(Backend b, Storage[] s) => b.BatchNormTrain(batch, channels, size, s[0], affine ? s[1] : null,
                affine ? s[2] : null, 1e-5f, s[3], s[4], s[5], s[6]);
            yield return new($"BatchNormTrain {name}", Buffers, Train) { Terms = terms };
            yield return new($"BatchNormTrainBackward {name}", Buffers, (b, s) =>
            {
                Train(b, s);
                b.BatchNormTrainBackward(batch, channels, size, s[0], s[7], affine ? s[1] : null, s[4], s[6], s[8],
                    s[9], s[10]);
            }) { Terms = terms };
            yield return new($"BatchNormTrainBackward {name} parameters only", Buffers, (b, s) =>
            {
                Train(b, s);
                b.BatchNormTrainBackward(batch, channels, size, s[0], s[7], affine ? s[1] : null, s[4], s[6], null,
                    s[9], s[10]);
            }) { Terms = terms };
            yield return new($"BatchNormTrainBackward {name} input only", Buffers, (b, s) =>
            {
                Train(b, s);
                b.BatchNormTrainBackward(batch, channels, size, s[0], s[7], affine ? s[1] : null, s[4], s[6], s[8],
                    null, null);
            }) { Terms = terms };
            yield return new($"ScaleShift {name}",
                r => [Normal(r, n), Normal(r, channels), Normal(r, channels), Unwritten(n)],
                (b, s) => b.ScaleShift(batch, channels, size, s[0], s[1], affine ? s[2] : null, s[3]));
        }

        yield return new("UpdateRunningStatistics 17",
            r => [Normal(r, 17), Uniform(r, 17, 0.5f, 2f), Normal(r, 17), Uniform(r, 17, 0.1f, 3f)],
            (b, s) => b.UpdateRunningStatistics(s[0], s[1], s[2], s[3], 0.1f, 9f / 8f));
        foreach (bool affine in new[] { true, false })
            yield return new($"BatchNormEvalCoefficients 17{(affine ? " affine" : "")}",
                r => [Normal(r, 17), Uniform(r, 17, 0f, 3f), Normal(r, 17), Normal(r, 17), Unwritten(17), Unwritten(17),
                    Unwritten(17)],
                (b, s) => b.BatchNormEvalCoefficients(s[0], s[1], affine ? s[2] : null, affine ? s[3] : null, 1e-5f,
                    s[4], s[5], s[6]));

        // Rows of one value have variance 0 and s = 1/√ε. The CPU folds x̂ = (x − μ)·s into x·s − μ·s (as PyTorch's
        // kernel does), which rounds by u·|μ|·s: with ε = 1e-5 that is 300 times float32's unit, so those rows take
        // ε = 1.
        foreach (var (rows, size, affine, eps) in new[] { (7, 17, true, 1e-5f), (1, 65, false, 1e-5f),
            (63, 1, true, 1f), (3, 63, true, 1e-5f) })
        {
            string name = $"[{rows},{size}]{(affine ? " affine" : "")}";
            int n = rows * size;
            // x, gamma, beta, y, mean, invStd, then dy, dx, dGamma, dBeta.
            float[][] Buffers(Generator r) =>
            [
                Normal(r, n, 2f), Normal(r, size), Normal(r, size), Unwritten(n), Unwritten(rows), Unwritten(rows),
                Normal(r, n), Unwritten(n), Unwritten(size), Unwritten(size),
            ];
            void Forward(Backend b, Storage[] s) =>
                b.LayerNorm(rows, size, s[0], affine ? s[1] : null, affine ? s[2] : null, eps, s[3], s[4], s[5]);
            yield return new($"LayerNorm {name}", Buffers, Forward) { Terms = size };
            yield return new($"LayerNormBackward {name}", Buffers, (b, s) =>
            {
                Forward(b, s);
                b.LayerNormBackward(rows, size, s[0], s[6], affine ? s[1] : null, s[4], s[5], s[7], s[8], s[9]);
            }) { Terms = Math.Max(rows, size) };
            yield return new($"LayerNormBackward {name} input only", Buffers, (b, s) =>
            {
                Forward(b, s);
                b.LayerNormBackward(rows, size, s[0], s[6], affine ? s[1] : null, s[4], s[5], s[7], null, null);
            }) { Terms = size };
        }
    }

    private const int IgnoreIndex = -100;

    /// <summary>Class indices with every fifth sample ignored.</summary>
    private static float[] Targets(Generator g, int samples, int classes)
    {
        var values = Indices(g, samples, classes);
        for (int i = 4; i < samples; i += 5) values[i] = IgnoreIndex;
        return values;
    }

    private static IEnumerable<AgreementCase> Losses()
    {
        foreach (var (outer, classes, inner) in new[] { (7, 5, 1), (2, 17, 3), (1, 1, 1), (65, 7, 1) })
        {
            int samples = outer * inner;
            int n = samples * classes;
            foreach (bool probabilities in new[] { false, true })
                foreach (float smoothing in new[] { 0f, 0.1f })
                foreach (bool weighted in new[] { false, true })
                {
                    string targets = probabilities ? "probabilities" : "indices";
                    string name = $"[{outer},{classes},{inner}] {targets} smoothing {smoothing}{(weighted ? " class weights" : "")}";
                    // logits, target, logp, q, perSample, then dy and dLogits, then the class weights.
                    float[][] Buffers(Generator r) =>
                    [
                        Normal(r, n, 3f), probabilities ? Uniform(r, n, 0f, 1f) : Targets(r, samples, classes),
                        Unwritten(n), Unwritten(n), Unwritten(samples), Normal(r, samples), Unwritten(n),
                        Uniform(r, classes, 0.2f, 3f),
                    ];
                    void Forward(Backend b, Storage[] s) => b.CrossEntropyForward(s[0], s[1], probabilities, outer,
                        classes, inner, smoothing, IgnoreIndex, weighted ? s[7] : null, s[2], s[3], s[4]);
                    yield return new($"CrossEntropyForward {name}", Buffers, Forward) { Terms = classes };
                    foreach (bool perSample in new[] { true, false })
                        yield return new($"CrossEntropyBackward {name}{(perSample ? " per sample" : " reduced")}",
                            Buffers, (b, s) =>
                        {
                            Forward(b, s);
                            b.CrossEntropyBackward(s[2], s[3], s[1], probabilities, outer, classes, inner, IgnoreIndex,
                                s[5], perSample, 1f / samples, s[6]);
                        }) { Terms = classes };
                }

            foreach (bool weighted in new[] { false, true })
            {
                string shape = $"[{outer},{classes},{inner}]{(weighted ? " class weights" : "")}";
                yield return new($"NllForward {shape}",
                    r => [Normal(r, n), Targets(r, samples, classes), Unwritten(samples), Uniform(r, classes, 0.2f, 3f)],
                    (b, s) => b.NllForward(s[0], s[1], outer, classes, inner, IgnoreIndex, weighted ? s[3] : null, s[2]))
                {
                    Exact = true,
                };
                foreach (bool perSample in new[] { true, false })
                    yield return new($"NllBackward {shape}{(perSample ? " per sample" : " reduced")}",
                        r => [Targets(r, samples, classes), Normal(r, samples), Unwritten(n), Uniform(r, classes, 0.2f, 3f)],
                        (b, s) => b.NllBackward(s[0], outer, classes, inner, IgnoreIndex, weighted ? s[3] : null, s[1], perSample,
                            0.37f, s[2])) { Exact = true };
            }
        }

        foreach (int n in new[] { 1, 17, 65 })
        {
            // Probabilities at 0 and 1 exactly, where the logs clamp at −100, and inside.
            float[] Probabilities(Generator r)
            {
                var p = Uniform(r, n, 0.001f, 0.999f);
                p[0] = n > 1 ? 0f : p[0];
                p[n - 1] = n > 2 ? 1f : p[n - 1];
                return p;
            }
            yield return new($"BinaryCrossEntropy {n}", r => [Probabilities(r), Uniform(r, n, 0f, 1f), Unwritten(n)],
                (b, s) => b.BinaryCrossEntropy(s[0], s[1], s[2]));
            yield return new($"BinaryCrossEntropyBackward {n}",
                r => [Probabilities(r), Uniform(r, n, 0f, 1f), Normal(r, n), Unwritten(n), Unwritten(n)],
                (b, s) => b.BinaryCrossEntropyBackward(s[0], s[1], s[2], s[3], s[4]));
            yield return new($"BinaryCrossEntropyBackward {n} input only",
                r => [Probabilities(r), Uniform(r, n, 0f, 1f), Normal(r, n), Unwritten(n)],
                (b, s) => b.BinaryCrossEntropyBackward(s[0], s[1], s[2], s[3], null));
            yield return new($"BinaryCrossEntropyWithLogits {n}",
                r => [Normal(r, n, 4f), Uniform(r, n, 0f, 1f), Unwritten(n)],
                (b, s) => b.BinaryCrossEntropyWithLogits(s[0], s[1], s[2]));
            yield return new($"BinaryCrossEntropyWithLogitsBackward {n}",
                r => [Normal(r, n, 4f), Uniform(r, n, 0f, 1f), Normal(r, n), Unwritten(n), Unwritten(n)],
                (b, s) => b.BinaryCrossEntropyWithLogitsBackward(s[0], s[1], s[2], s[3], s[4]));
            yield return new($"BinaryCrossEntropyWithLogitsBackward {n} input only",
                r => [Normal(r, n, 4f), Uniform(r, n, 0f, 1f), Normal(r, n), Unwritten(n)],
                (b, s) => b.BinaryCrossEntropyWithLogitsBackward(s[0], s[1], s[2], s[3], null));
        }
    }

    private static IEnumerable<AgreementCase> Dropout()
    {
        // One chunk, a chunk and a ragged second (16 384 per chunk), and enough for the CPU to draw chunks in parallel.
        foreach (int n in new[] { 1, 7, 65, 16_390, 70_001 })
            foreach (var (p, seed) in new[] { (0.3f, 42UL), (0.5f, 7UL), (0f, 1UL), (1f, 2UL), (0.9f, ulong.MaxValue) })
            {
                float keep = p < 1 ? 1f / (1f - p) : 0f;
                yield return new($"BernoulliMask {n} p {p} seed {seed}",
                    r => [Normal(r, n), Unwritten(n), Unwritten(n)],
                    (b, s) => b.BernoulliMask(s[0], s[1], s[2], p, keep, seed)) { Exact = true };
            }
    }

    private static IEnumerable<AgreementCase> Recurrent()
    {
        const int steps = 4;
        const int directions = 2;
        const int time = 2;
        // The last size is large enough for the CPU to split the rows over threads.
        foreach (var (batch, hidden) in new[] { (3, 17), (1, 7), (65, 129) })
            foreach (var cell in Enum.GetValues<RecurrentCell>())
                foreach (bool masked in new[] { false, true })
                {
                    int gh = (cell switch { RecurrentCell.Lstm => 4, RecurrentCell.Gru => 3, _ => 1 }) * hidden;
                    int rows = steps * batch;
                    string name = $"{cell} N{batch} H{hidden}{(masked ? " masked" : "")}";
                    // Rows 1, 4, 7 … are padding from step 2 on.
                    float[] Mask()
                    {
                        var m = new float[batch * steps];
                        for (int n = 0; n < batch; n++)
                            for (int t = 0; t < steps; t++) m[n * steps + t] = n % 3 == 1 && t >= 2 ? 0f : 1f;
                        return m;
                    }
                    var step = new RecurrentStep
                    {
                        Cell = cell, Steps = steps, Batch = batch, Hidden = hidden, Directions = directions,
                        Direction = 1, Time = time,
                    };

                    // mask, gates, output, h, c, tanhC, hidden projection, its n part.
                    yield return new($"RecurrentForwardStep {name}",
                        r =>
                        [
                            Mask(), Normal(r, rows * gh), Unwritten(rows * directions * hidden),
                            Normal(r, batch * hidden), Normal(r, batch * hidden), Unwritten(rows * hidden),
                            Normal(r, batch * gh), Unwritten(rows * hidden),
                        ],
                        (b, s) => b.RecurrentForwardStep(step with
                        {
                            Mask = masked ? s[0] : null, Gates = s[1], Output = s[2], H = s[3], C = s[4], TanhC = s[5],
                            HiddenProjection = s[6], HiddenProjectionN = s[7],
                        })) { Terms = 3 };

                    // mask, gate activations, output gradient, cell in, tanh c, hp_n, h in, dh, dh next, dc, dGates,
                    // dGates of the hidden side.
                    float lo = cell is RecurrentCell.RnnTanh or RecurrentCell.RnnRelu ? -0.95f : 0.05f;
                    yield return new($"RecurrentBackwardStep {name}",
                        r =>
                        [
                            Mask(), Uniform(r, rows * gh, lo, 0.95f), Normal(r, rows * directions * hidden),
                            Normal(r, rows * hidden), Uniform(r, rows * hidden, -0.95f, 0.95f),
                            Normal(r, rows * hidden), Normal(r, rows * hidden), Normal(r, batch * hidden),
                            Unwritten(batch * hidden), Normal(r, batch * hidden), Unwritten(rows * gh),
                            Unwritten(rows * gh),
                        ],
                        (b, s) => b.RecurrentBackwardStep(step with
                        {
                            Mask = masked ? s[0] : null, Gates = s[1], Output = s[2], CellIn = s[3], TanhC = s[4],
                            HiddenProjectionN = s[5], HiddenIn = s[6], Dh = s[7], DhNext = s[8], Dc = s[9],
                            DGates = s[10], DGatesHidden = s[11],
                        })) { Terms = 3 };
                }
    }

    /// <summary>Three steps of a rule on (parameter, gradient, state…), the step number counting from 1.</summary>
    private static AgreementCase Rule(string name, int n, int states, Action<Backend, Storage[], int> step) =>
        new($"{name} {n}", r =>
        {
            var buffers = new List<float[]> { Normal(r, n), Normal(r, n) };
            for (int i = 0; i < states; i++) buffers.Add(Uniform(r, n, 0f, 0.5f));
            return [.. buffers];
        }, (b, s) =>
        {
            for (int t = 1; t <= 3; t++) step(b, s, t);
        }) { Terms = 3 };

    private static IEnumerable<AgreementCase> Optimisers()
    {
        foreach (int n in new[] { 7, 65 })
        {
            yield return Rule("SgdUpdate plain", n, 0,
                (b, s, t) => b.SgdUpdate(s[0], s[1], null, 0.1f, 0f, 0f, 0f, false, t == 1));
            yield return Rule("SgdUpdate weight decay", n, 0,
                (b, s, t) => b.SgdUpdate(s[0], s[1], null, 0.1f, 0.01f, 0f, 0f, false, t == 1));
            yield return Rule("SgdUpdate momentum dampening", n, 1,
                (b, s, t) => b.SgdUpdate(s[0], s[1], s[2], 0.1f, 0.01f, 0.9f, 0.1f, false, t == 1));
            yield return Rule("SgdUpdate Nesterov", n, 1,
                (b, s, t) => b.SgdUpdate(s[0], s[1], s[2], 0.1f, 0f, 0.9f, 0f, true, t == 1));

            yield return Rule("AdamUpdate", n, 2,
                (b, s, t) => b.AdamUpdate(s[0], s[1], s[2], s[3], null, 1e-3f, 0f, false, 0.9f, 0.999f, 1e-8f, t));
            yield return Rule("AdamUpdate L2", n, 2,
                (b, s, t) => b.AdamUpdate(s[0], s[1], s[2], s[3], null, 1e-3f, 0.1f, false, 0.9f, 0.999f, 1e-8f, t));
            yield return Rule("AdamUpdate AdamW", n, 2,
                (b, s, t) => b.AdamUpdate(s[0], s[1], s[2], s[3], null, 1e-3f, 0.01f, true, 0.9f, 0.999f, 1e-8f, t));
            yield return Rule("AdamUpdate AMSGrad", n, 3,
                (b, s, t) => b.AdamUpdate(s[0], s[1], s[2], s[3], s[4], 1e-3f, 0f, false, 0.8f, 0.99f, 1e-8f, t));

            yield return Rule("RmsPropUpdate", n, 1,
                (b, s, t) => b.RmsPropUpdate(s[0], s[1], s[2], null, null, 1e-2f, 0f, 0.99f, 1e-8f, 0f));
            yield return Rule("RmsPropUpdate centred", n, 2,
                (b, s, t) => b.RmsPropUpdate(s[0], s[1], s[2], null, s[3], 1e-2f, 0.01f, 0.9f, 1e-8f, 0f));
            yield return Rule("RmsPropUpdate momentum", n, 2,
                (b, s, t) => b.RmsPropUpdate(s[0], s[1], s[2], s[3], null, 1e-2f, 0f, 0.99f, 1e-8f, 0.9f));
            yield return Rule("RmsPropUpdate centred momentum", n, 3,
                (b, s, t) => b.RmsPropUpdate(s[0], s[1], s[2], s[3], s[4], 1e-2f, 0f, 0.9f, 1e-8f, 0.5f));

            yield return Rule("AdagradUpdate", n, 1,
                (b, s, t) => b.AdagradUpdate(s[0], s[1], s[2], 1e-2f, 0.1f, 0.01f, 1e-10f, t));
            yield return Rule("AdadeltaUpdate", n, 2,
                (b, s, t) => b.AdadeltaUpdate(s[0], s[1], s[2], s[3], 1f, 0.01f, 0.9f, 1e-6f));
            yield return Rule("MovingAverageUpdate", n, 0, (b, s, t) => b.MovingAverageUpdate(s[0], s[1], 0.99f));
        }
        // Large enough for the CPU to update slices in parallel.
        yield return Rule("AdamUpdate AdamW", 140_000, 2,
            (b, s, t) => b.AdamUpdate(s[0], s[1], s[2], s[3], null, 1e-3f, 0.01f, true, 0.9f, 0.999f, 1e-8f, t));
    }
}
