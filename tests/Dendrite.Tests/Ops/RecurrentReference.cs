namespace Dendrite.Tests.Ops;

/// <summary>
/// A plain twin of F.RNN/LSTM/GRU built from primitive ops (Linear, Sigmoid, Tanh, ReLU, Mul, Add) one step at a
/// time, time-major, with the mask applied as h = m·h_new + (1 − m)·h_old. Autograd differentiates it op by op, so
/// it checks the fused forward and the hand-written backpropagation through time independently.
/// </summary>
internal static class RecurrentReference
{
    public static (Tensor Output, Tensor H, Tensor? C) Run(string cell, Tensor x, Tensor? h0, Tensor? c0, Tensor[] weights,
        int layers, bool bidirectional, Tensor? mask)
    {
        int steps = x.Shape[0], batch = x.Shape[1], directions = bidirectional ? 2 : 1;
        int gates = cell == "lstm" ? 4 : cell == "gru" ? 3 : 1;
        int hidden = weights[1].Shape[1];
        var input = x;
        var hs = new List<Tensor>();
        var cs = new List<Tensor>();
        for (int layer = 0; layer < layers; layer++)
        {
            var outputs = new Tensor[directions][];
            for (int d = 0; d < directions; d++)
            {
                int p = (layer * directions + d) * 4;
                var (wih, whh, bih, bhh) = (weights[p], weights[p + 1], weights[p + 2], weights[p + 3]);
                int s = layer * directions + d;
                var zeros = Tensor.Zeros(new Shape(batch, hidden), x.Device);
                var h = h0 is null ? zeros : F.Reshape(F.Slice(h0, s, 1), batch, hidden);
                var c = c0 is null ? zeros : F.Reshape(F.Slice(c0, s, 1), batch, hidden);
                outputs[d] = new Tensor[steps];
                for (int k = 0; k < steps; k++)
                {
                    int t = d == 1 ? steps - 1 - k : k;
                    var xt = F.Reshape(F.Slice(input, t, 1), batch, -1);
                    var xp = F.Linear(xt, wih, bih);
                    var hp = F.Linear(h, whh, bhh);
                    Tensor hNew, cNew = c;
                    switch (cell)
                    {
                        case "lstm":
                        {
                            var pre = F.Add(xp, hp);
                            var i = F.Sigmoid(Cols(pre, 0, hidden));
                            var f = F.Sigmoid(Cols(pre, 1, hidden));
                            var g = F.Tanh(Cols(pre, 2, hidden));
                            var o = F.Sigmoid(Cols(pre, 3, hidden));
                            cNew = F.Add(F.Mul(f, c), F.Mul(i, g));
                            hNew = F.Mul(o, F.Tanh(cNew));
                            break;
                        }
                        case "gru":
                        {
                            var r = F.Sigmoid(F.Add(Cols(xp, 0, hidden), Cols(hp, 0, hidden)));
                            var z = F.Sigmoid(F.Add(Cols(xp, 1, hidden), Cols(hp, 1, hidden)));
                            var n = F.Tanh(F.Add(Cols(xp, 2, hidden), F.Mul(r, Cols(hp, 2, hidden))));
                            hNew = F.Add(F.Mul(F.Add(F.Neg(z), 1f), n), F.Mul(z, h));
                            break;
                        }
                        case "rnn-relu":
                            hNew = F.ReLU(F.Add(xp, hp));
                            break;
                        default:
                            hNew = F.Tanh(F.Add(xp, hp));
                            break;
                    }
                    if (mask is null)
                    {
                        outputs[d][t] = hNew;
                        h = hNew;
                        c = cNew;
                    }
                    else
                    {
                        var m = Column(mask, t, batch);
                        outputs[d][t] = F.Mul(hNew, m);
                        h = Blend(hNew, h, m);
                        c = Blend(cNew, c, m);
                    }
                }
                hs.Add(h);
                cs.Add(c);
            }
            var perStep = Enumerable.Range(0, steps)
                .Select(t => directions == 1 ? outputs[0][t] : F.Cat([outputs[0][t], outputs[1][t]], 1)).ToArray();
            input = F.Stack(perStep, 0);
        }
        var hN = F.Stack([.. hs], 0);
        return (input, hN, cell == "lstm" ? F.Stack([.. cs], 0) : null);
    }

    /// <summary>Gate block k (columns k·H … (k+1)·H) of a [N, G·H] tensor, as a recorded op.</summary>
    private static Tensor Cols(Tensor t, int k, int hidden) =>
        F.Transpose(F.Slice(F.Transpose(t, 0, 1), k * hidden, hidden), 0, 1);

    /// <summary>mask[:, t] as a [N, 1] column.</summary>
    private static Tensor Column(Tensor mask, int t, int batch)
    {
        var m = Tensor.Empty(batch, 1);
        for (int n = 0; n < batch; n++) m.Data[n] = mask[n, t];
        return m.To(mask.Device);
    }

    private static Tensor Blend(Tensor updated, Tensor old, Tensor m) => F.Add(F.Mul(updated, m), F.Mul(old, F.Add(F.Neg(m), 1f)));
}
