using System.Runtime.InteropServices;
using Dendrite.Backends;
using Dendrite.Gpu.Kernels;
using ILGPU;
using ILGPU.Runtime;
using ILGPU.Runtime.Cuda;

namespace Dendrite.Gpu;

/// <summary>
/// The <see cref="Backend"/> over one ILGPU accelerator: a CUDA GPU, an OpenCL device, or ILGPU's CPU accelerator (the
/// simulator the tests run on). Every method is an ILGPU kernel from <see cref="GpuKernels"/>, ported from the
/// reference backend's definitions; matrix products go through cuBLAS when the accelerator is CUDA and libcublas
/// loads, else through the own tiled shared-memory kernel (<see cref="Description"/> says which).
/// </summary>
/// <remarks>
/// Kernels are queued on the accelerator's default stream in call order, so a method may return before its result
/// exists; <see cref="Download"/> (and so <c>Item()</c> and every host read) waits for them. Sums that the reference
/// takes in double are taken in double here too, but in a different order where threads split them, and atomic
/// additions (scatter and pooling gradients) add in any order: results agree with the CPU within float rounding,
/// while copies, masks, maxima and indices agree to the bit.
/// <para>Like the stream it queues on, a backend serves one thread at a time: its scratch buffers (whole-tensor sums,
/// index uploads, column matrices) are shared by its calls.</para>
/// </remarks>
public sealed partial class GpuBackend : Backend, IDisposable
{
    private readonly Accelerator _accelerator;
    private readonly CuBlas? _cublas;

    /// <summary>A one-value buffer standing in for an absent optional storage (kernels check a flag before reading).</summary>
    private readonly MemoryBuffer1D<float, Stride1D.Dense> _placeholder;
    private readonly MemoryBuffer1D<double, Stride1D.Dense> _partials;
    private readonly MemoryBuffer1D<int, Stride1D.Dense> _firstIndex;
    private MemoryBuffer1D<int, Stride1D.Dense> _indices;
    private MemoryBuffer1D<float, Stride1D.Dense> _scratch;

    /// <summary>
    /// Host→device copies of new tensors (every batch a DataLoader hands to a model on this device, weights being
    /// loaded) run here, apart from the kernels: an upload waits for its own copy, not for the steps queued before it.
    /// </summary>
    private readonly AcceleratorStream _uploads;

    /// <summary>Two page-locked host buffers of <see cref="UploadChunk"/> values, made on the first upload (see <see cref="Upload"/>).</summary>
    private PageLockedArray1D<float>[]? _staging;

    /// <summary>A backend on <paramref name="accelerator"/>, named <paramref name="name"/> ("cuda:0", "simulator").</summary>
    public GpuBackend(Accelerator accelerator, string name)
    {
        ArgumentNullException.ThrowIfNull(accelerator);
        ArgumentException.ThrowIfNullOrWhiteSpace(name);
        _accelerator = accelerator;
        Name = name;
        (_cublas, string gemm) = TryCuBlas(accelerator);
        _placeholder = accelerator.Allocate1D<float>(1);
        _partials = accelerator.Allocate1D<double>(GpuKernels.PartialCount);
        _firstIndex = accelerator.Allocate1D<int>(1);
        _indices = accelerator.Allocate1D<int>(1);
        _scratch = accelerator.Allocate1D<float>(1);
        _uploads = accelerator.CreateStream();
        Description = $"{name}: {accelerator.Name} ({accelerator.AcceleratorType}), GEMM by {gemm}";
    }

    private static (CuBlas?, string) TryCuBlas(Accelerator accelerator)
    {
        if (accelerator is not CudaAccelerator cuda) return (null, "the own tiled kernel (not a CUDA accelerator)");
        try
        {
            var cublas = new CuBlas(cuda);
            cublas.Stream = (CudaStream)cuda.DefaultStream;
            return (cublas, $"cuBLAS {cublas.Version}");
        }
        catch (Exception e) when (e is DllNotFoundException or EntryPointNotFoundException or CuBlasException or TypeInitializationException)
        {
            return (null, $"the own tiled kernel (cuBLAS did not load: {e.GetType().Name})");
        }
    }

    public override string Name { get; }

    /// <summary>What runs underneath, said once at start: the accelerator and whether GEMM goes through cuBLAS.</summary>
    public string Description { get; }

    /// <summary>Whether matrix products (and so convolutions) go through cuBLAS.</summary>
    public bool UsesCuBlas => _cublas is not null;

    /// <summary>The ILGPU accelerator (for device facts: multiprocessors, clock).</summary>
    public Accelerator Accelerator => _accelerator;

    public override bool IsHost => false;

    /// <summary>Waits until every queued kernel has finished (timings; host reads wait by themselves).</summary>
    public void Synchronize() => _accelerator.Synchronize();

    public void Dispose()
    {
        _uploads.Dispose();
        foreach (var buffer in _staging ?? []) buffer.Dispose();
        _cublas?.Dispose();
        _accelerator.Dispose();
    }

    // ------------------------------------------------------------------ launching

    private ArrayView<float> View(Storage s) => s is GpuStorage g && ReferenceEquals(g.Backend, this)
        ? g.View
        : throw new ArgumentException($"{Name} backend: a storage of {(s as GpuStorage)?.Backend.Name ?? s.GetType().Name} was given; move the tensor to {Name} first.");

    private ArrayView<float> ViewOrPlaceholder(Storage? s) => s is null ? _placeholder.View : View(s);

    /// <summary>Runs <paramref name="kernel"/> on <paramref name="count"/> threads, loading it on first use.</summary>
    private void Launch<TArgs>(ref Action<Index1D, TArgs>? slot, Action<Index1D, TArgs> kernel, int count, TArgs args)
        where TArgs : struct
    {
        if (count <= 0) return;
        slot ??= _accelerator.LoadAutoGroupedStreamKernel(kernel);
        slot(count, args);
    }

    /// <summary>The int scratch buffer holding <paramref name="values"/> (grown when too small).</summary>
    private ArrayView<int> UploadIndices(ReadOnlySpan<int> values)
    {
        if (_indices.Length < values.Length)
        {
            _accelerator.Synchronize(); // queued kernels may still read the old buffer
            _indices.Dispose();
            _indices = _accelerator.Allocate1D<int>(values.Length);
        }
        var view = _indices.View.SubView(0, values.Length);
        CopyIn(view, values);
        return view;
    }

    /// <summary>
    /// Copies host values into device memory and waits: the host values stay pinned until the copy is done, whichever
    /// accelerator (the simulator's copies may run after the call returns).
    /// </summary>
    private unsafe void CopyIn<T>(ArrayView<T> target, ReadOnlySpan<T> values) where T : unmanaged
    {
        if (values.Length == 0) return;
        fixed (T* pinned = values)
        {
            target.CopyFromCPU(ref *pinned, values.Length);
            _accelerator.Synchronize();
        }
    }

    /// <summary>A float scratch area of at least <paramref name="length"/> values (grown when too small).</summary>
    private ArrayView<float> Scratch(int length)
    {
        if (_scratch.Length < length)
        {
            _accelerator.Synchronize();
            _scratch.Dispose();
            _scratch = _accelerator.Allocate1D<float>(length);
        }
        return _scratch.View.SubView(0, length);
    }

    // ------------------------------------------------------------------ memory

    public override Storage Allocate(int length)
    {
        if (length < 0) throw new ArgumentOutOfRangeException(nameof(length), $"{Name} backend: cannot allocate {length} values.");
        MemoryBuffer1D<float, Stride1D.Dense> buffer;
        try
        {
            buffer = _accelerator.Allocate1D<float>(Math.Max(length, 1));
        }
        catch (Exception e) when (e is OutOfMemoryException or AcceleratorException)
        {
            // Device buffers are freed by finalisers, which the collector runs only when host memory runs low.
            GC.Collect();
            GC.WaitForPendingFinalizers();
            buffer = _accelerator.Allocate1D<float>(Math.Max(length, 1));
        }
        return new GpuStorage(this, buffer, 0, length);
    }

    /// <summary>Values a staging buffer holds: 4 MB, a batch of 128 MNIST images is 0.4 MB.</summary>
    internal const int UploadChunk = 1 << 20;

    /// <summary>
    /// New device storage holding <paramref name="values"/>, copied through page-locked staging (PyTorch's pinned
    /// memory): the values are copied into a page-locked host buffer, which the GPU's copy engine reads at full bus
    /// speed without the driver staging pageable memory itself, on a stream of its own, so the upload waits for its
    /// copy only and never for the kernels already queued. Larger uploads go in chunks through two buffers by turns: the
    /// host fills one while the other's copy runs.
    /// </summary>
    public override Storage Upload(ReadOnlySpan<float> values)
    {
        var storage = (GpuStorage)Allocate(values.Length);
        if (values.Length == 0) return storage;
        _staging ??= [_accelerator.AllocatePageLocked1D<float>(UploadChunk), _accelerator.AllocatePageLocked1D<float>(UploadChunk)];
        var target = storage.View;
        for (int start = 0, turn = 0; start < values.Length; start += UploadChunk, turn ^= 1)
        {
            int count = Math.Min(UploadChunk, values.Length - start);
            var buffer = _staging[turn];
            values.Slice(start, count).CopyTo(buffer.Span); // while the other buffer's copy, the one in flight, runs
            // That copy done, none is in flight: the buffer filled next (the other one) is free to fill.
            if (start > 0) _uploads.Synchronize();
            target.SubView(start, count).CopyFromCPUUnsafeAsync(_uploads, ref buffer.Span[0], count);
        }
        _uploads.Synchronize(); // the staging buffers are free again, and the values on the device before any kernel reads them
        return storage;
    }

    public override unsafe void Download(Storage source, Span<float> destination)
    {
        var view = View(source);
        if (destination.Length < view.Length)
            throw new ArgumentException($"{Name} backend: Download of {view.Length} values into {destination.Length}.");
        _accelerator.Synchronize();
        if (view.Length == 0) return;
        fixed (float* pinned = destination)
        {
            view.CopyToCPU(ref *pinned, view.Length);
            _accelerator.Synchronize();
        }
    }

    private Action<Index1D, PairArgs>? _copy, _accumulate;
    private Action<Index1D, FillArgs>? _fill;
    private Action<Index1D, BlockArgs>? _copyBlocks;
    private Action<Index1D, FillBlocksArgs>? _fillBlocks;
    private Action<Index1D, MapArgs>? _gather, _scatter;
    private Action<Index1D, RowsArgs>? _gatherRows, _scatterAddRows;
    private Action<Index1D, OneHotArgs>? _oneHot;
    private Action<Index1D, FindArgs>? _findOutside;

    public override void Copy(Storage x, Storage y) =>
        Launch(ref _copy, GpuKernels.Copy, x.Length, new PairArgs { X = View(x), Y = View(y) });

    public override void Fill(Storage y, float value) =>
        Launch(ref _fill, GpuKernels.Fill, y.Length, new FillArgs { Y = View(y), Value = value });

    public override void CopyBlocks(Storage x, int xOffset, int xStride, Storage y, int yOffset, int yStride,
        int blockLength, int count) =>
        Launch(ref _copyBlocks, GpuKernels.CopyBlocks, blockLength * count, new BlockArgs
        {
            X = View(x), Y = View(y), XOffset = xOffset, XStride = xStride, YOffset = yOffset, YStride = yStride,
            BlockLength = blockLength,
        });

    public override void FillBlocks(ReadOnlySpan<float> values, int blockLength, Storage y)
    {
        if (values.Length == 0 || blockLength == 0) return;
        var staged = Scratch(values.Length);
        CopyIn(staged, values);
        Launch(ref _fillBlocks, GpuKernels.FillBlocks, values.Length * blockLength,
            new FillBlocksArgs { Values = staged, Y = View(y), BlockLength = blockLength });
    }

    public override void Permute(Storage x, ReadOnlySpan<int> xShape, ReadOnlySpan<int> perm, Storage y)
    {
        var inStrides = Strides(xShape);
        var map = new IndexMap { Rank = CheckRank(xShape.Length, nameof(Permute)) };
        for (int d = 0; d < xShape.Length; d++)
        {
            map.Dims.Set(d, xShape[perm[d]]);
            map.AStrides.Set(d, inStrides.Get(perm[d]));
        }
        Launch(ref _gather, GpuKernels.Gather, y.Length, new MapArgs { X = View(x), Y = View(y), Map = map });
    }

    public override void PadInto(Storage x, ReadOnlySpan<int> xShape, ReadOnlySpan<int> before, Storage y,
        ReadOnlySpan<int> yShape) =>
        Launch(ref _scatter, GpuKernels.Scatter, x.Length, PadArgs(View(x), xShape, before, View(y), yShape, nameof(PadInto)));

    public override void UnpadFrom(Storage dy, ReadOnlySpan<int> dyShape, ReadOnlySpan<int> before, Storage dx,
        ReadOnlySpan<int> dxShape)
    {
        var pad = PadArgs(View(dx), dxShape, before, View(dy), dyShape, nameof(UnpadFrom));
        Launch(ref _gather, GpuKernels.Gather, dx.Length, new MapArgs { X = pad.Y, Y = pad.X, Map = pad.Map, Base = pad.Base });
    }

    /// <summary>Inner element i (over <paramref name="innerShape"/>) ↔ padded element Base + Σ index·paddedStride.</summary>
    private static MapArgs PadArgs(ArrayView<float> inner, ReadOnlySpan<int> innerShape, ReadOnlySpan<int> before,
        ArrayView<float> padded, ReadOnlySpan<int> paddedShape, string op)
    {
        var strides = Strides(paddedShape);
        var map = new IndexMap { Rank = CheckRank(innerShape.Length, op) };
        int start = 0;
        for (int d = 0; d < innerShape.Length; d++)
        {
            map.Dims.Set(d, innerShape[d]);
            map.AStrides.Set(d, strides.Get(d));
            start += before[d] * strides.Get(d);
        }
        return new MapArgs { X = inner, Y = padded, Map = map, Base = start };
    }

    public override void GatherRows(Storage table, int rowLength, ReadOnlySpan<int> rows, Storage y) =>
        Launch(ref _gatherRows, GpuKernels.GatherRows, rows.Length * rowLength, new RowsArgs
        {
            Table = View(table), Y = View(y), Rows = UploadIndices(rows), RowLength = rowLength,
        });

    public override void ScatterAddRows(Storage dy, int rowLength, ReadOnlySpan<int> rows, int skipRow, Storage dTable)
    {
        Fill(dTable, 0f);
        Launch(ref _scatterAddRows, GpuKernels.ScatterAddRows, rows.Length * rowLength, new RowsArgs
        {
            Table = View(dTable), Y = View(dy), Rows = UploadIndices(rows), RowLength = rowLength, SkipRow = skipRow,
        });
    }

    public override void OneHot(Storage indices, int classes, Storage y) =>
        Launch(ref _oneHot, GpuKernels.OneHot, indices.Length * classes,
            new OneHotArgs { Indices = View(indices), Y = View(y), Classes = classes });

    public override int FindOutside(Storage x, float lo, float hi)
    {
        var first = _firstIndex.View;
        CopyIn(first, [int.MaxValue]);
        Launch(ref _findOutside, GpuKernels.FindOutside, x.Length, new FindArgs { X = View(x), First = first, Lo = lo, Hi = hi });
        int found = 0;
        _accelerator.Synchronize();
        first.CopyToCPU(ref found, 1); // a stack local: nothing to pin
        _accelerator.Synchronize();
        return found == int.MaxValue ? -1 : found;
    }

    // ------------------------------------------------------------------ shapes

    private static int CheckRank(int rank, string op) => rank <= Dims8.MaxRank
        ? rank
        : throw new ArgumentException($"gpu backend: {op} supports tensors of rank up to {Dims8.MaxRank}, not {rank}.");

    private static Dims8 Strides(ReadOnlySpan<int> shape)
    {
        var strides = new Dims8();
        int stride = 1;
        for (int d = shape.Length - 1; d >= 0; d--)
        {
            strides.Set(d, stride);
            stride *= shape[d];
        }
        return strides;
    }

    /// <summary>Per output dimension, the stride of an operand broadcast to <paramref name="outShape"/> (0 where broadcast).</summary>
    private static Dims8 BroadcastStrides(ReadOnlySpan<int> shape, ReadOnlySpan<int> outShape)
    {
        var own = Strides(shape);
        var strides = new Dims8();
        int skipped = outShape.Length - shape.Length;
        for (int d = 0; d < shape.Length; d++) strides.Set(skipped + d, shape[d] == 1 ? 0 : own.Get(d));
        return strides;
    }

    private static IndexMap BroadcastMap(ReadOnlySpan<int> yShape, ReadOnlySpan<int> aShape, ReadOnlySpan<int> bShape, string op)
    {
        var map = new IndexMap
        {
            Rank = CheckRank(yShape.Length, op),
            AStrides = BroadcastStrides(aShape, yShape),
            BStrides = BroadcastStrides(bShape, yShape),
        };
        for (int d = 0; d < yShape.Length; d++) map.Dims.Set(d, yShape[d]);
        return map;
    }

    // ------------------------------------------------------------------ elementwise

    private Action<Index1D, UnaryArgs>? _unary, _unaryBackward;
    private Action<Index1D, BinaryArgs>? _binary;
    private Action<Index1D, SumToArgs>? _sumTo;

    public override void Unary(UnaryOp op, Storage x, Storage y, float a = 0f, float b = 0f, float c = 0f) =>
        Launch(ref _unary, GpuKernels.Unary, x.Length,
            new UnaryArgs { X = View(x), Dy = _placeholder.View, Y = View(y), Op = op, A = a, B = b, C = c });

    public override void UnaryBackward(UnaryOp op, Storage x, Storage y, Storage dy, Storage dx, float a = 0f,
        float b = 0f, float c = 0f) =>
        Launch(ref _unaryBackward, GpuKernels.UnaryBackward, dx.Length,
            new UnaryArgs { X = View(x), Dy = View(dy), Y = View(dx), Op = op, A = a, B = b, C = c });

    public override void Binary(BinaryOp op, Storage a, ReadOnlySpan<int> aShape, Storage b, ReadOnlySpan<int> bShape,
        Storage y, ReadOnlySpan<int> yShape) =>
        Launch(ref _binary, GpuKernels.Binary, y.Length, new BinaryArgs
        {
            A = View(a), B = View(b), Y = View(y), Map = BroadcastMap(yShape, aShape, bShape, nameof(Binary)), Op = op,
        });

    public override void SumTo(Storage g, ReadOnlySpan<int> gShape, Storage t, ReadOnlySpan<int> tShape)
    {
        var args = new SumToArgs { G = View(g), T = View(t), Rank = CheckRank(gShape.Length, nameof(SumTo)), GStrides = Strides(gShape) };
        int skipped = gShape.Length - tShape.Length, reduced = 1;
        for (int d = 0; d < gShape.Length; d++)
        {
            int tSize = d < skipped ? 1 : tShape[d - skipped];
            args.TDims.Set(d, tSize);
            args.GDims.Set(d, gShape[d]);
            if (tSize == 1 && gShape[d] != 1) reduced *= gShape[d];
        }
        args.ReducedCount = g.Length == 0 ? 0 : reduced;
        Launch(ref _sumTo, GpuKernels.SumTo, t.Length, args);
    }

    public override void BroadcastTo(Storage x, ReadOnlySpan<int> xShape, Storage y, ReadOnlySpan<int> yShape) =>
        Launch(ref _gather, GpuKernels.Gather, y.Length,
            new MapArgs { X = View(x), Y = View(y), Map = BroadcastMap(yShape, xShape, xShape, nameof(BroadcastTo)) });

    public override void Accumulate(Storage accumulator, Storage g) =>
        Launch(ref _accumulate, GpuKernels.Accumulate, g.Length, new PairArgs { X = View(g), Y = View(accumulator) });

    // ------------------------------------------------------------------ reductions

    private Action<Index1D, SumAllArgs>? _sumAllPartials, _sumAllFinish;
    private Action<Index1D, AxisArgs>? _sumAxis, _maxAxis, _maxAxisBackward, _softmax;

    public override void SumAll(Storage x, Storage y) => SumAllScaled(x, 1.0, y);

    public override void SumAllScaled(Storage x, double scale, Storage y)
    {
        var args = new SumAllArgs { X = View(x), Y = View(y), Partials = _partials.View, Scale = scale };
        Launch(ref _sumAllPartials, GpuKernels.SumAllPartials, GpuKernels.PartialCount, args);
        Launch(ref _sumAllFinish, GpuKernels.SumAllFinish, 1, args);
    }

    public override void Sum(Storage x, int outer, int n, int inner, Storage y)
    {
        if (outer * inner == 1 && n > 1)
        {
            SumAll(x, y);
            return;
        }
        Launch(ref _sumAxis, GpuKernels.SumAxis, outer * inner,
            new AxisArgs { X = View(x), Y = View(y), ArgMax = _placeholder.View, N = n, Inner = inner });
    }

    public override void SumRows(Storage x, int rows, int columns, Storage y) => Sum(x, 1, rows, columns, y);

    public override void Max(Storage x, int outer, int n, int inner, Storage y, Storage argMax) =>
        Launch(ref _maxAxis, GpuKernels.MaxAxis, outer * inner,
            new AxisArgs { X = View(x), Y = View(y), ArgMax = View(argMax), N = n, Inner = inner });

    public override void MaxBackward(Storage dy, Storage argMax, int outer, int n, int inner, Storage dx) =>
        Launch(ref _maxAxisBackward, GpuKernels.MaxAxisBackward, outer * n * inner,
            new AxisArgs { X = View(dy), Y = View(dx), ArgMax = View(argMax), N = n, Inner = inner });

    public override void Softmax(Storage x, int outer, int n, int inner, Storage y, bool log) =>
        Launch(ref _softmax, GpuKernels.Softmax, outer * inner,
            new AxisArgs { X = View(x), Y = View(y), ArgMax = _placeholder.View, N = n, Inner = inner, Log = log });

    // ------------------------------------------------------------------ matrix products

    private Action<KernelConfig, GemmArgs>? _gemmTiled;
    private Action<Index1D, RepeatArgs>? _repeatRows;

    public override void Gemm(bool transA, bool transB, int m, int n, int k, Storage a, int aOffset, int lda,
        Storage b, int bOffset, int ldb, Storage c, int cOffset, int ldc, bool accumulate) =>
        Gemm(transA, transB, m, n, k, View(a), aOffset, lda, View(b), bOffset, ldb, View(c), cOffset, ldc, accumulate);

    private void Gemm(bool transA, bool transB, int m, int n, int k, ArrayView<float> a, int aOffset, int lda,
        ArrayView<float> b, int bOffset, int ldb, ArrayView<float> c, int cOffset, int ldc, bool accumulate)
    {
        if (m == 0 || n == 0) return;
        if (_cublas is not null && k > 0)
        {
            // cuBLAS is column-major: a row-major C (m × n) is a column-major Cᵀ = op(B)ᵀ·op(A)ᵀ, so the operands swap.
            _cublas.Gemm(transB ? CuBlasOperation.Transpose : CuBlasOperation.NonTranspose,
                transA ? CuBlasOperation.Transpose : CuBlasOperation.NonTranspose,
                n, m, k, 1f, b.SubView(bOffset), ldb, a.SubView(aOffset), lda, accumulate ? 1f : 0f, c.SubView(cOffset), ldc);
            return;
        }
        GemmOwn(new GemmArgs
        {
            A = a, B = b, C = c, TransA = transA, TransB = transB, Accumulate = accumulate, M = m, N = n, K = k,
            AOffset = aOffset, Lda = lda, BOffset = bOffset, Ldb = ldb, COffset = cOffset, Ldc = ldc,
        });
    }

    /// <summary>The own tiled kernel, whatever cuBLAS's state (the device check compares the two).</summary>
    internal void GemmOwn(GemmArgs args)
    {
        _gemmTiled ??= _accelerator.LoadStreamKernel<GemmArgs>(GpuKernels.GemmTiled);
        // A GPU runs 16×16 tiles; the simulator's groups are smaller (each of its threads is an OS thread).
        int tile = _accelerator.MaxNumThreadsPerGroup >= GpuKernels.GemmTile * GpuKernels.GemmTile ? GpuKernels.GemmTile : 4;
        args.Tile = tile;
        var grid = new Index2D((args.N + tile - 1) / tile, (args.M + tile - 1) / tile);
        _gemmTiled(new KernelConfig(grid, new Index2D(tile, tile), SharedMemoryConfig.RequestDynamic<float>(2 * tile * tile)), args);
    }

    /// <summary>C = A·B on dense row-major n × n matrices, by cuBLAS when <paramref name="cublas"/> (for the device check).</summary>
    public void SquareGemm(Storage a, Storage b, Storage c, int n, bool cublas)
    {
        if (cublas && _cublas is null) throw new InvalidOperationException($"{Name}: cuBLAS is not loaded ({Description}).");
        if (cublas) Gemm(false, false, n, n, n, a, 0, n, b, 0, n, c, 0, n, accumulate: false);
        else GemmOwn(new GemmArgs { A = View(a), B = View(b), C = View(c), M = n, N = n, K = n, Lda = n, Ldb = n, Ldc = n });
    }

    public override void RepeatRows(Storage row, int rows, Storage y) =>
        Launch(ref _repeatRows, GpuKernels.RepeatRows, rows * row.Length, new RepeatArgs { Row = View(row), Y = View(y) });

    // ------------------------------------------------------------------ dropout

    private Action<Index1D, MaskArgs>? _bernoulliMask;

    public override void BernoulliMask(Storage x, Storage mask, Storage y, float p, float keep, ulong seed)
    {
        int chunks = (mask.Length + GpuKernels.MaskChunk - 1) / GpuKernels.MaskChunk;
        Launch(ref _bernoulliMask, GpuKernels.BernoulliMask, chunks * 4, new MaskArgs
        {
            X = View(x), Mask = View(mask), Y = View(y), Threshold = (uint)Math.Ceiling(p * 16777216.0), Keep = keep, Seed = seed,
        });
    }
}
