#!/usr/bin/env bash
# One-command developer setup: a virtual environment with the CPU build of torch, wavelet_pos in editable
# mode with its dev tools, and (as root, where apt exists) Chromium + ChromeDriver for the docs-site test.
# TORCH_SPEC picks another torch build, e.g. TORCH_SPEC="torch==2.13.0" with your own index for CUDA.
set -euo pipefail
cd "$(dirname "$0")/.."
VENV=${VENV:-.venv}
PYTHON=${PYTHON:-python3}
[ -x "$VENV/bin/python" ] || "$PYTHON" -m venv "$VENV"
"$VENV/bin/python" -m pip install -q --upgrade pip
# CPU torch first: a plain `torch` requirement would otherwise pull a multi-GB CUDA build
"$VENV/bin/python" -m pip install -q "${TORCH_SPEC:-torch==2.13.0}"
"$VENV/bin/python" -m pip install -q -e ".[dev]"
"$VENV/bin/python" -m ipykernel install --user --name python3 >/dev/null 2>&1 || true
if ! { command -v chromium >/dev/null && command -v chromedriver >/dev/null; }; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium chromium-driver >/dev/null
  else
    echo "note: install chromium and chromium-driver to run the docs-site browser test" >&2
  fi
fi
echo "setup done: . $VENV/bin/activate && make test"
