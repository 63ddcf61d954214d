"""Shared fixtures: the real data beside the project (../shared) and databases built from it."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]



def _find_shared() -> Path:
    """../shared beside the repository (or the nearest ancestor that has it; PAPERSHELF_SHARED wins)."""
    if os.environ.get("PAPERSHELF_SHARED"):
        return Path(os.environ["PAPERSHELF_SHARED"])
    for parent in ROOT.parents:
        if (parent / "shared" / "data").is_dir():
            return parent / "shared"
    return ROOT.parent / "shared"


SHARED = _find_shared()
SEED = SHARED / "seed" / "000_2585ca8243d12f53.txt"
LISTINGS = SHARED / "data" / "listings"
HF_API = SHARED / "data" / "hf-daily-api"


def seed_paragraphs() -> list[str]:
    """The seed's paragraphs after its header and date line, read independently of the parser."""
    text = SEED.read_text(encoding="utf-8")
    paragraphs = [p.strip() for p in text.split("\n\n") if p.strip()]
    date_index = paragraphs.index("Mar 14")
    return paragraphs[date_index + 1 :]


@pytest.fixture(scope="session")
def seed_db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A database built from the seed alone (built once per session; tests must not write to it)."""
    from etl.build import build

    path = tmp_path_factory.mktemp("seed") / "papershelf.db"
    build([SEED], path)
    return path
