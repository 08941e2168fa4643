#!/usr/bin/env bash
# Set-up (when needed) and every test: the lit/FileCheck suite, then pytest.
# Extra arguments go to pytest (e.g. `-k frontend` or `-m "not slow"`).
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
bash scripts/setup.sh
export PATH="$root/.venv/bin:$PATH"

echo "== lit (test/Dialect, test/Transforms, test/Conversion)"
.venv/bin/lit -sv build/test

echo "== pytest (test/python)"
.venv/bin/python -m pytest test/python -ra --durations=25 "$@"
