"""Docs link only to files inside the repository, and every such file exists."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
DOCS = [ROOT / "README.md", *sorted((ROOT / "docs").rglob("*.md"))]
LINK = re.compile(r"!?\[[^\]]*\]\(([^)\s]+)\)")


@pytest.mark.parametrize("doc", DOCS, ids=lambda p: str(p.relative_to(ROOT)))
def test_links_resolve_inside_the_repository(doc: Path) -> None:
    for target in LINK.findall(doc.read_text()):
        path = target.split("#", 1)[0]
        if not path:  # an anchor in the same page
            continue
        assert "://" not in target and not target.startswith("mailto:"), (
            f"{doc.name}: external link {target}"
        )
        resolved = (doc.parent / path).resolve()
        assert resolved.is_relative_to(ROOT), f"{doc.name}: {target} points outside the repository"
        assert resolved.exists(), f"{doc.name}: {target} does not exist"
