#!/usr/bin/env bash
# Set-up (when needed) and the main job. At this stage of the project the
# main job runs the kernel-raising pipeline on an int8 TOSA convolution and
# prints the tinyts IR it produces.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
bash scripts/setup.sh
export PATH="$root/.venv/bin:$PATH"
echo "== tinyts-opt --tinyts-raise-kernels examples/conv_int8.mlir"
tinyts-opt examples/conv_int8.mlir \
  --pass-pipeline="builtin.module(tinyts-raise-kernels, canonicalize)"
