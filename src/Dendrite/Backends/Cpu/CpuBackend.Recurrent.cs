namespace Dendrite.Backends.Cpu;

public sealed partial class CpuBackend
{
    public override void RecurrentForwardStep(in RecurrentStep s) => StepRunner.Current.Run(s, forward: true);

    public override void RecurrentBackwardStep(in RecurrentStep s) => StepRunner.Current.Run(s, forward: false);

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
        private readonly Action<int> _forwardRows, _backwardRows;

        private StepRunner()
        {
            _forwardRows = ForwardRows;
            _backwardRows = BackwardRows;
        }

        public void Run(in RecurrentStep s, bool forward)
        {
            _step = s;
            // The fused row pass is cheap next to the step's GEMM; split it only when each thread gets real work.
            _chunks = s.Batch * s.Hidden >= 8192 ? Math.Min(Threading.NumThreads, s.Batch) : 1;
            Threading.For(_chunks, forward ? _forwardRows : _backwardRows, parallel: _chunks > 1);
            _step = default; // drop the storages
        }

        private (int Start, int End) RowRange(int chunk) =>
            (chunk * _step.Batch / _chunks, (chunk + 1) * _step.Batch / _chunks);

        private static bool Present(in RecurrentStep s, int n) => s.Mask is null || S(s.Mask)[n * s.Steps + s.Time] != 0f;

        private void ForwardRows(int chunk)
        {
            var (start, end) = RowRange(chunk);
            ref readonly var s = ref _step;
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
                        RecurrentCells.LstmForward(g, S(s.C!).Slice(n * hs, hs), S(s.TanhC!).Slice(row * hs, hs), hRow);
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

        private void BackwardRows(int chunk)
        {
            var (start, end) = RowRange(chunk);
            ref readonly var s = ref _step;
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
