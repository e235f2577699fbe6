// Target: both models reach >= 95% held-out accuracy at telling DNA sequences that contain the TATA box (TATAAT)
// anywhere from those that do not; exit code 1 below it. The sequences go through FASTA files (wrapped lines, lower
// case, labels in the headers) and train through Fit, padded per batch; --loop trains in memory with the explicit loop.
// Usage: dotnet run --project examples/SequenceMotifs -c Release [-- --epochs N] [--loop]
using System.Globalization;
using Dendrite;
using Dendrite.Examples.SequenceMotifs;

const double target = 0.95;
int epochs = 10;
bool loop = false;
for (int a = 0; a < args.Length; a++)
{
    if (args[a] == "--loop") loop = true;
    else if (args[a] == "--epochs" && a + 1 < args.Length && int.TryParse(args[a + 1], out int n) && n >= 1)
    {
        epochs = n;
        a++;
    }
    else
    {
        Console.Error.WriteLine("SequenceMotifs: usage: [--epochs N (>= 1)] [--loop]");
        return 2;
    }
}

var train = MotifData.Generate(4000, seed: 1);
var test = MotifData.Generate(1000, seed: 2);
Console.WriteLine($"{train.Count} training and {test.Count} held-out DNA sequences of 20-60 bases; half contain {MotifData.DefaultMotif}.");
Console.WriteLine($"e.g. {train[1].Sequence} (label {train[1].Label})");
string folder = Path.Combine(Path.GetTempPath(), "dendrite-motifs-" + Environment.ProcessId);
Directory.CreateDirectory(folder);
string trainFasta = Path.Combine(folder, "train.fa"), testFasta = Path.Combine(folder, "test.fa");
MotifFasta.Write(trainFasta, train);
MotifFasta.Write(testFasta, test);
var trainSet = MotifFasta.Read(trainFasta);
var testSet = MotifFasta.Read(testFasta);
if (!loop) Console.WriteLine($"read back from {trainFasta} and {testFasta}");

bool ok = true;
foreach (var (name, make) in new (string, Func<ISequenceModel>)[]
{
    ("Conv1d (one-hot -> Conv1d(4, 32, 9) -> ReLU -> max over positions -> Linear(32, 2))", () => new ConvModel()),
    ("BiLSTM (one-hot -> bidirectional LSTM(4, 32) -> final states -> Linear(64, 2))", () => new BiLstmModel()),
})
{
    Torch.ManualSeed(1);
    Console.WriteLine(name);
    double accuracy = loop
        ? MotifTraining.TrainAndEvaluate(make(), train, test, epochs, log: Console.Out)
        : MotifFasta.TrainWithFit(make(), trainSet, testSet, epochs, verbose: true)["val_accuracy"][^1];
    Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{name.Split(' ')[0]}: held-out accuracy {accuracy * 100:0.00}% (target >= {target * 100:0}%)"));
    ok &= accuracy >= target;
}
Directory.Delete(folder, recursive: true);
return ok ? 0 : 1;
