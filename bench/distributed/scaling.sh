#!/usr/bin/env bash
# Data-parallel scaling on this machine (issue 16): one epoch of PRESET (default mnist-cnn, W2) as 1 rank × 1 thread,
# 1 rank × 2 threads and 2 ranks × 1 thread (Open MPI binds each rank to a core), ROUNDS times in turn (default 3),
# then the medians, the scaling efficiency T(1 rank × 1 thread) / (2 × T(2 ranks × 1 thread)) and rank 0's gradient
# all-reduce time per step. Epoch times are the CLI's own (training only, evaluation excluded). Run it on a quiet
# machine; build the CLI first: dotnet build src/Dendrite.Cli -c Release.
#   bench/distributed/scaling.sh [PRESET]
set -euo pipefail
cd "$(dirname "$0")/../.."
cli="${DENDRITE_CLI:-$PWD/src/Dendrite.Cli/bin/Release/net10.0/Dendrite.Cli.dll}"
[ -f "$cli" ] || { echo "scaling: $cli not found; run dotnet build src/Dendrite.Cli -c Release first" >&2; exit 1; }
preset="${1:-mnist-cnn}"
rounds="${ROUNDS:-3}"
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1

# "Epoch 1/1 - 52.2s - loss …" → 52.2 (progress redraws are separated by carriage returns)
epoch_seconds() { tr '\r' '\n' | sed -nE 's/^Epoch 1\/1 - ([0-9.]+)s - .*/\1/p' | tail -n 1; }
median() { sort -g | awk '{ v[NR] = $1 } END { print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }

one_by_one=() one_by_two=() two_by_one=() allreduce=()
for ((r = 1; r <= rounds; r++)); do
    one_by_one+=("$(dotnet "$cli" train "$preset" --epochs 1 --threads 1 | epoch_seconds)")
    one_by_two+=("$(dotnet "$cli" train "$preset" --epochs 1 --threads 2 | epoch_seconds)")
    job=$(mpirun.openmpi -np 2 dotnet "$cli" train "$preset" --epochs 1 --distributed 2>/dev/null | tr '\r' '\n')
    two_by_one+=("$(epoch_seconds <<<"$job")")
    allreduce+=("$(grep -E '^gradient all-reduce' <<<"$job" || echo "gradient all-reduce: not reported")")
    echo "round $r: 1x1 ${one_by_one[-1]} s, 1x2 ${one_by_two[-1]} s, 2x1 ${two_by_one[-1]} s; ${allreduce[-1]}"
done

a=$(printf '%s\n' "${one_by_one[@]}" | median)
c=$(printf '%s\n' "${one_by_two[@]}" | median)
b=$(printf '%s\n' "${two_by_one[@]}" | median)
echo "$preset, one epoch, on $(nproc) CPUs of $(hostname), medians of $rounds rounds:"
echo "  1 rank  x 1 thread : ${a} s"
echo "  1 rank  x 2 threads: ${c} s"
echo "  2 ranks x 1 thread : ${b} s"
awk -v a="$a" -v b="$b" -v c="$c" 'BEGIN {
    printf "  scaling efficiency T(1x1) / (2 T(2x1)) = %.2f; 2 ranks against 1 rank x 2 threads: %.2fx\n", a / (2 * b), c / b
}'
