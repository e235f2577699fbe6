// Target: both models reach >= 95% held-out accuracy at telling DNA sequences that contain the TATA box (TATAAT)
// anywhere from those that do not; exit code 1 below it.
// Usage: dotnet run --project examples/SequenceMotifs -c Release [-- --epochs N]
using System.Globalization;
using Dendrite;
using Dendrite.Examples.SequenceMotifs;

const double target = 0.95;
int epochs = 10;
if (args.Length == 2 && args[0] == "--epochs" && int.TryParse(args[1], out int n) && n >= 1) epochs = n;
else if (args.Length != 0)
{
    Console.Error.WriteLine("SequenceMotifs: usage: [--epochs N (>= 1)]");
    return 2;
}

var train = MotifData.Generate(4000, seed: 1);
var test = MotifData.Generate(1000, seed: 2);
Console.WriteLine($"{train.Count} training and {test.Count} held-out DNA sequences of 20-60 bases; half contain {MotifData.DefaultMotif}.");
Console.WriteLine($"e.g. {train[1].Sequence} (label {train[1].Label})");

bool ok = true;
foreach (var (name, make) in new (string, Func<ISequenceModel>)[]
{
    ("Conv1d (one-hot -> Conv1d(4, 32, 9) -> ReLU -> max over positions -> Linear(32, 2))", () => new ConvModel()),
    ("BiLSTM (one-hot -> bidirectional LSTM(4, 32) -> final states -> Linear(64, 2))", () => new BiLstmModel()),
})
{
    Torch.ManualSeed(1);
    Console.WriteLine(name);
    double accuracy = MotifTraining.TrainAndEvaluate(make(), train, test, epochs, log: Console.Out);
    Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{name.Split(' ')[0]}: held-out accuracy {accuracy * 100:0.00}% (target >= {target * 100:0}%)"));
    ok &= accuracy >= target;
}
return ok ? 0 : 1;
