#!/usr/bin/env bash
# Data-parallel scaling on this machine (issue 16): one epoch of PRESET (default mnist-cnn, W2) as 1 rank × 1 thread,
# 1 rank × 2 threads and 2 ranks × 1 thread (Open MPI binds each rank to a core), then the scaling efficiency
# T(1 rank × 1 thread) / (2 × T(2 ranks × 1 thread)) and rank 0's gradient all-reduce time per step. Epoch times are
# the CLI's own (training only, evaluation excluded). Build the CLI first: dotnet build src/Dendrite.Cli.
#   bench/distributed/scaling.sh [PRESET]
set -euo pipefail
cd "$(dirname "$0")/../.."
cli="${DENDRITE_CLI:-$PWD/src/Dendrite.Cli/bin/Debug/net10.0/Dendrite.Cli.dll}"
[ -f "$cli" ] || { echo "scaling: $cli not found; run dotnet build src/Dendrite.Cli first" >&2; exit 1; }
preset="${1:-mnist-cnn}"

# "Epoch 1/1 - 52.2s - loss …" → 52.2 (progress redraws are separated by carriage returns)
epoch_seconds() { tr '\r' '\n' | sed -nE 's/^Epoch 1\/1 - ([0-9.]+)s - .*/\1/p' | tail -n 1; }

one_by_one=$(dotnet "$cli" train "$preset" --epochs 1 --threads 1 | epoch_seconds)
one_by_two=$(dotnet "$cli" train "$preset" --epochs 1 --threads 2 | epoch_seconds)
job=$(OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1 mpirun.openmpi --oversubscribe -np 2 \
    dotnet "$cli" train "$preset" --epochs 1 --distributed 2>/dev/null | tr '\r' '\n')
two_by_one=$(epoch_seconds <<<"$job")
allreduce=$(grep -E '^gradient all-reduce' <<<"$job" || echo "gradient all-reduce: not reported")

echo "$preset, one epoch, on $(nproc) CPUs of $(hostname):"
echo "  1 rank  x 1 thread : ${one_by_one} s"
echo "  1 rank  x 2 threads: ${one_by_two} s"
echo "  2 ranks x 1 thread : ${two_by_one} s"
echo "  rank 0 $allreduce"
awk -v a="$one_by_one" -v b="$two_by_one" -v c="$one_by_two" 'BEGIN {
    printf "  scaling efficiency T(1x1) / (2 T(2x1)) = %.2f; 2 ranks against 1 rank x 2 threads: %.2fx\n", a / (2 * b), c / b
}'
