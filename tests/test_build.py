"""Full builds and adds on the real seed and listing captures."""

from __future__ import annotations

import json
import shutil
import sqlite3
from pathlib import Path

import pytest

from etl.pipeline.build import BuildError, add, build
from etl.text.keyword_identity import key_of
from etl.text.normalize import clean_text
from etl.db.search import search

from .conftest import LISTINGS, SEED, api_day, rows, seed_paragraphs


def test_seed_builds_into_63_papers_equal_to_its_paragraphs(seed_db: Path) -> None:
    paragraphs = [clean_text(p) for p in seed_paragraphs()]
    expected = list(zip(paragraphs[0::2], paragraphs[1::2]))
    assert len(expected) == 63
    got = rows(seed_db, "select p.title, p.abstract from listing_papers lp join papers p on p.id = lp.paper_id"
                        " order by lp.position")
    assert got == expected
    assert rows(seed_db, "select count(*) from papers") == [(63,)]
    assert rows(seed_db, "select count(*) from listings") == [(1,)]
    assert rows(seed_db, "select count(*) from listing_papers") == [(63,)]


def test_seed_listing_row_keeps_its_date_line_and_never_invents_a_year(seed_db: Path) -> None:
    [(name, source, shape, date, date_text, read, loaded, merged, rejected)] = rows(
        seed_db, "select name, source, shape, date, date_text, records_read, papers_loaded, papers_merged,"
                 " rejected from listings")
    assert (name, source, shape, date, date_text) == (SEED.name, "hf-text", "paste", None, "Mar 14")
    assert (read, loaded, merged, rejected) == (63, 63, 0, 0)


def test_seed_paper_ids_are_readable_slugs(seed_db: Path) -> None:
    ids = [r[0] for r in rows(seed_db, "select id from papers")]
    assert "semi-parametric-neural-image-synthesis" in ids
    assert all(i == i.lower() and " " not in i for i in ids)


def test_speculative_decoding_ranks_its_two_papers_first(seed_db: Path) -> None:
    conn = sqlite3.connect(seed_db)
    hits = search(conn, "speculative decoding", limit=5)
    titles = [hit.title for hit in hits]
    assert titles[0].startswith("SpecTr") or titles[0].startswith("Speculative Decoding with Big Little")
    assert {t.split(":")[0] for t in titles[:2]} == {"SpecTr", "Speculative Decoding with Big Little Decoder"}
    assert "\x02" in hits[0].snippet  # the match is marked for highlighting


def test_listing_date_comes_from_the_file_name_or_the_date_option(tmp_path: Path) -> None:
    source = LISTINGS / "2025-03-14.compact.txt"
    db = tmp_path / "p.db"
    build([source], db)
    assert rows(db, "select date, date_text from listings") == [("2025-03-14", "Mar 13")]
    assert rows(db, "select distinct listing_date from listing_papers") == [("2025-03-14",)]
    renamed = tmp_path / "capture.txt"
    shutil.copy(source, renamed)
    build([renamed], db, date="2025-03-13")
    assert rows(db, "select date from listings") == [("2025-03-13",)]
    build([renamed], db)
    assert rows(db, "select date, date_text from listings") == [(None, "Mar 13")]


@pytest.mark.parametrize("workers", [0, 1])
def test_an_api_file_whose_envelope_and_name_disagree_keeps_one_date_everywhere(tmp_path: Path,
                                                                                 workers: int) -> None:
    # The archive's one envelope response ({"date": "2025-01-10", "data": [...]}) saved under another
    # day's name: the listing, its sightings and its note all keep the file name's day.
    renamed = tmp_path / "2025-01-11.json.gz"
    shutil.copy(api_day("2025-01-10"), renamed)
    db = tmp_path / "p.db"
    build([renamed], db, workers=workers)
    notes = ["the listing says it is for 2025-01-10, the file name says 2025-01-11; kept 2025-01-11"]
    assert rows(db, "select date, notes from listings") == [("2025-01-11", json.dumps(notes))]
    assert rows(db, "select distinct listing_date from listing_papers") == [("2025-01-11",)]
    assert rows(db, "select min(first_seen), max(last_seen) from papers") == [("2025-01-11", "2025-01-11")]
    build([renamed], db, date="2025-01-12", workers=workers)  # --date overrides both
    assert rows(db, "select date from listings union select listing_date from listing_papers") == [("2025-01-12",)]
    build([api_day("2025-01-10")], db, workers=workers)  # envelope and name agree: no note
    assert rows(db, "select date, notes from listings") == [("2025-01-10", None)]


def test_same_paper_in_two_listings_is_one_paper_with_two_sightings(tmp_path: Path) -> None:
    db = tmp_path / "p.db"
    # The same day captured in two shapes: the pagecopy shows arXiv ids, the paste only titles.
    build([LISTINGS / "2025-03-14.paste.txt", LISTINGS / "2025-03-14.pagecopy.txt"], db)
    assert rows(db, "select count(*) from papers") == [(26,)]
    assert rows(db, "select count(*) from listing_papers") == [(52,)]
    assert rows(db, "select count(*) from papers where arxiv_id is null") == [(0,)]
    assert rows(db, "select min(listing_count), max(listing_count) from papers") == [(2, 2)]


def test_add_grows_the_database_and_skips_a_file_already_ingested(tmp_path: Path) -> None:
    db = tmp_path / "p.db"
    build([SEED], db)
    report = add([LISTINGS / "2024-06-20.pagecopy.txt"], db)
    assert (report.read, report.loaded, report.merged, report.rejected) == (6, 6, 0, 0)
    assert rows(db, "select count(*) from papers") == [(69,)]
    again = add([LISTINGS / "2024-06-20.pagecopy.txt"], db)
    assert [c.skipped for c in again.files] == [True]
    assert "already ingested" in again.summary()
    assert rows(db, "select count(*) from listings") == [(2,)]
    # The FTS index follows adds through its triggers.
    conn = sqlite3.connect(db)
    assert search(conn, "Multimodal Needle Haystack")[0].title.startswith("Multimodal Needle in a Haystack")


def test_a_failed_build_leaves_the_previous_database_in_place(tmp_path: Path) -> None:
    db = tmp_path / "p.db"
    build([SEED], db)
    before = db.read_bytes()
    with pytest.raises(BuildError):
        build([tmp_path / "missing-folder"], db)
    assert db.read_bytes() == before
    assert [p.name for p in tmp_path.iterdir()] == ["p.db"]


def test_seed_links_in_the_database(seed_db: Path) -> None:
    assert rows(seed_db, "select count(*), count(distinct paper_id) from links") == [(16, 16)]
    assert rows(seed_db, "select count(*) from links where url like '%.'") == [(0,)]
    assert ("https://github.com/masa-ue/SVDD",) in rows(seed_db, "select url from links")
    [(url, repo, kind, source)] = rows(seed_db, "select url, repo, kind, source from links where repo = 'apple/corenet'")
    assert url.endswith("/tree/main/projects/kv-prediction") and (kind, source) == ("code", '["abstract"]')
    has_code = rows(seed_db, "select count(*) from papers where has_code = 1")[0][0]
    assert has_code == rows(seed_db, "select count(distinct paper_id) from links where kind = 'code'")[0][0] > 0


def test_seed_keywords_in_the_database(seed_db: Path) -> None:
    """Every seed paper gets extracted keywords; the most shared ones are topics, not generic words."""
    conn = sqlite3.connect(seed_db)
    with_keywords = conn.execute(
        "select count(distinct paper_id) from paper_keywords where source = 'papershelf'").fetchone()[0]
    assert with_keywords == 63
    top = [display for (display,) in conn.execute(
        "select display from keywords where id in (select keyword_id from paper_keywords where source = 'papershelf')"
        " order by paper_count desc, id limit 50")]
    conn.close()
    # Shown as their most used form, with the acronym the seed defines: "large language models (LLMs)".
    assert {key_of(k) for k in ("large language models", "diffusion models", "speculative decoding")} <= set(
        map(key_of, top))
    generic = {"model", "models", "method", "methods", "approach", "paper", "results", "performance", "task"}
    assert not generic & {display.lower() for display in top}
