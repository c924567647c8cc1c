"""A script beside a clone named ``fedgan`` still imports the installed package."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def test_clone_folder_does_not_shadow_the_package(tmp_path: Path) -> None:
    (tmp_path / "fedgan").symlink_to(ROOT, target_is_directory=True)  # a clone named fedgan
    script = tmp_path / "use_fedgan.py"
    script.write_text(
        "import fedgan\nprint(fedgan.__file__)\nprint(fedgan.group_gradient_penalty.__name__)\n"
    )
    out = subprocess.run(
        [sys.executable, str(script)], cwd=tmp_path, capture_output=True, text=True, check=True
    )
    path, name = out.stdout.split()
    assert path.endswith("fedgan/__init__.py") and name == "group_gradient_penalty"


def test_a_foreign_strategies_package_is_named_not_silently_used(tmp_path: Path) -> None:
    (tmp_path / "strategies").mkdir()
    (tmp_path / "strategies" / "__init__.py").write_text("NAME = 'someone else'\n")
    out = subprocess.run(
        [sys.executable, "-c", "import fedgan.server_app"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
    )
    assert out.returncode != 0
    assert "the package 'strategies' at" in out.stderr and "is not fedgan's" in out.stderr
