"""Issue 5: every source read, the same paper recognised across them, sightings kept, adds = builds."""

from __future__ import annotations

import gzip
import ast
import json
import sqlite3
from pathlib import Path

import pytest

from etl.pipeline.build import add, build, sort_inputs
from etl.text.identity import normalize_arxiv_id
from etl.text.keyword_identity import key_of

from .conftest import LISTINGS, SEED, api_day, api_files, rows

FIXTURES = Path(__file__).resolve().parent / "fixtures"


def api_items(path: Path) -> list[dict]:
    """The papers of one API file, read independently of etl.sources (repr strings included)."""
    data = json.loads(gzip.decompress(path.read_bytes()))
    if isinstance(data, dict):
        data = data["data"]
    items = []
    for item in data:
        if isinstance(item, str) and item.startswith("{"):
            item = ast.literal_eval(item)
        if isinstance(item, dict):
            items.append(item)
    return items


def test_the_whole_api_archive_gives_one_paper_per_distinct_arxiv_id(archive_db) -> None:
    db, report = archive_db
    ids = {normalize_arxiv_id(item["paper"]["id"]) for f in api_files() for item in api_items(f)}
    assert rows(db, "select count(*), count(distinct arxiv_id) from papers") == [(len(ids), len(ids))]
    assert {row[0] for row in rows(db, "select arxiv_id from papers")} == ids
    # Counts reconcile, file by file and in all.
    assert report.read == report.loaded + report.merged + report.rejected
    for counts in report.files:
        assert counts.read == counts.loaded + counts.merged + counts.rejected, counts.name
    assert rows(db, "select sum(records_read), sum(papers_loaded) + sum(papers_merged) + sum(rejected)"
                     " from listings") == [(report.read, report.read)]
    assert f"{report.read} records = {report.loaded} new papers" in report.summary()


def test_api_fields_are_kept(archive_db) -> None:
    db, _ = archive_db
    item = next(i for i in api_items(api_day("2025-10-15.json"))
                if i["paper"].get("githubStars") and i["paper"].get("ai_keywords"))
    paper = item["paper"]
    [(title, upvotes, stars, repo, listed, count, first)] = rows(
        db, "select title, upvotes, github_stars, github_repo, last_seen, author_count, first_seen"
            " from papers where arxiv_id = ?", (paper["id"],))
    assert title == " ".join(item["title"].split())
    assert (upvotes, stars, repo, listed) == (paper["upvotes"], paper["githubStars"], paper["githubRepo"], "2025-10-15")
    names = [r[0] for r in rows(db, "select a.name from paper_authors pa join authors a on a.id = pa.author_id"
                                     " where pa.paper_id = ? order by pa.position", (paper["id"],))]
    assert names == [a["name"] for a in paper["authors"]]
    assert count == len(names)
    ai = [r[0] for r in rows(db, "select k.key from paper_keywords pk join keywords k on k.id = pk.keyword_id"
                                  " where pk.paper_id = ? and pk.source = 'hf-ai' order by pk.rank", (paper["id"],))]
    assert ai == list(dict.fromkeys(key for key in map(key_of, paper["ai_keywords"]) if key))


def test_the_same_paper_on_three_days_is_one_row_with_three_sightings(tmp_path: Path) -> None:
    [item, *_] = api_items(api_day("2025-03-14.json"))
    for day, upvotes in (("2025-03-14", 5), ("2025-03-15", 12), ("2025-03-16", 31)):
        item["paper"]["upvotes"] = upvotes
        (tmp_path / f"{day}.json").write_text(json.dumps([item]), encoding="utf-8")
    db = tmp_path / "p.db"
    report = build([tmp_path], db)
    assert (report.read, report.loaded, report.merged) == (3, 1, 2)
    assert rows(db, "select count(*) from papers") == [(1,)]
    assert rows(db, "select listing_date, upvotes from listing_papers order by listing_date") == [
        ("2025-03-14", 5), ("2025-03-15", 12), ("2025-03-16", 31)]
    assert rows(db, "select first_seen, last_seen, listing_count, upvotes from papers") == [
        ("2025-03-14", "2025-03-16", 3, 31)]


def test_a_title_only_paper_merges_with_its_arxiv_record_and_keeps_its_id(tmp_path: Path) -> None:
    db = tmp_path / "p.db"
    build([LISTINGS / "2025-03-14.paste.txt"], db)
    slugs = {r[0] for r in rows(db, "select id from papers")}
    assert rows(db, "select count(*) from papers where arxiv_id is null") == [(26,)]
    report = add([api_day("2025-03-14.json")], db)
    assert (report.loaded, report.merged) == (0, 26)
    assert {r[0] for r in rows(db, "select id from papers")} == slugs  # ids never change
    assert rows(db, "select count(*) from papers where arxiv_id is null") == [(0,)]
    assert rows(db, "select count(*) from listing_papers") == [(52,)]


def test_arxiv_atom_and_snapshot_share_a_paper(tmp_path: Path) -> None:
    db = tmp_path / "p.db"
    report = build([FIXTURES / "arxiv_query.atom.xml", FIXTURES / "arxiv_snapshot.jsonl.gz"], db)
    assert report.read == report.loaded + report.merged + report.rejected
    [(paper_id, listings, category, version)] = rows(
        db, "select id, listing_count, primary_category, arxiv_version from papers where arxiv_id = 'hep-th/9711200'")
    assert (paper_id, listings, category) == ("hep-th/9711200", 2, "hep-th")
    assert version == 3
    assert rows(db, "select count(*) from paper_categories where paper_id = '1706.03762'")[0][0] >= 2
    sources = {r[0] for r in rows(db, "select source from listings")}
    assert sources == {"arxiv-atom", "arxiv-jsonl"}


def table_rows(db: Path) -> dict[str, list[tuple]]:
    """What a build and a series of adds must agree on (keyword scores depend on the corpus of the moment)."""
    return {
        "papers": rows(db, "select id, arxiv_id, title, abstract, published, author_count, upvotes, github_repo,"
                            " project_page, first_seen, last_seen, listing_count, has_code from papers order by id"),
        "links": rows(db, "select paper_id, url, raw, host, kind, repo, source from links order by paper_id, url"),
        "authors": rows(db, "select pa.paper_id, pa.position, a.name from paper_authors pa"
                             " join authors a on a.id = pa.author_id order by 1, 2"),
        "sightings": rows(db, "select l.name, lp.paper_id, lp.position, lp.upvotes from listing_papers lp"
                               " join listings l on l.id = lp.listing_id order by 1, 2"),
        "rejects": rows(db, "select file, line, position, reason from rejects order by 1, 2, 3"),
    }


def test_adding_listings_one_by_one_gives_what_a_full_build_gives(tmp_path: Path) -> None:
    # Day by day, as a user collects them; a full build reads them in this same canonical order.
    inputs = [SEED, api_day("2025-03-13.json"), api_day("2025-03-14.json"), LISTINGS / "2025-03-14.paste.txt",
              api_day("2025-10-15.json"), LISTINGS / "2025-10-15.pagecopy.txt"]
    assert sort_inputs(inputs) == inputs
    full, grown = tmp_path / "full.db", tmp_path / "grown.db"
    build(list(reversed(inputs)), full)
    build(inputs[:1], grown)
    for path in inputs[1:]:
        add([path], grown)
    assert table_rows(grown) == table_rows(full)
