namespace Dendrite.Backends.Cpu;

/// <summary>
/// The memory-bound row operations of large tensors split over the threads: repeating a row, summing rows, copying
/// strided blocks. Each is a stream of megabytes (a recurrent layer's gates are T·N rows of 4H floats) that one core
/// cannot read or write at the memory's speed. One instance per calling thread holds the arguments and the cached
/// task delegates, so a call allocates nothing.
/// </summary>
internal sealed class BulkRows
{
    [ThreadStatic] private static BulkRows? t_current;

    /// <summary>Below this many floats moved a single core is as fast: the fork-join would cost more than it saves.</summary>
    public const int ParallelFloats = 1 << 18;

    public static BulkRows Current => t_current ??= new BulkRows();

    /// <summary>The most leading axes <see cref="PermuteRuns"/> takes.</summary>
    public const int MaxRank = 8;

    private CpuStorage? _x, _y;
    private readonly int[] _outerDims = new int[MaxRank], _inStrides = new int[MaxRank], _identity = [0, 1, 2, 3, 4, 5, 6, 7];
    private int _outer;
    private int _xOffset, _xStride, _yOffset, _yStride, _length, _count, _tasks;
    private readonly Action<int> _repeat, _sumColumns, _copyBlocks, _permuteRuns;

    private BulkRows()
    {
        _repeat = RepeatTask;
        _sumColumns = SumColumnsTask;
        _copyBlocks = CopyBlocksTask;
        _permuteRuns = PermuteRunsTask;
    }

    /// <summary>Whether <paramref name="floats"/> moved are worth splitting on this thread.</summary>
    public static bool Worth(long floats) => floats >= ParallelFloats && Threading.Available > 1;

    /// <summary>y = <paramref name="rows"/> copies of row, one after another.</summary>
    public void RepeatRows(CpuStorage row, int rows, CpuStorage y)
    {
        (_x, _y, _length, _count) = (row, y, row.Span.Length, rows);
        Run(rows, _repeat);
    }

    /// <summary>y[c] = Σ_r x[r·columns + c], each column summed top to bottom whatever the split (threads take columns).</summary>
    public void SumRows(CpuStorage x, int rows, int columns, CpuStorage y)
    {
        (_x, _y, _length, _count) = (x, y, columns, rows);
        // Column ranges of whole cache lines; each sums every row, so a column's order of additions never changes.
        Run(Math.Max(1, columns / 16), _sumColumns);
    }

    /// <summary>The backend's CopyBlocks: <paramref name="count"/> blocks of blockLength floats, strided on both sides.</summary>
    public void CopyBlocks(CpuStorage x, int xOffset, int xStride, CpuStorage y, int yOffset, int yStride, int blockLength, int count)
    {
        (_x, _y, _xOffset, _xStride, _yOffset, _yStride, _length, _count) = (x, y, xOffset, xStride, yOffset, yStride, blockLength, count);
        Run(count, _copyBlocks);
    }

    /// <summary>
    /// A permutation that keeps its trailing axes (runs of <paramref name="run"/> floats): y's run over the leading
    /// output axes <paramref name="outerDims"/> comes from Σ index[d]·<paramref name="inStrides"/>[d] in x.
    /// </summary>
    public void PermuteRuns(CpuStorage x, CpuStorage y, ReadOnlySpan<int> outerDims, ReadOnlySpan<int> inStrides, int run)
    {
        (_x, _y, _length, _outer) = (x, y, run, outerDims.Length);
        outerDims.CopyTo(_outerDims);
        inStrides.CopyTo(_inStrides);
        _count = y.Span.Length / run;
        Run(_count, _permuteRuns);
    }

    private void Run(int units, Action<int> task)
    {
        _tasks = Math.Min(units, Threading.NumThreads);
        try
        {
            Threading.For(_tasks, task, parallel: _tasks > 1);
        }
        finally
        {
            _x = _y = null; // drop the storages
        }
    }

    private (int Start, int End) Range(int task, int units) => ((int)((long)units * task / _tasks), (int)((long)units * (task + 1) / _tasks));

    private void RepeatTask(int task)
    {
        var (start, end) = Range(task, _count);
        var row = _x!.Span;
        var dst = _y!.Span;
        for (int i = start; i < end; i++) row.CopyTo(dst.Slice(i * _length, _length));
    }

    private void SumColumnsTask(int task)
    {
        int columns = _length, rows = _count;
        var (start, end) = Range(task, Math.Max(1, columns / 16));
        int c0 = start * 16, c1 = end == Math.Max(1, columns / 16) ? columns : end * 16, width = c1 - c0;
        if (width <= 0) return;
        var src = _x!.Span;
        var dst = _y!.Span.Slice(c0, width);
        src.Slice(c0, width).CopyTo(dst);
        for (int r = 1; r < rows; r++)
            System.Numerics.Tensors.TensorPrimitives.Add(dst, src.Slice(r * columns + c0, width), dst);
    }

    private void PermuteRunsTask(int task)
    {
        var (start, end) = Range(task, _count);
        CpuBackend.CopyRuns(_x!.Span, _y!.Span, _outerDims.AsSpan(0, _outer), _inStrides.AsSpan(0, _outer), _identity.AsSpan(0, _outer),
            _length, start, end);
    }

    private void CopyBlocksTask(int task)
    {
        var (start, end) = Range(task, _count);
        var src = _x!.Span;
        var dst = _y!.Span;
        for (int i = start; i < end; i++)
            src.Slice(_xOffset + i * _xStride, _length).CopyTo(dst.Slice(_yOffset + i * _yStride, _length));
    }
}
