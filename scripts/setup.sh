#!/usr/bin/env bash
# Create .venv and install fedgan with its dev tools; idempotent and quick when done.
# Where this machine offers the local CPU build of torch 2.13.0 (a find-links wheel), it is
# installed first so that nothing else resolves a multi-GB CUDA torch; elsewhere pip resolves
# torch normally.
set -euo pipefail
cd "$(dirname "$0")/.."
PY=${PYTHON:-python3}
[ -x .venv/bin/python ] || "$PY" -m venv .venv
stamp=.venv/.fedgan-installed
want=$(cat pyproject.toml scripts/setup.sh | sha256sum | cut -d' ' -f1)
if [ "$(cat "$stamp" 2>/dev/null)" != "$want" ]; then
  echo "fedgan setup: installing into .venv (first run takes a few minutes)" >&2
  if ! .venv/bin/python -c 'import torch' 2>/dev/null; then
    # On this project's machines pip's find-links serve a CPU wheel of exactly this version.
    .venv/bin/pip install -q torch==2.13.0 2>/dev/null \
      && echo "fedgan setup: torch 2.13.0 installed first" >&2 \
      || echo "fedgan setup: torch 2.13.0 not available; pip resolves torch normally" >&2
  fi
  # compat mode puts the checkout on sys.path (a .pth line): a script beside a clone named
  # "fedgan" then still imports this package, not the clone folder as a namespace package.
  .venv/bin/pip install -q -e ".[dev]" --config-settings editable_mode=compat
  echo "$want" > "$stamp"
fi
