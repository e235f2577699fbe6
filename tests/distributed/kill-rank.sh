#!/usr/bin/env bash
# A rank killed mid-epoch (issue 16, fault acceptance): starts `dendrite train PRESET --distributed` on 2 ranks under
# Open MPI with a checkpoint per epoch, kills rank 1 with SIGKILL KILL_AFTER seconds (default 1) after the first
# checkpoint appears, that is, partway through the second epoch, and reports
# how long the job took to end and what it said. Then resumes from the last checkpoint on 2 ranks and checks that the
# model equals an uninterrupted 2-rank run's, bit for bit. Build the CLI first (dotnet build src/Dendrite.Cli -c Release).
#   tests/distributed/kill-rank.sh [PRESET]
set -euo pipefail
cd "$(dirname "$0")/../.."
cli="${DENDRITE_CLI:-$PWD/src/Dendrite.Cli/bin/Release/net10.0/Dendrite.Cli.dll}"
[ -f "$cli" ] || { echo "kill-rank: $cli not found; run dotnet build src/Dendrite.Cli -c Release first" >&2; exit 1; }
preset="${1:-mnist-mlp}"
kill_after="${KILL_AFTER:-1}"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1
mpirun=(mpirun.openmpi --oversubscribe -np 2)
train=(dotnet "$cli" train "$preset" --distributed --epochs 3)

# The run to kill: rank 1 dies partway through an epoch after the first checkpoint.
"${mpirun[@]}" "${train[@]}" --checkpoint-dir "$work/ckpt" >"$work/killed.out" 2>"$work/killed.err" &
job=$!
for ((i = 0; i < 600; i++)); do
    compgen -G "$work/ckpt/*" >/dev/null && break
    sleep 0.5
done
sleep "$kill_after"
rank1=""
for pid in $(pgrep -f "Dendrite.Cli.dll train $preset" || true); do
    if tr '\0' '\n' < "/proc/$pid/environ" 2>/dev/null | grep -qx 'OMPI_COMM_WORLD_RANK=1'; then rank1=$pid; break; fi
done
[ -n "$rank1" ] || { echo "kill-rank: rank 1 not found (did the job end first? try a smaller KILL_AFTER)" >&2; exit 1; }
killed_at=$(date +%s.%N)
kill -9 "$rank1"
set +e
wait "$job"
code=$?
set -e
ended_at=$(date +%s.%N)
echo "killed rank 1 (pid $rank1) ${kill_after} s after the first checkpoint; the job ended $(awk -v a="$killed_at" -v b="$ended_at" \
    'BEGIN { printf "%.1f", b - a }') s later with exit code $code"
echo "what it said:"
grep -v '^\s*$' "$work/killed.err" | sed 's/^/  /' | head -n 12
ls "$work/ckpt" | sed 's/^/  checkpoint: /'

# Resume on 2 ranks, and the uninterrupted run, then compare the models.
"${mpirun[@]}" "${train[@]}" --checkpoint-dir "$work/ckpt" --resume --out "$work/resumed" >/dev/null 2>"$work/resume.err"
"${mpirun[@]}" "${train[@]}" --out "$work/whole" >/dev/null 2>/dev/null
if cmp -s "$work/resumed/model.safetensors" "$work/whole/model.safetensors"; then
    echo "resumed on 2 ranks: model.safetensors identical to the uninterrupted 2-rank run's"
else
    echo "resumed on 2 ranks: model.safetensors DIFFERS from the uninterrupted 2-rank run's" >&2
    exit 1
fi
