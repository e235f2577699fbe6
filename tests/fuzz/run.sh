#!/usr/bin/env bash
# The long fuzz run of issue 20: mutated files of every format Dendrite reads (IDX, safetensors, model files,
# architecture JSON, checkpoints, PNG, CSV, FASTA/FASTQ), each read in a worker process limited to 2 GB of GC heap
# (DOTNET_GCHeapHardLimit) and 10 s per input. Prints a table per format: inputs, accepted, rejected, crashes, hangs, oom.
# Every crash, hang or out-of-memory input is written to $OUT/<format>/ with its recipe; copy it into
# tests/Dendrite.Tests/Reliability/FuzzRegressions/<format>/ once fixed, so the test suite keeps refusing it.
#
# Usage: tests/fuzz/run.sh [COUNT [SEED]]     (defaults: 10000 inputs per format, seed 1)
# Environment: FORMATS=idx,png,… (default all), OUT=dir (default /tmp/dendrite-fuzz), TIMEOUT_S=10, MEMORY_MB=2048.
# Exit status: 0 when nothing crashed, hung or ran out of memory; 1 otherwise.
set -euo pipefail
cd "$(dirname "$0")/../.."
COUNT="${1:-10000}"
SEED="${2:-1}"
BUILD="${BUILD_DIR:-/tmp/dendrite-fuzz-build}"
dotnet build tests/Dendrite.Fuzz -c Release -o "$BUILD" -v quiet -nologo >/dev/null
# Ask for the same limit from the kernel too, on the whole process tree, where prlimit exists: address space is
# reserved generously by the runtime, so the cap is 4x the heap limit; the GC heap limit is the one that bites.
LIMIT=()
if command -v prlimit >/dev/null; then LIMIT=(prlimit --as=$(( ${MEMORY_MB:-2048} * 4 * 1024 * 1024 )) --); fi
exec "${LIMIT[@]}" dotnet "$BUILD/Dendrite.Fuzz.dll" run --count "$COUNT" --seed "$SEED" \
    --formats "${FORMATS:-idx,safetensors,model,architecture,checkpoint,png,csv,sequences}" \
    --timeout-s "${TIMEOUT_S:-10}" --memory-mb "${MEMORY_MB:-2048}" --out "${OUT:-/tmp/dendrite-fuzz}"
