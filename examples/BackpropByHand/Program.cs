// Target: the hand-written gradients agree with autograd within 1e-4 (relative), GradCheck passes, and the network
// reaches >= 95% MNIST test accuracy within 3 epochs; exit code 1 otherwise.
// Usage: dotnet run --project examples/BackpropByHand -c Release [-- --epochs N]
using System.Globalization;
using Dendrite.Data;

namespace Dendrite.Examples.BackpropByHand;

internal static class Program
{
    private const int Hidden = 100;

    private static int Main(string[] args)
    {
        int epochs = 3;
        if (args.Length == 2 && args[0] == "--epochs" && int.TryParse(args[1], out int n) && n >= 1) epochs = n;
        else if (args.Length != 0)
        {
            Console.Error.WriteLine("BackpropByHand: usage: [--epochs N (>= 1)]");
            return 2;
        }
        var c = CultureInfo.InvariantCulture;
        var (train, test) = Mnist.Load();

        Console.WriteLine("1. Hand-written delta rule vs Dendrite autograd, same weights, a batch of 64 training images:");
        var probe = new HandMlp(784, Hidden, 10, new Generator(1));
        var batch = Enumerable.Range(0, 64).ToArray();
        var (differences, handCost, autoCost) = BackpropByHandExample.CompareWithAutograd(probe, train, batch);
        string[] names = ["Θ¹ (W1)", "b¹", "Θ² (W2)", "b²"];
        for (int p = 0; p < 4; p++) Console.WriteLine(string.Create(c, $"   {names[p],-8} max|hand - autograd| / max|autograd| = {differences[p]:0.0e+0}"));
        Console.WriteLine(string.Create(c, $"   cost: hand {handCost:0.000000}, autograd {autoCost:0.000000}"));
        double largest = differences.Max();

        Console.WriteLine("2. GradCheck (central differences) on the hand-written backward, 784-8-10 net, 4 images:");
        var small = new HandMlp(784, 8, 10, new Generator(2));
        var check = BackpropByHandExample.CheckWithFiniteDifferences(small, train, [0, 1, 2, 3]);
        Console.WriteLine("   " + check.Report.ReplaceLineEndings("\n   ").TrimEnd());

        Console.WriteLine($"3. Training 784-{Hidden}-10 (sigmoid) with the hand-written backprop: batch 10, lr 0.5, {epochs} epochs");
        var net = new HandMlp(784, Hidden, 10, new Generator(1));
        var results = BackpropByHandExample.Train(net, train, test, epochs, log: Console.Out);
        double best = results.Take(3).Max(r => r.TestAccuracy);

        Console.WriteLine(string.Create(c,
            $"Largest relative gradient difference vs autograd: {largest:0.0e+0} (target <= 1e-4); GradCheck {(check.Passed ? "passed" : "FAILED")}; test accuracy {results[^1].TestAccuracy * 100:0.00}% after {epochs} epochs (target >= 95% within 3)"));
        return largest <= 1e-4 && check.Passed && best >= 0.95 ? 0 : 1;
    }
}
