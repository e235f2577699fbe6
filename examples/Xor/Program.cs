// Target: the two-layer perceptron puts all four XOR outputs on the right side of 0.5; exit code 1 otherwise.
using System.Globalization;

namespace Dendrite.Examples.Xor;

internal static class Program
{
    private static int Main()
    {
        const ulong seed = 1;
        var inputs = XorExample.Inputs();
        var targets = XorExample.Targets();

        Console.WriteLine("Two-layer perceptron: Linear(2, 8), Tanh, Linear(8, 1), Sigmoid; BCE loss, Adam lr 0.05");
        float[] outputs = XorExample.Train(seed, log: Console.Out);
        PrintTable(inputs, targets, outputs);
        int correct = XorExample.CorrectCount(outputs);

        // The classic failure, for contrast: one layer is one straight line, and XOR needs two.
        float[] single = XorExample.TrainSingleLayer(seed);
        Console.WriteLine();
        Console.WriteLine("Single-layer perceptron (no hidden layer): Linear(2, 1), Sigmoid");
        PrintTable(inputs, targets, single);
        Console.WriteLine($"It gets {XorExample.CorrectCount(single)}/4 right: no straight line separates XOR.");

        Console.WriteLine();
        Console.WriteLine($"Two-layer perceptron: {correct}/4 correct (target 4/4)");
        return correct == 4 ? 0 : 1;
    }

    private static void PrintTable(Tensor inputs, Tensor targets, float[] outputs)
    {
        Console.WriteLine(" x1  x2 | target | output");
        for (int i = 0; i < outputs.Length; i++)
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $" {inputs[i, 0],2:0}  {inputs[i, 1],2:0} | {targets[i, 0],6:0} | {outputs[i],6:0.000}"));
    }
}
