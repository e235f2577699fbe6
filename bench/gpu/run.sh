#!/usr/bin/env bash
# The GPU device check of issue 17: W2 (one training epoch) and W5 (inference) on cuda:0, with the share of the GPU's
# FP32 peak, and the own tiled GEMM against cuBLAS at n = 1024 and 4096. Fails fast, with one line, without a GPU.
# Usage: bench/gpu/run.sh [mnist-data-directory]
set -euo pipefail
cd "$(dirname "$0")/../.."
if ! ldconfig -p 2>/dev/null | grep -q 'libcuda\.so'; then
  echo "gpu bench: no CUDA device found: the NVIDIA driver (libcuda.so.1) is not installed on this machine" >&2
  exit 1
fi
nvidia-smi --query-gpu=name,clocks.max.sm,memory.total --format=csv,noheader 2>/dev/null || true
dotnet run -c Release --project bench/gpu/GpuBench.csproj -- "$@"
