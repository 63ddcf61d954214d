"""Shared fixtures: the real data beside the project (../shared) and databases built from it."""

from __future__ import annotations

from pathlib import Path

import pytest

from benchmarks.generate import find_shared
from etl.datasette_plugin import ensure_registered

ROOT = Path(__file__).resolve().parents[1]

# The site is Datasette plus papershelf's plugin; installed, its entry point loads it, else this does.
ensure_registered()

SHARED = find_shared()  # ../shared beside the repository; PAPERSHELF_SHARED wins
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


# ---- publication (Datasette site, exports, report) ------------------------------------------------

# Hostile text in every field a page shows: none of it may ever act as markup.
HOSTILE_TITLE = "<script>alert('title')</script> Diffusion with hostile titles"
HOSTILE_IMG = "<img src=x onerror=alert('img')>"
HOSTILE_PAPERS = [
    {
        "paper": {
            "id": "2506.99001",
            "title": HOSTILE_TITLE,
            "summary": f"We study diffusion models {HOSTILE_IMG} and speculative decoding </mark><script>alert('mark')</script>.",
            "authors": [{"name": "<svg onload=alert('author')>"}, {"name": "Ada Lovelace"}],
            "upvotes": 42,
            "publishedAt": "2025-06-09T17:59:53.000Z",
            "githubRepo": "javascript:alert('repo')",
            "projectPage": "https://example.org/\"><script>alert('page')</script>",
            "ai_summary": "<b onmouseover=alert('summary')>bold</b> summary",
            "ai_keywords": [HOSTILE_IMG, "diffusion models", "<script>alert('kw')</script>"],
            "organization": {"fullname": "<i onclick=alert('org')>Org</i>", "name": "org"},
        },
        "title": HOSTILE_TITLE,
        "numComments": 1,
    },
    {
        "paper": {
            "id": "2506.99002",
            "title": f"{HOSTILE_IMG} A second hostile paper on diffusion models",
            "summary": "Diffusion models <iframe src=javascript:alert('iframe')></iframe> everywhere.",
            "authors": [{"name": "Alan Turing"}],
            "upvotes": 7,
            "ai_keywords": ["diffusion models", HOSTILE_IMG],
        },
        "title": f"{HOSTILE_IMG} A second hostile paper on diffusion models",
    },
]


def api_sample_files() -> list[Path]:
    """About 30 days of the Daily Papers archive spread over its 19 months (ai_keywords, githubRepo and
    projectPage arrive in 2025-03, so most of 2025 is in)."""
    files = sorted(HF_API.glob("*.json"))
    return [f for i, f in enumerate(files) if i % 14 == 0 or (f.name.startswith("2025-0") and i % 14 == 7)]


@pytest.fixture(scope="session")
def api_sample_db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A database built from a sample of the API archive (built once per session; read-only for tests)."""
    from etl.build import build

    path = tmp_path_factory.mktemp("api") / "papershelf.db"
    build(api_sample_files(), path)
    return path


@pytest.fixture(scope="session")
def hostile_db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A database whose titles, abstracts, keywords, authors, links and file name are HTML and scripts."""
    import json

    from etl.build import build

    folder = tmp_path_factory.mktemp("hostile")
    listing = folder / "2025-06-10 <img src=x onerror=alert('file')>.json"
    listing.write_text(json.dumps(HOSTILE_PAPERS), encoding="utf-8")
    path = folder / "papershelf.db"
    build([listing], path)
    return path
