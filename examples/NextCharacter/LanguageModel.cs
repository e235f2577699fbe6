using System.Globalization;
using Dendrite.Data;
using Dendrite.Optim;

namespace Dendrite.Examples.NextCharacter;

/// <summary>Training, evaluation and sampling for <see cref="CharModel"/> on a text.</summary>
public static class LanguageModel
{
    /// <summary>Every distinct character of <paramref name="text"/>, in code order, as the model's vocabulary.</summary>
    public static Alphabet VocabularyOf(string text) =>
        new(new string(text.Distinct().Order().ToArray()), padSymbol: '\0');

    /// <summary>
    /// Cuts <paramref name="text"/> into blocks and holds out every <paramref name="every"/>-th one: the held-out text
    /// then samples every part of a corpus that changes style along the way (scripture, law, verse).
    /// </summary>
    public static (int[] Train, int[] Validation) Split(int[] text, int blockLength, int every)
    {
        var train = new List<int>();
        var validation = new List<int>();
        for (int start = 0, block = 0; start < text.Length; start += blockLength, block++)
            (block % every == every - 1 ? validation : train).AddRange(text.AsSpan(start, Math.Min(blockLength, text.Length - start)));
        return ([.. train], [.. validation]);
    }

    /// <summary>
    /// Trains on random windows of <paramref name="window"/> characters: the input is the window, the target the same
    /// window shifted by one (every position predicts its next character). Every <paramref name="evalEvery"/> steps the
    /// loss on <paramref name="validation"/> is measured; a small corpus is soon memorised, so training stops once it
    /// has not improved for <paramref name="patience"/> checks, and the weights of the best check are put back
    /// (early stopping). Returns that best validation loss (the last training loss when there is no validation text).
    /// </summary>
    public static double Train(CharModel model, int[] text, int steps, int[]? validation = null, int window = 64,
        int batchSize = 32, float lr = 3e-3f, ulong seed = 1, int evalEvery = 200, int patience = 3, TextWriter? log = null)
    {
        var optimizer = new Adam(model.Parameters(), lr: lr);
        var g = new Generator(seed);
        var recent = new Queue<double>();
        double best = double.PositiveInfinity;
        Dictionary<string, Tensor>? bestState = null;
        int checksWithoutGain = 0;
        for (int step = 1; step <= steps; step++)
        {
            using (Tensor.Scope())
            {
                var (x, y) = RandomWindows(text, window, batchSize, g);
                var logits = model.Forward(x);                                   // [N, T, V]
                var loss = F.CrossEntropy(F.Reshape(logits, -1, model.Vocabulary.Size), F.Reshape(y, -1));
                optimizer.ZeroGrad();
                loss.Backward();
                optimizer.Step();
                recent.Enqueue(loss.Item());
                if (recent.Count > 100) recent.Dequeue();
            }
            if (validation is null || (step % evalEvery != 0 && step != steps)) continue;
            double current = Loss(model, validation);
            log?.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"  step {step}/{steps}: training loss {recent.Average():0.000}, validation loss {current:0.000} nats/char"));
            if (current < best)
            {
                best = current;
                bestState = model.StateDict().ToDictionary(kv => kv.Key, kv => kv.Value.Clone());
                checksWithoutGain = 0;
            }
            else if (++checksWithoutGain >= patience)
            {
                log?.WriteLine($"  validation loss has not improved for {patience} checks: stopping, keeping the best weights");
                break;
            }
        }
        if (bestState is not null) model.LoadStateDict(bestState);
        return validation is null ? recent.Average() : best;
    }

    /// <summary>Mean cross-entropy in nats per character of predicting each character of <paramref name="text"/> from those before it.</summary>
    public static double Loss(CharModel model, int[] text, int window = 256)
    {
        model.Eval();
        double sum = 0;
        long count = 0;
        using (Tensor.NoGrad())
        {
            // Windows carry the GRU state over from the one before, so every character but the first has full context.
            Tensor? h = null;
            for (int start = 0; start + 1 < text.Length; start += window)
            {
                int t = Math.Min(window, text.Length - 1 - start);
                var x = Indices(text.AsSpan(start, t));
                var y = Indices(text.AsSpan(start + 1, t));
                var (logits, hNext) = model.Step(x, h);
                h = hNext.Clone();
                sum += F.CrossEntropy(F.Reshape(logits, t, -1), F.Reshape(y, t), Reduction.Sum).Item();
                count += t;
            }
        }
        model.Train();
        return sum / count;
    }

    /// <summary>
    /// The cross-entropy of a unigram model (each character's frequency in <paramref name="train"/>, add-one smoothed)
    /// on <paramref name="text"/>: the baseline that knows which letters are common but nothing of context.
    /// </summary>
    public static double UnigramLoss(int[] train, int[] text, int vocabulary)
    {
        var counts = new double[vocabulary];
        foreach (int c in train) counts[c]++;
        double total = train.Length + vocabulary;
        double sum = 0;
        for (int i = 1; i < text.Length; i++) sum -= Math.Log((counts[text[i]] + 1) / total);
        return sum / (text.Length - 1);
    }

    /// <summary>
    /// Continues <paramref name="prompt"/> by <paramref name="length"/> characters, each drawn from
    /// softmax(logits / temperature): low temperatures pick the likeliest characters, 1 samples the model as it is,
    /// higher ones flatten the choice.
    /// </summary>
    public static string Sample(CharModel model, string prompt, int length, float temperature, Generator generator)
    {
        if (!(temperature > 0)) throw new ArgumentOutOfRangeException(nameof(temperature), $"Sample: temperature must be positive, got {temperature}.");
        if (prompt.Length == 0) throw new ArgumentException("Sample: the prompt must hold at least one character.", nameof(prompt));
        model.Eval();
        var text = new System.Text.StringBuilder(prompt);
        using (Tensor.NoGrad())
        {
            var (logits, h) = model.Step(Indices(model.Vocabulary.Encode(prompt)), null);
            var last = LastLogits(logits);
            for (int i = 0; i < length; i++)
            {
                int next = Draw(last, temperature, generator);
                text.Append(model.Vocabulary.Symbols[next]);
                (logits, h) = model.Step(Tensor.FromArray([next], 1, 1), h);
                last = LastLogits(logits);
            }
        }
        model.Train();
        return text.ToString();
    }

    /// <summary>
    /// Fills in the blank after <paramref name="prefix"/> with the model's likeliest characters up to the next space or
    /// punctuation: the course's "predict the blank word", greedily.
    /// </summary>
    public static string CompleteWord(CharModel model, string prefix, int maxLength = 20)
    {
        model.Eval();
        var word = new System.Text.StringBuilder();
        using (Tensor.NoGrad())
        {
            var (logits, h) = model.Step(Indices(model.Vocabulary.Encode(prefix)), null);
            for (int i = 0; i < maxLength; i++)
            {
                var last = LastLogits(logits);
                int best = 0;
                for (int v = 1; v < last.Length; v++) if (last[v] > last[best]) best = v;
                char c = model.Vocabulary.Symbols[best];
                if (!char.IsLetter(c) && !(c == '\'' && word.Length > 0)) break;
                word.Append(c);
                (logits, h) = model.Step(Tensor.FromArray([best], 1, 1), h);
            }
        }
        model.Train();
        return word.ToString();
    }

    private static float[] LastLogits(Tensor logits)
    {
        int v = logits.Shape[-1];
        return logits.ToArray()[^v..];
    }

    private static int Draw(float[] logits, float temperature, Generator g)
    {
        float max = logits.Max();
        var p = logits.Select(l => Math.Exp((l - max) / temperature)).ToArray();
        double u = g.NextDouble() * p.Sum();
        for (int i = 0; i < p.Length; i++)
        {
            u -= p[i];
            if (u < 0) return i;
        }
        return p.Length - 1;
    }

    private static Tensor Indices(ReadOnlySpan<int> chars)
    {
        var t = Tensor.Empty(1, chars.Length);
        for (int i = 0; i < chars.Length; i++) t.Data[i] = chars[i];
        return t;
    }

    private static (Tensor X, Tensor Y) RandomWindows(int[] text, int window, int batchSize, Generator g)
    {
        var x = Tensor.Empty(batchSize, window);
        var y = Tensor.Empty(batchSize, window);
        for (int n = 0; n < batchSize; n++)
        {
            int start = g.NextInt(text.Length - window - 1);
            for (int t = 0; t < window; t++)
            {
                x.Data[n * window + t] = text[start + t];
                y.Data[n * window + t] = text[start + t + 1];
            }
        }
        return (x, y);
    }
}
