using Dendrite.Autograd;
using Dendrite.Backends;

namespace Dendrite;

/// <summary>
/// One layer of a recurrent network, all its directions, over a whole sequence, recorded as ONE tape node with a
/// hand-written backpropagation through time (not one node per elementwise op per step).
/// </summary>
/// <remarks>
/// Layouts (T steps, N batch, I input, H hidden, G gates: 1 RNN, 4 LSTM, 3 GRU, D directions):
/// x [T, N, I]; per direction W_ih [G·H, I], W_hh [G·H, H], b_ih and b_hh [G·H]; mask [N, T] (1 = step present).
/// The node's output packs, flat: y [T, N, D·H], then h_n [D, N, H], then (LSTM) c_n [D, N, H].
/// Forward per direction: the backend runs the steps (<see cref="Backend.RecurrentForwardDirection"/>), given the input,
/// W_ih and the bias: by default the input projection of all T steps is one GEMM, then each step is one GEMM for all
/// gates (W_hh·h, accumulated onto the projection) and one fused pass over the row; the CPU projects each step's input
/// in the same product as W_hh·h. Backward per direction: the backend runs the steps back
/// (<see cref="Backend.RecurrentBackwardDirection"/>), each one fused pass and one GEMM (dh_prev = dGates·W_hh), and the
/// weight gradients, b_ih's and dx with them (by default one product or sum each over all T·N rows; the CPU adds each
/// step's share while its gate gradients are in cache).
/// A masked step (mask 0) leaves the state as it was and outputs 0, so padding changes nothing, in either direction.
/// </remarks>
internal sealed class RecurrentLayer
{
    private readonly RecurrentCell _cell;
    private readonly int _steps, _batch, _inputSize, _hidden, _directions, _gateWidth;
    private readonly bool _hasBias;
    private readonly Tensor? _mask;
    private readonly Tensor _x;
    private readonly Tensor[] _weights;
    private readonly Backend _backend;
    private readonly Device _device;

    // Saved for the backward, per direction, indexed by time (not by processing order).
    private readonly Tensor[] _gates;   // [T, N, G·H] gate activations (RNN: h_t)
    private readonly Tensor[] _hIn;     // [T, N, H] the state entering step t
    private readonly Tensor?[] _cIn;    // LSTM [T, N, H]: the cell entering step t
    private readonly Tensor?[] _tanhC;  // LSTM [T, N, H]: tanh of the cell after step t
    private readonly Tensor?[] _hpN;    // GRU [T, N, H]: W_hn·h + b_hn

    // Without h0 the first step of each direction starts from h = 0: its W_hh product is zero and is skipped, and so
    // are the gradient of that zero state and its rows in dW_hh (1/T of the recurrent GEMM work each way).
    private bool _zeroInitialState;

    private RecurrentLayer(RecurrentCell cell, Tensor x, Tensor[] weights, int directions, int hidden, bool hasBias, Tensor? mask)
    {
        (_cell, _x, _weights, _directions, _hidden, _hasBias, _mask) = (cell, x, weights, directions, hidden, hasBias, mask);
        (_steps, _batch, _inputSize) = (x.Shape[0], x.Shape[1], x.Shape[2]);
        (_backend, _device) = (x.Backend, x.Device);
        _gateWidth = RecurrentStep.GateCount(cell) * hidden;
        _gates = new Tensor[directions];
        _hIn = new Tensor[directions];
        _cIn = new Tensor?[directions];
        _tanhC = new Tensor?[directions];
        _hpN = new Tensor?[directions];
    }

    private int ParamsPerDirection => _hasBias ? 4 : 2;
    private Tensor WeightIh(int d) => _weights[d * ParamsPerDirection];
    private Tensor WeightHh(int d) => _weights[d * ParamsPerDirection + 1];
    private Tensor? BiasIh(int d) => _hasBias ? _weights[d * ParamsPerDirection + 2] : null;
    private Tensor? BiasHh(int d) => _hasBias ? _weights[d * ParamsPerDirection + 3] : null;

    /// <summary>
    /// Runs the layer and records it: x [T, N, I], h0 and c0 [D, N, H] or null (zeros), weights W_ih, W_hh, b_ih, b_hh
    /// per direction (biases optional), mask [N, T] or null; returns the packed output described on the class.
    /// </summary>
    public static Tensor Apply(string op, RecurrentCell cell, Tensor x, Tensor? h0, Tensor? c0, Tensor[] weights,
        int directions, int hidden, bool hasBias, Tensor? mask)
    {
        foreach (var w in weights) F.CheckSameDevice(op, x, w, "input", "a weight");
        F.CheckSameDevice(op, x, h0, "input", "h0");
        F.CheckSameDevice(op, x, c0, "input", "c0");
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

    private Tensor Empty(int length) => Tensor.Empty(new Shape(length), _device);

    /// <summary>The step's buffers that forward and backward share.</summary>
    private RecurrentStep Step(int d, int t, Tensor output) => new()
    {
        Cell = _cell, Steps = _steps, Batch = _batch, Hidden = _hidden, Directions = _directions, Direction = d, Time = t,
        Mask = _mask?.Storage, Gates = _gates[d].Storage, Output = output.Storage, TanhC = _tanhC[d]?.Storage,
        HiddenProjectionN = _hpN[d]?.Storage,
    };

    private Tensor Forward(Tensor? h0, Tensor? c0)
    {
        int rows = _steps * _batch, gh = _gateWidth, nh = _batch * _hidden;
        bool lstm = _cell == RecurrentCell.Lstm, gru = _cell == RecurrentCell.Gru;
        var b = _backend;
        var packed = Empty(OutputLength + StateLength * (lstm ? 2 : 1));
        var h = Empty(nh);
        var c = lstm ? Empty(nh) : null;
        var hp = gru ? Empty(_batch * gh) : null;
        var biasRow = _hasBias ? Empty(gh) : null;
        _zeroInitialState = h0 is null;
        for (int d = 0; d < _directions; d++)
        {
            _gates[d] = Empty(rows * gh);
            _hIn[d] = Empty(rows * _hidden);
            if (lstm)
            {
                _cIn[d] = Empty(rows * _hidden);
                _tanhC[d] = Empty(rows * _hidden);
            }
            if (gru) _hpN[d] = Empty(rows * _hidden);

            // The input projection's bias: b_hh joins b_ih except for GRU, whose n gate needs it apart. The backend
            // projects the input (all steps at once, or step by step beside W_hh·h).
            if (biasRow is not null)
            {
                if (gru) b.Copy(BiasIh(d)!.Storage, biasRow.Storage);
                else b.Binary(BinaryOp.Add, BiasIh(d)!.Storage, [gh], BiasHh(d)!.Storage, [gh], biasRow.Storage, [gh]);
            }

            if (h0 is null) b.Fill(h.Storage, 0f);
            else b.CopyBlocks(h0.Storage, d * nh, 0, h.Storage, 0, 0, nh, 1);
            if (c is not null)
            {
                if (c0 is null) b.Fill(c.Storage, 0f);
                else b.CopyBlocks(c0.Storage, d * nh, 0, c.Storage, 0, 0, nh, 1);
            }

            b.RecurrentForwardDirection(Step(d, 0, packed) with
            {
                H = h.Storage, C = c?.Storage, HiddenProjection = hp?.Storage, HiddenIn = _hIn[d].Storage, CellIn = _cIn[d]?.Storage,
                WeightHh = WeightHh(d).Storage, BiasHh = gru && _hasBias ? BiasHh(d)!.Storage : null,
                Input = _x.Storage, InputSize = _inputSize, WeightIh = WeightIh(d).Storage, BiasGates = biasRow?.Storage,
                ZeroInitialState = _zeroInitialState,
            });
            b.CopyBlocks(h.Storage, 0, 0, packed.Storage, OutputLength + d * nh, 0, nh, 1);
            if (c is not null) b.CopyBlocks(c.Storage, 0, 0, packed.Storage, OutputLength + StateLength + d * nh, 0, nh, 1);
        }
        return packed;
    }

    private (Tensor? Dx, Tensor? Dh0, Tensor? Dc0, Tensor?[] DWeights) Backward(Tensor dPacked, bool needH0, bool needC0)
    {
        int rows = _steps * _batch, gh = _gateWidth, nh = _batch * _hidden;
        bool lstm = _cell == RecurrentCell.Lstm, gru = _cell == RecurrentCell.Gru;
        var b = _backend;
        var dh = Empty(nh);
        var dhNext = Empty(nh);
        var dc = lstm ? Empty(nh) : null;
        var dx = _x.RequiresGrad ? Tensor.Empty(_x.Shape, _device) : null;
        var dh0 = needH0 ? Tensor.Empty(new Shape(_directions, _batch, _hidden), _device) : null;
        var dc0 = needC0 ? Tensor.Empty(new Shape(_directions, _batch, _hidden), _device) : null;
        var dWeights = new Tensor?[_weights.Length];
        for (int d = 0; d < _directions; d++)
        {
            var dG = Empty(rows * gh);
            var dGh = gru ? Empty(rows * gh) : dG;
            b.CopyBlocks(dPacked.Storage, OutputLength + d * nh, 0, dh.Storage, 0, 0, nh, 1);
            if (dc is not null) b.CopyBlocks(dPacked.Storage, OutputLength + StateLength + d * nh, 0, dc.Storage, 0, 0, nh, 1);

            // Against the direction of the forward pass: a forward direction walks back from T − 1. The backend also
            // forms the weight gradients Σ_t dGates_tᵀ·[x_t | h_in,t], b_ih's (Σ dGates) and dx (+)= dGates·W_ih.
            int p = d * ParamsPerDirection;
            var dWih = _weights[p].RequiresGrad ? dWeights[p] = Tensor.Empty(WeightIh(d).Shape, _device) : null;
            var dWhh = _weights[p + 1].RequiresGrad ? dWeights[p + 1] = Tensor.Empty(WeightHh(d).Shape, _device) : null;
            var dBih = _hasBias && _weights[p + 2].RequiresGrad ? dWeights[p + 2] = Empty(gh) : null;
            b.RecurrentBackwardDirection(Step(d, 0, dPacked) with
            {
                CellIn = _cIn[d]?.Storage, HiddenIn = _hIn[d].Storage, Dh = dh.Storage, DhNext = dhNext.Storage,
                Dc = dc?.Storage, DGates = dG.Storage, DGatesHidden = dGh.Storage, WeightHh = WeightHh(d).Storage,
                InitialStateGradient = dh0 is not null, ZeroInitialState = _zeroInitialState,
                Input = _x.Storage, InputSize = _inputSize, DWeightIh = dWih?.Storage, DWeightHh = dWhh?.Storage,
                WeightIh = WeightIh(d).Storage, DInput = dx?.Storage, AccumulateInputGradient = d > 0, DBias = dBih?.Storage,
            });
            if (dh0 is not null) b.CopyBlocks(dh.Storage, 0, 0, dh0.Storage, d * nh, 0, nh, 1);
            if (dc0 is not null) b.CopyBlocks(dc!.Storage, 0, 0, dc0.Storage, d * nh, 0, nh, 1);

            // b_hh's gradient: b_ih's but for GRU's n gate.
            if (_hasBias && _weights[p + 3].RequiresGrad)
                dWeights[p + 3] = gru || dBih is null ? ColumnSums(dGh, rows, gh) : dBih.Clone();
        }
        return (dx, dh0, dc0, dWeights);
    }

    private Tensor ColumnSums(Tensor m, int rows, int cols)
    {
        var s = Empty(cols);
        _backend.SumRows(m.Storage, rows, cols, s.Storage);
        return s;
    }
}
