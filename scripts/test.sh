#!/usr/bin/env bash
# The test command: lint (ruff, numpy docstrings), type-check (mypy), layer contracts
# (import-linter), the documentation site (mkdocs --strict), then pytest.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
source scripts/env.sh
.venv/bin/ruff check fedgan strategies simulations tests
.venv/bin/ruff format --check fedgan strategies simulations tests
.venv/bin/mypy
.venv/bin/lint-imports --no-cache
# The documentation site, API reference included: a broken link, anchor or docstring fails it.
site=$(mktemp -d)
NO_MKDOCS_2_WARNING=1 .venv/bin/mkdocs build --strict --quiet --site-dir "$site"
rm -rf "$site"
# Two pytest workers (pytest-xdist), one torch thread each: the end-to-end tests spend much
# of their time waiting on Flower (heartbeats, process start-up), so another test runs
# beside them; two torch processes at the default thread count would fight over the cores.
OMP_NUM_THREADS="${OMP_NUM_THREADS:-1}" .venv/bin/python -m pytest -n "${FEDGAN_TEST_WORKERS:-2}" "$@"
