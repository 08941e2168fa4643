#!/usr/bin/env bash
# Set-up (when needed) and the main job: compile a bundled corpus model
# (MLPerf Tiny's visual wake words MobileNet, int8) to C, run it on the
# emulated Cortex-M7 (QEMU mps2-an500, DSP kernels on), print its memory and
# speed figures, and check its output against TFLite Micro's.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
bash scripts/setup.sh
export PATH="$root/.venv/bin:$PATH"
model="${1:-$root/../shared/models/mlc_vww_96_int8.tflite}"
out="$root/out/$(basename "$model" .tflite)"
echo "== tinyts compile $(basename "$model") --target cortex-m7 -o ${out#$root/}"
tinyts compile "$model" --target cortex-m7 -o "$out"
echo "== tinyts run ${out#$root/} --on qemu --check-tflm"
tinyts run "$out" --on qemu --check-tflm "$model"
