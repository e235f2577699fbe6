using System.Runtime.Intrinsics;

namespace Dendrite.Backends.Cpu;

internal static partial class Gemm
{
    /// <summary>
    /// The arguments of one parallel product and its task bodies, one per calling thread, made once. Lambdas over the
    /// product's locals would allocate a closure and a delegate on every call, and a recurrent layer makes two products
    /// per time step. The caller fills the fields, runs the tasks (it waits for them, so the fields stay put while
    /// workers read them) and clears the pointers.
    /// </summary>
    private sealed unsafe class GemmJob
    {
        [ThreadStatic] private static GemmJob? t_current;

        public static GemmJob Current => t_current ??= new GemmJob();

        public CpuIsa Kernel;
        public bool TransA, TransB, Accumulate;
        public int M, N, K, KBlock, Mc, Lda, Ldb, Ldc;
        public float* A, B, C, PackedB;
        public int PanelsA, PanelsB, PanelsPerChunk, NChunks, ColumnsPerTask, RowsPerTask;
        public (int Pc, int Kc, bool Acc) PackDepth;

        public readonly Action<int> FewRowsColumns, PackBPanel, SharedPanelsBlock, PrivatePanelsChunk, PrivateRowsChunk;

        private GemmJob()
        {
            FewRowsColumns = RunFewRowsColumns;
            PackBPanel = RunPackBPanel;
            SharedPanelsBlock = RunSharedPanelsBlock;
            PrivatePanelsChunk = RunPrivatePanelsChunk;
            PrivateRowsChunk = RunPrivateRowsChunk;
        }

        public void SetProduct(CpuIsa kernel, bool transA, bool transB, int m, int n, int k,
            float* a, int lda, float* b, int ldb, float* c, int ldc, bool accumulate)
        {
            (Kernel, TransA, TransB, M, N, K, Lda, Ldb, Ldc, Accumulate) = (kernel, transA, transB, m, n, k, lda, ldb, ldc, accumulate);
            A = a;
            B = b;
            C = c;
        }

        public void Clear()
        {
            A = B = C = PackedB = null;
        }

        /// <summary><see cref="MultiplyFewRows"/>: one task's range of C's columns, for every row.</summary>
        private void RunFewRowsColumns(int task)
        {
            int m = M, n = N, k = K, lda = Lda, ldb = Ldb, ldc = Ldc;
            float* a = A, b = B, c = C;
            bool accumulate = Accumulate;
            int j0 = task * ColumnsPerTask, j1 = Math.Min(n, j0 + ColumnsPerTask);
            for (int i = 0; i < m; i++)
            {
                var aRow = new ReadOnlySpan<float>(a + (long)i * lda, k);
                var cRow = new Span<float>(c + (long)i * ldc + j0, j1 - j0);
                if (TransB)
                {
                    int j = j0;
                    for (; j + 4 <= j1; j += 4) Dot4(Kernel, a + (long)i * lda, b + (long)j * ldb, ldb, k, c + (long)i * ldc + j, accumulate);
                    for (; j < j1; j++)
                    {
                        float dot = System.Numerics.Tensors.TensorPrimitives.Dot(aRow, new ReadOnlySpan<float>(b + (long)j * ldb, k));
                        cRow[j - j0] = accumulate ? cRow[j - j0] + dot : dot;
                    }
                }
                else
                {
                    if (!accumulate) cRow.Clear();
                    for (int p = 0; p < k; p++)
                        System.Numerics.Tensors.TensorPrimitives.MultiplyAdd(
                            new ReadOnlySpan<float>(b + (long)p * ldb + j0, j1 - j0), aRow[p], cRow, cRow);
                }
            }
        }

        /// <summary><see cref="MultiplyPass"/>: packs B's column panel <paramref name="item"/> of the current K block.</summary>
        private void RunPackBPanel(int item)
        {
            var (_, nr) = TileOf(Kernel);
            var (pc, kc, _) = PackDepth;
            int j0 = item * nr;
            PackB(TransB, B, Ldb, pc, kc, j0, Math.Min(nr, N - j0), nr, PackedB + (long)item * kc * nr);
        }

        /// <summary><see cref="MultiplyPass"/>: one M block × chunk of column panels against the shared packed B.</summary>
        private void RunSharedPanelsBlock(int task)
        {
            var (mr, nr) = TileOf(Kernel);
            var (pc, kc, acc) = PackDepth;
            int m = M, mc = Mc, nChunks = NChunks;
            int i0 = task / nChunks * mc, chunk = task % nChunks, iEnd = Math.Min(m, i0 + mc);
            int p0 = chunk * PanelsPerChunk, pEnd = Math.Min(PanelsB, p0 + PanelsPerChunk);
            // Each task packs its own A block just before use, so it is hot in this core's L2; a big A packed whole
            // beforehand would stream back from L3.
            var local = t_packA ??= GC.AllocateUninitializedArray<float>(MCMax * KCMax, pinned: true);
            fixed (float* blockA = local)
            {
                PackARows(TransA, A, Lda, i0, iEnd, pc, kc, mr, blockA);
                float* tile = stackalloc float[TileScratch];
                // ComputeBlock addresses row i's panel at base + i·kc: shift the base back by i0 rows.
                ComputeBlock(Kernel, kc, blockA - (long)i0 * kc, PackedB, C, Ldc, m, N, mr, nr, i0, iEnd, p0, pEnd, acc, tile);
            }
        }

        /// <summary><see cref="MultiplyPrivatePanels"/>: one chunk of B's column panels through every K block.</summary>
        private void RunPrivatePanelsChunk(int chunk)
        {
            var kernel = Kernel;
            var (mr, nr) = TileOf(kernel);
            int m = M, n = N, k = K, kBlock = KBlock, mc = Mc;
            int p0 = chunk * PanelsPerChunk, pEnd = Math.Min(PanelsB, p0 + PanelsPerChunk);
            long sizeA = (long)PanelsA * mr * kBlock, size = sizeA + (long)(pEnd - p0) * nr * kBlock;
            var buffer = t_private;
            if (buffer is null || buffer.Length < size) t_private = buffer = GC.AllocateUninitializedArray<float>((int)size);
            float* tile = stackalloc float[TileScratch];
            fixed (float* packedA = buffer)
            {
                float* packedB = packedA + sizeA;
                for (int pc = 0; pc < k; pc += kBlock)
                {
                    int kc = Math.Min(kBlock, k - pc);
                    bool acc = Accumulate || pc > 0;
                    PackARows(TransA, A, Lda, 0, m, pc, kc, mr, packedA);
                    for (int p = p0; p < pEnd; p++)
                        PackB(TransB, B, Ldb, pc, kc, p * nr, Math.Min(nr, n - p * nr), nr, packedB + (long)(p - p0) * kc * nr);
                    for (int i0 = 0; i0 < m; i0 += mc)
                        ComputeBlock(kernel, kc, packedA, packedB - (long)p0 * kc * nr, C, Ldc, m, n, mr, nr, i0, Math.Min(m, i0 + mc), p0, pEnd, acc, tile);
                }
            }
        }

        /// <summary><see cref="MultiplyPrivateRows"/>: one range of C's rows through every K block.</summary>
        private void RunPrivateRowsChunk(int chunk)
        {
            var kernel = Kernel;
            var (mr, nr) = TileOf(kernel);
            int n = N, k = K, kBlock = KBlock, mc = Mc, panelsB = PanelsB;
            int r0 = chunk * RowsPerTask, r1 = Math.Min(M, r0 + RowsPerTask);
            long sizeB = (long)panelsB * nr * kBlock, size = sizeB + (long)Math.Min(mc, r1 - r0 + mr) * kBlock;
            var buffer = t_private;
            if (buffer is null || buffer.Length < size) t_private = buffer = GC.AllocateUninitializedArray<float>((int)size);
            float* tile = stackalloc float[TileScratch];
            fixed (float* packedB = buffer)
            {
                float* blockA = packedB + sizeB;
                for (int pc = 0; pc < k; pc += kBlock)
                {
                    int kc = Math.Min(kBlock, k - pc);
                    bool acc = Accumulate || pc > 0;
                    for (int p = 0; p < panelsB; p++)
                        PackB(TransB, B, Ldb, pc, kc, p * nr, Math.Min(nr, n - p * nr), nr, packedB + (long)p * kc * nr);
                    // A in MC blocks, each packed just before its products, so it is hot in L1/L2.
                    for (int i0 = r0; i0 < r1; i0 += mc)
                    {
                        int iEnd = Math.Min(r1, i0 + mc);
                        PackARows(TransA, A, Lda, i0, iEnd, pc, kc, mr, blockA);
                        ComputeBlock(kernel, kc, blockA - (long)i0 * kc, packedB, C, Ldc, M, n, mr, nr, i0, iEnd, 0, panelsB, acc, tile);
                    }
                }
            }
        }
    }
}
