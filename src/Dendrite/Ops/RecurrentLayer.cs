using System.Numerics.Tensors;
using Dendrite.Autograd;
using Dendrite.Kernels;

namespace Dendrite;

/// <summary>The recurrent cells of <see cref="F.RNN"/>, <see cref="F.LSTM"/> and <see cref="F.GRU"/>.</summary>
internal enum RecurrentCell { RnnTanh, RnnRelu, Lstm, Gru }

/// <summary>
/// One layer of a recurrent network, all its directions, over a whole sequence, recorded as ONE tape node with a
/// hand-written backpropagation through time (not one node per elementwise op per step).
/// </summary>
/// <remarks>
/// Layouts (T steps, N batch, I input, H hidden, G gates: 1 RNN, 4 LSTM, 3 GRU, D directions):
/// x [T, N, I]; per direction W_ih [G·H, I], W_hh [G·H, H], b_ih and b_hh [G·H]; mask [N, T] (1 = step present).
/// The node's output packs, flat: y [T, N, D·H], then h_n [D, N, H], then (LSTM) c_n [D, N, H].
/// Forward per direction: the input projection of all T steps is one GEMM; each step is one GEMM for all gates
/// (W_hh·h, accumulated onto the projection) and one fused pass over the row (<see cref="RecurrentCells"/>).
/// Backward per direction: each step is one fused pass and one GEMM (dh_prev = dGates·W_hh); the weight gradients,
/// bias gradients and dx are then single GEMMs or sums over all T·N rows.
/// A masked step (mask 0) leaves the state as it was and outputs 0, so padding changes nothing, in either direction.
/// </remarks>
internal sealed class RecurrentLayer
{
    private readonly RecurrentCell _cell;
    private readonly int _steps, _batch, _inputSize, _hidden, _directions, _gateWidth;
    private readonly bool _hasBias;
    private readonly float[]? _mask;
    private readonly Tensor _x;
    private readonly Tensor[] _weights;

    // Saved for the backward, per direction, indexed by time (not by processing order).
    private readonly Tensor[] _gates;   // [T, N, G·H] gate activations (RNN: h_t)
    private readonly Tensor[] _hIn;     // [T, N, H] the state entering step t
    private readonly Tensor?[] _cIn;    // LSTM [T, N, H]: the cell entering step t
    private readonly Tensor?[] _tanhC;  // LSTM [T, N, H]: tanh of the cell after step t
    private readonly Tensor?[] _hpN;    // GRU [T, N, H]: W_hn·h + b_hn

    // The step the row workers are on (set before each parallel pass).
    private int _t, _dir;
    private Span<float> Packed => _packed!.Data;
    private Tensor? _packed, _h, _c, _hp, _dPacked, _dh, _dhNext, _dc, _dG, _dGh;
    private readonly Action<int> _forwardRows, _backwardRows;
    private readonly int _chunks;

    // Without h0 the first step of each direction starts from h = 0: its W_hh product is zero and is skipped, and so
    // are the gradient of that zero state and its rows in dW_hh (1/T of the recurrent GEMM work each way).
    private bool _zeroInitialState;

    private RecurrentLayer(RecurrentCell cell, Tensor x, Tensor[] weights, int directions, int hidden, bool hasBias, float[]? mask)
    {
        (_cell, _x, _weights, _directions, _hidden, _hasBias, _mask) = (cell, x, weights, directions, hidden, hasBias, mask);
        (_steps, _batch, _inputSize) = (x.Shape[0], x.Shape[1], x.Shape[2]);
        _gateWidth = GateCount(cell) * hidden;
        _gates = new Tensor[directions];
        _hIn = new Tensor[directions];
        _cIn = new Tensor?[directions];
        _tanhC = new Tensor?[directions];
        _hpN = new Tensor?[directions];
        _forwardRows = ForwardRows;
        _backwardRows = BackwardRows;
        // The fused row pass is cheap next to the step's GEMM; split it only when each thread gets real work.
        _chunks = _batch * hidden >= 8192 ? Math.Min(Threading.NumThreads, _batch) : 1;
    }

    public static int GateCount(RecurrentCell cell) => cell switch
    {
        RecurrentCell.Lstm => 4,
        RecurrentCell.Gru => 3,
        _ => 1,
    };

    private int ParamsPerDirection => _hasBias ? 4 : 2;
    private Tensor WeightIh(int d) => _weights[d * ParamsPerDirection];
    private Tensor WeightHh(int d) => _weights[d * ParamsPerDirection + 1];
    private Tensor? BiasIh(int d) => _hasBias ? _weights[d * ParamsPerDirection + 2] : null;
    private Tensor? BiasHh(int d) => _hasBias ? _weights[d * ParamsPerDirection + 3] : null;
    private bool Present(int n, int t) => _mask is null || _mask[n * _steps + t] != 0f;

    /// <summary>
    /// Runs the layer and records it: x [T, N, I], h0 and c0 [D, N, H] or null (zeros), weights W_ih, W_hh, b_ih, b_hh
    /// per direction (biases optional); returns the packed output described on the class.
    /// </summary>
    public static Tensor Apply(string op, RecurrentCell cell, Tensor x, Tensor? h0, Tensor? c0, Tensor[] weights,
        int directions, int hidden, bool hasBias, float[]? mask)
    {
        var layer = new RecurrentLayer(cell, x, weights, directions, hidden, hasBias, mask);
        var packed = layer.Forward(h0, c0);
        var inputs = new List<Tensor> { x };
        if (h0 is not null) inputs.Add(h0);
        if (c0 is not null) inputs.Add(c0);
        inputs.AddRange(weights);
        return Tape.Record(packed, op, [.. inputs], dPacked =>
        {
            var (dx, dh0, dc0, dWeights) = layer.Backward(dPacked, h0 is not null && h0.RequiresGrad, c0 is not null && c0.RequiresGrad);
            var grads = new List<Tensor?> { dx };
            if (h0 is not null) grads.Add(dh0);
            if (c0 is not null) grads.Add(dc0);
            grads.AddRange(dWeights);
            return [.. grads];
        });
    }

    private int OutputLength => _steps * _batch * _directions * _hidden;
    private int StateLength => _directions * _batch * _hidden;

    private Tensor Forward(Tensor? h0, Tensor? c0)
    {
        int rows = _steps * _batch, gh = _gateWidth, nh = _batch * _hidden;
        bool lstm = _cell == RecurrentCell.Lstm, gru = _cell == RecurrentCell.Gru;
        _packed = Tensor.Empty(OutputLength + StateLength * (lstm ? 2 : 1));
        _h = Tensor.Empty(nh);
        _c = lstm ? Tensor.Empty(nh) : null;
        _hp = gru ? Tensor.Empty(_batch * gh) : null;
        var biasRow = _hasBias ? new float[gh] : null;
        _zeroInitialState = h0 is null;
        for (int d = 0; d < _directions; d++)
        {
            _dir = d;
            var gates = _gates[d] = Tensor.Empty(rows * gh);
            _hIn[d] = Tensor.Empty(rows * _hidden);
            if (lstm)
            {
                _cIn[d] = Tensor.Empty(rows * _hidden);
                _tanhC[d] = Tensor.Empty(rows * _hidden);
            }
            if (gru) _hpN[d] = Tensor.Empty(rows * _hidden);

            // The input projection of every step at once; b_hh joins b_ih except for GRU, whose n gate needs it apart.
            if (biasRow is not null)
            {
                BiasIh(d)!.Data.CopyTo(biasRow);
                if (!gru) TensorPrimitives.Add(biasRow, BiasHh(d)!.Data, biasRow);
                var g = gates.Data;
                for (int r = 0; r < rows; r++) biasRow.CopyTo(g.Slice(r * gh, gh));
            }
            Gemm.Multiply(false, true, rows, gh, _inputSize, _x.Data, _inputSize, WeightIh(d).Data, _inputSize,
                gates.Data, gh, accumulate: biasRow is not null);

            if (h0 is null) _h.Data.Clear();
            else h0.Data.Slice(d * nh, nh).CopyTo(_h.Data);
            if (_c is not null)
            {
                if (c0 is null) _c.Data.Clear();
                else c0.Data.Slice(d * nh, nh).CopyTo(_c.Data);
            }

            for (int k = 0; k < _steps; k++)
            {
                int t = d == 1 ? _steps - 1 - k : k;
                _t = t;
                _h.Data.CopyTo(_hIn[d].Data.Slice(t * nh, nh));
                if (_c is not null) _c.Data.CopyTo(_cIn[d]!.Data.Slice(t * nh, nh));
                bool fromZero = k == 0 && _zeroInitialState;
                if (_hp is not null)
                {
                    var hp = _hp.Data;
                    if (_hasBias) for (int n = 0; n < _batch; n++) BiasHh(d)!.Data.CopyTo(hp.Slice(n * gh, gh));
                    else if (fromZero) hp.Clear();
                    if (!fromZero)
                        Gemm.Multiply(false, true, _batch, gh, _hidden, _h.Data, _hidden, WeightHh(d).Data, _hidden, hp, gh, accumulate: _hasBias);
                }
                else if (!fromZero)
                {
                    Gemm.Multiply(false, true, _batch, gh, _hidden, _h.Data, _hidden, WeightHh(d).Data, _hidden,
                        gates.Data.Slice(t * _batch * gh, _batch * gh), gh, accumulate: true);
                }
                Threading.For(_chunks, _forwardRows, parallel: _chunks > 1);
            }
            _h.Data.CopyTo(Packed.Slice(OutputLength + d * nh, nh));
            if (_c is not null) _c.Data.CopyTo(Packed.Slice(OutputLength + StateLength + d * nh, nh));
        }
        return _packed;
    }

    private (int Start, int End) RowRange(int chunk) =>
        (chunk * _batch / _chunks, (chunk + 1) * _batch / _chunks);

    private void ForwardRows(int chunk)
    {
        var (start, end) = RowRange(chunk);
        int t = _t, d = _dir, hs = _hidden, gh = _gateWidth;
        var gates = _gates[d].Data;
        var packed = Packed;
        var h = _h!.Data;
        for (int n = start; n < end; n++)
        {
            var y = packed.Slice(((t * _batch + n) * _directions + d) * hs, hs);
            if (!Present(n, t))
            {
                y.Clear(); // a padded step outputs 0 and keeps the state
                continue;
            }
            int row = t * _batch + n;
            var g = gates.Slice(row * gh, gh);
            var hRow = h.Slice(n * hs, hs);
            switch (_cell)
            {
                case RecurrentCell.Lstm:
                    RecurrentCells.LstmForward(g, _c!.Data.Slice(n * hs, hs), _tanhC[d]!.Data.Slice(row * hs, hs), hRow);
                    break;
                case RecurrentCell.Gru:
                    RecurrentCells.GruForward(g, _hp!.Data.Slice(n * gh, gh), _hpN[d]!.Data.Slice(row * hs, hs), hRow);
                    break;
                default:
                    RecurrentCells.RnnForward(g, _cell == RecurrentCell.RnnRelu, hRow);
                    break;
            }
            hRow.CopyTo(y);
        }
    }

    private (Tensor? Dx, Tensor? Dh0, Tensor? Dc0, Tensor?[] DWeights) Backward(Tensor dPacked, bool needH0, bool needC0)
    {
        int rows = _steps * _batch, gh = _gateWidth, nh = _batch * _hidden;
        bool lstm = _cell == RecurrentCell.Lstm, gru = _cell == RecurrentCell.Gru;
        _dPacked = dPacked;
        _dh = Tensor.Empty(nh);
        _dhNext = Tensor.Empty(nh);
        _dc = lstm ? Tensor.Empty(nh) : null;
        var dx = _x.RequiresGrad ? Tensor.Empty(_x.Shape) : null;
        var dh0 = needH0 ? Tensor.Empty(_directions, _batch, _hidden) : null;
        var dc0 = needC0 ? Tensor.Empty(_directions, _batch, _hidden) : null;
        var dWeights = new Tensor?[_weights.Length];
        var dp = dPacked.Data;
        for (int d = 0; d < _directions; d++)
        {
            _dir = d;
            _dG = Tensor.Empty(rows * gh);
            _dGh = gru ? Tensor.Empty(rows * gh) : _dG;
            dp.Slice(OutputLength + d * nh, nh).CopyTo(_dh.Data);
            if (_dc is not null) dp.Slice(OutputLength + StateLength + d * nh, nh).CopyTo(_dc.Data);

            // Against the direction of the forward pass: a forward direction walks back from T − 1.
            for (int k = 0; k < _steps; k++)
            {
                int t = d == 1 ? k : _steps - 1 - k;
                _t = t;
                Threading.For(_chunks, _backwardRows, parallel: _chunks > 1);
                if (k == _steps - 1 && dh0 is null) break; // what would flow on is the gradient of an h0 nobody asked for
                Gemm.Multiply(false, false, _batch, _hidden, gh, _dGh.Data.Slice(t * _batch * gh, _batch * gh), gh,
                    WeightHh(d).Data, _hidden, _dhNext.Data, _hidden, accumulate: true);
                (_dh, _dhNext) = (_dhNext, _dh);
            }
            if (dh0 is not null) _dh.Data.CopyTo(dh0.Data.Slice(d * nh, nh));
            if (dc0 is not null) _dc!.Data.CopyTo(dc0.Data.Slice(d * nh, nh));

            // Everything that does not feed the recurrence: one product or sum over all T·N rows.
            int p = d * ParamsPerDirection;
            if (_weights[p].RequiresGrad)
            {
                var dW = dWeights[p] = Tensor.Empty(WeightIh(d).Shape);
                Gemm.Multiply(true, false, gh, _inputSize, rows, _dG.Data, gh, _x.Data, _inputSize, dW.Data, _inputSize, accumulate: false);
            }
            if (_weights[p + 1].RequiresGrad)
            {
                var dW = dWeights[p + 1] = Tensor.Empty(WeightHh(d).Shape);
                // Rows of a zero initial state add nothing: the forward direction's step 0, the reverse one's step T − 1.
                int skip = _zeroInitialState ? _batch : 0, from = d == 0 ? skip : 0;
                Gemm.Multiply(true, false, gh, _hidden, rows - skip, _dGh.Data.Slice(from * gh), gh, _hIn[d].Data.Slice(from * _hidden),
                    _hidden, dW.Data, _hidden, accumulate: false);
            }
            if (_hasBias && _weights[p + 2].RequiresGrad) dWeights[p + 2] = ColumnSums(_dG, rows, gh);
            if (_hasBias && _weights[p + 3].RequiresGrad)
                dWeights[p + 3] = gru || dWeights[p + 2] is null ? ColumnSums(_dGh, rows, gh) : dWeights[p + 2]!.Clone();
            if (dx is not null)
                Gemm.Multiply(false, false, rows, _inputSize, gh, _dG.Data, gh, WeightIh(d).Data, _inputSize, dx.Data, _inputSize,
                    accumulate: d > 0);
        }
        return (dx, dh0, dc0, dWeights);
    }

    private void BackwardRows(int chunk)
    {
        var (start, end) = RowRange(chunk);
        int t = _t, d = _dir, hs = _hidden, gh = _gateWidth;
        var dp = _dPacked!.Data;
        var dh = _dh!.Data;
        var dhNext = _dhNext!.Data;
        var dG = _dG!.Data;
        var gates = _gates[d].Data;
        for (int n = start; n < end; n++)
        {
            int row = t * _batch + n;
            var dhRow = dh.Slice(n * hs, hs);
            var nextRow = dhNext.Slice(n * hs, hs);
            var dGRow = dG.Slice(row * gh, gh);
            if (!Present(n, t))
            {
                // A padded step passed the state through: so does its gradient. Its output was the constant 0.
                dGRow.Clear();
                if (_cell == RecurrentCell.Gru) _dGh!.Data.Slice(row * gh, gh).Clear();
                dhRow.CopyTo(nextRow);
                continue;
            }
            var dy = dp.Slice(((t * _batch + n) * _directions + d) * hs, hs);
            var g = gates.Slice(row * gh, gh);
            switch (_cell)
            {
                case RecurrentCell.Lstm:
                    RecurrentCells.LstmBackward(g, _cIn[d]!.Data.Slice(row * hs, hs), _tanhC[d]!.Data.Slice(row * hs, hs),
                        dhRow, dy, _dc!.Data.Slice(n * hs, hs), dGRow);
                    nextRow.Clear();
                    break;
                case RecurrentCell.Gru:
                    RecurrentCells.GruBackward(g, _hpN[d]!.Data.Slice(row * hs, hs), _hIn[d].Data.Slice(row * hs, hs),
                        dhRow, dy, dGRow, _dGh!.Data.Slice(row * gh, gh), nextRow);
                    break;
                default:
                    RecurrentCells.RnnBackward(g, _cell == RecurrentCell.RnnRelu, dhRow, dy, dGRow);
                    nextRow.Clear();
                    break;
            }
        }
    }

    private static Tensor ColumnSums(Tensor m, int rows, int cols)
    {
        var s = Tensor.Zeros(cols);
        var sd = s.Data;
        var md = m.Data;
        for (int r = 0; r < rows; r++) TensorPrimitives.Add(sd, md.Slice(r * cols, cols), sd);
        return s;
    }
}
