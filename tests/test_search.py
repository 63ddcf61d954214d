"""Ranked search: every word in the title first (shortest titles first), then the other matches,
newest first; the same SQL for the CLI, the Datasette canned query and the plugin's table search."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest
import yaml

from etl.db.search import CANNED_SEARCH_SQL, TITLE_FTS_TABLE, fts_query, search

ROOT = Path(__file__).resolve().parents[1]
QUERIES = ["video generation", "diffusion", "model", "speculative decoding", "reinforcement learning reasoning",
           '"language model"', "gaussian splatting", "no such words here zzqx"]


def expected_order(conn: sqlite3.Connection, text: str, limit: int) -> list[str]:
    """The ranking, worked out from FTS5 column filters and Python sorting instead of the title index."""
    query = fts_query(text)
    in_title = {r[0] for r in conn.execute(
        "select rowid from papers_fts where papers_fts match ?", (f"{{title}} : ({query})",))}
    matches = [r[0] for r in conn.execute("select rowid from papers_fts where papers_fts match ?", (query,))]
    titles = dict(conn.execute("select rowid, title from papers"))
    ids = dict(conn.execute("select rowid, id from papers"))
    words = {rowid: min(titles[rowid].count(" ") + 1, 255) for rowid in in_title}
    first = sorted(in_title, key=lambda rowid: (words[rowid], -rowid))
    rest = sorted((rowid for rowid in matches if rowid not in in_title), reverse=True)
    return [ids[rowid] for rowid in (first + rest)[:limit]]


@pytest.mark.parametrize("text", QUERIES)
def test_search_ranks_title_matches_first_shortest_first_then_newest(api_sample_db: Path, text: str) -> None:
    conn = sqlite3.connect(api_sample_db)
    for limit in (5, 20, 200):
        hits = search(conn, text, limit)
        assert [hit.id for hit in hits] == expected_order(conn, text, limit), (text, limit)
    if hits:
        assert all("\x02" in hit.snippet for hit in hits)
        flags = [hit.in_title for hit in hits]
        assert flags == sorted(flags, reverse=True)


def indexed_titles(conn: sqlite3.Connection) -> set[int]:
    """The paper rowids in the title index (its docsize table has one row per indexed title)."""
    ids = [r[0] for r in conn.execute(f"select id from {TITLE_FTS_TABLE}_docsize")]
    rowids = {0xFFFFFFFF - (i & 0xFFFFFFFF) for i in ids}
    assert len(rowids) == len(ids)
    return rowids


def test_title_index_holds_every_paper_once(api_sample_db: Path) -> None:
    conn = sqlite3.connect(api_sample_db)
    assert indexed_titles(conn) == {r[0] for r in conn.execute("select rowid from papers")}
    for rowid, title in conn.execute("select rowid, title from papers order by rowid limit 50").fetchall():
        word = next(w for w in title.replace("-", " ").split() if w.isalpha())
        found = {0xFFFFFFFF - (r[0] & 0xFFFFFFFF) for r in conn.execute(
            f"select rowid from {TITLE_FTS_TABLE} where {TITLE_FTS_TABLE} match ?", (f'"{word}"',))}
        assert rowid in found, title


def test_the_canned_query_is_the_search_of_etl_search() -> None:
    metadata = yaml.safe_load((ROOT / "metadata.yml").read_text(encoding="utf-8"))
    assert metadata["databases"]["papershelf"]["queries"]["search"]["sql"] == CANNED_SEARCH_SQL


def test_adds_keep_the_title_index_in_step(tmp_path: Path) -> None:
    from etl.pipeline.build import add, build

    from .conftest import SEED, api_day

    db = tmp_path / "p.db"
    build([SEED], db)
    add([api_day("2025-03-14.json")], db)
    conn = sqlite3.connect(db)
    conn.execute("insert into papers_fts(papers_fts) values ('integrity-check')")
    assert indexed_titles(conn) == {r[0] for r in conn.execute("select rowid from papers")}
    for text in ("speculative decoding", "image editing", "diffusion"):
        assert [h.id for h in search(conn, text, 50)] == expected_order(conn, text, 50), text
    triggers = {r[0] for r in conn.execute("select name from sqlite_master where type = 'trigger'")}
    assert {"papers_ai", "papers_ad", "papers_au", "papers_title_ad", "papers_title_au"} <= triggers
