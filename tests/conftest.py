"""Shared fixtures: the real data the repository ships (listings/, tests/fixtures/) and databases built from it."""

from __future__ import annotations

import gzip
import sqlite3
from pathlib import Path

import pytest

from etl.publish.datasette_plugin import ensure_registered

ROOT = Path(__file__).resolve().parents[1]

# The site is Datasette plus papershelf's plugin; installed, its entry point loads it, else this does.
ensure_registered()

FIXTURES = ROOT / "tests" / "fixtures"
SEED = ROOT / "listings" / "000_2585ca8243d12f53.txt"  # the Daily Papers page the project started from
HF_API = ROOT / "listings" / "hf-daily-api"  # the shipped Daily Papers API archive, one YYYY-MM-DD.json.gz a day
LISTINGS = FIXTURES / "listings"  # renders of real API days as captured text, each with .expected.json
CAPTURES = FIXTURES / "captures"  # captures of papers pages made by other tools, each with .expected.json


def api_day(date: str) -> Path:
    """The shipped API file of one day (``YYYY-MM-DD``, or its file name before compression)."""
    return HF_API / f"{date.removesuffix('.json')}.json.gz"


def api_bytes(date: str) -> bytes:
    """The API response of one day as the API sent it (the shipped file decompressed)."""
    return gzip.decompress(api_day(date).read_bytes())


def api_text(date: str) -> str:
    return api_bytes(date).decode("utf-8")


def api_files() -> list[Path]:
    """Every day of the shipped API archive, in date order."""
    return sorted(HF_API.glob("*.json.gz"))


def seed_paragraphs() -> list[str]:
    """The seed's paragraphs after its header and date line, read independently of the parser."""
    text = SEED.read_text(encoding="utf-8")
    paragraphs = [p.strip() for p in text.split("\n\n") if p.strip()]
    date_index = paragraphs.index("Mar 14")
    return paragraphs[date_index + 1 :]


def rows(db: Path, sql: str, params: tuple | dict = ()) -> list[tuple]:
    """The rows ``sql`` selects from the database ``db``."""
    conn = sqlite3.connect(db)
    try:
        return conn.execute(sql, params).fetchall()
    finally:
        conn.close()


def contents(db: Path) -> dict[str, list[tuple]]:
    """Every table row by row, except the clock time of ingestion."""
    conn = sqlite3.connect(db)
    try:
        tables = [r[0] for r in conn.execute(
            "select name from sqlite_master where type = 'table' and name not like 'papers_fts%'"
            " and name not like 'sqlite_%' order by name")]
        result = {}
        for table in tables:
            columns = [r[1] for r in conn.execute(f"pragma table_info({table})") if r[1] != "ingested_at"]
            result[table] = conn.execute(f"select {', '.join(columns)} from {table} order by 1, 2").fetchall()
        result["papers_fts"] = conn.execute("select rowid, title from papers_fts order by rowid").fetchall()
        return result
    finally:
        conn.close()


@pytest.fixture(scope="session")
def seed_db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A database built from the seed alone (built once per session; tests must not write to it)."""
    from etl.pipeline.build import build

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
    files = api_files()
    return [f for i, f in enumerate(files) if i % 14 == 0 or (f.name.startswith("2025-0") and i % 14 == 7)]


@pytest.fixture(scope="session")
def archive_db(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, object]:
    """The whole Daily Papers API archive built, and the build's report (some seconds to build; built
    once per session, read-only for tests)."""
    from etl.pipeline.build import build

    path = tmp_path_factory.mktemp("archive") / "papershelf.db"
    return path, build([HF_API], path)


@pytest.fixture(scope="session")
def api_sample_db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A database built from a sample of the API archive (built once per session; read-only for tests)."""
    from etl.pipeline.build import build

    path = tmp_path_factory.mktemp("api") / "papershelf.db"
    build(api_sample_files(), path)
    return path


@pytest.fixture(scope="session")
def hostile_db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A database whose titles, abstracts, keywords, authors, links and file name are HTML and scripts."""
    import json

    from etl.pipeline.build import build

    folder = tmp_path_factory.mktemp("hostile")
    listing = folder / "2025-06-10 <img src=x onerror=alert('file')>.json"
    listing.write_text(json.dumps(HOSTILE_PAPERS), encoding="utf-8")
    path = folder / "papershelf.db"
    build([listing], path)
    return path
