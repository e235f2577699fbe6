using Dendrite.Backends.Cpu;

namespace Dendrite.Tests.Kernels;

/// <summary>The CPU's fused LSTM cell pass against the formulas evaluated in double precision.</summary>
public class RecurrentCellTests
{
    /// <summary>Every instruction set: AVX-512's 16-lane pass, AVX2's 8-lane one, the scalar one (portable and tails).</summary>
    public static TheoryData<string, int> Cases()
    {
        var data = new TheoryData<string, int>();
        foreach (var isa in Enum.GetNames<CpuIsa>())
            foreach (int hidden in new[] { 128, 13, 3, 24 }) // whole vectors; vectors and a tail; the tail alone; 16 + 8
                data.Add(isa, hidden);
        return data;
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void The_fused_LSTM_step_gives_the_gates_the_cell_and_the_state_of_the_formulas(string isa, int hidden)
    {
        var random = new Random(3);
        // Pre-activations from tiny to saturating, both signs: where e^x overflows or vanishes the gates must still be
        // exactly 0, 1 or ±1.
        float[] special = [0f, 1e-6f, -1e-6f, 0.01f, -0.2f, 0.2499f, 0.25f, -0.3f, 8f, -8f, 50f, -50f, 100f, -100f];
        var gates = new float[4 * hidden];
        for (int k = 0; k < gates.Length; k++)
            gates[k] = k % 3 == 0 ? special[k / 3 % special.Length] : (float)(random.NextDouble() * 12 - 6);
        var c = Enumerable.Range(0, hidden).Select(_ => (float)(random.NextDouble() * 4 - 2)).ToArray();
        var (pre, cPrev) = ((float[])gates.Clone(), (float[])c.Clone());
        var tanhC = new float[hidden];
        var h = new float[hidden];

        RecurrentCells.LstmForward(gates, c, tanhC, h, Enum.Parse<CpuIsa>(isa));

        static double Sigmoid(double x) => 1 / (1 + Math.Exp(-x));
        for (int j = 0; j < hidden; j++)
        {
            double i = Sigmoid(pre[j]), f = Sigmoid(pre[hidden + j]), g = Math.Tanh(pre[2 * hidden + j]);
            double o = Sigmoid(pre[3 * hidden + j]);
            double cell = f * cPrev[j] + i * g, t = Math.Tanh(c[j]); // tanh of the cell as stored
            Assert.Equal(i, gates[j], 3e-7);
            Assert.Equal(f, gates[hidden + j], 3e-7);
            Assert.Equal(g, gates[2 * hidden + j], 4e-7 * Math.Abs(g) + 1e-30); // relative: small g keeps its digits
            Assert.Equal(o, gates[3 * hidden + j], 3e-7);
            Assert.Equal(cell, c[j], 1e-6);
            Assert.Equal(t, tanhC[j], 4e-7 * Math.Abs(t) + 1e-30);
            Assert.Equal(o * t, h[j], 1e-6);
            Assert.Equal(Math.Tanh(cell), tanhC[j], 2e-6);
        }
        // Saturation is exact: the g gate at ±50 and ±100 is ±1, a sigmoid gate at 50 or 100 is 1, at −100 it is 0.
        for (int k = 0; k < 4 * hidden; k++)
        {
            if (MathF.Abs(pre[k]) < 50f) continue;
            if (k / hidden == 2) Assert.Equal(MathF.Sign(pre[k]), gates[k]);
            else if (pre[k] > 0f || pre[k] < -90f) Assert.Equal(pre[k] > 0f ? 1f : 0f, gates[k]); // e^100 overflows to ∞
        }
    }
}
