using Dendrite.Backends;
using ILGPU;
using ILGPU.Algorithms;

namespace Dendrite.Gpu.Kernels;

/// <summary><see cref="RecurrentStep"/>'s buffers as views (placeholders where the step has none) and its sizes.</summary>
internal struct StepArgs
{
    public ArrayView<float> Mask, Gates, Output, H, C, TanhC, HiddenProjection, HiddenProjectionN, CellIn, HiddenIn,
        Dh, DhNext, Dc, DGates, DGatesHidden;
    public Flag HasMask;
    public RecurrentCell Cell;
    public int Steps, Batch, Hidden, Directions, Direction, Time, GateCount;

    public readonly bool Present(int n) => !HasMask || Mask[n * Steps + Time] != 0f;

    public readonly int OutputStart(int n) => ((Time * Batch + n) * Directions + Direction) * Hidden;
}

/// <summary>
/// One thread per (batch row n, hidden unit j), the reference's formulas (PyTorch's gate layouts: LSTM i, f, g, o;
/// GRU r, z, n with "reset after"); gates are overwritten with their activations, which the backward step reads.
/// </summary>
internal static partial class GpuKernels
{
    public static void RecurrentForward(Index1D t, StepArgs s)
    {
        int hs = s.Hidden, n = t / hs, j = t % hs, gh = s.GateCount * hs;
        int y = s.OutputStart(n);
        if (!s.Present(n))
        {
            s.Output[y + j] = 0f;
            return;
        }
        int row = s.Time * s.Batch + n, at = row * gh, unit = n * hs + j;
        if (s.Cell == RecurrentCell.Lstm)
        {
            double i = KernelMath.Sigmoid(s.Gates[at + j]);
            double f = KernelMath.Sigmoid(s.Gates[at + hs + j]);
            double g = XMath.Tanh((double)s.Gates[at + 2 * hs + j]);
            double o = KernelMath.Sigmoid(s.Gates[at + 3 * hs + j]);
            double c = f * s.C[unit] + i * g;
            double tanhC = XMath.Tanh(c);
            s.Gates[at + j] = (float)i;
            s.Gates[at + hs + j] = (float)f;
            s.Gates[at + 2 * hs + j] = (float)g;
            s.Gates[at + 3 * hs + j] = (float)o;
            s.C[unit] = (float)c;
            s.TanhC[row * hs + j] = (float)tanhC;
            s.H[unit] = (float)(o * tanhC);
        }
        else if (s.Cell == RecurrentCell.Gru)
        {
            int hp = n * gh;
            double r = KernelMath.Sigmoid(s.Gates[at + j] + (double)s.HiddenProjection[hp + j]);
            double z = KernelMath.Sigmoid(s.Gates[at + hs + j] + (double)s.HiddenProjection[hp + hs + j]);
            double candidate = XMath.Tanh(s.Gates[at + 2 * hs + j] + r * s.HiddenProjection[hp + 2 * hs + j]);
            s.HiddenProjectionN[row * hs + j] = s.HiddenProjection[hp + 2 * hs + j];
            s.Gates[at + j] = (float)r;
            s.Gates[at + hs + j] = (float)z;
            s.Gates[at + 2 * hs + j] = (float)candidate;
            s.H[unit] = (float)((1 - z) * candidate + z * s.H[unit]);
        }
        else
        {
            double pre = s.Gates[at + j];
            double state = s.Cell == RecurrentCell.RnnRelu ? XMath.Max(pre, 0.0) : XMath.Tanh(pre);
            s.Gates[at + j] = (float)state;
            s.H[unit] = (float)state;
        }
        s.Output[y + j] = s.H[unit];
    }

    /// <summary>Output = the output's gradient; see <see cref="RecurrentStep"/> for the rest.</summary>
    public static void RecurrentBackward(Index1D t, StepArgs s)
    {
        int hs = s.Hidden, n = t / hs, j = t % hs, gh = s.GateCount * hs;
        int row = s.Time * s.Batch + n, at = row * gh, unit = n * hs + j;
        if (!s.Present(n))
        {
            // The padded step passed the state through, so its gradient passes through; its output was a constant.
            for (int k = j; k < gh; k += hs)
            {
                s.DGates[at + k] = 0f;
                if (s.Cell == RecurrentCell.Gru) s.DGatesHidden[at + k] = 0f;
            }
            s.DhNext[unit] = s.Dh[unit];
            return;
        }
        double dht = (double)s.Dh[unit] + s.Output[s.OutputStart(n) + j];
        if (s.Cell == RecurrentCell.Lstm)
        {
            double i = s.Gates[at + j], f = s.Gates[at + hs + j], g = s.Gates[at + 2 * hs + j], o = s.Gates[at + 3 * hs + j];
            double tanhC = s.TanhC[row * hs + j];
            double cPrev = s.CellIn[row * hs + j];
            double dc = s.Dc[unit] + dht * o * (1 - tanhC * tanhC);
            s.DGates[at + j] = (float)(dc * g * i * (1 - i));
            s.DGates[at + hs + j] = (float)(dc * cPrev * f * (1 - f));
            s.DGates[at + 2 * hs + j] = (float)(dc * i * (1 - g * g));
            s.DGates[at + 3 * hs + j] = (float)(dht * tanhC * o * (1 - o));
            s.Dc[unit] = (float)(dc * f);
            s.DhNext[unit] = 0f;
        }
        else if (s.Cell == RecurrentCell.Gru)
        {
            double r = s.Gates[at + j], z = s.Gates[at + hs + j], candidate = s.Gates[at + 2 * hs + j];
            double hpN = s.HiddenProjectionN[row * hs + j];
            double hPrev = s.HiddenIn[row * hs + j];
            double dn = dht * (1 - z) * (1 - candidate * candidate);
            double dz = dht * (hPrev - candidate) * z * (1 - z);
            double dr = dn * hpN * r * (1 - r);
            s.DGates[at + j] = (float)dr;
            s.DGates[at + hs + j] = (float)dz;
            s.DGates[at + 2 * hs + j] = (float)dn;
            s.DGatesHidden[at + j] = (float)dr;
            s.DGatesHidden[at + hs + j] = (float)dz;
            s.DGatesHidden[at + 2 * hs + j] = (float)(dn * r);
            s.DhNext[unit] = (float)(dht * z);
        }
        else
        {
            double state = s.Gates[at + j];
            bool relu = s.Cell == RecurrentCell.RnnRelu;
            s.DGates[at + j] = (float)(relu ? (state > 0 ? dht : 0) : dht * (1 - state * state));
            s.DhNext[unit] = 0f;
        }
    }
}
