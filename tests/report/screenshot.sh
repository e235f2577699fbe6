#!/usr/bin/env bash
# Trains a short W2 run (the PyTorch MNIST CNN, 2 epochs on 2,000 images), then has headless Chromium screenshot its
# report.html and checks that the training and validation curves show (tests/Dendrite.Tests/Visualization/
# ReportScreenshotTests.cs does the screenshot and the pixel check; the screenshot stays beside the report).
# Usage: tests/report/screenshot.sh [OUT_DIR]   (default: a new temporary directory)
set -euo pipefail
cd "$(dirname "$0")/../.."
out="${1:-$(mktemp -d)/w2}"
command -v chromium >/dev/null 2>&1 || command -v chromium-browser >/dev/null 2>&1 || command -v google-chrome >/dev/null 2>&1 || {
    echo "screenshot.sh: no chromium on PATH; install it (apt-get install chromium)" >&2
    exit 1
}
dotnet run --project src/Dendrite.Cli -c Release -- train mnist-cnn --epochs 2 --train-samples 2000 --out "$out"
# CI=1: a missing browser fails the check instead of skipping it.
CI=1 DENDRITE_REPORT_HTML="$out/report.html" dotnet test tests/Dendrite.Tests -c Release \
    --filter "FullyQualifiedName~ReportScreenshotTests.Chromium_shows_the_training_and_validation_curves" \
    --logger "console;verbosity=normal"
echo "report: $out/report.html  screenshot: $out/report.png  TensorBoard: tensorboard --logdir $out/tensorboard"
