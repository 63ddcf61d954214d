"""The built database answers the `sqlite-utils` command line as a user would try it (issue 17):
full-text search through the FTS index it detects, rows, tables with their counts."""

from __future__ import annotations

import json
import sqlite3
import subprocess
import sys
from pathlib import Path

from etl.db.ddl import COLUMNS

SQLITE_UTILS = Path(sys.executable).parent / "sqlite-utils"


def sqlite_utils(*args: str) -> list[dict]:
    done = subprocess.run([str(SQLITE_UTILS), *args], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)


def count(db: Path, sql: str) -> int:
    with sqlite3.connect(f"file:{db}?mode=ro", uri=True) as conn:
        return int(conn.execute(sql).fetchone()[0])


def test_search_finds_what_the_fts_index_finds(seed_db: Path) -> None:
    hits = sqlite_utils("search", str(seed_db), "papers", "speculative decoding", "-c", "id", "--limit", "2")
    assert {hit["id"] for hit in hits} == {
        "spectr-fast-speculative-decoding-via-optimal-transport", "speculative-decoding-with-big-little-decoder"}
    diffusion = sqlite_utils("search", str(seed_db), "papers", "diffusion", "-c", "id", "-c", "title")
    assert len(diffusion) == count(seed_db, "select count(*) from papers_fts where papers_fts match 'diffusion'") > 0


def test_rows_and_tables_with_their_counts(seed_db: Path) -> None:
    rows = sqlite_utils("rows", str(seed_db), "papers", "-c", "id", "-c", "title", "--limit", "3")
    assert len(rows) == 3 and all(set(row) == {"id", "title"} and row["title"] for row in rows)
    tables = {row["table"]: row["count"] for row in sqlite_utils("tables", str(seed_db), "--counts")}
    assert set(COLUMNS) <= set(tables) and tables["papers"] == 63
    for table in COLUMNS:
        assert tables[table] == count(seed_db, f'select count(*) from "{table}"'), table
