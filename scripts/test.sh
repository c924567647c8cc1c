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
.venv/bin/python -m pytest "$@"
