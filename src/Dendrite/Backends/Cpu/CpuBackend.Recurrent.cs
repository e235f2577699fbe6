namespace Dendrite.Backends.Cpu;

public sealed partial class CpuBackend
{
    public override void RecurrentForwardStep(in RecurrentStep s) => StepRunner.Current.Run(s, forward: true);

    public override void RecurrentBackwardStep(in RecurrentStep s) => StepRunner.Current.Run(s, forward: false);

    public override void RecurrentForwardDirection(in RecurrentStep s)
    {
        if (!SequenceRunner.SplitsWell(s))
        {
            base.RecurrentForwardDirection(s);
        }
        else if (s.Input is not null && s.HiddenProjection is not null)
        {
            // GRU keeps W_hn·h apart from the input's n part, so its input is projected beforehand, all steps at once.
            ProjectInput(s);
            SequenceRunner.Current.Run(s with { Input = null }, forward: true);
        }
        else
        {
            SequenceRunner.Current.Run(s, forward: true);
        }
    }

    public override void RecurrentBackwardDirection(in RecurrentStep s)
    {
        if (SequenceRunner.SplitsWell(s)) SequenceRunner.Current.Run(s, forward: false);
        else base.RecurrentBackwardDirection(s);
    }

    /// <summary>
    /// A whole direction with the batch rows split over the threads once: each thread runs its rows through every step
    /// (their W_hh product, then their cell pass), since a row's state never depends on another row's. The step-by-step
    /// default forks and joins twice per step and packs W_hh in every product; here W_hh is packed once per direction
    /// and the threads never wait for each other until the sequence ends. The products go through the GEMM's own
    /// K blocks and micro-kernels, and no value depends on the thread count.
    /// </summary>
    /// <remarks>
    /// Given the input (<see cref="RecurrentStep.Input"/>, LSTM and RNN), a step's gates are one product of its rows of
    /// [x_t | h] with [W_ih | W_hh]ᵀ onto the bias, packed once per direction: the input projection of all steps at once
    /// would write the whole gate buffer (T·N rows of 4H) and read it back, and its short K (the input width) runs the
    /// micro-kernel far below its peak. Here a step's gate rows stay in the core's cache from product to cell pass.
    /// </remarks>
    private sealed unsafe class SequenceRunner
    {
        [ThreadStatic] private static SequenceRunner? t_current;

        public static SequenceRunner Current => t_current ??= new SequenceRunner();

        /// <summary>
        /// Worth it with whole register tiles of rows per thread; a few rows (batch-1 inference) keep the default,
        /// whose small products split the columns instead.
        /// </summary>
        public static bool SplitsWell(in RecurrentStep s) => s.Batch >= 16;

        private RecurrentStep _step;
        private CpuIsa _kernel;
        private int _rowsPerChunk, _depth;
        private float[] _packedWeight = [];
        private float[] _joinedWeight = []; // [W_ih | W_hh] [G·H, I + H], when the steps project their input
        private float[] _stepRows = [];     // per chunk: its rows of [x_t | h], [rows, I + H]

        // Backward with weight gradients: each chunk sums its rows' share of dW_ih and dW_hh over blocks of steps (chunk 0
        // straight into the gradients, the others into _chunkGradients), packing the block's gate gradients while they
        // are in cache; the shares are added in chunk order at the end.
        private int _blockSteps, _packedALength, _packedBLength;
        private float[] _chunkGradients = []; // per chunk after the first: [G·H, I] then [G·H, H]
        private float[] _packedGates = [];    // per chunk: a block's gate gradients, transposed into A panels (two for GRU)
        private float[] _packedRows = [];     // per chunk: a block's rows of x or h_in as B panels
        private float[] _packedInputWeight = []; // W_ih [G·H, I] as B panels, for dx
        private int _gradientLength;           // per chunk: dW_ih [G·H, I], dW_hh [G·H, H], then b's [G·H]

        private static bool SumsGradients(in RecurrentStep s) =>
            s.DWeightIh is not null || s.DWeightHh is not null || s.DInput is not null || s.DBias is not null;
        private readonly Action<int> _forwardChunk, _backwardChunk;

        private SequenceRunner()
        {
            _forwardChunk = ForwardChunk;
            _backwardChunk = BackwardChunk;
        }

        public void Run(in RecurrentStep s, bool forward)
        {
            _step = s;
            _kernel = Isa.Current; // read on the calling thread: the workers follow its choice
            var (mr, nr) = Cpu.Gemm.TileOf(_kernel);
            int threads = Threading.Available;
            bool weightGradients = !forward && SumsGradients(s);
            _rowsPerChunk = weightGradients ? BackwardChunkRows(s.Batch, mr) : ((s.Batch + threads - 1) / threads + mr - 1) / mr * mr;
            int chunks = (s.Batch + _rowsPerChunk - 1) / _rowsPerChunk;
            if (weightGradients) PrepareWeightGradients(s, chunks, nr);
            if (!forward && s.DInput is not null)
            {
                // dx_t = dGates_t·W_ih per step, rows by rows: W_ih [G·H, I] as B, packed once.
                int inputLength = Cpu.Gemm.PackedBLength(_kernel, s.GateWidth, s.InputSize);
                if (_packedInputWeight.Length < inputLength) _packedInputWeight = GC.AllocateUninitializedArray<float>(inputLength, pinned: true);
                fixed (float* w = S(s.WeightIh!), packed = _packedInputWeight)
                    Cpu.Gemm.PackWholeB(_kernel, transB: false, w, s.InputSize, s.GateWidth, s.InputSize, packed);
            }
            // Forward multiplies h [N, H] by W_hhᵀ (or [x_t | h] by [W_ih | W_hh]ᵀ); backward dGates [N, G·H] by W_hh.
            bool project = forward && s.Input is not null;
            int k = forward ? s.Hidden : s.GateWidth, n = forward ? s.GateWidth : s.Hidden;
            if (project) k += s.InputSize;
            _depth = k;
            int length = Cpu.Gemm.PackedBLength(_kernel, k, n);
            if (_packedWeight.Length < length) _packedWeight = GC.AllocateUninitializedArray<float>(length, pinned: true);
            if (project)
            {
                int gh = s.GateWidth, inputSize = s.InputSize, hs = s.Hidden;
                if (_joinedWeight.Length < gh * k) _joinedWeight = GC.AllocateUninitializedArray<float>(gh * k, pinned: true);
                var wih = S(s.WeightIh!);
                var whh = S(s.WeightHh!);
                for (int r = 0; r < gh; r++)
                {
                    wih.Slice(r * inputSize, inputSize).CopyTo(_joinedWeight.AsSpan(r * k));
                    whh.Slice(r * hs, hs).CopyTo(_joinedWeight.AsSpan(r * k + inputSize));
                }
                int rowsLength = chunks * _rowsPerChunk * k;
                if (_stepRows.Length < rowsLength) _stepRows = GC.AllocateUninitializedArray<float>(rowsLength, pinned: true);
            }
            Span<float> weight = project ? _joinedWeight : S(s.WeightHh!);
            fixed (float* w = weight, packed = _packedWeight)
                Cpu.Gemm.PackWholeB(_kernel, transB: forward, w, project ? k : s.Hidden, k, n, packed);
            Threading.For(chunks, forward ? _forwardChunk : _backwardChunk, parallel: chunks > 1);
            if (weightGradients) AddChunkGradients(s, chunks);
            _step = default; // drop the storages
        }

        /// <summary>
        /// The backward's rows per chunk when it sums weight gradients: a function of the batch alone, never of the
        /// thread count, since each chunk's share is summed apart and the shares in chunk order, so the gradients come
        /// out the same to the bit on any number of threads. About 64 rows (a block of steps then gives a product deep
        /// enough to run its micro-kernel near its peak), at least two chunks from a batch of 32, and at most 512 rows.
        /// </summary>
        private static int BackwardChunkRows(int batch, int mr)
        {
            int chunks = Math.Max(1, Math.Max(Math.Clamp(batch / 64, Math.Min(2, batch / 16), 16), (batch + 511) / 512));
            return ((batch + chunks - 1) / chunks + mr - 1) / mr * mr;
        }

        private void PrepareWeightGradients(in RecurrentStep s, int chunks, int nr)
        {
            // Blocks of steps about 256 rows deep in all: each block reads and writes the chunk's whole dW (G·(I + H + 1)
            // values), which at 64 rows cost as much as the products (W3: 3.61 s against 3.48 s an epoch), while the
            // block's gate gradients (256 rows of G·H, 512 KB at H = 128) still stay in L2.
            _blockSteps = Math.Max(1, 256 / _rowsPerChunk);
            int depth = _blockSteps * _rowsPerChunk, gh = s.GateWidth;
            int gateCopies = ReferenceEquals(s.DGates, s.DGatesHidden) ? 1 : 2;
            _packedALength = Cpu.Gemm.PackedALength(_kernel, gh, depth);
            _packedBLength = (Math.Max(s.InputSize, s.Hidden) + nr - 1) / nr * nr * depth;
            int gradientLength = _gradientLength = gh * (s.InputSize + s.Hidden + 1);
            if (_chunkGradients.Length < (chunks - 1) * gradientLength)
                _chunkGradients = GC.AllocateUninitializedArray<float>((chunks - 1) * gradientLength, pinned: true);
            if (_packedGates.Length < chunks * gateCopies * _packedALength)
                _packedGates = GC.AllocateUninitializedArray<float>(chunks * gateCopies * _packedALength, pinned: true);
            if (_packedRows.Length < chunks * _packedBLength)
                _packedRows = GC.AllocateUninitializedArray<float>(chunks * _packedBLength, pinned: true);
        }

        /// <summary>
        /// One chunk's share of the weight gradients from steps [tLow, tLow + steps) (all already processed): dW_ih
        /// (+)= Σ_t dGates_tᵀ·x_t and dW_hh (+)= Σ_t dGatesHidden_tᵀ·h_in,t over the chunk's rows.
        /// </summary>
        private void AccumulateBlock(in RecurrentStep s, int chunk, int tLow, int steps, bool first)
        {
            int n = s.Batch, hs = s.Hidden, gh = s.GateWidth, inputSize = s.InputSize;
            int r0 = chunk * _rowsPerChunk, rows = Math.Min(n, r0 + _rowsPerChunk) - r0;
            long gateStride = (long)n * gh;
            bool shared = ReferenceEquals(s.DGates, s.DGatesHidden);
            int gradientLength = _gradientLength;
            fixed (float* packedGates = _packedGates, packedRows = _packedRows, chunkGradients = _chunkGradients)
            {
                float* packedA = packedGates + (long)chunk * (shared ? 1 : 2) * _packedALength;
                float* packedB = packedRows + (long)chunk * _packedBLength;
                float* own = chunk == 0 ? null : chunkGradients + (long)(chunk - 1) * gradientLength;
                if (s.DWeightIh is not null)
                {
                    fixed (float* dG = S(s.DGates!), x = S(s.Input!), dW = S(s.DWeightIh))
                    {
                        Cpu.Gemm.PackTransposedSegments(_kernel, dG + (tLow * n + r0) * (long)gh, gh, gateStride, steps, rows, gh, packedA);
                        Cpu.Gemm.MultiplySegmentsPacked(_kernel, packedA, gh, x + (tLow * n + r0) * (long)inputSize, inputSize,
                            (long)n * inputSize, steps, rows, inputSize, packedB, own is null ? dW : own, inputSize, accumulate: !first);
                    }
                }
                if (s.DWeightHh is not null)
                {
                    fixed (float* dGh = S(s.DGatesHidden!), h = S(s.HiddenIn!), dW = S(s.DWeightHh))
                    {
                        float* packedAh = shared ? packedA : packedA + _packedALength;
                        if (!shared || s.DWeightIh is null)
                            Cpu.Gemm.PackTransposedSegments(_kernel, dGh + (tLow * n + r0) * (long)gh, gh, gateStride, steps, rows, gh, packedAh);
                        Cpu.Gemm.MultiplySegmentsPacked(_kernel, packedAh, gh, h + (tLow * n + r0) * (long)hs, hs, (long)n * hs, steps,
                            rows, hs, packedB, own is null ? dW : own + gh * inputSize, hs, accumulate: !first);
                    }
                }
            }
        }

        /// <summary>Adds the chunks' shares of the weight gradients to chunk 0's, in chunk order.</summary>
        private void AddChunkGradients(in RecurrentStep s, int chunks)
        {
            int gh = s.GateWidth, inputSize = s.InputSize, hs = s.Hidden, gradientLength = _gradientLength;
            for (int c = 1; c < chunks; c++)
            {
                var own = _chunkGradients.AsSpan((c - 1) * gradientLength, gradientLength);
                if (s.DBias is not null)
                {
                    var dBias = S(s.DBias)[..gh];
                    System.Numerics.Tensors.TensorPrimitives.Add(dBias, own.Slice(gh * (inputSize + hs), gh), dBias);
                }
                if (s.DWeightIh is not null)
                {
                    var dW = S(s.DWeightIh)[..(gh * inputSize)];
                    System.Numerics.Tensors.TensorPrimitives.Add(dW, own[..(gh * inputSize)], dW);
                }
                if (s.DWeightHh is not null)
                {
                    var dW = S(s.DWeightHh)[..(gh * hs)];
                    System.Numerics.Tensors.TensorPrimitives.Add(dW, own.Slice(gh * inputSize, gh * hs), dW);
                }
            }
        }

        private void ForwardChunk(int chunk)
        {
            ref readonly var s = ref _step;
            int n = s.Batch, hs = s.Hidden, gh = s.GateWidth, nh = n * hs;
            int r0 = chunk * _rowsPerChunk, r1 = Math.Min(n, r0 + _rowsPerChunk), rows = r1 - r0;
            var h = S(s.H!);
            var hIn = S(s.HiddenIn!);
            var hp = s.HiddenProjection is null ? default : S(s.HiddenProjection);
            fixed (float* hPtr = h, gates = S(s.Gates), hpPtr = hp, packed = _packedWeight)
            {
                for (int k = 0; k < s.Steps; k++)
                {
                    int t = s.Direction == 1 ? s.Steps - 1 - k : k;
                    h.Slice(r0 * hs, rows * hs).CopyTo(hIn.Slice(t * nh + r0 * hs, rows * hs));
                    if (s.C is not null) S(s.C).Slice(r0 * hs, rows * hs).CopyTo(S(s.CellIn!).Slice(t * nh + r0 * hs, rows * hs));
                    bool fromZero = k == 0 && s.ZeroInitialState;
                    if (s.HiddenProjection is not null)
                    {
                        var hpRows = hp.Slice(r0 * gh, rows * gh);
                        if (s.BiasHh is not null)
                            for (int r = 0; r < rows; r++) S(s.BiasHh).CopyTo(hpRows.Slice(r * gh, gh));
                        else if (fromZero) hpRows.Clear();
                        if (!fromZero)
                            Cpu.Gemm.MultiplyRowsPrepacked(_kernel, r0, r1, gh, hs, hPtr, hs, packed, hpPtr, gh, accumulate: s.BiasHh is not null);
                    }
                    else if (s.Input is not null)
                    {
                        // This step's rows of [x_t | h] side by side, then gates = bias + [x_t | h]·[W_ih | W_hh]ᵀ.
                        int inputSize = s.InputSize, depth = _depth;
                        var input = S(s.Input);
                        var joined = _stepRows.AsSpan(chunk * _rowsPerChunk * depth, rows * depth);
                        for (int r = 0; r < rows; r++)
                        {
                            input.Slice((t * n + r0 + r) * inputSize, inputSize).CopyTo(joined.Slice(r * depth));
                            h.Slice((r0 + r) * hs, hs).CopyTo(joined.Slice(r * depth + inputSize));
                        }
                        float* gateRows = gates + (long)t * n * gh;
                        if (s.BiasGates is not null)
                        {
                            var bias = S(s.BiasGates);
                            for (int r = r0; r < r1; r++) bias.CopyTo(new Span<float>(gateRows + (long)r * gh, gh));
                        }
                        fixed (float* a = joined)
                            Cpu.Gemm.MultiplyRowsPrepacked(_kernel, 0, rows, gh, depth, a, depth, packed, gateRows + (long)r0 * gh, gh,
                                accumulate: s.BiasGates is not null);
                    }
                    else if (!fromZero)
                    {
                        Cpu.Gemm.MultiplyRowsPrepacked(_kernel, r0, r1, gh, hs, hPtr, hs, packed, gates + (long)t * n * gh, gh, accumulate: true);
                    }
                    StepRunner.ForwardRows(s with { Time = t }, r0, r1, _kernel);
                }
            }
        }

        private void BackwardChunk(int chunk)
        {
            ref readonly var s = ref _step;
            int n = s.Batch, hs = s.Hidden, gh = s.GateWidth;
            int r0 = chunk * _rowsPerChunk, r1 = Math.Min(n, r0 + _rowsPerChunk), rows = r1 - r0;
            Storage dh = s.Dh!, dhNext = s.DhNext!;
            bool weightGradients = s.DWeightIh is not null || s.DWeightHh is not null;
            int blockStart = 0;
            // b_ih's gradient: this chunk's column sums of dGates, row after row in processing order (chunk 0's straight
            // into the gradient).
            var biasSums = s.DBias is null ? default
                : chunk == 0 ? S(s.DBias)[..gh] : _chunkGradients.AsSpan((chunk - 1) * _gradientLength + gh * (s.InputSize + hs), gh);
            biasSums.Clear();
            var dGates = S(s.DGates!);
            fixed (float* dGatesHidden = S(s.DGatesHidden!), packed = _packedWeight, dGatesPtr = dGates,
                packedInput = _packedInputWeight, dx = s.DInput is null ? default : S(s.DInput))
            {
                for (int k = 0; k < s.Steps; k++)
                {
                    int t = s.Direction == 1 ? k : s.Steps - 1 - k;
                    StepRunner.BackwardRows(s with { Time = t, Dh = dh, DhNext = dhNext }, r0, r1);
                    if (s.DInput is not null)
                        Cpu.Gemm.MultiplyRowsPrepacked(_kernel, r0, r1, s.InputSize, gh, dGatesPtr + (long)t * n * gh, gh, packedInput,
                            dx + (long)t * n * s.InputSize, s.InputSize, accumulate: s.AccumulateInputGradient);
                    if (s.DBias is not null)
                        for (int r = r0; r < r1; r++)
                            System.Numerics.Tensors.TensorPrimitives.Add(biasSums, dGates.Slice((t * n + r) * gh, gh), biasSums);
                    // The last step's dh·W_hh is the gradient of h0: skipped when nobody asked for it.
                    if (k < s.Steps - 1 || s.InitialStateGradient)
                    {
                        fixed (float* next = S(dhNext))
                            Cpu.Gemm.MultiplyRowsPrepacked(_kernel, r0, r1, hs, gh, dGatesHidden + (long)t * n * gh, gh, packed, next, hs, accumulate: true);
                        (dh, dhNext) = (dhNext, dh);
                    }
                    if (weightGradients && (k + 1 - blockStart == _blockSteps || k == s.Steps - 1))
                    {
                        // Steps [blockStart, k] in processing order, taken in time order.
                        int steps = k + 1 - blockStart, tLow = s.Direction == 1 ? blockStart : s.Steps - 1 - k;
                        AccumulateBlock(s, chunk, tLow, steps, first: blockStart == 0);
                        blockStart = k + 1;
                    }
                }
            }
            if (s.InitialStateGradient && !ReferenceEquals(dh, s.Dh)) S(dh).Slice(r0 * hs, rows * hs).CopyTo(S(s.Dh!).Slice(r0 * hs, rows * hs));
        }
    }

    /// <summary>
    /// Splits one recurrent step's batch rows over the threads. One runner per calling thread holds the step and the
    /// two row delegates, so a step allocates nothing.
    /// </summary>
    private sealed class StepRunner
    {
        [ThreadStatic] private static StepRunner? t_current;

        public static StepRunner Current => t_current ??= new StepRunner();

        private RecurrentStep _step;
        private int _chunks;
        private CpuIsa _kernel;
        private readonly Action<int> _forwardRows, _backwardRows;

        private StepRunner()
        {
            _forwardRows = ForwardRows;
            _backwardRows = BackwardRows;
        }

        public void Run(in RecurrentStep s, bool forward)
        {
            _step = s;
            _kernel = Isa.Current; // read on the calling thread: the workers follow its choice
            // The fused row pass is cheap next to the step's GEMM; split it only when each thread gets real work.
            _chunks = s.Batch * s.Hidden >= 8192 ? Math.Min(Threading.NumThreads, s.Batch) : 1;
            Threading.For(_chunks, forward ? _forwardRows : _backwardRows, parallel: _chunks > 1);
            _step = default; // drop the storages
        }

        private (int Start, int End) RowRange(int chunk) =>
            (chunk * _step.Batch / _chunks, (chunk + 1) * _step.Batch / _chunks);

        private void ForwardRows(int chunk)
        {
            var (start, end) = RowRange(chunk);
            ForwardRows(_step, start, end, _kernel);
        }

        private void BackwardRows(int chunk)
        {
            var (start, end) = RowRange(chunk);
            BackwardRows(_step, start, end);
        }

        private static bool Present(in RecurrentStep s, int n) => s.Mask is null || S(s.Mask)[n * s.Steps + s.Time] != 0f;

        /// <summary>The cell's forward pass over batch rows [start, end) of step <c>s.Time</c>.</summary>
        public static void ForwardRows(in RecurrentStep s, int start, int end, CpuIsa kernel)
        {
            int t = s.Time, d = s.Direction, hs = s.Hidden, gh = s.GateWidth;
            var gates = S(s.Gates);
            var packed = S(s.Output);
            var h = S(s.H!);
            for (int n = start; n < end; n++)
            {
                var y = packed.Slice(((t * s.Batch + n) * s.Directions + d) * hs, hs);
                if (!Present(s, n))
                {
                    y.Clear(); // a padded step outputs 0 and keeps the state
                    continue;
                }
                int row = t * s.Batch + n;
                var g = gates.Slice(row * gh, gh);
                var hRow = h.Slice(n * hs, hs);
                switch (s.Cell)
                {
                    case RecurrentCell.Lstm:
                        RecurrentCells.LstmForward(g, S(s.C!).Slice(n * hs, hs), S(s.TanhC!).Slice(row * hs, hs), hRow, kernel);
                        break;
                    case RecurrentCell.Gru:
                        RecurrentCells.GruForward(g, S(s.HiddenProjection!).Slice(n * gh, gh), S(s.HiddenProjectionN!).Slice(row * hs, hs), hRow);
                        break;
                    default:
                        RecurrentCells.RnnForward(g, s.Cell == RecurrentCell.RnnRelu, hRow);
                        break;
                }
                hRow.CopyTo(y);
            }
        }

        /// <summary>The cell's backward pass over batch rows [start, end) of step <c>s.Time</c>.</summary>
        public static void BackwardRows(in RecurrentStep s, int start, int end)
        {
            int t = s.Time, d = s.Direction, hs = s.Hidden, gh = s.GateWidth;
            var dp = S(s.Output);
            var dh = S(s.Dh!);
            var dhNext = S(s.DhNext!);
            var dG = S(s.DGates!);
            var gates = S(s.Gates);
            for (int n = start; n < end; n++)
            {
                int row = t * s.Batch + n;
                var dhRow = dh.Slice(n * hs, hs);
                var nextRow = dhNext.Slice(n * hs, hs);
                var dGRow = dG.Slice(row * gh, gh);
                if (!Present(s, n))
                {
                    // A padded step passed the state through: so does its gradient. Its output was the constant 0.
                    dGRow.Clear();
                    if (s.Cell == RecurrentCell.Gru) S(s.DGatesHidden!).Slice(row * gh, gh).Clear();
                    dhRow.CopyTo(nextRow);
                    continue;
                }
                var dy = dp.Slice(((t * s.Batch + n) * s.Directions + d) * hs, hs);
                var g = gates.Slice(row * gh, gh);
                switch (s.Cell)
                {
                    case RecurrentCell.Lstm:
                        RecurrentCells.LstmBackward(g, S(s.CellIn!).Slice(row * hs, hs), S(s.TanhC!).Slice(row * hs, hs),
                            dhRow, dy, S(s.Dc!).Slice(n * hs, hs), dGRow);
                        nextRow.Clear();
                        break;
                    case RecurrentCell.Gru:
                        RecurrentCells.GruBackward(g, S(s.HiddenProjectionN!).Slice(row * hs, hs), S(s.HiddenIn!).Slice(row * hs, hs),
                            dhRow, dy, dGRow, S(s.DGatesHidden!).Slice(row * gh, gh), nextRow);
                        break;
                    default:
                        RecurrentCells.RnnBackward(g, s.Cell == RecurrentCell.RnnRelu, dhRow, dy, dGRow);
                        nextRow.Clear();
                        break;
                }
            }
        }
    }
}
