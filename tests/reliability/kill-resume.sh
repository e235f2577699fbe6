#!/usr/bin/env bash
# Kill -9 a checkpointed training at random moments (issue 20, acceptance 3). After every kill each file the run left
# must load (checkpoints through 'dendrite export model', the model through 'dendrite eval'), and resuming until the
# run is done must give the uninterrupted run's final model, sha256 for sha256; a run killed after its last checkpoint
# but before its model was written is finished with 'dendrite export model'. No temporary file may outlive the next run.
#
#   tests/reliability/kill-resume.sh            # 20 kills (KILLS=N for another count)
#   SKIP_BUILD=1 tests/reliability/kill-resume.sh
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
KILLS=${KILLS:-20}
DLL=$ROOT/src/Dendrite.Cli/bin/Release/net10.0/Dendrite.Cli.dll
[[ -n "${SKIP_BUILD:-}" ]] || dotnet build "$ROOT/src/Dendrite.Cli" -c Release -v quiet -nologo >/dev/null
dendrite() { dotnet "$DLL" "$@"; }
WORK=$(mktemp -d)
pid=
trap '[[ -n "$pid" ]] && kill -9 "$pid" 2>/dev/null; rm -rf "$WORK"' EXIT
EPOCHS=4
RUN=(train mnist-mlp --train-samples 3000 --batch-size 100 --seed 5)
RANDOM=${SEED:-20}

# Starting .NET and reading MNIST takes seconds; the kills fall in what follows the run's first line ("Training …"):
# the epochs, the checkpoint writes and the model write.
wait_for_start() {   # $1: pid, $2: log; returns when the run has printed its first line or exited
  until grep -q '^Training ' "$2" 2>/dev/null || ! kill -0 "$1" 2>/dev/null; do sleep 0.05; done
}
dotnet "$DLL" "${RUN[@]}" --epochs $EPOCHS --out "$WORK/reference" >"$WORK/log" 2>&1 &
pid=$!
wait_for_start $pid "$WORK/log"
start=$(date +%s.%N)
wait $pid
span=$(echo "$(date +%s.%N) - $start" | bc)
reference=$(sha256sum "$WORK/reference/model.safetensors" | cut -d' ' -f1)
echo "uninterrupted run: ${span}s of training and writing after start-up, model sha256 $reference"

check_files() {   # every checkpoint and the model, if any, must load
  local f
  for f in "$WORK"/ckpt/epoch-*.ckpt.safetensors; do
    [[ -e "$f" ]] || continue
    dendrite export model "$f" "$WORK/check.safetensors" >/dev/null || { echo "FAIL: $f does not load"; exit 1; }
  done
  if [[ -e "$WORK/out/model.safetensors" ]]; then
    dendrite eval "$WORK/out/model.safetensors" >/dev/null || { echo "FAIL: $WORK/out/model.safetensors does not load"; exit 1; }
  fi
}

latest_epoch() {
  local last
  last=$(ls "$WORK/ckpt" 2>/dev/null | grep -E '^epoch-[0-9]{4}\.ckpt\.safetensors$' | sort | tail -1 || true)
  [[ -n "$last" ]] && echo $((10#${last:6:4})) || echo 0
}

kills=0 cycles=0
while (( kills < KILLS )); do
  rm -rf "$WORK/ckpt" "$WORK/out"
  cycles=$((cycles + 1)) moments=""
  while true; do
    epoch=$(latest_epoch)
    (( epoch >= EPOCHS )) && break
    resume=(); (( epoch > 0 )) && resume=(--resume)
    (( kills >= KILLS )) && { dendrite "${RUN[@]}" --epochs $EPOCHS --checkpoint-dir "$WORK/ckpt" --out "$WORK/out" "${resume[@]}" >/dev/null; break; }
    # dotnet itself, not the shell function: kill -9 must hit the training process, not a subshell around it.
    dotnet "$DLL" "${RUN[@]}" --epochs $EPOCHS --checkpoint-dir "$WORK/ckpt" --out "$WORK/out" "${resume[@]}" >"$WORK/log" 2>&1 &
    pid=$!
    wait_for_start $pid "$WORK/log"
    moment=$(echo "scale=2; $span * $RANDOM / 32767" | bc)
    sleep "$moment"
    if kill -9 "$pid" 2>/dev/null; then
      wait "$pid" 2>/dev/null || true
      kills=$((kills + 1)) moments="$moments ${moment}s@epoch$epoch"
    else
      wait "$pid" || { echo "FAIL: the run exited on its own with an error:"; cat "$WORK/log"; exit 1; }
      break   # it finished before the kill
    fi
    check_files
  done
  # Killed after the last checkpoint but before (or while) writing the model: the checkpoint becomes the model.
  # (The model is written atomically after the last checkpoint, so it is either absent or the finished one.)
  if ! [[ -e "$WORK/out/model.safetensors" ]]; then
    dendrite export model "$WORK/ckpt/$(printf 'epoch-%04d.ckpt.safetensors' $EPOCHS)" "$WORK/out/model.safetensors" >/dev/null
    how="exported from the last checkpoint"
  else
    how="written by the run"
  fi
  check_files
  got=$(sha256sum "$WORK/out/model.safetensors" | cut -d' ' -f1)
  [[ "$got" == "$reference" ]] || { echo "FAIL: cycle $cycles: model sha256 $got differs from the uninterrupted $reference"; exit 1; }
  echo "cycle $cycles: killed at$moments; final model $how: sha256 identical"
done
# One more run into the directories removes what killed writes left behind.
dendrite "${RUN[@]}" --epochs $((EPOCHS + 1)) --checkpoint-dir "$WORK/ckpt" --out "$WORK/out" --resume >/dev/null
left=$(find "$WORK/ckpt" "$WORK/out" -name '.*.tmp' | wc -l)
(( left == 0 )) || { echo "FAIL: $left temporary files left"; exit 1; }
echo "PASS: $kills kills in $cycles cycles; every file loaded after every kill; every resumed run bit-identical to the uninterrupted one; no temporary files left"
