namespace Dendrite.Backends;

/// <summary>
/// Elementwise functions of one input, for <see cref="Backend.Unary"/> and <see cref="Backend.UnaryBackward"/>.
/// Where a function takes arguments, its comment names them (a, b, c in that order).
/// </summary>
public enum UnaryOp
{
    Neg,
    Exp,
    Log,
    Sqrt,
    Abs,
    Sigmoid,
    Tanh,
    Relu,
    /// <summary>x for x &gt; 0, else a·x (a: the negative slope).</summary>
    LeakyRelu,
    /// <summary>x for x &gt; 0, else a(eˣ − 1) (a: alpha).</summary>
    Elu,
    /// <summary>log(1 + e^(a·x))/a, or x where a·x &gt; b (a: beta, b: threshold).</summary>
    Softplus,
    /// <summary>x·Φ(x) with the exact erf.</summary>
    Gelu,
    /// <summary>0.5x(1 + tanh(√(2/π)(x + 0.044715x³))).</summary>
    GeluTanh,
    /// <summary>x·σ(x).</summary>
    Silu,
    /// <summary>x·x.</summary>
    Square,
    /// <summary>x^a.</summary>
    Pow,
    /// <summary>min(max(x, a), b); the gradient passes where a ≤ x ≤ b.</summary>
    Clamp,
    /// <summary>x + a.</summary>
    AddScalar,
    /// <summary>x · a.</summary>
    MulScalar,
    /// <summary>
    /// The Huber curve: 0.5·b·x² where |x| &lt; a, else c·(|x| − 0.5a) (Huber: b = 1, c = δ; smooth L1: b = 1/β, c = 1; a = δ or β).
    /// </summary>
    Huber,
    /// <summary>x·log x, 0 at x = 0 (PyTorch's <c>xlogy(x, x)</c>); the derivative log x + 1, taken as 0 at x = 0.</summary>
    XLogX,
}

/// <summary>Elementwise functions of two inputs, broadcast, for <see cref="Backend.Binary"/>.</summary>
public enum BinaryOp { Add, Sub, Mul, Div, Pow }

/// <summary>The recurrent cells: gate counts 1 (RNN), 4 (LSTM: i, f, g, o), 3 (GRU: r, z, n, "reset after").</summary>
public enum RecurrentCell { RnnTanh, RnnRelu, Lstm, Gru }

/// <summary>
/// The buffers of one time step <see cref="Time"/> of one direction of a recurrent layer (T steps, N batch rows,
/// H hidden, G gates, D directions). Forward reads each present row's gate pre-activations (the input projection plus
/// W_hh·h, already summed) and updates the state; backward turns the step's output and state gradients into gate
/// gradients. A row whose mask is 0 at this step keeps its state and outputs 0 (its gradient passes through).
/// </summary>
public readonly record struct RecurrentStep
{
    /// <summary>Gates per hidden unit: 4 (LSTM), 3 (GRU), 1 (RNN).</summary>
    public static int GateCount(RecurrentCell cell) => cell switch
    {
        RecurrentCell.Lstm => 4,
        RecurrentCell.Gru => 3,
        _ => 1,
    };

    /// <summary>G·H: the width of one row of <see cref="Gates"/>.</summary>
    public int GateWidth => GateCount(Cell) * Hidden;

    public RecurrentCell Cell { get; init; }
    public int Steps { get; init; }
    public int Batch { get; init; }
    public int Hidden { get; init; }
    public int Directions { get; init; }
    public int Direction { get; init; }
    public int Time { get; init; }

    /// <summary>[N, T]: 1 where a step is present; null when every step is.</summary>
    public Storage? Mask { get; init; }

    /// <summary>[T, N, G·H]: gate pre-activations in, activations out (RNN: h_t), this direction.</summary>
    public Storage Gates { get; init; }

    /// <summary>The layer's packed output y [T, N, D·H] (forward) or its gradient (backward).</summary>
    public Storage Output { get; init; }

    /// <summary>[N, H]: the hidden state, updated in place by the forward step.</summary>
    public Storage? H { get; init; }

    /// <summary>LSTM [N, H]: the cell state, updated in place by the forward step.</summary>
    public Storage? C { get; init; }

    /// <summary>LSTM [T, N, H]: tanh of the cell after each step.</summary>
    public Storage? TanhC { get; init; }

    /// <summary>GRU [N, G·H]: W_hh·h + b_hh of this step (its n part stays apart from the input's).</summary>
    public Storage? HiddenProjection { get; init; }

    /// <summary>GRU [T, N, H]: the n part of <see cref="HiddenProjection"/>, saved per step.</summary>
    public Storage? HiddenProjectionN { get; init; }

    /// <summary>LSTM [T, N, H]: the cell entering each step (saved by the forward direction, read by backward).</summary>
    public Storage? CellIn { get; init; }

    /// <summary>[T, N, H]: the hidden state entering each step (saved by the forward direction; read by backward for
    /// GRU and for W_hh's gradient).</summary>
    public Storage? HiddenIn { get; init; }

    /// <summary>[G·H, H]: W_hh, for the methods that run a whole direction.</summary>
    public Storage? WeightHh { get; init; }

    /// <summary>GRU [G·H]: b_hh, kept out of the input projection (the n gate needs W_hn·h + b_hn apart); null without bias.</summary>
    public Storage? BiasHh { get; init; }

    /// <summary>
    /// [T, N, I]: the layer's input, for <see cref="Backend.RecurrentForwardDirection"/> to project itself
    /// (<see cref="Gates"/> is then written, not read, on entry). Null: <see cref="Gates"/> already holds the projection.
    /// </summary>
    public Storage? Input { get; init; }

    /// <summary>I: the width of one row of <see cref="Input"/>.</summary>
    public int InputSize { get; init; }

    /// <summary>[G·H, I]: W_ih, with <see cref="Input"/>.</summary>
    public Storage? WeightIh { get; init; }

    /// <summary>[G·H]: the bias of the input projection, with <see cref="Input"/> (b_ih + b_hh; GRU: b_ih); null without bias.</summary>
    public Storage? BiasGates { get; init; }

    /// <summary>The direction starts from h = 0 (no h0): its first step's W_hh·h is zero and is skipped.</summary>
    public bool ZeroInitialState { get; init; }

    /// <summary>Backward: the gradient of the initial state is wanted, so the last step's dh·W_hh is computed, and it
    /// ends in <see cref="Dh"/>.</summary>
    public bool InitialStateGradient { get; init; }

    /// <summary>[N, H]: the gradient reaching h after this step (backward).</summary>
    public Storage? Dh { get; init; }

    /// <summary>[N, H]: the gradient flowing on to the previous step's h, partly written here (GRU, padded rows).</summary>
    public Storage? DhNext { get; init; }

    /// <summary>LSTM [N, H]: the cell-state gradient, updated in place (backward).</summary>
    public Storage? Dc { get; init; }

    /// <summary>[T, N, G·H]: gradients of the gate pre-activations (backward).</summary>
    public Storage? DGates { get; init; }

    /// <summary>GRU [T, N, G·H]: gradients of W_hh·h + b_hh (differs from <see cref="DGates"/> in the n gate).</summary>
    public Storage? DGatesHidden { get; init; }

    /// <summary>
    /// Backward, optional: [G·H, I] receives W_ih's gradient, Σ_t DGates_tᵀ·x_t over every step (needs <see cref="Input"/>).
    /// </summary>
    public Storage? DWeightIh { get; init; }

    /// <summary>
    /// Backward, optional: [G·H, H] receives W_hh's gradient, Σ_t DGatesHidden_tᵀ·h_in,t over every step (reads
    /// <see cref="HiddenIn"/>; with <see cref="ZeroInitialState"/> the first step's rows add nothing and may be skipped).
    /// </summary>
    public Storage? DWeightHh { get; init; }

    /// <summary>
    /// Backward, optional: [T, N, I] receives the input's gradient DGates·W_ih (needs <see cref="WeightIh"/>), or has it
    /// added with <see cref="AccumulateInputGradient"/> (a later direction of the same layer).
    /// </summary>
    public Storage? DInput { get; init; }

    /// <summary>Backward: add the input's gradient to <see cref="DInput"/> rather than overwrite it.</summary>
    public bool AccumulateInputGradient { get; init; }

    /// <summary>Backward, optional: [G·H] receives the column sums of <see cref="DGates"/> over all T·N rows (b_ih's gradient).</summary>
    public Storage? DBias { get; init; }
}
