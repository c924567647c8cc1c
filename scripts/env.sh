# Sourced by the scripts: keep every cache and Flower/Ray state inside the checkout.
_root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
export FEDGAN_HOME="${FEDGAN_HOME:-$_root/.fedgan-home}"
mkdir -p "$FEDGAN_HOME"
export FLWR_HOME="${FLWR_HOME:-$FEDGAN_HOME/flwr}"
export MPLCONFIGDIR="${MPLCONFIGDIR:-$FEDGAN_HOME/mpl}"
export HF_HOME="${HF_HOME:-$FEDGAN_HOME/hf}"
export HF_DATASETS_CACHE="${HF_DATASETS_CACHE:-$HF_HOME/datasets}"
export HF_HUB_OFFLINE=1 HF_DATASETS_OFFLINE=1
# Ray: simulations/flower.py gives every run its own short temp dir.
export FLWR_DISABLE_RUNTIME_DEPENDENCY_INSTALLATION=1
export PYTHONUNBUFFERED=1
