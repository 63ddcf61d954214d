"""Enrich stage: links and keywords derived from each paper's text, then the per-paper aggregates.

Every function takes the set of paper ids to refresh, or None for all papers (a full build).
"""

from __future__ import annotations

import json
import sqlite3
from typing import Iterable, Iterator

from . import links as links_module

# Structured link fields a source gives, by the name the source uses (kept as the link's source).
LINK_FIELDS = {"githubRepo": "github_repo", "projectPage": "project_page"}
BATCH = 2000


def _chunks(ids: list[str], size: int = 500) -> Iterator[list[str]]:
    for start in range(0, len(ids), size):
        yield ids[start : start + size]


def _select_papers(conn: sqlite3.Connection, columns: str, paper_ids: set[str] | None) -> Iterator[tuple]:
    if paper_ids is None:
        yield from conn.execute(f"select {columns} from papers order by rowid")
        return
    for chunk in _chunks(sorted(paper_ids)):
        marks = ", ".join("?" * len(chunk))
        yield from conn.execute(f"select {columns} from papers where id in ({marks}) order by rowid", chunk)


def _delete_for(conn: sqlite3.Connection, table: str, paper_ids: set[str] | None, extra: str = "") -> None:
    if paper_ids is None:
        conn.execute(f"delete from {table} where 1 {extra}")
        return
    for chunk in _chunks(sorted(paper_ids)):
        marks = ", ".join("?" * len(chunk))
        conn.execute(f"delete from {table} where paper_id in ({marks}) {extra}", chunk)


def link_rows(rows: Iterable[tuple]) -> Iterator[tuple]:
    """(paper_id, abstract, github_repo, project_page) -> rows for the links table."""
    for paper_id, abstract, github_repo, project_page in rows:
        fields = {"githubRepo": github_repo, "projectPage": project_page}
        for link in links_module.paper_links(abstract or "", fields):
            yield (paper_id, link["url"], link["raw"], link["host"], link["kind"], link["repo"],
                   json.dumps(link["source"]))


def refresh_links(conn: sqlite3.Connection, paper_ids: set[str] | None) -> None:
    _delete_for(conn, "links", paper_ids)
    rows = link_rows(_select_papers(conn, "id, abstract, github_repo, project_page", paper_ids))
    batch: list[tuple] = []
    for row in rows:
        batch.append(row)
        if len(batch) >= BATCH:
            _insert_links(conn, batch)
            batch = []
    _insert_links(conn, batch)


def _insert_links(conn: sqlite3.Connection, batch: list[tuple]) -> None:
    conn.executemany(
        "insert into links (paper_id, url, raw, host, kind, repo, source) values (?, ?, ?, ?, ?, ?, ?)", batch
    )


def refresh_aggregates(conn: sqlite3.Connection, paper_ids: set[str] | None) -> None:
    """Per-paper figures derived from sightings and links, and keyword paper counts."""
    where = ""
    params: list[str] = []
    chunks = [None] if paper_ids is None else list(_chunks(sorted(paper_ids)))
    for chunk in chunks:
        if chunk is not None:
            where = f"where id in ({', '.join('?' * len(chunk))})"
            params = chunk
        conn.execute(
            f"""
            update papers set
              first_seen = (select min(listing_date) from listing_papers lp where lp.paper_id = papers.id),
              last_seen = (select max(listing_date) from listing_papers lp where lp.paper_id = papers.id),
              listing_count = (select count(*) from listing_papers lp where lp.paper_id = papers.id),
              upvotes = (select max(upvotes) from listing_papers lp where lp.paper_id = papers.id),
              -- Uncorrelated: one pass over links, whatever plan the (not yet analyzed) tables get.
              has_code = id in (select paper_id from links where kind = 'code')
            {where}
            """,
            params,
        )
    conn.execute(
        """
        update keywords set paper_count = coalesce(
          (select count(*) from paper_keywords pk where pk.keyword_id = keywords.id), 0)
        """
    )


def refresh_keywords(conn: sqlite3.Connection, paper_ids: set[str] | None) -> None:
    """TEMPORARY until the keywords branch lands."""
