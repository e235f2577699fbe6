// Target: on held-out text (every 10th block of 2,000 characters of corpus.txt, so every part of it is represented), the character-level GRU's loss is at least 30% below that of a
// unigram model (character frequencies only); exit code 1 otherwise. Then it writes text at two temperatures and fills
// in a few blanks.
// Usage: dotnet run --project examples/NextCharacter -c Release [-- --steps N]
using System.Globalization;
using Dendrite;
using Dendrite.Examples.NextCharacter;

const double target = 0.30;
int steps = 2000;
if (args.Length == 2 && args[0] == "--steps" && int.TryParse(args[1], out int n) && n >= 1) steps = n;
else if (args.Length != 0)
{
    Console.Error.WriteLine("NextCharacter: usage: [--steps N (>= 1)]");
    return 2;
}

string text = File.ReadAllText(Path.Combine(AppContext.BaseDirectory, "corpus.txt")).ReplaceLineEndings("\n");
var vocabulary = LanguageModel.VocabularyOf(text);
var (train, validation) = LanguageModel.Split(vocabulary.Encode(text), blockLength: 2000, every: 10);
Console.WriteLine($"corpus.txt: {text.Length} characters, {vocabulary.Size} distinct; {train.Length} for training, {validation.Length} held out (every 10th block of 2000).");

Torch.ManualSeed(1);
var model = new CharModel(vocabulary);
Console.WriteLine($"Model: {model.Embed}, {model.Gru}, Dropout({model.Dropout}), {model.Head}; up to {steps} steps of 32 windows of 64 characters");
double loss = LanguageModel.Train(model, train, steps, validation, log: Console.Out);
double unigram = LanguageModel.UnigramLoss(train, validation, vocabulary.Size);
double gain = 1 - loss / unigram;
var c = CultureInfo.InvariantCulture;
Console.WriteLine(string.Create(c, $"Validation loss: GRU {loss:0.000} nats/char, unigram {unigram:0.000} nats/char: {gain * 100:0.0}% lower (target >= {target * 100:0}%)"));

var g = new Generator(7);
foreach (float temperature in new[] { 0.5f, 1.0f })
{
    Console.WriteLine(string.Create(c, $"\n--- temperature {temperature}:"));
    Console.WriteLine(LanguageModel.Sample(model, "And God said, ", 300, temperature, g));
}
Console.WriteLine("\n--- predict the blank word:");
foreach (var prefix in new[] { "In the beginning God created the ", "We hold these truths to be self-", "Four score and seven years " })
    Console.WriteLine($"{prefix}[{LanguageModel.CompleteWord(model, prefix)}]");
return gain >= target ? 0 : 1;
