"""The built wheel, installed into a fresh virtual environment outside the checkout."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import sysconfig
import venv
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]

PENALTY = """
import torch, fedgan
from fedgan import group_gradient_penalty
assert fedgan.__file__.startswith({site!r}), fedgan.__file__
critic = torch.nn.Sequential(torch.nn.Linear(2, 8), torch.nn.ReLU(), torch.nn.Linear(8, 1))
real, fake = torch.randn(16, 2), torch.randn(16, 2)
groups = torch.arange(16) % 2
gp = group_gradient_penalty(critic, real, fake, groups, balance="group")
gp.penalty.backward()
print("penalty", float(gp.penalty))
"""


@pytest.mark.slow
def test_wheel_installs_and_works_outside_the_checkout(tmp_path: Path) -> None:
    dist = tmp_path / "dist"
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "wheel",
            str(ROOT),
            "--no-deps",
            "--no-build-isolation",
            "-q",
            "-w",
            str(dist),
        ],
        check=True,
        capture_output=True,
        timeout=300,
    )
    (wheel,) = dist.glob("fedgan-*.whl")
    names = zipfile.ZipFile(wheel).namelist()
    assert "simulations/scenarios/ring.toml" in names and "fedgan/py.typed" in names
    assert not any(n.startswith("tests/") for n in names)
    # A fresh environment: the wheel without its dependencies, which come from this
    # environment's site-packages through a .pth line (its .pth files, among them the
    # checkout's editable install, are not read from there).
    env_dir = tmp_path / "env"
    venv.create(env_dir, with_pip=False)
    py = env_dir / "bin" / "python"
    site = subprocess.run(
        [py, "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
        check=True,
        capture_output=True,
        text=True,
    ).stdout.strip()
    Path(site, "deps.pth").write_text(sysconfig.get_paths()["purelib"] + "\n")
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "--python",
            str(py),
            "install",
            "--no-deps",
            "-q",
            str(wheel),
        ],
        check=True,
        capture_output=True,
        timeout=300,
    )
    work = tmp_path / "elsewhere"
    work.mkdir()
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH",)} | {
        "MPLCONFIGDIR": str(tmp_path / "mpl")
    }

    def run(*cmd: str | Path) -> str:
        out = subprocess.run(
            [str(c) for c in cmd], cwd=work, env=env, capture_output=True, text=True, timeout=300
        )
        assert out.returncode == 0, out.stderr[-2000:]
        return out.stdout

    assert "penalty" in run(py, "-c", PENALTY.format(site=site))
    # A small finished run with the installed code, then the installed commands on it.
    settings = {
        "num-server-rounds": 2,
        "generator-steps": 2,
        "batch-size": 32,
        "eval-samples": 300,
        "hidden": 16,
        "output-dir": str(work / "run"),
    }
    text = " ".join(f"{k}={json.dumps(v)}" for k, v in settings.items())
    run(
        py,
        "-m",
        "simulations.inprocess",
        "--num-cpus",
        "1",
        "--num-partitions",
        "3",
        "--run-config",
        text,
    )
    run(env_dir / "bin" / "fedgan-report", work / "run", "--out", work / "report")
    assert (work / "report" / "report.md").is_file()
    run(
        env_dir / "bin" / "fedgan-sample",
        work / "run",
        "--n",
        "10",
        "--group",
        "1",
        "--out",
        work / "s.csv",
    )
    assert len((work / "s.csv").read_text().splitlines()) == 11
    run(env_dir / "bin" / "fedgan-sources", work / "run", "--samples", "10")
    assert len((work / "run" / "source-quality.csv").read_text().splitlines()) == 7  # 6 sources
    # The shipped sweep files are found by the installed package.
    found = run(
        py,
        "-c",
        "import simulations, pathlib; "
        "print(sorted(p.name for p in (pathlib.Path(simulations.__file__).parent / 'scenarios').glob('*.toml')))",
    )
    assert "ring.toml" in found and str(ROOT) not in run(
        py, "-c", "import simulations; print(simulations.__file__)"
    )
