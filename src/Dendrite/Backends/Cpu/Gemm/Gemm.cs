using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace Dendrite.Backends.Cpu;

/// <summary>
/// Single-precision matrix multiply, row-major: C[M, N] (+)= op(A)[M, K] · op(B)[K, N],
/// op(A)[i, k] = transA ? A[k·lda + i] : A[i·lda + k], likewise for B. Transposes are folded into packing, never materialised.
/// </summary>
/// <remarks>
/// BLIS-style: K is cut into KC blocks; for each, B is packed into NR-wide column panels and A into MR-tall row
/// panels, and a register-tiled micro-kernel computes MR×NR tiles of C from them. Threads split M blocks and N panels,
/// never K, so every element of C is summed in the same order whatever the thread count.
/// </remarks>
internal static partial class Gemm
{
    // K block: a whole K up to 1024 in one pass (no re-reading of C, one fork-join), else 512-deep blocks. The kernel
    // streams its B micro-panel (KC·NR floats, up to 128 KB) from L2, which keeps up with the FMAs; A's MR×KC panel
    // (up to 32 KB) stays in L1.
    private const int KCMax = 1024;
    private const int KCBlock = 512;
    private const int MCMax = 96; // multiple of both MR values (8 and 6)
    [ThreadStatic] private static float[]? t_packA;

    private const int TileScratch = 8 * 32; // one MR×NR tile: where a kernel leaves its sums before they go into C

    public static void Multiply(bool transA, bool transB, int m, int n, int k,
        ReadOnlySpan<float> a, int lda, ReadOnlySpan<float> b, int ldb, Span<float> c, int ldc, bool accumulate)
    {
        if (m == 0 || n == 0) return;
        if (k == 0)
        {
            if (!accumulate) for (int i = 0; i < m; i++) c.Slice(i * ldc, n).Clear();
            return;
        }
        // Spans cannot cross into lambdas: pin once and pass pointers.
        unsafe
        {
            fixed (float* pa = a, pb = b, pc = c)
            {
                if (m < SmallM) MultiplyFewRows(transA, transB, m, n, k, pa, lda, pb, ldb, pc, ldc, accumulate);
                else MultiplyCore(transA, transB, m, n, k, pa, lda, pb, ldb, pc, ldc, accumulate);
            }
        }
    }

    /// <summary>Below this many rows of C, packing B costs more than it saves: B is read once, in place.</summary>
    private const int SmallM = 4;

    /// <summary>
    /// C for a few rows (batch-1 inference): with Bᵀ stored (a Linear weight), each C[i, j] is a dot product of two
    /// contiguous rows; otherwise each row of C accumulates rows of B scaled by A[i, k]. Threads split the columns.
    /// </summary>
    private static unsafe void MultiplyFewRows(bool transA, bool transB, int m, int n, int k,
        float* a, int lda, float* b, int ldb, float* c, int ldc, bool accumulate)
    {
        // One contiguous column range per thread: the same thread reads the same weight rows on every call, so a
        // layer's weights stay in that core's cache between batch-1 calls (reading them is all this path does).
        bool parallel = 2.0 * m * n * k >= 2e5 && Threading.NumThreads > 1 && n >= 32;
        int tasks = parallel ? Threading.NumThreads : 1;
        // Ranges start at multiples of 4, so each column falls in the same group of four (or the same tail) whatever
        // the thread count, and sums in the same order.
        int columnsPerTask = ((n + tasks - 1) / tasks + 3) / 4 * 4;
        tasks = (n + columnsPerTask - 1) / columnsPerTask;
        float[]? rowsOfA = null;
        if (transA)
        {
            // Gather A's rows (columns of the stored matrix) once so the inner loops read contiguous memory.
            rowsOfA = System.Buffers.ArrayPool<float>.Shared.Rent(m * k);
            for (int i = 0; i < m; i++)
                for (int p = 0; p < k; p++) rowsOfA[i * k + p] = a[(long)p * lda + i];
        }
        try
        {
            fixed (float* gathered = rowsOfA)
            {
                int rowStride = transA ? k : lda;
                float* aRows = transA ? gathered : a;
                var job = GemmJob.Current;
                job.SetProduct(Isa.Current, transA: false, transB, m, n, k, aRows, rowStride, b, ldb, c, ldc, accumulate);
                job.ColumnsPerTask = columnsPerTask;
                Threading.For(tasks, job.FewRowsColumns, parallel);
                job.Clear();
            }
        }
        finally
        {
            if (rowsOfA is not null) System.Buffers.ArrayPool<float>.Shared.Return(rowsOfA);
        }
    }

    /// <summary>Most packed-A floats one pass holds (16 MB); taller products run as several passes over row ranges.</summary>
    private const int PackedALimit = 1 << 22;

    /// <summary>
    /// Four dot products of one row of A with four rows of B (stride ldb) at once, sharing A's loads: C[0..4) (+)= A·Bᵣᵀ.
    /// Each width (512, 256 or 128 bits, as <paramref name="kernel"/> says) sums a row in vector accumulators that it
    /// adds and reduces at the end, then K's tail in scalars: a column's sum depends on the instruction set only, never
    /// on which thread or column group computes it.
    /// </summary>
    private static unsafe void Dot4(CpuIsa kernel, float* a, float* b, int ldb, int k, float* c, bool accumulate)
    {
        var (d0, d1, d2, d3) = kernel switch
        {
            CpuIsa.Avx512 => Dot4Avx512(a, b, ldb, k),
            CpuIsa.Avx2 => Dot4Avx2(a, b, ldb, k),
            _ => Dot4Portable(a, b, ldb, k),
        };
        if (accumulate)
        {
            c[0] += d0; c[1] += d1; c[2] += d2; c[3] += d3;
        }
        else
        {
            c[0] = d0; c[1] = d1; c[2] = d2; c[3] = d3;
        }
    }

    /// <summary>
    /// How far ahead of its loads <see cref="Dot4"/> prefetches each row of B, in floats. Batch-1 weights are read once
    /// per call and are often bigger than L2, so they stream from L3; the hardware prefetchers stop at each 4 KB page,
    /// and with four rows in flight a page boundary comes every 256 floats of one row or another.
    /// </summary>
    private const int Dot4PrefetchFloats = 256;

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static unsafe (float, float, float, float) Dot4Avx512(float* a, float* b, int ldb, int k)
    {
        // Two accumulators a row: four chains of fused multiply-adds wait on the FMA latency, eight keep both FMA
        // pipes busy while the weights come from L1 or L2.
        Vector512<float> s0 = default, s1 = default, s2 = default, s3 = default;
        Vector512<float> t0 = default, t1 = default, t2 = default, t3 = default;
        float* b0 = b, b1 = b + ldb, b2 = b + 2L * ldb, b3 = b + 3L * ldb;
        int p = 0;
        for (; p + 32 <= k; p += 32)
        {
            if (Sse.IsSupported)
            {
                // Prefetches are hints: past the end of B (the last rows' lookahead) they cannot fault.
                Sse.Prefetch0(b0 + p + Dot4PrefetchFloats);
                Sse.Prefetch0(b1 + p + Dot4PrefetchFloats);
                Sse.Prefetch0(b2 + p + Dot4PrefetchFloats);
                Sse.Prefetch0(b3 + p + Dot4PrefetchFloats);
                Sse.Prefetch0(b0 + p + 16 + Dot4PrefetchFloats);
                Sse.Prefetch0(b1 + p + 16 + Dot4PrefetchFloats);
                Sse.Prefetch0(b2 + p + 16 + Dot4PrefetchFloats);
                Sse.Prefetch0(b3 + p + 16 + Dot4PrefetchFloats);
            }
            var x = Vector512.Load(a + p);
            s0 = Vector512.FusedMultiplyAdd(x, Vector512.Load(b0 + p), s0);
            s1 = Vector512.FusedMultiplyAdd(x, Vector512.Load(b1 + p), s1);
            s2 = Vector512.FusedMultiplyAdd(x, Vector512.Load(b2 + p), s2);
            s3 = Vector512.FusedMultiplyAdd(x, Vector512.Load(b3 + p), s3);
            var y = Vector512.Load(a + p + 16);
            t0 = Vector512.FusedMultiplyAdd(y, Vector512.Load(b0 + p + 16), t0);
            t1 = Vector512.FusedMultiplyAdd(y, Vector512.Load(b1 + p + 16), t1);
            t2 = Vector512.FusedMultiplyAdd(y, Vector512.Load(b2 + p + 16), t2);
            t3 = Vector512.FusedMultiplyAdd(y, Vector512.Load(b3 + p + 16), t3);
        }
        if (p + 16 <= k)
        {
            var x = Vector512.Load(a + p);
            s0 = Vector512.FusedMultiplyAdd(x, Vector512.Load(b0 + p), s0);
            s1 = Vector512.FusedMultiplyAdd(x, Vector512.Load(b1 + p), s1);
            s2 = Vector512.FusedMultiplyAdd(x, Vector512.Load(b2 + p), s2);
            s3 = Vector512.FusedMultiplyAdd(x, Vector512.Load(b3 + p), s3);
            p += 16;
        }
        return Dot4Tail(a, b0, b1, b2, b3, p, k,
            Vector512.Sum(s0 + t0), Vector512.Sum(s1 + t1), Vector512.Sum(s2 + t2), Vector512.Sum(s3 + t3));
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static unsafe (float, float, float, float) Dot4Avx2(float* a, float* b, int ldb, int k)
    {
        Vector256<float> s0 = default, s1 = default, s2 = default, s3 = default;
        Vector256<float> t0 = default, t1 = default, t2 = default, t3 = default;
        float* b0 = b, b1 = b + ldb, b2 = b + 2L * ldb, b3 = b + 3L * ldb;
        int p = 0;
        for (; p + 16 <= k; p += 16)
        {
            if (Sse.IsSupported)
            {
                Sse.Prefetch0(b0 + p + Dot4PrefetchFloats);
                Sse.Prefetch0(b1 + p + Dot4PrefetchFloats);
                Sse.Prefetch0(b2 + p + Dot4PrefetchFloats);
                Sse.Prefetch0(b3 + p + Dot4PrefetchFloats);
            }
            var x = Vector256.Load(a + p);
            s0 = Vector256.FusedMultiplyAdd(x, Vector256.Load(b0 + p), s0);
            s1 = Vector256.FusedMultiplyAdd(x, Vector256.Load(b1 + p), s1);
            s2 = Vector256.FusedMultiplyAdd(x, Vector256.Load(b2 + p), s2);
            s3 = Vector256.FusedMultiplyAdd(x, Vector256.Load(b3 + p), s3);
            var y = Vector256.Load(a + p + 8);
            t0 = Vector256.FusedMultiplyAdd(y, Vector256.Load(b0 + p + 8), t0);
            t1 = Vector256.FusedMultiplyAdd(y, Vector256.Load(b1 + p + 8), t1);
            t2 = Vector256.FusedMultiplyAdd(y, Vector256.Load(b2 + p + 8), t2);
            t3 = Vector256.FusedMultiplyAdd(y, Vector256.Load(b3 + p + 8), t3);
        }
        if (p + 8 <= k)
        {
            var x = Vector256.Load(a + p);
            s0 = Vector256.FusedMultiplyAdd(x, Vector256.Load(b0 + p), s0);
            s1 = Vector256.FusedMultiplyAdd(x, Vector256.Load(b1 + p), s1);
            s2 = Vector256.FusedMultiplyAdd(x, Vector256.Load(b2 + p), s2);
            s3 = Vector256.FusedMultiplyAdd(x, Vector256.Load(b3 + p), s3);
            p += 8;
        }
        return Dot4Tail(a, b0, b1, b2, b3, p, k,
            Vector256.Sum(s0 + t0), Vector256.Sum(s1 + t1), Vector256.Sum(s2 + t2), Vector256.Sum(s3 + t3));
    }

    /// <summary><see cref="Dot4"/> on 128-bit vectors (SSE, NEON), or in software where the processor has neither.</summary>
    private static unsafe (float, float, float, float) Dot4Portable(float* a, float* b, int ldb, int k)
    {
        Vector128<float> s0 = default, s1 = default, s2 = default, s3 = default;
        float* b0 = b, b1 = b + ldb, b2 = b + 2L * ldb, b3 = b + 3L * ldb;
        int p = 0;
        for (; p + 4 <= k; p += 4)
        {
            var x = Vector128.Load(a + p);
            s0 = Vector128.FusedMultiplyAdd(x, Vector128.Load(b0 + p), s0);
            s1 = Vector128.FusedMultiplyAdd(x, Vector128.Load(b1 + p), s1);
            s2 = Vector128.FusedMultiplyAdd(x, Vector128.Load(b2 + p), s2);
            s3 = Vector128.FusedMultiplyAdd(x, Vector128.Load(b3 + p), s3);
        }
        return Dot4Tail(a, b0, b1, b2, b3, p, k, Vector128.Sum(s0), Vector128.Sum(s1), Vector128.Sum(s2), Vector128.Sum(s3));
    }

    /// <summary>Adds K's last products, from <paramref name="p"/> on, to four sums in scalars.</summary>
    private static unsafe (float, float, float, float) Dot4Tail(float* a, float* b0, float* b1, float* b2, float* b3, int p, int k,
        float d0, float d1, float d2, float d3)
    {
        for (; p < k; p++)
        {
            d0 += a[p] * b0[p];
            d1 += a[p] * b1[p];
            d2 += a[p] * b2[p];
            d3 += a[p] * b3[p];
        }
        return (d0, d1, d2, d3);
    }

    private static unsafe void MultiplyCore(bool transA, bool transB, int m, int n, int k,
        float* a, int lda, float* b, int ldb, float* c, int ldc, bool accumulate)
    {
        int kBlock = k <= KCMax ? k : KCBlock;
        int rowsPerPass = Math.Max(MCMax, PackedALimit / kBlock / MCMax * MCMax);
        for (int i0 = 0; i0 < m; i0 += rowsPerPass)
        {
            int rows = Math.Min(rowsPerPass, m - i0);
            float* aRows = transA ? a + i0 : a + (long)i0 * lda;
            if (2.0 * rows * n * k < ParallelFlops || Threading.Available == 1)
                MultiplyPassSerial(transA, transB, rows, n, k, kBlock, aRows, lda, b, ldb, c + (long)i0 * ldc, ldc, accumulate);
            else
                MultiplyPass(transA, transB, rows, n, k, kBlock, aRows, lda, b, ldb, c + (long)i0 * ldc, ldc, accumulate);
        }
    }

    /// <summary>Products below this many FLOPs run on the calling thread: forking would cost more than it saves.</summary>
    private const double ParallelFlops = 2e5;

    /// <summary>
    /// <see cref="MultiplyPass"/> on the calling thread alone, for small products and for products started inside
    /// another kernel's parallel task (a convolution's per-sample GEMMs). It has no lambdas, so it allocates nothing:
    /// a convolution makes hundreds of these calls per training step.
    /// </summary>
    private static unsafe void MultiplyPassSerial(bool transA, bool transB, int m, int n, int k, int kBlock,
        float* a, int lda, float* b, int ldb, float* c, int ldc, bool accumulate)
    {
        var kernel = Isa.Current;
        var (mr, nr) = TileOf(kernel);
        int panelsB = (n + nr - 1) / nr;
        var pool = System.Buffers.ArrayPool<float>.Shared;
        float[] packB = pool.Rent(kBlock * panelsB * nr);
        var local = t_packA ??= GC.AllocateUninitializedArray<float>(MCMax * KCMax, pinned: true);
        float* tile = stackalloc float[TileScratch];
        try
        {
            fixed (float* packedB = packB, blockA = local)
            {
                for (int pc = 0; pc < k; pc += kBlock)
                {
                    int kc = Math.Min(kBlock, k - pc);
                    bool acc = accumulate || pc > 0;
                    for (int p = 0; p < panelsB; p++)
                        PackB(transB, b, ldb, pc, kc, p * nr, Math.Min(nr, n - p * nr), nr, packedB + (long)p * kc * nr);
                    for (int i0 = 0; i0 < m; i0 += MCMax)
                    {
                        int iEnd = Math.Min(m, i0 + MCMax);
                        PackARows(transA, a, lda, i0, iEnd, pc, kc, mr, blockA);
                        ComputeBlock(kernel, kc, blockA - (long)i0 * kc, packedB, c, ldc, m, n, mr, nr, i0, iEnd, 0, panelsB, acc, tile);
                    }
                }
            }
        }
        finally
        {
            pool.Return(packB);
        }
    }

    /// <summary>
    /// One pass over a range of rows. Large products pack B in a shared parallel step per K block and A per M block
    /// inside the tasks (each task's A block is hot in its core's L2); when A is small, as in training and inference
    /// batches, <see cref="MultiplyPrivatePanels"/> gives each task its own copies of both.
    /// </summary>
    private static unsafe void MultiplyPass(bool transA, bool transB, int m, int n, int k, int kBlock,
        float* a, int lda, float* b, int ldb, float* c, int ldc, bool accumulate)
    {
        var kernel = Isa.Current; // read on the calling thread: worker threads follow its choice
        var (mr, nr) = TileOf(kernel);
        int panelsB = (n + nr - 1) / nr;
        double flops = 2.0 * m * n * k;
        int threads = flops < ParallelFlops ? 1 : Threading.NumThreads;
        // Equal M blocks (rounded to MR), so that e.g. a batch of 128 splits 64 + 64 rather than 96 + 32, and a count
        // of them that the threads share evenly.
        int mBlocks = (m + MCMax - 1) / MCMax;
        if (mBlocks > 1 && threads > 1) mBlocks = (mBlocks + threads - 1) / threads * threads;
        int mc = ((m + mBlocks - 1) / mBlocks + mr - 1) / mr * mr;
        mBlocks = (m + mc - 1) / mc;
        // About four tasks per thread, so that the last ones to finish leave little idle time; splitting N as well
        // costs one more packing of the task's A block, small beside its share of the product.
        int nChunks = threads == 1 ? 1 : Math.Min(panelsB, Math.Max(1, (threads * 4 + mBlocks - 1) / mBlocks));
        int panelsPerChunk = (panelsB + nChunks - 1) / nChunks;
        nChunks = (panelsB + panelsPerChunk - 1) / panelsPerChunk;

        // With enough column panels and a small A (training and inference shapes: a batch of rows), each task packs the
        // B panels it alone uses, so they land in the cache of the core that runs it, and its own copy of A, which must
        // therefore be small (at most 1 MB packed). Large square products keep per-block tasks.
        // A tall product with few columns (a recurrent layer's weight gradients: thousands of time-step rows reduced into
        // a [4H, H] matrix) splits its rows instead: each task packs only its own rows of A, and B, small, once per task.
        // Splitting the columns there would pack all of the big A once per task.
        bool privateRows = threads > 1 && m >= 2 * n && m >= threads * 4 * mr && (long)panelsB * nr * Math.Min(k, kBlock) <= 1 << 18;
        if (privateRows)
        {
            MultiplyPrivateRows(kernel, transA, transB, m, n, k, kBlock, mc, a, lda, b, ldb, c, ldc, accumulate, threads);
            return;
        }
        bool privateB = threads > 1 && panelsB >= 2 * threads && (long)m * Math.Min(k, kBlock) <= 1 << 18;
        if (privateB)
        {
            MultiplyPrivatePanels(kernel, transA, transB, m, n, k, kBlock, mc, a, lda, b, ldb, c, ldc, accumulate, Math.Min(panelsB, threads * 2));
            return;
        }
        var pool = System.Buffers.ArrayPool<float>.Shared;
        float[] packB = pool.Rent(kBlock * panelsB * nr);
        try
        {
            fixed (float* packedB = packB)
            {
                var job = GemmJob.Current;
                job.SetProduct(kernel, transA, transB, m, n, k, a, lda, b, ldb, c, ldc, accumulate);
                (job.Mc, job.NChunks, job.PanelsPerChunk, job.PanelsB) = (mc, nChunks, panelsPerChunk, panelsB);
                job.PackedB = packedB;
                for (int pc = 0; pc < k; pc += kBlock)
                {
                    int kc = Math.Min(kBlock, k - pc);
                    bool acc = accumulate || pc > 0;
                    job.PackDepth = (pc, kc, acc);
                    // B is packed once, in parallel, and read by every M block.
                    Threading.For(panelsB, job.PackBPanel, parallel: threads > 1);
                    Threading.For(mBlocks * nChunks, job.SharedPanelsBlock, parallel: threads > 1);
                }
                job.Clear();
            }
        }
        finally
        {
            pool.Return(packB);
        }
    }

    /// <summary>The micro-tile of <paramref name="kernel"/>: MR rows of A by NR columns of B.</summary>
    internal static (int Mr, int Nr) TileOf(CpuIsa kernel) =>
        kernel switch { CpuIsa.Avx512 => (8, 32), CpuIsa.Avx2 => (6, 16), _ => (6, 8) };

    /// <summary>
    /// The K block depth <see cref="Multiply"/> uses for a product of depth <paramref name="k"/>; callers packing their
    /// own panels use the same blocks, so their sums run in the same order and agree to the bit.
    /// </summary>
    internal static int DepthBlock(int k) => k <= KCMax ? k : KCBlock;

    /// <summary>
    /// Packs rows [0, m) × k-range [k0, k0 + kc) of op(A) into MR-tall panels (panel i at dst + i·MR·kc), as
    /// <see cref="MultiplyPacked"/> reads them, missing rows zero. For callers that pack B themselves (a convolution unfolding its image
    /// straight into panels).
    /// </summary>
    internal static unsafe void PackAPanels(bool transA, float* a, int lda, int m, int k0, int kc, int mr, float* dst) =>
        PackARows(transA, a, lda, 0, m, k0, kc, mr, dst);

    /// <summary>
    /// Packs rows [i0, iEnd) × k-range [k0, k0 + kc) of op(A) into MR-tall panels, the panel of row i at
    /// dst + (i − i0)·kc.
    /// </summary>
    private static unsafe void PackARows(bool transA, float* a, int lda, int i0, int iEnd, int k0, int kc, int mr, float* dst)
    {
        int i = i0;
        if (transA && mr == 8 && Vector256.IsHardwareAccelerated && iEnd - i0 >= 16)
        {
            // op(A) = Aᵀ: A's row k holds op(A)'s column k, so walk A row by row and deal each row's 8-float pieces to
            // the panels. Panel by panel would read each row's cache lines once per 8 floats, far apart (lda) and
            // evicted again before the next panel comes back for the rest of the line.
            // Eight panels at a time: their destinations lie 8·kc floats apart (a multiple of 4 KB for common depths),
            // and more of them than L1 has ways per set would evict each other between rows.
            int panels = (iEnd - i0) / 8;
            for (int p0 = 0; p0 < panels; p0 += 8)
            {
                int pEnd = Math.Min(panels, p0 + 8);
                for (int kk = 0; kk < kc; kk++)
                {
                    float* src = a + (long)(k0 + kk) * lda + i0;
                    float* d = dst + kk * 8;
                    for (int p = p0; p < pEnd; p++) Vector256.Store(Vector256.Load(src + p * 8), d + (long)p * 8 * kc);
                }
            }
            i += panels * 8;
        }
        for (; i < iEnd; i += mr) PackA(transA, a, lda, i, k0, Math.Min(mr, iEnd - i), kc, mr, dst + (long)(i - i0) * kc);
    }

    /// <summary>Packs every column of B [k-range [k0, k0 + kc), n] (row-major, not transposed) into NR-wide panels, as <see cref="MultiplyPacked"/> reads them.</summary>
    internal static unsafe void PackBPanels(float* b, int ldb, int k0, int kc, int n, int nr, float* dst)
    {
        for (int j = 0; j < n; j += nr) PackB(false, b, ldb, k0, kc, j, Math.Min(nr, n - j), nr, dst + (long)j / nr * kc * nr);
    }

    /// <summary>
    /// C[0..m, p0·NR .. min(n, pEnd·NR)) (+)= packed A · packed B panels [p0, pEnd) for one K block of depth
    /// <paramref name="kc"/> (a <see cref="DepthBlock"/>), on the calling thread. Panel p of B sits at
    /// packedB + (p − p0)·kc·NR, k-major, NR floats per k, zero past column n.
    /// </summary>
    /// <remarks>Without the locals' zeroing: Winograd calls this once per product and block of output channels (hundreds
    /// of times an image), and clearing the tile scratch each time, which every kernel writes before it reads, cost a
    /// store of a kilobyte per call.</remarks>
    [SkipLocalsInit]
    internal static unsafe void MultiplyPacked(CpuIsa kernel, int m, int n, int kc, float* packedA, float* packedB,
        int p0, int pEnd, float* c, int ldc, bool accumulate)
    {
        var (mr, nr) = TileOf(kernel);
        float* tile = stackalloc float[TileScratch];
        ComputeBlock(kernel, kc, packedA, packedB - (long)p0 * kc * nr, c, ldc, m, n, mr, nr, 0, m, p0, pEnd, accumulate, tile);
    }

    [ThreadStatic] private static float[]? t_private;

    /// <summary>
    /// Products with a small A and many column panels (training and inference batches): each task takes a chunk of
    /// B's column panels through every K block by itself, packing its own copy of A and its own B panels. Each core
    /// then reads only what it packed (two virtual cores need not share a cache, and a packed block written on one and
    /// read on the other cost more than packing it twice), and the product needs one fork-join rather than two per K block.
    /// </summary>
    private static unsafe void MultiplyPrivatePanels(CpuIsa kernel, bool transA, bool transB, int m, int n, int k, int kBlock,
        int mc, float* a, int lda, float* b, int ldb, float* c, int ldc, bool accumulate, int chunks)
    {
        var (mr, nr) = TileOf(kernel);
        int panelsB = (n + nr - 1) / nr, panelsA = (m + mr - 1) / mr;
        int panelsPerChunk = (panelsB + chunks - 1) / chunks;
        chunks = (panelsB + panelsPerChunk - 1) / panelsPerChunk;
        var job = GemmJob.Current;
        job.SetProduct(kernel, transA, transB, m, n, k, a, lda, b, ldb, c, ldc, accumulate);
        (job.KBlock, job.Mc, job.PanelsB, job.PanelsA, job.PanelsPerChunk) = (kBlock, mc, panelsB, panelsA, panelsPerChunk);
        Threading.For(chunks, job.PrivatePanelsChunk);
        job.Clear();
    }

    /// <summary>
    /// Products with many more rows than columns and a small B: each of <paramref name="tasks"/> tasks takes an equal
    /// range of rows (whole MR tiles) through every K block, packing its own rows of A and its own copy of all of B.
    /// </summary>
    private static unsafe void MultiplyPrivateRows(CpuIsa kernel, bool transA, bool transB, int m, int n, int k, int kBlock,
        int mc, float* a, int lda, float* b, int ldb, float* c, int ldc, bool accumulate, int tasks)
    {
        var (mr, nr) = TileOf(kernel);
        int tiles = (m + mr - 1) / mr;
        var job = GemmJob.Current;
        job.SetProduct(kernel, transA, transB, m, n, k, a, lda, b, ldb, c, ldc, accumulate);
        (job.KBlock, job.Mc, job.PanelsB, job.RowsPerTask) = (kBlock, mc, (n + nr - 1) / nr, (tiles + tasks - 1) / tasks * mr);
        Threading.For((m + job.RowsPerTask - 1) / job.RowsPerTask, job.PrivateRowsChunk);
        job.Clear();
    }

    /// <summary>Rows [i0, iEnd) × column panels [p0, pEnd) of C from packed panels: B panel outer, so it stays in L1/L2.</summary>
    private static unsafe void ComputeBlock(CpuIsa kernel, int kc, float* packedA, float* packedB, float* c, int ldc,
        int m, int n, int mr, int nr, int i0, int iEnd, int p0, int pEnd, bool acc, float* tile)
    {
        for (int p = p0; p < pEnd; p++)
        {
            int j0 = p * nr, nValid = Math.Min(nr, n - j0);
            float* bPanel = packedB + (long)p * kc * nr;
            for (int i = i0; i < iEnd; i += mr)
            {
                int mValid = Math.Min(mr, iEnd - i);
                float* aPanel = packedA + (long)i * kc, cTile = c + (long)i * ldc + j0;
                switch (kernel)
                {
                    case CpuIsa.Avx512 when nValid <= 16: Kernel8x16(kc, aPanel, bPanel, cTile, ldc, mValid, nValid, acc, tile); break;
                    case CpuIsa.Avx512: Kernel8x32(kc, aPanel, bPanel, cTile, ldc, mValid, nValid, acc, tile); break;
                    case CpuIsa.Avx2 when mValid <= 2: Kernel2x16(kc, aPanel, bPanel, cTile, ldc, mValid, nValid, acc, tile); break;
                    case CpuIsa.Avx2 when mValid <= 4: Kernel4x16(kc, aPanel, bPanel, cTile, ldc, mValid, nValid, acc, tile); break;
                    case CpuIsa.Avx2: Kernel6x16(kc, aPanel, bPanel, cTile, ldc, mValid, nValid, acc, tile); break;
                    default: Kernel6x8(kc, aPanel, bPanel, cTile, ldc, mValid, nValid, acc, tile); break;
                }
            }
        }
    }

    /// <summary>Packs rows [i0, i0+rows) × k-range of op(A) as k-major MR-tall panel: dst[k·MR + r]; missing rows are zero.</summary>
    private static unsafe void PackA(bool transA, float* a, int lda, int i0, int k0, int rows, int kc, int mr, float* dst)
    {
        if (!transA)
        {
            float* src = a + (long)i0 * lda + k0;
            int kDone = 0;
            // Full 8-row panels turn 8×8 blocks in registers: A is a batch of activations (or a convolution's output
            // gradient) stored row-major, and a scalar gather here cost a sizeable share of small-K products.
            if (rows == 8 && mr == 8 && Avx.IsSupported)
                for (; kDone + 8 <= kc; kDone += 8) Transpose8x8(src + kDone, lda, dst + (long)kDone * mr, mr);
            // The AVX2 tile's 6-row panels the same way: a Linear's input is packed on every forward pass (64 × 9216 in
            // the W2 net, once per core), and gathered one float at a time it took a sixth of the product's time.
            else if (mr == 6 && Avx.IsSupported)
                for (; kDone + 8 <= kc; kDone += 8) TransposeRows8(src + kDone, lda, rows, dst + (long)kDone * 6, 6, 6);
            for (int kk = kDone; kk < kc; kk++)
                for (int r = 0; r < rows; r++) dst[kk * mr + r] = src[(long)r * lda + kk];
        }
        else if (rows == 8 && mr == 8 && Vector256.IsHardwareAccelerated)
        {
            // op(A) = Aᵀ (a weight gradient's activations or output gradients): a panel row is 8 contiguous floats.
            for (int kk = 0; kk < kc; kk++) Vector256.Store(Vector256.Load(a + (long)(k0 + kk) * lda + i0), dst + kk * 8);
        }
        else if (rows == 6 && mr == 6 && Vector128.IsHardwareAccelerated)
        {
            for (int kk = 0; kk < kc; kk++)
            {
                float* src = a + (long)(k0 + kk) * lda + i0;
                float* d = dst + kk * 6;
                Vector128.Store(Vector128.Load(src), d);
                d[4] = src[4];
                d[5] = src[5];
            }
        }
        else
        {
            for (int kk = 0; kk < kc; kk++)
            {
                float* src = a + (long)(k0 + kk) * lda + i0;
                for (int r = 0; r < rows; r++) dst[kk * mr + r] = src[r];
            }
        }
        if (rows < mr)
            for (int kk = 0; kk < kc; kk++)
                for (int r = rows; r < mr; r++) dst[kk * mr + r] = 0f;
    }

    /// <summary>Packs columns [j0, j0+cols) × k-range of op(B) as k-major NR-wide panel: dst[k·NR + c]; missing columns are zero.</summary>
    private static unsafe void PackB(bool transB, float* b, int ldb, int k0, int kc, int j0, int cols, int nr, float* dst)
    {
        if (!transB)
        {
            // Full panels move as vectors: with few rows of C (a batch, a conv's output channels) each packed value is
            // used only m times, so a scalar copy here would cost as much as the multiply itself.
            if (cols == nr && nr % Vector256<float>.Count == 0 && Vector256.IsHardwareAccelerated)
            {
                for (int kk = 0; kk < kc; kk++)
                {
                    float* src = b + (long)(k0 + kk) * ldb + j0;
                    float* d = dst + kk * nr;
                    for (int j = 0; j < nr; j += Vector256<float>.Count) Vector256.Store(Vector256.Load(src + j), d + j);
                }
                return;
            }
            for (int kk = 0; kk < kc; kk++)
            {
                float* src = b + (long)(k0 + kk) * ldb + j0;
                float* d = dst + kk * nr;
                for (int j = 0; j < cols; j++) d[j] = src[j];
                for (int j = cols; j < nr; j++) d[j] = 0f;
            }
        }
        else
        {
            float* src = b + (long)j0 * ldb + k0;
            int kDone = 0;
            if (cols == nr && nr % 8 == 0 && Avx.IsSupported)
            {
                // 8×8 blocks turned in registers: a Linear's weight (B = Wᵀ) is packed on every forward pass, and
                // gathering it one float at a time cost more than the multiply for batch-sized products.
                for (; kDone + 8 <= kc; kDone += 8)
                    for (int jb = 0; jb < nr; jb += 8)
                        Transpose8x8(src + (long)jb * ldb + kDone, ldb, dst + (long)kDone * nr + jb, nr);
            }
            // The rest (edge panels, the last k below 8) one value at a time, k outer: each packed row is written whole,
            // while the NR source rows stay in L1 (j outer would write a 128-byte-strided column through the panel).
            for (int kk = kDone; kk < kc; kk++)
            {
                float* d = dst + kk * nr;
                for (int j = 0; j < cols; j++) d[j] = src[(long)j * ldb + kk];
                for (int j = cols; j < nr; j++) d[j] = 0f;
            }
        }
    }

    /// <summary>dst[q·dstStride + r] = src[r·srcStride + q] for q &lt; 8, r &lt; <paramref name="lanes"/>, rows from
    /// <paramref name="valid"/> on read as 0 (never touched): eight k-steps of up to eight rows into panel rows of
    /// <paramref name="lanes"/> (the AVX2 tile's 6-row A panels here; Winograd's weight-gradient panels).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static unsafe void TransposeRows8(float* src, int srcStride, int valid, float* dst, int dstStride, int lanes)
    {
        var r0 = valid > 0 ? Avx.LoadVector256(src) : default;
        var r1 = valid > 1 ? Avx.LoadVector256(src + srcStride) : default;
        var r2 = valid > 2 ? Avx.LoadVector256(src + 2L * srcStride) : default;
        var r3 = valid > 3 ? Avx.LoadVector256(src + 3L * srcStride) : default;
        var r4 = valid > 4 ? Avx.LoadVector256(src + 4L * srcStride) : default;
        var r5 = valid > 5 ? Avx.LoadVector256(src + 5L * srcStride) : default;
        var r6 = valid > 6 ? Avx.LoadVector256(src + 6L * srcStride) : default;
        var r7 = valid > 7 ? Avx.LoadVector256(src + 7L * srcStride) : default;
        // Interleave pairs of rows, then pairs of pairs, then swap 128-bit halves (as Transpose8x8).
        var t0 = Avx.UnpackLow(r0, r1); var t1 = Avx.UnpackHigh(r0, r1);
        var t2 = Avx.UnpackLow(r2, r3); var t3 = Avx.UnpackHigh(r2, r3);
        var t4 = Avx.UnpackLow(r4, r5); var t5 = Avx.UnpackHigh(r4, r5);
        var t6 = Avx.UnpackLow(r6, r7); var t7 = Avx.UnpackHigh(r6, r7);
        var u0 = Avx.Shuffle(t0, t2, 0x44); var u1 = Avx.Shuffle(t0, t2, 0xEE);
        var u2 = Avx.Shuffle(t1, t3, 0x44); var u3 = Avx.Shuffle(t1, t3, 0xEE);
        var u4 = Avx.Shuffle(t4, t6, 0x44); var u5 = Avx.Shuffle(t4, t6, 0xEE);
        var u6 = Avx.Shuffle(t5, t7, 0x44); var u7 = Avx.Shuffle(t5, t7, 0xEE);
        StoreFirstLanes(Avx.Permute2x128(u0, u4, 0x20), dst, lanes);
        StoreFirstLanes(Avx.Permute2x128(u1, u5, 0x20), dst + dstStride, lanes);
        StoreFirstLanes(Avx.Permute2x128(u2, u6, 0x20), dst + 2L * dstStride, lanes);
        StoreFirstLanes(Avx.Permute2x128(u3, u7, 0x20), dst + 3L * dstStride, lanes);
        StoreFirstLanes(Avx.Permute2x128(u0, u4, 0x31), dst + 4L * dstStride, lanes);
        StoreFirstLanes(Avx.Permute2x128(u1, u5, 0x31), dst + 5L * dstStride, lanes);
        StoreFirstLanes(Avx.Permute2x128(u2, u6, 0x31), dst + 6L * dstStride, lanes);
        StoreFirstLanes(Avx.Permute2x128(u3, u7, 0x31), dst + 7L * dstStride, lanes);
    }

    /// <summary>Lanes [0, count) of <paramref name="v"/> at <paramref name="dst"/>, by plain stores (masked stores are
    /// slow on some processors: AMD's microcode them).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static unsafe void StoreFirstLanes(Vector256<float> v, float* dst, int count)
    {
        if (count == 8)
        {
            Vector256.Store(v, dst);
            return;
        }
        var part = v.GetLower();
        if (count >= 4)
        {
            Vector128.Store(part, dst);
            part = v.GetUpper();
            dst += 4;
            count -= 4;
        }
        if (count >= 2)
        {
            Unsafe.WriteUnaligned(dst, part.AsDouble().ToScalar());
            part = Vector128.Shuffle(part, Vector128.Create(2, 3, 0, 1));
            dst += 2;
            count -= 2;
        }
        if (count == 1) *dst = part.ToScalar();
    }

    /// <summary>dst[q·dstStride + r] = src[r·srcStride + q] for an 8×8 block, with AVX shuffles.</summary>
    internal static unsafe void Transpose8x8(float* src, int srcStride, float* dst, int dstStride)
    {
        var r0 = Avx.LoadVector256(src);
        var r1 = Avx.LoadVector256(src + srcStride);
        var r2 = Avx.LoadVector256(src + 2L * srcStride);
        var r3 = Avx.LoadVector256(src + 3L * srcStride);
        var r4 = Avx.LoadVector256(src + 4L * srcStride);
        var r5 = Avx.LoadVector256(src + 5L * srcStride);
        var r6 = Avx.LoadVector256(src + 6L * srcStride);
        var r7 = Avx.LoadVector256(src + 7L * srcStride);
        // Interleave pairs of rows, then pairs of pairs, then swap 128-bit halves.
        var t0 = Avx.UnpackLow(r0, r1); var t1 = Avx.UnpackHigh(r0, r1);
        var t2 = Avx.UnpackLow(r2, r3); var t3 = Avx.UnpackHigh(r2, r3);
        var t4 = Avx.UnpackLow(r4, r5); var t5 = Avx.UnpackHigh(r4, r5);
        var t6 = Avx.UnpackLow(r6, r7); var t7 = Avx.UnpackHigh(r6, r7);
        var u0 = Avx.Shuffle(t0, t2, 0x44); var u1 = Avx.Shuffle(t0, t2, 0xEE);
        var u2 = Avx.Shuffle(t1, t3, 0x44); var u3 = Avx.Shuffle(t1, t3, 0xEE);
        var u4 = Avx.Shuffle(t4, t6, 0x44); var u5 = Avx.Shuffle(t4, t6, 0xEE);
        var u6 = Avx.Shuffle(t5, t7, 0x44); var u7 = Avx.Shuffle(t5, t7, 0xEE);
        Avx.Store(dst, Avx.Permute2x128(u0, u4, 0x20));
        Avx.Store(dst + dstStride, Avx.Permute2x128(u1, u5, 0x20));
        Avx.Store(dst + 2L * dstStride, Avx.Permute2x128(u2, u6, 0x20));
        Avx.Store(dst + 3L * dstStride, Avx.Permute2x128(u3, u7, 0x20));
        Avx.Store(dst + 4L * dstStride, Avx.Permute2x128(u0, u4, 0x31));
        Avx.Store(dst + 5L * dstStride, Avx.Permute2x128(u1, u5, 0x31));
        Avx.Store(dst + 6L * dstStride, Avx.Permute2x128(u2, u6, 0x31));
        Avx.Store(dst + 7L * dstStride, Avx.Permute2x128(u3, u7, 0x31));
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static unsafe void Kernel8x32(int kc, float* a, float* b, float* c, int ldc, int mValid, int nValid, bool accumulate, float* tile)
    {
        Vector512<float> c00 = default, c01 = default, c10 = default, c11 = default, c20 = default, c21 = default, c30 = default, c31 = default;
        Vector512<float> c40 = default, c41 = default, c50 = default, c51 = default, c60 = default, c61 = default, c70 = default, c71 = default;
        for (int kk = 0; kk < kc; kk++)
        {
            var b0 = Vector512.Load(b);
            var b1 = Vector512.Load(b + 16);
            Vector512<float> x;
            x = Vector512.Create(a[0]); c00 = Vector512.FusedMultiplyAdd(x, b0, c00); c01 = Vector512.FusedMultiplyAdd(x, b1, c01);
            x = Vector512.Create(a[1]); c10 = Vector512.FusedMultiplyAdd(x, b0, c10); c11 = Vector512.FusedMultiplyAdd(x, b1, c11);
            x = Vector512.Create(a[2]); c20 = Vector512.FusedMultiplyAdd(x, b0, c20); c21 = Vector512.FusedMultiplyAdd(x, b1, c21);
            x = Vector512.Create(a[3]); c30 = Vector512.FusedMultiplyAdd(x, b0, c30); c31 = Vector512.FusedMultiplyAdd(x, b1, c31);
            x = Vector512.Create(a[4]); c40 = Vector512.FusedMultiplyAdd(x, b0, c40); c41 = Vector512.FusedMultiplyAdd(x, b1, c41);
            x = Vector512.Create(a[5]); c50 = Vector512.FusedMultiplyAdd(x, b0, c50); c51 = Vector512.FusedMultiplyAdd(x, b1, c51);
            x = Vector512.Create(a[6]); c60 = Vector512.FusedMultiplyAdd(x, b0, c60); c61 = Vector512.FusedMultiplyAdd(x, b1, c61);
            x = Vector512.Create(a[7]); c70 = Vector512.FusedMultiplyAdd(x, b0, c70); c71 = Vector512.FusedMultiplyAdd(x, b1, c71);
            a += 8;
            b += 32;
        }
        if (mValid == 8 && nValid == 32)
        {
            // A whole tile goes straight into C: the scratch round trip costs as much as the FMAs when K is small
            // (a convolution's backward-data product has K = output channels, a dense layer's weight gradient K = batch).
            StoreRow(c, c00, c01, accumulate); StoreRow(c + ldc, c10, c11, accumulate);
            StoreRow(c + 2L * ldc, c20, c21, accumulate); StoreRow(c + 3L * ldc, c30, c31, accumulate);
            StoreRow(c + 4L * ldc, c40, c41, accumulate); StoreRow(c + 5L * ldc, c50, c51, accumulate);
            StoreRow(c + 6L * ldc, c60, c61, accumulate); StoreRow(c + 7L * ldc, c70, c71, accumulate);
            return;
        }
        c00.Store(tile); c01.Store(tile + 16); c10.Store(tile + 32); c11.Store(tile + 48);
        c20.Store(tile + 64); c21.Store(tile + 80); c30.Store(tile + 96); c31.Store(tile + 112);
        c40.Store(tile + 128); c41.Store(tile + 144); c50.Store(tile + 160); c51.Store(tile + 176);
        c60.Store(tile + 192); c61.Store(tile + 208); c70.Store(tile + 224); c71.Store(tile + 240);
        StoreTile(tile, 32, c, ldc, mValid, nValid, accumulate);
    }

    /// <summary>
    /// <see cref="Kernel8x32"/> for a last panel at most 16 columns wide (its packed rows are still 32 apart): half the
    /// FMAs. Each sum runs in the same order as in the full kernel, so the results are the same bits.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static unsafe void Kernel8x16(int kc, float* a, float* b, float* c, int ldc, int mValid, int nValid, bool accumulate, float* tile)
    {
        Vector512<float> c0 = default, c1 = default, c2 = default, c3 = default, c4 = default, c5 = default, c6 = default, c7 = default;
        for (int kk = 0; kk < kc; kk++)
        {
            var b0 = Vector512.Load(b);
            c0 = Vector512.FusedMultiplyAdd(Vector512.Create(a[0]), b0, c0); c1 = Vector512.FusedMultiplyAdd(Vector512.Create(a[1]), b0, c1);
            c2 = Vector512.FusedMultiplyAdd(Vector512.Create(a[2]), b0, c2); c3 = Vector512.FusedMultiplyAdd(Vector512.Create(a[3]), b0, c3);
            c4 = Vector512.FusedMultiplyAdd(Vector512.Create(a[4]), b0, c4); c5 = Vector512.FusedMultiplyAdd(Vector512.Create(a[5]), b0, c5);
            c6 = Vector512.FusedMultiplyAdd(Vector512.Create(a[6]), b0, c6); c7 = Vector512.FusedMultiplyAdd(Vector512.Create(a[7]), b0, c7);
            a += 8;
            b += 32;
        }
        if (mValid == 8 && nValid == 16)
        {
            StoreRow(c, c0, accumulate); StoreRow(c + ldc, c1, accumulate); StoreRow(c + 2L * ldc, c2, accumulate);
            StoreRow(c + 3L * ldc, c3, accumulate); StoreRow(c + 4L * ldc, c4, accumulate); StoreRow(c + 5L * ldc, c5, accumulate);
            StoreRow(c + 6L * ldc, c6, accumulate); StoreRow(c + 7L * ldc, c7, accumulate);
            return;
        }
        c0.Store(tile); c1.Store(tile + 32); c2.Store(tile + 64); c3.Store(tile + 96);
        c4.Store(tile + 128); c5.Store(tile + 160); c6.Store(tile + 192); c7.Store(tile + 224);
        StoreTile(tile, 32, c, ldc, mValid, nValid, accumulate);
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static unsafe void Kernel6x16(int kc, float* a, float* b, float* c, int ldc, int mValid, int nValid, bool accumulate, float* tile)
    {
        Vector256<float> c00 = default, c01 = default, c10 = default, c11 = default, c20 = default, c21 = default;
        Vector256<float> c30 = default, c31 = default, c40 = default, c41 = default, c50 = default, c51 = default;
        for (int kk = 0; kk < kc; kk++)
        {
            var b0 = Vector256.Load(b);
            var b1 = Vector256.Load(b + 8);
            Vector256<float> x;
            x = Vector256.Create(a[0]); c00 = Vector256.FusedMultiplyAdd(x, b0, c00); c01 = Vector256.FusedMultiplyAdd(x, b1, c01);
            x = Vector256.Create(a[1]); c10 = Vector256.FusedMultiplyAdd(x, b0, c10); c11 = Vector256.FusedMultiplyAdd(x, b1, c11);
            x = Vector256.Create(a[2]); c20 = Vector256.FusedMultiplyAdd(x, b0, c20); c21 = Vector256.FusedMultiplyAdd(x, b1, c21);
            x = Vector256.Create(a[3]); c30 = Vector256.FusedMultiplyAdd(x, b0, c30); c31 = Vector256.FusedMultiplyAdd(x, b1, c31);
            x = Vector256.Create(a[4]); c40 = Vector256.FusedMultiplyAdd(x, b0, c40); c41 = Vector256.FusedMultiplyAdd(x, b1, c41);
            x = Vector256.Create(a[5]); c50 = Vector256.FusedMultiplyAdd(x, b0, c50); c51 = Vector256.FusedMultiplyAdd(x, b1, c51);
            a += 6;
            b += 16;
        }
        if (mValid == 6 && nValid == 16)
        {
            StoreRow(c, c00, c01, accumulate); StoreRow(c + ldc, c10, c11, accumulate); StoreRow(c + 2L * ldc, c20, c21, accumulate);
            StoreRow(c + 3L * ldc, c30, c31, accumulate); StoreRow(c + 4L * ldc, c40, c41, accumulate); StoreRow(c + 5L * ldc, c50, c51, accumulate);
            return;
        }
        c00.Store(tile); c01.Store(tile + 8); c10.Store(tile + 16); c11.Store(tile + 24);
        c20.Store(tile + 32); c21.Store(tile + 40); c30.Store(tile + 48); c31.Store(tile + 56);
        c40.Store(tile + 64); c41.Store(tile + 72); c50.Store(tile + 80); c51.Store(tile + 88);
        StoreTile(tile, 16, c, ldc, mValid, nValid, accumulate);
    }

    /// <summary>
    /// <see cref="Kernel6x16"/> for a last row panel of at most 4 rows (its packed columns are still 6 apart): 32 rows
    /// of C are 5 panels and 2 rows, 64 are 10 and 4, and the full kernel would spend a sixth of the FMAs on the zero
    /// rows. Each sum runs in the same order as in the full kernel, so the results are the same bits. Never inlined:
    /// it runs once per column panel, and inlining it cost <see cref="Kernel6x16"/> its place inlined in the callers.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization | MethodImplOptions.NoInlining)]
    private static unsafe void Kernel4x16(int kc, float* a, float* b, float* c, int ldc, int mValid, int nValid, bool accumulate, float* tile)
    {
        Vector256<float> c00 = default, c01 = default, c10 = default, c11 = default, c20 = default, c21 = default, c30 = default, c31 = default;
        for (int kk = 0; kk < kc; kk++)
        {
            var b0 = Vector256.Load(b);
            var b1 = Vector256.Load(b + 8);
            Vector256<float> x;
            x = Vector256.Create(a[0]); c00 = Vector256.FusedMultiplyAdd(x, b0, c00); c01 = Vector256.FusedMultiplyAdd(x, b1, c01);
            x = Vector256.Create(a[1]); c10 = Vector256.FusedMultiplyAdd(x, b0, c10); c11 = Vector256.FusedMultiplyAdd(x, b1, c11);
            x = Vector256.Create(a[2]); c20 = Vector256.FusedMultiplyAdd(x, b0, c20); c21 = Vector256.FusedMultiplyAdd(x, b1, c21);
            x = Vector256.Create(a[3]); c30 = Vector256.FusedMultiplyAdd(x, b0, c30); c31 = Vector256.FusedMultiplyAdd(x, b1, c31);
            a += 6;
            b += 16;
        }
        if (mValid == 4 && nValid == 16)
        {
            StoreRow(c, c00, c01, accumulate); StoreRow(c + ldc, c10, c11, accumulate);
            StoreRow(c + 2L * ldc, c20, c21, accumulate); StoreRow(c + 3L * ldc, c30, c31, accumulate);
            return;
        }
        c00.Store(tile); c01.Store(tile + 8); c10.Store(tile + 16); c11.Store(tile + 24);
        c20.Store(tile + 32); c21.Store(tile + 40); c30.Store(tile + 48); c31.Store(tile + 56);
        StoreTile(tile, 16, c, ldc, mValid, nValid, accumulate);
    }

    /// <summary><see cref="Kernel4x16"/> for a last row panel of at most 2 rows.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization | MethodImplOptions.NoInlining)]
    private static unsafe void Kernel2x16(int kc, float* a, float* b, float* c, int ldc, int mValid, int nValid, bool accumulate, float* tile)
    {
        Vector256<float> c00 = default, c01 = default, c10 = default, c11 = default;
        for (int kk = 0; kk < kc; kk++)
        {
            var b0 = Vector256.Load(b);
            var b1 = Vector256.Load(b + 8);
            Vector256<float> x;
            x = Vector256.Create(a[0]); c00 = Vector256.FusedMultiplyAdd(x, b0, c00); c01 = Vector256.FusedMultiplyAdd(x, b1, c01);
            x = Vector256.Create(a[1]); c10 = Vector256.FusedMultiplyAdd(x, b0, c10); c11 = Vector256.FusedMultiplyAdd(x, b1, c11);
            a += 6;
            b += 16;
        }
        if (mValid == 2 && nValid == 16)
        {
            StoreRow(c, c00, c01, accumulate); StoreRow(c + ldc, c10, c11, accumulate);
            return;
        }
        c00.Store(tile); c01.Store(tile + 8); c10.Store(tile + 16); c11.Store(tile + 24);
        StoreTile(tile, 16, c, ldc, mValid, nValid, accumulate);
    }

    /// <summary>The portable path: 128-bit vectors, which every .NET platform accelerates (SSE, NEON).</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static unsafe void Kernel6x8(int kc, float* a, float* b, float* c, int ldc, int mValid, int nValid, bool accumulate, float* tile)
    {
        Vector128<float> c00 = default, c01 = default, c10 = default, c11 = default, c20 = default, c21 = default;
        Vector128<float> c30 = default, c31 = default, c40 = default, c41 = default, c50 = default, c51 = default;
        for (int kk = 0; kk < kc; kk++)
        {
            var b0 = Vector128.Load(b);
            var b1 = Vector128.Load(b + 4);
            Vector128<float> x;
            x = Vector128.Create(a[0]); c00 = Vector128.FusedMultiplyAdd(x, b0, c00); c01 = Vector128.FusedMultiplyAdd(x, b1, c01);
            x = Vector128.Create(a[1]); c10 = Vector128.FusedMultiplyAdd(x, b0, c10); c11 = Vector128.FusedMultiplyAdd(x, b1, c11);
            x = Vector128.Create(a[2]); c20 = Vector128.FusedMultiplyAdd(x, b0, c20); c21 = Vector128.FusedMultiplyAdd(x, b1, c21);
            x = Vector128.Create(a[3]); c30 = Vector128.FusedMultiplyAdd(x, b0, c30); c31 = Vector128.FusedMultiplyAdd(x, b1, c31);
            x = Vector128.Create(a[4]); c40 = Vector128.FusedMultiplyAdd(x, b0, c40); c41 = Vector128.FusedMultiplyAdd(x, b1, c41);
            x = Vector128.Create(a[5]); c50 = Vector128.FusedMultiplyAdd(x, b0, c50); c51 = Vector128.FusedMultiplyAdd(x, b1, c51);
            a += 6;
            b += 8;
        }
        c00.Store(tile); c01.Store(tile + 4); c10.Store(tile + 8); c11.Store(tile + 12);
        c20.Store(tile + 16); c21.Store(tile + 20); c30.Store(tile + 24); c31.Store(tile + 28);
        c40.Store(tile + 32); c41.Store(tile + 36); c50.Store(tile + 40); c51.Store(tile + 44);
        StoreTile(tile, 8, c, ldc, mValid, nValid, accumulate);
    }

    /// <summary>One full row of a tile (two vectors) into C, added to what is there when accumulating.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static unsafe void StoreRow(float* c, Vector512<float> left, Vector512<float> right, bool accumulate)
    {
        if (accumulate)
        {
            left += Vector512.Load(c);
            right += Vector512.Load(c + 16);
        }
        left.Store(c);
        right.Store(c + 16);
    }

    /// <summary>One 16-wide row of a tile into C (+=).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static unsafe void StoreRow(float* c, Vector512<float> row, bool accumulate)
    {
        if (accumulate) row += Vector512.Load(c);
        row.Store(c);
    }

    /// <inheritdoc cref="StoreRow(float*, Vector512{float}, Vector512{float}, bool)"/>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static unsafe void StoreRow(float* c, Vector256<float> left, Vector256<float> right, bool accumulate)
    {
        if (accumulate)
        {
            left += Vector256.Load(c);
            right += Vector256.Load(c + 8);
        }
        left.Store(c);
        right.Store(c + 8);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static unsafe void StoreTile(float* tile, int nr, float* c, int ldc, int mValid, int nValid, bool accumulate)
    {
        for (int r = 0; r < mValid; r++)
        {
            var dst = new Span<float>(c + (long)r * ldc, nValid);
            var src = new ReadOnlySpan<float>(tile + r * nr, nValid);
            if (accumulate) System.Numerics.Tensors.TensorPrimitives.Add(dst, src, dst);
            else src.CopyTo(dst);
        }
    }
}
