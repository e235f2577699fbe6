// Target: reproduces the lecture's losses 0.019 (a = 0.4) and 0.004 (a = 0.9) and descends to a loss below 1e-6;
// exit code 1 otherwise.
using System.Globalization;

namespace Dendrite.Examples.LinearNeuron;

internal static class Program
{
    private static int Main()
    {
        var c = CultureInfo.InvariantCulture;
        Console.WriteLine(string.Create(c,
            $"The simplest neuron: y = a·x + b, one training point x = {LinearNeuronExample.X}, y = {LinearNeuronExample.Y}, bias b = {LinearNeuronExample.B}"));
        Console.WriteLine("Loss L(a) = (y - (a·x + b))² for a few weights:");
        foreach (float a in new[] { 0.4f, 0.9f, 1.4f, LinearNeuronExample.BestA })
        {
            float loss = LinearNeuronExample.Loss(a);
            Console.WriteLine(string.Create(c,
                $"  a = {a,6:0.000}  prediction {a * LinearNeuronExample.X + LinearNeuronExample.B:0.0000}  loss {loss:0.000000}  (lecture: {LinearNeuronExample.LectureRounding(loss):0.000})"));
        }

        Console.WriteLine();
        Console.WriteLine("Gradient descent from a = 0.4, learning rate 10 (dL/da by autograd):");
        var trace = LinearNeuronExample.Descend();
        foreach (var s in trace)
            Console.WriteLine(string.Create(c,
                $"  step {s.Step,2}: a = {s.A:0.00000}  loss {s.Loss:0.000000}  dL/da = {s.Gradient,9:0.000000}  → a = {s.NextA:0.00000}"));
        float final = LinearNeuronExample.Loss(trace[^1].NextA);
        Console.WriteLine(string.Create(c, $"Final: a = {trace[^1].NextA:0.00000} (best {LinearNeuronExample.BestA:0.00000}), loss {final:0.0e+0}"));

        bool lecture = LinearNeuronExample.LectureRounding(LinearNeuronExample.Loss(0.4f)) == 0.019
            && LinearNeuronExample.LectureRounding(LinearNeuronExample.Loss(0.9f)) == 0.004;
        Console.WriteLine($"Lecture numbers 0.019 and 0.004 reproduced: {(lecture ? "yes" : "NO")}");
        return lecture && final < 1e-6f ? 0 : 1;
    }
}
