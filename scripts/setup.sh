#!/usr/bin/env bash
# Set-up for a fresh machine: Debian packages (when missing), the virtual
# environment at .venv with the pinned wheels, and the editable build of the
# project (tinyts-opt + the Python extension). Safe to run again: each step is
# skipped when already done.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"

# Debian packages: the cross compiler and QEMU for the emulated Cortex-M7;
# Chromium (headless) for the memory report's rendering test.
apt_pkgs=(gcc-arm-none-eabi libnewlib-arm-none-eabi qemu-system-arm chromium)
missing=()
for p in "${apt_pkgs[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if ((${#missing[@]})); then
  echo "[setup] apt-get install ${missing[*]}"
  SUDO=""; [ "$(id -u)" -eq 0 ] || SUDO="sudo"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

# Python environment with pinned wheels.
if [ ! -x .venv/bin/python ]; then
  echo "[setup] creating .venv"
  python3 -m venv .venv
fi
py=.venv/bin/python
stamp=.setup-stamp
want="$(cat requirements.txt pyproject.toml | sha256sum | cut -d' ' -f1)"
if [ ! -f "$stamp" ] || [ "$(cat "$stamp")" != "$want" ] || ! "$py" -c "import tinyts_mlir" 2>/dev/null; then
  echo "[setup] pip install -r requirements.txt"
  "$py" -m pip install -q -r requirements.txt
  echo "[setup] building tinyts-opt and the Python extension (editable install)"
  "$py" -m pip install -q --no-build-isolation -e . \
    -Cbuild-dir=build -Ceditable.rebuild=true
  echo "$want" > "$stamp"
fi
# Incremental rebuild of the C++ (a second when nothing changed): lit runs
# build/bin/tinyts-opt directly, so it must be current.
if ! log="$(.venv/bin/cmake --build build 2>&1)"; then
  echo "$log" >&2
  echo "[setup] C++ build failed (see above)" >&2
  exit 1
fi
