// Target: on the held-out 20% (stratified) of the Wisconsin breast-cancer table, ROC AUC >= 0.99 and accuracy >= 96%;
// exit code 1 below either. The figures depend on which tumours land in the held-out 114: with this model, split and
// initialisation seeds 1-6 give ROC AUC 0.987-0.9997 and accuracy 96.5-99.1%; seed 5 is the one run here and tested.
// Usage: dotnet run --project examples/BreastCancer -c Release [-- --png confusion.png]
using System.Globalization;
using Dendrite.Examples.BreastCancer;

string? png = args.Length == 2 && args[0] == "--png" ? args[1] : null;
if (args.Length != 0 && png is null)
{
    Console.Error.WriteLine("BreastCancer: usage: [--png FILE]");
    return 2;
}
var result = BreastCancerStudy.Run(log: Console.Out, confusionPng: png);
Console.WriteLine(result.Confusion);
Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
    $"test ROC AUC {result.RocAuc:0.0000} (target >= 0.99), average precision {result.AveragePrecision:0.0000}, " +
    $"accuracy {result.Accuracy * 100:0.00}% (target >= 96%)"));
return result.RocAuc >= 0.99 && result.Accuracy >= 0.96 ? 0 : 1;
