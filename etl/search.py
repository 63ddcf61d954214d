"""Ranked full-text search over titles and abstracts (FTS5, bm25 with titles weighted)."""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass

from datasette.utils import escape_fts

from .schema import FTS_TABLE

# Markers that cannot occur in cleaned text; the caller turns them into ANSI bold, <mark>, etc.
HIGHLIGHT_START, HIGHLIGHT_END = "\x02", "\x03"

SEARCH_SQL = f"""
select papers.id, papers.title, papers.first_seen, papers.last_seen,
  snippet({FTS_TABLE}, -1, char(2), char(3), '…', 24) as snippet,
  {FTS_TABLE}.rank as score
from {FTS_TABLE} join papers on papers.rowid = {FTS_TABLE}.rowid
where {FTS_TABLE} match :query
order by {FTS_TABLE}.rank
limit :limit
"""


@dataclass(frozen=True)
class Hit:
    id: str
    title: str
    first_seen: str | None
    last_seen: str | None
    snippet: str
    score: float


def fts_query(text: str) -> str:
    """User text to an FTS5 query that is never a syntax error: every word quoted, all required,
    "quoted phrases" kept. The same escape_fts() Datasette's canned queries call, so both rank alike.
    """
    return escape_fts(text.strip())


def search(conn: sqlite3.Connection, text: str, limit: int = 10) -> list[Hit]:
    query = fts_query(text)
    if not query:
        return []
    return [Hit(*row) for row in conn.execute(SEARCH_SQL, {"query": query, "limit": limit})]
