// Target: on held-out signals whose beats sit at positions never seen in training, the Conv1d network finds >= 90% of
// the beats and beats the dense network by >= 50 points; exit code 1 otherwise.
// Usage: dotnet run --project examples/HeartbeatConv1d -c Release [-- [--seed N] [--epochs N]]
using System.Diagnostics;
using System.Globalization;

namespace Dendrite.Examples.HeartbeatConv1d;

internal static class Program
{
    private static int Main(string[] args)
    {
        ulong seed = 1;
        int epochs = 15;
        for (int i = 0; i < args.Length; i++)
        {
            if (args[i] == "--seed" && i + 1 < args.Length && ulong.TryParse(args[++i], out ulong s)) seed = s;
            else if (args[i] == "--epochs" && i + 1 < args.Length && int.TryParse(args[++i], out int n) && n >= 1) epochs = n;
            else
            {
                Console.Error.WriteLine($"HeartbeatConv1d: unexpected argument \"{args[i]}\". Usage: [--seed N] [--epochs N (>= 1)]");
                return 2;
            }
        }

        int length = HeartbeatExample.DefaultLength, half = length / 2;
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"Signals of {length} samples, noise σ = {HeartbeatExample.Noise}, beat [{string.Join(", ", HeartbeatExample.Beat)}]; " +
            $"training beats start at 0–{half - HeartbeatExample.Beat.Count}, unseen ones at {half}–{length - HeartbeatExample.Beat.Count}; seed {seed}"));
        var clock = Stopwatch.StartNew();
        var r = HeartbeatExample.Run(epochs: epochs, seed: seed, length: length);
        Console.WriteLine();
        Console.WriteLine("beat found at the right position    dense    Conv1d");
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"held out, positions seen in training  {r.DenseSeen * 100,6:0.0}%  {r.ConvSeen * 100,6:0.0}%"));
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"held out, positions never seen        {r.DenseUnseen * 100,6:0.0}%  {r.ConvUnseen * 100,6:0.0}%"));
        Console.WriteLine();
        bool ok = r.ConvUnseen >= 0.9 && r.ConvUnseen - r.DenseUnseen >= 0.5;
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"Unseen positions: Conv1d {r.ConvUnseen * 100:0.0}% vs dense {r.DenseUnseen * 100:0.0}% (target: Conv1d >= 90% and ahead by >= 50 points) in {clock.Elapsed.TotalSeconds:0.0}s"));
        return ok ? 0 : 1;
    }
}
