"""The scale work's own logic: keyword statistics kept by adds, partial statistics, inspect files."""

from __future__ import annotations

import asyncio
import json
import os
import sqlite3
from pathlib import Path

from datasette.app import Datasette

from etl.pipeline import enrich
from etl.pipeline.build import add, build
from etl.publish.datasette_plugin import ensure_registered
from etl.publish.serving import ensure_inspect_file, inspect_path

from .conftest import HF_API, LISTINGS, SEED, api_day, rows


def test_adds_keep_the_corpus_statistics_a_full_build_computes(tmp_path: Path) -> None:
    # A title-only paper (the paste capture) whose abstract the API file fills in later, new papers,
    # and papers seen again: the counts must come out as if the final texts were counted once each.
    inputs = [SEED, LISTINGS / "2025-03-14.paste.txt", api_day("2025-03-14.json"), api_day("2025-10-15.json")]
    full, grown = tmp_path / "full.db", tmp_path / "grown.db"
    build(inputs, full)
    build(inputs[:1], grown)
    for path in inputs[1:]:
        add([path], grown)
    assert rows(grown, "select key, df from keyword_df order by key") == rows(full, "select key, df from keyword_df order by key")
    assert rows(grown, "select value from build_info where key = 'keyword_docs'") == [(str(rows(full, "select count(*) from papers")[0][0]),)]
    # Every paper has its extracted keywords, and each keyword's paper count is right.
    assert rows(grown, "select count(distinct paper_id) from paper_keywords where source = 'papershelf'") == rows(
        grown, "select count(*) from papers")
    assert rows(grown, "select count(*) from keywords k where paper_count !="
                        " (select count(distinct paper_id) from paper_keywords pk where pk.keyword_id = k.id)") == [(0,)]


def test_ranking_on_the_rows_an_add_loads_equals_ranking_on_all_of_them(tmp_path: Path) -> None:
    db = tmp_path / "p.db"
    build(sorted(HF_API.glob("2025-0[3-6]-*.json.gz")), db)
    conn = sqlite3.connect(db)
    papers = conn.execute("select title, abstract from papers order by rowid desc limit 300").fetchall()
    batch = enrich.candidates(papers)
    n_docs = enrich.stored_docs(conn)
    full = enrich.new_stats(n_docs, conn.execute("select key, df from keyword_df"))
    partial = enrich.new_stats(n_docs, enrich.needed_df_rows(conn, batch.words(), batch.single_keys()))
    assert len(partial.df) < len(full.df)
    assert enrich.rank_columns(batch, partial).keywords() == enrich.rank_columns(batch, full).keywords()


def test_an_inspect_file_is_written_once_and_again_when_the_database_changes(tmp_path: Path) -> None:
    db = tmp_path / "papershelf.db"
    build([SEED], db)
    pairs = rows(db, "select count(*) from paper_keywords")[0][0]
    with_code = rows(db, "select count(*) from paper_keywords join papers on papers.id = paper_id where has_code = 1")[0][0]
    path = ensure_inspect_file(db)
    assert path == inspect_path(db)
    data = json.loads(path.read_text())["papershelf"]
    assert data["tables"]["papers"]["count"] == 63
    assert data["tables"]["listing_papers"]["count"] == 63
    assert "paper_list" not in data["tables"] and pairs > 63
    assert data["papershelf_views"] == {"keyword_papers": {"count": pairs}, "paper_list": {"count": 63}}
    # Datasette serves the file with it: every page answers, counts from the file (the views' too,
    # through the plugin: a count made up here shows that the page read it instead of counting).
    inspect = json.loads(path.read_text())
    inspect["papershelf"]["papershelf_views"]["keyword_papers"]["count"] = 123_456
    ensure_registered()
    served = Datasette([], immutables=[str(db)], inspect_data=inspect)
    for page in ["/papershelf.json", "/papershelf", "/papershelf/papers.json?_size=1", "/papershelf/keyword_papers.json"]:
        response = asyncio.run(served.client.get(page))
        assert response.status_code == 200, (page, response.text[:300])
    assert asyncio.run(served.client.get("/papershelf/papers.json?_size=1")).json()["filtered_table_rows_count"] == 63
    views = asyncio.run(served.client.get("/papershelf/keyword_papers.json?_size=1")).json()
    assert views["filtered_table_rows_count"] == 123_456
    filtered = asyncio.run(served.client.get("/papershelf/keyword_papers.json?_size=1&has_code=1")).json()
    assert 0 < filtered["filtered_table_rows_count"] == with_code < pairs
    tables = asyncio.run(served.client.get("/papershelf.json")).json()["tables"]
    assert {t["name"]: t["count"] for t in tables}["papers"] == 63
    assert data["size"] == db.stat().st_size and len(data["hash"]) == 64
    written = path.stat().st_mtime_ns
    os.utime(path, ns=(written - 10**9, written - 10**9))
    assert ensure_inspect_file(db).stat().st_mtime_ns == written - 10**9  # reused as it was
    add([LISTINGS / "2024-06-20.pagecopy.txt"], db)
    data = json.loads(ensure_inspect_file(db).read_text())["papershelf"]
    assert data["tables"]["papers"]["count"] == 69
