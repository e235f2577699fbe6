namespace Dendrite.Backends.Reference;

/// <remarks>
/// Per batch row n at step t (H hidden units, unit j), PyTorch's gate layouts:
/// LSTM gates [4H] = i, f, g, o: c ← σ(f)·c + σ(i)·tanh(g), h ← σ(o)·tanh(c).
/// GRU gates [3H] = r, z, n from the input, hp [3H] = W_hh·h + b_hh: r = σ(x_r + hp_r), z = σ(x_z + hp_z),
/// n = tanh(x_n + r·hp_n) ("reset after"), h ← (1 − z)·n + z·h.
/// RNN gates [H]: h ← tanh or relu of the pre-activation.
/// Gates are overwritten with their activations (RNN: h), which the backward step reads.
/// </remarks>
public sealed partial class ReferenceBackend
{
    private static bool Present(in RecurrentStep s, int n) =>
        s.Mask is null || Values(s.Mask)[n * s.Steps + s.Time] != 0f;

    /// <summary>Where row n's output of this step and direction starts in the packed output [T, N, D·H].</summary>
    private static int OutputStart(in RecurrentStep s, int n) =>
        ((s.Time * s.Batch + n) * s.Directions + s.Direction) * s.Hidden;

    public override void RecurrentForwardStep(in RecurrentStep s)
    {
        int hs = s.Hidden;
        int gh = s.GateWidth;
        var gates = Values(s.Gates);
        var output = Values(s.Output);
        var h = Values(s.H!);
        for (int n = 0; n < s.Batch; n++)
        {
            int y = OutputStart(s, n);
            if (!Present(s, n))
            {
                // A padded step keeps the state and outputs 0.
                for (int j = 0; j < hs; j++) output[y + j] = 0f;
                continue;
            }
            int row = s.Time * s.Batch + n;
            int at = row * gh;
            for (int j = 0; j < hs; j++)
            {
                int unit = n * hs + j;
                switch (s.Cell)
                {
                    case RecurrentCell.Lstm:
                        double i = Sigmoid(gates[at + j]);
                        double f = Sigmoid(gates[at + hs + j]);
                        double g = Math.Tanh(gates[at + 2 * hs + j]);
                        double o = Sigmoid(gates[at + 3 * hs + j]);
                        double c = f * Values(s.C!)[unit] + i * g;
                        double tanhC = Math.Tanh(c);
                        gates[at + j] = (float)i;
                        gates[at + hs + j] = (float)f;
                        gates[at + 2 * hs + j] = (float)g;
                        gates[at + 3 * hs + j] = (float)o;
                        Values(s.C!)[unit] = (float)c;
                        Values(s.TanhC!)[row * hs + j] = (float)tanhC;
                        h[unit] = (float)(o * tanhC);
                        break;
                    case RecurrentCell.Gru:
                        var hp = Values(s.HiddenProjection!).Slice(n * gh, gh);
                        double r = Sigmoid(gates[at + j] + (double)hp[j]);
                        double z = Sigmoid(gates[at + hs + j] + (double)hp[hs + j]);
                        double candidate = Math.Tanh(gates[at + 2 * hs + j] + r * hp[2 * hs + j]);
                        Values(s.HiddenProjectionN!)[row * hs + j] = hp[2 * hs + j];
                        gates[at + j] = (float)r;
                        gates[at + hs + j] = (float)z;
                        gates[at + 2 * hs + j] = (float)candidate;
                        h[unit] = (float)((1 - z) * candidate + z * h[unit]);
                        break;
                    default:
                        double pre = gates[at + j];
                        double state = s.Cell == RecurrentCell.RnnRelu ? Math.Max(pre, 0) : Math.Tanh(pre);
                        gates[at + j] = (float)state;
                        h[unit] = (float)state;
                        break;
                }
                output[y + j] = h[unit];
            }
        }
    }

    public override void RecurrentBackwardStep(in RecurrentStep s)
    {
        int hs = s.Hidden;
        int gh = s.GateWidth;
        var gates = Values(s.Gates);
        var dOutput = Values(s.Output);
        var dh = Values(s.Dh!);
        var dhNext = Values(s.DhNext!);
        var dGates = Values(s.DGates!);
        for (int n = 0; n < s.Batch; n++)
        {
            int row = s.Time * s.Batch + n;
            int at = row * gh;
            if (!Present(s, n))
            {
                // The padded step passed the state through, so its gradient passes through; its output was a constant.
                for (int k = 0; k < gh; k++) dGates[at + k] = 0f;
                if (s.Cell == RecurrentCell.Gru)
                    for (int k = 0; k < gh; k++) Values(s.DGatesHidden!)[at + k] = 0f;
                for (int j = 0; j < hs; j++) dhNext[n * hs + j] = dh[n * hs + j];
                continue;
            }
            int y = OutputStart(s, n);
            for (int j = 0; j < hs; j++)
            {
                int unit = n * hs + j;
                // The state's gradient from later steps plus this step's output gradient.
                double dht = (double)dh[unit] + dOutput[y + j];
                switch (s.Cell)
                {
                    case RecurrentCell.Lstm:
                    {
                        double i = gates[at + j];
                        double f = gates[at + hs + j];
                        double g = gates[at + 2 * hs + j];
                        double o = gates[at + 3 * hs + j];
                        double tanhC = Values(s.TanhC!)[row * hs + j];
                        double cPrev = Values(s.CellIn!)[row * hs + j];
                        // h = o·tanh(c): dc gains dh·o·(1 − tanh²c); c = f·c_prev + i·g passes dc·f back.
                        double dc = Values(s.Dc!)[unit] + dht * o * (1 - tanhC * tanhC);
                        dGates[at + j] = (float)(dc * g * i * (1 - i));
                        dGates[at + hs + j] = (float)(dc * cPrev * f * (1 - f));
                        dGates[at + 2 * hs + j] = (float)(dc * i * (1 - g * g));
                        dGates[at + 3 * hs + j] = (float)(dht * tanhC * o * (1 - o));
                        Values(s.Dc!)[unit] = (float)(dc * f);
                        dhNext[unit] = 0f;
                        break;
                    }
                    case RecurrentCell.Gru:
                    {
                        double r = gates[at + j];
                        double z = gates[at + hs + j];
                        double candidate = gates[at + 2 * hs + j];
                        double hpN = Values(s.HiddenProjectionN!)[row * hs + j];
                        double hPrev = Values(s.HiddenIn!)[row * hs + j];
                        // h = (1 − z)·n + z·h_prev; n = tanh(x_n + r·hp_n).
                        double dn = dht * (1 - z) * (1 - candidate * candidate);
                        double dz = dht * (hPrev - candidate) * z * (1 - z);
                        double dr = dn * hpN * r * (1 - r);
                        dGates[at + j] = (float)dr;
                        dGates[at + hs + j] = (float)dz;
                        dGates[at + 2 * hs + j] = (float)dn;
                        var dHidden = Values(s.DGatesHidden!);
                        dHidden[at + j] = (float)dr;
                        dHidden[at + hs + j] = (float)dz;
                        dHidden[at + 2 * hs + j] = (float)(dn * r);
                        // The direct path through z·h_prev; the product through W_hh is added by the caller.
                        dhNext[unit] = (float)(dht * z);
                        break;
                    }
                    default:
                    {
                        double state = gates[at + j];
                        bool relu = s.Cell == RecurrentCell.RnnRelu;
                        dGates[at + j] = (float)(relu ? (state > 0 ? dht : 0) : dht * (1 - state * state));
                        dhNext[unit] = 0f;
                        break;
                    }
                }
            }
        }
    }
}
