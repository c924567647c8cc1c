r"""Your own CSV and your own flwr-datasets partitioner: the wine table.

scikit-learn's wine data (178 wines, 13 measurements, 3 cultivars; it ships with the
package) is written once to ``outputs/examples/wine.csv`` to stand for a file of yours.
:data:`WINE` reads it with :func:`fedgan.data.table_scenario` — numeric columns
standardised, the group column ``cultivar`` one-hot — and splits it with flwr-datasets'
``DirichletPartitioner`` over the cultivar (α = 0.3), so some clients hold almost no wine
of some cultivar::

    python -m simulations.inprocess --num-partitions 4 \\
        --run-config 'scenario="simulations.examples.wine_csv:WINE" num-server-rounds=20'
    bash scripts/run.sh --num-supernodes 4 --run-config 'scenario="simulations.examples.wine_csv:WINE"'

Every process of a Flower run imports ``simulations.examples.wine_csv`` the way Flower
imports ``fedgan.server_app``: a module of yours works when it is inside the app folder
or installed.
"""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any

import pandas as pd

from fedgan._io import atomic_write
from fedgan.data import CustomScenario, Scenario, table_scenario

__all__ = ["CSV", "WINE"]

CSV = Path(__file__).resolve().parents[2] / "outputs" / "examples" / "wine.csv"
MEASUREMENTS = (
    "alcohol",
    "malic_acid",
    "ash",
    "alcalinity_of_ash",
    "magnesium",
    "total_phenols",
    "flavanoids",
    "nonflavanoid_phenols",
    "proanthocyanins",
    "color_intensity",
    "hue",
    "od280/od315_of_diluted_wines",
    "proline",
)


def _write_csv() -> None:
    from sklearn.datasets import load_wine

    bunch = load_wine(as_frame=True)
    frame = bunch.frame.rename(columns={"target": "cultivar"})
    frame["cultivar"] = frame["cultivar"].map({0: "barolo", 1: "grignolino", 2: "barbera"})
    text = frame.to_csv(index=False)
    atomic_write(CSV, lambda f: f.write(text.encode()))


def load(seed: int) -> Scenario:
    """The CSV as a scenario; the seed draws the 20% of each cultivar kept for testing."""
    if not CSV.is_file():
        _write_csv()
    frame = pd.read_csv(io.StringIO(CSV.read_text()))
    return table_scenario(
        "wine", frame, numeric=MEASUREMENTS, categorical=("cultivar",), group="cultivar", seed=seed
    )


def partitioner(num_partitions: int, seed: int) -> Any:
    """flwr-datasets' Dirichlet split over the cultivar (``group`` column)."""
    from flwr_datasets.partitioner import DirichletPartitioner

    return DirichletPartitioner(
        num_partitions=num_partitions,
        partition_by="group",
        alpha=0.3,
        min_partition_size=5,
        self_balancing=False,
        seed=seed,
    )


WINE = CustomScenario(load=load, partitioner=partitioner, num_partitions=4)
