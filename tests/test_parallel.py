"""A parallel build (parse workers, enrichment worker) writes the same database as an in-process one."""

from __future__ import annotations

import os
import sqlite3
import time
from pathlib import Path

import pytest

from etl.pipeline import build as build_module
from etl.pipeline import enrich, memory, parallel
from etl.pipeline.build import build
from etl.sources import SourceError

from .conftest import LISTINGS, SEED, api_day, api_sample_files, contents

FIXTURES = Path(__file__).resolve().parent / "fixtures"


def inputs() -> list[Path]:
    """Every source and shape, papers merged across them (titles, ids), rejects included."""
    return [SEED, *sorted(LISTINGS.glob("*.txt")), *api_sample_files()[:12], api_day("2025-03-14.json"),
            FIXTURES / "arxiv_query.atom.xml", FIXTURES / "arxiv_snapshot.jsonl.gz"]


def assert_same(one: Path, two: Path) -> None:
    first, second = contents(one), contents(two)
    assert first.keys() == second.keys()
    for table in first:
        assert first[table] == second[table], table
    conn = sqlite3.connect(two)
    try:
        conn.execute("insert into papers_fts(papers_fts) values ('integrity-check')")
    finally:
        conn.close()


@pytest.fixture(scope="module")
def serial_db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("serial") / "p.db"
    build(inputs(), path, workers=0)
    return path


@pytest.mark.parametrize("workers", [1, 2])
def test_a_parallel_build_equals_the_in_process_build(tmp_path: Path, serial_db: Path, workers: int,
                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    # Small chunks, event batches, count spills and id maps, so that every path is taken on a small
    # corpus: several spooled batches and late papers, and the enricher's recent keyword ids run out,
    # so keys are found in its archive of hashes (tests/test_keyword_ids.py makes them collide).
    tuning = parallel.Tuning(parse_chunk=7, event_batch=5, keyword_chunk=16, count_spill=50, recent_ids=40)
    # A slow ranking: the loader copies the links and statistics while the enricher ranks, and
    # takes the keyword rows in batch by batch as they are announced.
    monkeypatch.setattr(enrich, "rank_chunk", _slowly(enrich.rank_chunk))
    path = tmp_path / "p.db"
    report = build(inputs(), path, workers=workers, tuning=tuning)
    assert report.read == report.loaded + report.merged + report.rejected
    assert report.merged > 0 and report.rejected > 0
    assert_same(serial_db, path)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["p.db"]  # no side file or spool left


def _slowly(function):  # type: ignore[no-untyped-def]
    def slow(*args, **kwargs):  # type: ignore[no-untyped-def]
        time.sleep(0.05)
        return function(*args, **kwargs)

    return slow


def breaking(monkeypatch: pytest.MonkeyPatch, broken: Path, after: int) -> None:
    """Make ``broken`` stop with a read error after ``after`` records, in-process and in workers."""
    real_open = parallel.open_listing

    def open_listing(path):  # type: ignore[no-untyped-def]
        listing = real_open(path)
        if Path(path) == broken:
            items = list(listing.items)

            def failing():  # type: ignore[no-untyped-def]
                yield from items[:after]
                raise SourceError(path, 99, "reading stopped: the disk went away")

            listing.items = failing()
        return listing

    monkeypatch.setattr(parallel, "open_listing", open_listing)  # forked workers inherit it
    monkeypatch.setattr(build_module, "open_listing", open_listing)


def test_the_loader_waits_for_the_enricher_s_keyword_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # The enricher reports the statistics, frees memory, then creates the keyword file: a loader that
    # copied the statistics meanwhile must wait for the file's first announcement, not open it (a
    # FileNotFoundError seen on a loaded machine). The enricher is made slow at exactly that point.
    loader, trim = os.getpid(), memory.trim

    def trim_slowly_in_the_enricher() -> None:
        if os.getpid() != loader:
            time.sleep(0.5)
        trim()

    monkeypatch.setattr(memory, "trim", trim_slowly_in_the_enricher)
    report = build([SEED], tmp_path / "p.db", workers=1)
    assert report.papers == 63 and report.keywords > 0


@pytest.mark.parametrize("workers", [0, 1])
def test_a_file_that_breaks_before_its_first_record_is_one_reject(tmp_path: Path, workers: int,
                                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    broken = api_day("2025-03-14.json")
    breaking(monkeypatch, broken, 0)
    report = build([SEED, broken], tmp_path / "p.db", workers=workers)
    assert [(c.name, c.read, c.rejected) for c in report.files][1] == (broken.name, 1, 1)
    assert report.papers == 63
    rows = sqlite3.connect(tmp_path / "p.db").execute("select source, sha256 is not null from listings").fetchall()
    assert rows == [("hf-text", 1), ("unreadable", 1)]


@pytest.mark.parametrize("workers", [0, 1])
def test_a_build_stops_on_a_file_that_breaks_half_way(tmp_path: Path, workers: int,
                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    """A full build writes without a journal: it cannot take back half a file, so it stops, naming
    the file (an add, which can, turns such a file into one reject)."""
    broken = api_day("2025-03-14.json")
    breaking(monkeypatch, broken, 10)
    db = tmp_path / "p.db"
    with pytest.raises(build_module.BuildError, match=r"2025-03-14.json.gz: reading stopped.*after 10 records"):
        build([SEED, broken], db, workers=workers)
    assert sorted(p.name for p in tmp_path.iterdir()) == []
    build([SEED], db, workers=0)
    report = build_module.add([broken], db)
    assert (report.read, report.rejected) == (1, 1)
    assert sqlite3.connect(db).execute("select count(*) from papers").fetchone() == (63,)


def test_a_failing_worker_fails_the_build_and_leaves_nothing(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    db = tmp_path / "p.db"
    build([SEED], db, workers=0)
    before = db.read_bytes()

    def broken(*args: object) -> list[tuple]:
        raise RuntimeError("links broke")

    monkeypatch.setattr(enrich, "paper_link_rows", broken)  # the forked enricher inherits it
    with pytest.raises(parallel.WorkerError, match="links broke"):
        build([SEED, api_day("2025-03-14.json")], db, workers=1)
    assert db.read_bytes() == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["p.db"]


def test_small_builds_stay_in_process(tmp_path: Path) -> None:
    assert build_module.default_workers([SEED]) == 0
    assert build_module.default_workers([]) == 0
