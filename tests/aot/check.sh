#!/usr/bin/env bash
# The dendrite CLI as a NativeAOT binary (issue 19, acceptance 4): it publishes with no trim or AOT warning, names the
# kernels it runs, trains with checkpoints, resumes, evaluates, predicts and exports, and its model is bit-identical to
# the JIT CLI's when both run the same kernels (the JIT is switched down to the binary's instruction set with the
# DOTNET_Enable* switches, so the comparison holds on AVX-512 machines too). Publishing takes minutes: this script, not
# the unit suite, is the check (the suite keeps the analyzers, which IsAotCompatible runs in every build).
#
#   tests/aot/check.sh                  # the default publish: x86-64-v2 binary + .avx2 and .avx512 siblings it starts
#   ISA=x86-64-v3 tests/aot/check.sh    # one binary for one instruction set (here AVX2 kernels)
#   TIMING=1 tests/aot/check.sh         # also: W1 epoch 2, native vs JIT, alternating, twice each (full MNIST)
#   SKIP_PUBLISH=1 …                    # reuse the binary and JIT build of the previous run in $KEEP (default /tmp/dendrite-aot)
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
KEEP=${KEEP:-/tmp/dendrite-aot}
ISA=${ISA:-}
DATA=$ROOT/data/mnist
AOT=$KEEP/bin/Dendrite.Cli
JIT_DLL=$ROOT/src/Dendrite.Cli/bin/Release/net10.0/Dendrite.Cli.dll
WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT
fail() { echo "FAIL: $*" >&2; exit 1; }
jit() { dotnet "$JIT_DLL" "$@"; }

if [[ -z "${SKIP_PUBLISH:-}" ]]; then
  rm -rf "$KEEP" && mkdir -p "$KEEP"
  echo "== publish (NativeAOT${ISA:+, $ISA})"
  start=$(date +%s)
  dotnet publish "$ROOT/src/Dendrite.Cli" -c Release -r linux-x64 -p:PublishAot=true ${ISA:+-p:IlcInstructionSet=$ISA} \
    -o "$KEEP/bin" -nologo >"$KEEP/publish.log" 2>&1 || { tail -30 "$KEEP/publish.log"; fail "publish failed"; }
  echo "published in $(( $(date +%s) - start )) s: $(du -h "$AOT" | cut -f1) binary"
  # Warnings are errors in the library builds, but ILC's own (IL2xxx/IL3xxx from packages) are only printed.
  if grep -E ': warning (IL|CS)[0-9]+' "$KEEP/publish.log" | sort -u | grep .; then fail "publish printed warnings"; fi
  echo "== build the JIT CLI"
  dotnet build "$ROOT/src/Dendrite.Cli" -c Release -nologo -v quiet >"$KEEP/build.log" 2>&1 || { tail -30 "$KEEP/build.log"; fail "build failed"; }
fi
[[ -x "$AOT" ]] || fail "no binary at $AOT (run without SKIP_PUBLISH)"

# The version carries the commit, and the ONNX file its producer version: both builds must be of one tree.
[[ "$("$AOT" --version)" == "$(jit --version)" ]] \
  || fail "the native binary ($("$AOT" --version)) and the JIT build ($(jit --version)) differ: rerun without SKIP_PUBLISH"

echo "== devices"
"$AOT" devices | tee "$WORK/devices"
aot_isa=$("$AOT" devices | sed -n 's/^cpu: [0-9]* cores, \([A-Za-z0-9-]*\) kernels.*/\1/p')
[[ -n "$aot_isa" ]] || fail "dendrite devices names no kernels"
grep -q "native build" "$WORK/devices" || fail "dendrite devices does not say it is a native build"
# The instruction set is compiled in: the JIT's switches do not move a native binary. (.NET 10 names the AVX-512
# switch DOTNET_EnableAVX512; the older DOTNET_EnableAVX512F is ignored, even by the JIT.)
[[ "$(DOTNET_EnableAVX512=0 DOTNET_EnableAVX2=0 "$AOT" devices | head -1)" == "$(head -1 "$WORK/devices")" ]] \
  || fail "DOTNET_EnableAVX512=0 DOTNET_EnableAVX2=0 changed the native binary's kernels"
# A default x64 publish is three binaries: Dendrite.Cli (x86-64-v2, portable kernels) starts the widest sibling the
# processor runs, Dendrite.Cli.avx2 (x86-64-v3) or Dendrite.Cli.avx512 (x86-64-v4).
if [[ -z "$ISA" ]]; then
  for v in avx2 avx512; do [[ -x "$AOT.$v" ]] || fail "no $AOT.$v beside the binary"; done
  DENDRITE_NATIVE_VARIANTS=0 "$AOT" devices | head -1 | grep -q "portable kernels" \
    || fail "Dendrite.Cli itself (x86-64-v2) does not run the portable kernels"
  "$AOT.avx2" devices | head -1 | grep -q "AVX2 kernels" || fail "Dendrite.Cli.avx2 does not run the AVX2 kernels"
  echo "variants: Dendrite.Cli alone runs the portable kernels, Dendrite.Cli.avx2 the AVX2 ones; started here: $aot_isa"
fi
case $aot_isa in
  AVX-512) jit_env=() ;;
  AVX2) jit_env=(DOTNET_EnableAVX512=0) ;;
  *) jit_env=(DOTNET_EnableAVX2=0) ;;
esac
jit_isa=$(env "${jit_env[@]}" dotnet "$JIT_DLL" devices | sed -n 's/^cpu: [0-9]* cores, \([A-Za-z0-9-]*\) kernels.*/\1/p')
echo "native: $aot_isa kernels; JIT${jit_env[*]:+ with ${jit_env[*]}}: $jit_isa kernels"

echo "== startup"
for args in --version --help; do
  s=$(date +%s%N); "$AOT" $args >/dev/null; e=$(date +%s%N)
  s2=$(date +%s%N); jit $args >/dev/null; e2=$(date +%s%N)
  echo "dendrite $args: native $(( (e - s) / 1000000 )) ms, JIT $(( (e2 - s2) / 1000000 )) ms"
done

echo "== train 2 epochs with checkpoints, then resume to 3"
RUN=(train mnist-mlp --train-samples 6000 --seed 6 --data "$DATA")
"$AOT" "${RUN[@]}" --epochs 2 --checkpoint-dir "$WORK/ck" --out "$WORK/aot2"
[[ -f "$WORK/ck/epoch-0002.ckpt.safetensors" ]] || fail "no checkpoint after epoch 2"
"$AOT" "${RUN[@]}" --epochs 3 --checkpoint-dir "$WORK/ck" --out "$WORK/aot" --resume | tee "$WORK/resume.log"
grep -q "^Resumed from .*epoch-0002" "$WORK/resume.log" || fail "the run did not resume from epoch 2"
env "${jit_env[@]}" dotnet "$JIT_DLL" "${RUN[@]}" --epochs 3 --out "$WORK/jit" >/dev/null
if [[ "$aot_isa" == "$jit_isa" ]]; then
  cmp "$WORK/aot/model.safetensors" "$WORK/jit/model.safetensors" \
    || fail "native (2 epochs + resume) and JIT (3 epochs) models differ with the same $aot_isa kernels"
  echo "model.safetensors: bit-identical to the JIT CLI's uninterrupted run ($aot_isa kernels)"
else
  echo "model.safetensors: not compared (native $aot_isa kernels, JIT $jit_isa: different sums)"
fi

echo "== eval, predict, export"
"$AOT" eval "$WORK/aot/model.safetensors" --data "$DATA" | tee "$WORK/eval"
grep -q "^Accuracy: " "$WORK/eval" || fail "eval printed no accuracy"
"$AOT" predict "$WORK/aot/model.safetensors" "$DATA/t10k-images-idx3-ubyte.gz" >"$WORK/predict"
[[ $(grep -c ': class ' "$WORK/predict") == 10 ]] && grep -q '9990 more samples' "$WORK/predict" \
  || fail "predict on the IDX test images: expected the first 10 and a count of the rest"
head -1 "$WORK/predict"
# One CSV row of 784 raw pixel bytes.
awk 'BEGIN { for (i = 0; i < 784; i++) printf "%s%d", (i ? "," : ""), (i % 28 > 12 && i % 28 < 16) ? 255 : 0; print "" }' >"$WORK/one.csv"
"$AOT" predict "$WORK/aot/model.safetensors" "$WORK/one.csv" --input-shape 1,28,28 --divide-by 255 | grep ': class ' \
  || fail "predict on a CSV row failed"
"$AOT" export onnx "$WORK/aot/model.safetensors" "$WORK/aot.onnx"
jit export onnx "$WORK/aot/model.safetensors" "$WORK/jit.onnx" >/dev/null
cmp "$WORK/aot.onnx" "$WORK/jit.onnx" || fail "the native and JIT ONNX exports of one model differ"
"$AOT" export model "$WORK/ck/epoch-0003.ckpt.safetensors" "$WORK/from-checkpoint.safetensors"
cmp <("$AOT" eval "$WORK/from-checkpoint.safetensors" --data "$DATA") "$WORK/eval" \
  || fail "the model exported from the last checkpoint evaluates differently"
"$AOT" train mnist-mlp --summary --epochs 1 --train-samples 600 --data "$DATA" | grep -q "^Total params: 669,706" \
  || fail "train --summary"

echo "== what a native build refuses"
if "$AOT" train mnist-mlp --device cuda:0 --data "$DATA" >"$WORK/out" 2>"$WORK/err"; then fail "--device cuda:0 ran"; fi
[[ ! -s "$WORK/out" && $(wc -l <"$WORK/err") == 1 ]] || fail "--device cuda:0: expected one line on stderr"
cat "$WORK/err"

if [[ -n "${TIMING:-}" ]]; then
  echo "== W1 (mnist-mlp, full MNIST), epoch 2: native vs JIT (${jit_env[*]:-no switches}), alternating"
  for round in 1 2; do
    for who in native jit; do
      if [[ $who == native ]]; then "$AOT" train mnist-mlp --epochs 2 --data "$DATA" >"$WORK/t"
      else env "${jit_env[@]}" dotnet "$JIT_DLL" train mnist-mlp --epochs 2 --data "$DATA" >"$WORK/t"; fi
      echo "round $round $who: $(grep '^Epoch 2/2' "$WORK/t" | cut -d' ' -f1-4)"
    done
  done
fi
echo "OK: the native dendrite ($aot_isa kernels) passed"
