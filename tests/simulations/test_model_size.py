"""The model-size benchmark's table follows from the architectures."""

from __future__ import annotations

import pytest

from simulations.benchmarks import model_size


def _rows(capsys: pytest.CaptureFixture[str]) -> dict[tuple[str, int], list[int]]:
    lines = capsys.readouterr().out.strip().splitlines()[2:]
    rows = {}
    for line in lines:
        cells = [c.strip() for c in line.strip("|").split("|")]
        rows[(cells[0], int(cells[1].replace(",", "")))] = [
            int(c.replace(",", "")) for c in cells[2:]
        ]
    return rows


def test_only_the_per_source_copies_grow_with_the_clients(
    capsys: pytest.CaptureFixture[str],
) -> None:
    model_size.main(["--clients", "5", "10"])
    rows = _rows(capsys)
    groups, latent = 2, 8  # ring8-minority: majority and minority; default latent-dim
    shared = rows[("shared-generator", 10)][0] - rows[("shared-generator", 5)][0]
    assert shared == 5 * groups * latent  # one embedding row per new (client, group)
    local5, local10 = rows[("client-conditional", 5)][0], rows[("client-conditional", 10)][0]
    assert local10 == 2 * local5  # a full copy per source
    assert rows[("private-critics", 10)][0] == rows[("private-critics", 5)][0]
    # a client sends the same bytes whatever the federation's size
    for name in ("shared-generator", "client-conditional", "shared-critic", "private-critics"):
        assert rows[(name, 5)][3] == rows[(name, 10)][3]
    # shared-generator: the client sends its critic (float32)
    assert rows[("shared-generator", 5)][3] == 4 * rows[("shared-generator", 5)][1]
