// Target: the perceptron learns "output = first input" exactly, fails on XOR, and the hidden-layer network gets XOR
// 4/4; exit code 1 otherwise.
using System.Globalization;

namespace Dendrite.Examples.Perceptrons;

internal static class Program
{
    private static int Main()
    {
        var inputs = PerceptronsExample.Inputs();

        var (first, firstMistakes) = PerceptronsExample.TrainPerceptron(PerceptronsExample.FirstInputTargets());
        Console.WriteLine("1. A perceptron (step threshold, perceptron rule) learns output = first input:");
        Console.WriteLine($"   mistakes per pass: {string.Join(", ", firstMistakes)}");
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"   weights ({first.Weights[0]}, {first.Weights[1]}), bias {first.Bias}"));
        int firstRight = PrintTable(inputs, PerceptronsExample.FirstInputTargets(), PerceptronsExample.Outputs(first));

        var (xor, xorMistakes) = PerceptronsExample.TrainPerceptron(PerceptronsExample.XorTargets(), maxEpochs: 100);
        Console.WriteLine();
        Console.WriteLine("2. The same perceptron on XOR never settles:");
        Console.WriteLine($"   mistakes per pass (first 10 of {xorMistakes.Count}): {string.Join(", ", xorMistakes.Take(10))}");
        int xorRight = PrintTable(inputs, PerceptronsExample.XorTargets(), PerceptronsExample.Outputs(xor));
        int bestLine = PerceptronsExample.BestSingleUnit(PerceptronsExample.XorTargets());
        Console.WriteLine($"   the best any single threshold unit can do on XOR: {bestLine}/4 (no straight line separates it)");

        Console.WriteLine();
        Console.WriteLine("3. A hidden layer with a non-linear activation: 2 → 4 sigmoid → 1 sigmoid, backpropagation:");
        int hiddenRight = PrintTable(inputs, PerceptronsExample.XorTargets(), PerceptronsExample.TrainHiddenLayerXor());
        Console.WriteLine("   and XOR wired by hand from three threshold units, (x1 OR x2) AND (x1 NAND x2):");
        PrintTable(inputs, PerceptronsExample.XorTargets(),
            inputs.Select(x => PerceptronsExample.HandWiredXor(x[0], x[1])).ToArray());

        Console.WriteLine();
        Console.WriteLine($"First input: {firstRight}/4; XOR, one layer: {xorRight}/4 (best possible {bestLine}/4); XOR, hidden layer: {hiddenRight}/4");
        return firstRight == 4 && bestLine < 4 && hiddenRight == 4 ? 0 : 1;
    }

    private static int PrintTable(float[][] inputs, int[] targets, int[] outputs)
    {
        Console.WriteLine("   x1 x2 | target | output");
        int right = 0;
        for (int i = 0; i < inputs.Length; i++)
        {
            Console.WriteLine($"    {inputs[i][0]}  {inputs[i][1]} |   {targets[i]}    |   {outputs[i]}{(outputs[i] == targets[i] ? "" : "  ✗")}");
            if (outputs[i] == targets[i]) right++;
        }
        return right;
    }
}
