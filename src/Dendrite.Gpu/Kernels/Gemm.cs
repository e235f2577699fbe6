using ILGPU;

namespace Dendrite.Gpu.Kernels;

/// <summary>C = op(A)·op(B) (+ C), row-major with leading dimensions and offsets, as <c>Backend.Gemm</c>.</summary>
internal struct GemmArgs
{
    public ArrayView<float> A, B, C;
    public bool TransA, TransB, Accumulate;
    public int M, N, K, AOffset, Lda, BOffset, Ldb, COffset, Ldc;

    public readonly float AAt(int i, int p) => TransA ? A[AOffset + p * Lda + i] : A[AOffset + i * Lda + p];

    public readonly float BAt(int p, int j) => TransB ? B[BOffset + j * Ldb + p] : B[BOffset + p * Ldb + j];
}

internal struct RepeatArgs { public ArrayView<float> Row, Y; }

internal static partial class GpuKernels
{
    /// <summary>Rows and columns of C per thread group of the tiled GEMM, and the depth of each shared-memory step.</summary>
    public const int GemmTile = 16;

    /// <summary>
    /// The tiled GEMM: a group of 16×16 threads computes a 16×16 tile of C, walking k in steps of 16 and staging the
    /// A and B tiles in shared memory so that each value read from global memory serves 16 products. Grid (x, y) =
    /// (tiles of n, tiles of m); threads past the matrix load zeros and write nothing.
    /// </summary>
    public static void GemmTiled(GemmArgs a)
    {
        var tileA = SharedMemory.Allocate<float>(GemmTile * GemmTile);
        var tileB = SharedMemory.Allocate<float>(GemmTile * GemmTile);
        int tx = Group.IdxX, ty = Group.IdxY;
        int row = Grid.IdxY * GemmTile + ty;
        int column = Grid.IdxX * GemmTile + tx;
        float sum = 0;
        for (int p0 = 0; p0 < a.K; p0 += GemmTile)
        {
            tileA[ty * GemmTile + tx] = row < a.M && p0 + tx < a.K ? a.AAt(row, p0 + tx) : 0f;
            tileB[ty * GemmTile + tx] = p0 + ty < a.K && column < a.N ? a.BAt(p0 + ty, column) : 0f;
            Group.Barrier();
            for (int p = 0; p < GemmTile; p++) sum += tileA[ty * GemmTile + p] * tileB[p * GemmTile + tx];
            Group.Barrier();
        }
        if (row < a.M && column < a.N)
        {
            int at = a.COffset + row * a.Ldc + column;
            a.C[at] = a.Accumulate ? a.C[at] + sum : sum;
        }
    }

    public static void RepeatRows(Index1D i, RepeatArgs a) => a.Y[i] = a.Row[i % a.Row.IntLength];
}
