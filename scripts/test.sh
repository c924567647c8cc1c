#!/usr/bin/env bash
# The test command: lint (ruff, numpy docstrings), type-check (mypy), layer contracts
# (import-linter), then pytest.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
source scripts/env.sh
.venv/bin/ruff check fedgan strategies simulations tests
.venv/bin/ruff format --check fedgan strategies simulations tests
.venv/bin/mypy
.venv/bin/lint-imports --no-cache
.venv/bin/python -m pytest "$@"
