#!/usr/bin/env bash
# The main job: set up, then run the default federation with `flwr run .`
# through simulations/flower.py, which stops the local SuperLink afterwards.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
source scripts/env.sh
exec .venv/bin/python -m simulations.flower "$@"
