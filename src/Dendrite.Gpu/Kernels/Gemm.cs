using ILGPU;

namespace Dendrite.Gpu.Kernels;

/// <summary>C = op(A)·op(B) (+ C), row-major with leading dimensions and offsets, as <c>Backend.Gemm</c>.</summary>
internal struct GemmArgs
{
    public ArrayView<float> A, B, C;
    public Flag TransA, TransB, Accumulate;
    public int M, N, K, AOffset, Lda, BOffset, Ldb, COffset, Ldc;

    /// <summary>Rows and columns of C per thread group, and the depth of each shared-memory step (16 on a GPU).</summary>
    public int Tile;

    public readonly float AAt(int i, int p) => TransA ? A[AOffset + p * Lda + i] : A[AOffset + i * Lda + p];

    public readonly float BAt(int p, int j) => TransB ? B[BOffset + j * Ldb + p] : B[BOffset + p * Ldb + j];
}

internal struct RepeatArgs { public ArrayView<float> Row, Y; }

internal static partial class GpuKernels
{
    /// <summary>The tile of a GPU: 16×16 threads per group, 2 KiB of shared memory.</summary>
    public const int GemmTile = 16;

    /// <summary>
    /// The tiled GEMM: a group of Tile×Tile threads computes a tile of C, walking k in steps of Tile and staging the A
    /// and B tiles in (dynamic) shared memory so that each value read from global memory serves Tile products. Grid
    /// (x, y) = (tiles of n, tiles of m); threads past the matrix load zeros and write nothing.
    /// </summary>
    public static void GemmTiled(GemmArgs a)
    {
        int tile = a.Tile;
        var shared = SharedMemory.GetDynamic<float>();
        var tileA = shared.SubView(0, tile * tile);
        var tileB = shared.SubView(tile * tile, tile * tile);
        int tx = Group.IdxX, ty = Group.IdxY;
        int row = Grid.IdxY * tile + ty;
        int column = Grid.IdxX * tile + tx;
        float sum = 0;
        for (int p0 = 0; p0 < a.K; p0 += tile)
        {
            tileA[ty * tile + tx] = row < a.M && p0 + tx < a.K ? a.AAt(row, p0 + tx) : 0f;
            tileB[ty * tile + tx] = p0 + ty < a.K && column < a.N ? a.BAt(p0 + ty, column) : 0f;
            Group.Barrier();
            for (int p = 0; p < tile; p++) sum += tileA[ty * tile + p] * tileB[p * tile + tx];
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
