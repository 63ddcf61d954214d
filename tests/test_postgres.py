"""The dataset in PostgreSQL (etl/publish/postgres.py), against a real server the tests start (tests/pg_server.py):
the load (keys, indexes, every row), the search, the polars analysis, the CLI, and a reader during a
second load. ``make test-engines`` runs them; they skip when PostgreSQL or psycopg is missing."""

from __future__ import annotations

import sqlite3
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import polars as pl
import pytest
from click.testing import CliRunner

from . import pg_server

pytestmark = pytest.mark.engines
psycopg = pytest.importorskip("psycopg", reason="psycopg is not installed: pip install -e '.[engines]'")

from etl.publish import analysis, postgres  # noqa: E402
from etl.cli import cli  # noqa: E402
from etl.db.schema import metadata  # noqa: E402
from etl.publish.local import free_port  # noqa: E402
from etl.db.search import search as sqlite_search  # noqa: E402

from .test_search import QUERIES  # noqa: E402  (the seed queries of the SQLite search)


@pytest.fixture(scope="module")
def server() -> Iterator[pg_server.Server]:
    if pg_server.binaries() is None:
        pytest.skip("PostgreSQL server programs (initdb, pg_ctl) are not installed: apt-get install postgresql")
    try:
        running = pg_server.start()
    except RuntimeError as error:  # installed, but cannot run here
        pytest.skip(str(error))
    try:
        yield running
    finally:
        running.stop()


@pytest.fixture(scope="module")
def loaded(server: pg_server.Server, api_sample_db: Path) -> str:
    """The API sample loaded into the server, through the command line."""
    result = CliRunner().invoke(cli, ["export", "--db", str(api_sample_db), "--format", "postgres",
                                      "--to", server.url()], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    assert "Loaded into schema papershelf" in result.output
    return server.url()


def test_every_table_and_row_is_loaded_with_keys_and_indexes(loaded: str, api_sample_db: Path) -> None:
    lite = sqlite3.connect(api_sample_db)
    with postgres.connect(loaded) as pg:
        for table in metadata.sorted_tables:
            name = str(table.name)
            assert pg.execute(f'select count(*) from "{name}"').fetchone()[0] == \
                lite.execute(f'select count(*) from "{name}"').fetchone()[0], name
        indexes = {r[0] for r in pg.execute("select indexname from pg_indexes where schemaname = 'papershelf'")}
        declared = {str(i.name) for t in metadata.tables.values() for i in t.indexes}
        assert declared | {"idx_papers_search"} <= indexes
        constraints = dict(pg.execute(
            "select contype, count(*) from pg_constraint c join pg_namespace n on n.oid = c.connamespace"
            " where n.nspname = 'papershelf' group by contype").fetchall())
        assert constraints["p"] == len(metadata.tables)
        assert constraints["f"] == sum(len(t.foreign_key_constraints) for t in metadata.tables.values())
        # The same rows: the papers, column for column.
        columns = ", ".join(str(c.name) for c in metadata.tables["papers"].columns)
        assert pg.execute(f"select {columns} from papers order by id").fetchall() == \
            lite.execute(f"select {columns} from papers order by id").fetchall()
        # The generated search column holds the title's words at weight A.
        title = pg.execute("select title from papers order by id limit 1").fetchone()[0]
        word = next(w for w in title.split() if w.isalpha() and len(w) > 4)
        assert pg.execute("select count(*) from papers where title = %s and ts_filter(search, '{a}')"
                          " @@ plainto_tsquery('english', %s)", (title, word)).fetchone()[0] == 1
        # Its ids go on after the copied ones.
        assert pg.execute("select nextval(pg_get_serial_sequence('links', 'id'))").fetchone()[0] == \
            lite.execute("select max(id) + 1 from links").fetchone()[0]
    assert not [s for s in _schemas(loaded) if s != postgres.SCHEMA and s.startswith("papershelf")]


def _schemas(url: str) -> list[str]:
    with postgres.connect(url) as pg:
        return [r[0] for r in pg.execute("select nspname from pg_namespace order by 1")]


@pytest.mark.parametrize("text", QUERIES)
def test_search_answers_like_the_sqlite_search(loaded: str, api_sample_db: Path, text: str) -> None:
    lite = [h.id for h in sqlite_search(sqlite3.connect(api_sample_db), text, 10)]
    with postgres.connect(loaded) as pg:
        hits = postgres.search(pg, text, 10)
    ids = [h.id for h in hits]
    # The same top papers: SQLite's first five are among PostgreSQL's first ten (the order within
    # differs where ts_rank_cd weighs repeated and adjacent words), and no match in one is none in the other.
    assert set(lite[:5]) <= set(ids), (lite, ids)
    assert bool(lite) == bool(ids)
    flags = [h.in_title for h in hits]
    assert flags == sorted(flags, reverse=True)
    assert all(postgres.HIGHLIGHT_START in h.snippet for h in hits)


def test_the_search_command_reads_postgres(loaded: str) -> None:
    result = CliRunner().invoke(cli, ["search", "gaussian splatting", "--db", loaded, "--limit", "3"],
                                catch_exceptions=False)
    assert result.exit_code == 0, result.output
    assert result.output.startswith("1. ") and "**" in result.output


def test_errors_are_messages(server: pg_server.Server, api_sample_db: Path) -> None:
    wrong = server.url().replace(str(server.port), str(free_port()))
    result = CliRunner().invoke(cli, ["search", "diffusion", "--db", wrong])
    assert result.exit_code == 1 and "PostgreSQL:" in result.output
    result = CliRunner().invoke(cli, ["export", "--db", str(api_sample_db), "--format", "postgres"])
    assert result.exit_code == 2 and "--to postgresql://" in result.output


ANALYSES = {
    "papers": lambda c: analysis.papers(c),
    "papers_per_day": lambda c: analysis.papers_per_day(c),
    "papers_per_period": lambda c: analysis.papers_per_period(c, "month"),
    "keyword_trends": lambda c: analysis.keyword_trends(c, top=5),
    "keyword_trends_named": lambda c: analysis.keyword_trends(c, keywords=["LLM", "diffusion models"], period="week"),
    "keyword_trends_source": lambda c: analysis.keyword_trends(c, top=3, source="hf-ai"),
    "code_share": lambda c: analysis.code_share(c, "month"),
    "top_code_hosts": lambda c: analysis.top_code_hosts(c),
    "top_repos": lambda c: analysis.top_repos(c, 20),
    "upvote_distribution": lambda c: analysis.upvote_distribution(c),
    "upvotes_by_period": lambda c: analysis.upvotes_by_period(c),
}


@pytest.mark.parametrize("name", ANALYSES)
def test_the_polars_analysis_answers_the_same_on_postgres(loaded: str, api_sample_db: Path, name: str) -> None:
    lite = ANALYSES[name](analysis.connect(api_sample_db))
    with analysis.connect(loaded) as pg:
        frame = ANALYSES[name](pg)
    assert frame.schema == lite.schema
    assert frame.height == lite.height and frame.height > 0
    assert frame.sort(frame.columns).equals(lite.sort(lite.columns)), name


def test_code_share_total_on_postgres(loaded: str, api_sample_db: Path) -> None:
    with analysis.connect(loaded) as pg:
        assert analysis.code_share_total(pg) == pytest.approx(analysis.code_share_total(analysis.connect(api_sample_db)))


def test_a_reader_during_a_second_load_sees_the_old_or_the_new_dataset(
        server: pg_server.Server, seed_db: Path, api_sample_db: Path) -> None:
    """The seed is published; the API sample is loaded over it while readers query: every answer is
    the seed's or the sample's, never some tables of each."""
    url = server.url()
    with psycopg.connect(url, autocommit=True) as admin:
        admin.execute("CREATE DATABASE swap_test")
    url = server.url("swap_test")
    postgres.load(seed_db, url)

    def fingerprint(db: Path) -> tuple[int, ...]:
        conn = sqlite3.connect(db)
        return tuple(conn.execute(CHECK.replace("%s", "'x'")).fetchone())

    old, new = fingerprint(seed_db), fingerprint(api_sample_db)
    assert old != new
    seen: list[tuple[int, ...]] = []
    errors: list[BaseException] = []
    done = threading.Event()

    def reader(slow: bool) -> None:
        try:
            with postgres.connect(url) as pg:
                while not done.is_set():
                    # One statement over several tables (a slow one holds them while the load swaps).
                    sql = CHECK + (" and pg_sleep(0.2) is not null" if slow else "")
                    seen.append(tuple(pg.execute(sql, ("x",)).fetchone()))
                    # And two statements in one transaction reading the same tables.
                    with pg.transaction():
                        first = pg.execute(CHECK, ("x",)).fetchone()
                        second = pg.execute(CHECK, ("x",)).fetchone()
                    seen.append(tuple(first))
                    assert first == second or {tuple(first), tuple(second)} == {old, new}
        except BaseException as error:  # noqa: BLE001 - reported by the test below
            errors.append(error)

    threads = [threading.Thread(target=reader, args=(slow,)) for slow in (False, True, False)]
    for thread in threads:
        thread.start()
    time.sleep(0.3)
    postgres.load(api_sample_db, url)
    time.sleep(0.5)
    done.set()
    for thread in threads:
        thread.join(30)
    assert not errors, errors
    assert set(seen) <= {old, new}, set(seen) - {old, new}
    assert seen[0] == old and seen[-1] == new
    assert not [s for s in _schemas(url) if s != postgres.SCHEMA and s.startswith("papershelf")]


# Figures of every table at once: a mix of two datasets would give a tuple of neither.
CHECK = """select (select count(*) from papers), (select count(*) from paper_keywords),
       (select count(*) from listings), (select count(*) from links), (select count(*) from listing_papers)
where %s = 'x'"""


def test_a_failed_load_leaves_the_published_dataset(server: pg_server.Server, seed_db: Path, tmp_path: Path,
                                                     loaded: str) -> None:
    broken = tmp_path / "broken.db"
    conn = sqlite3.connect(broken)
    conn.executescript(sqlite3.connect(seed_db).execute("select 1").connection.execute(
        "select group_concat(sql, ';') from sqlite_master where type = 'table' and name = 'papers'").fetchone()[0])
    conn.execute("insert into papers (id, title, title_key) values ('x', 'A paper', 'a paper')")
    conn.execute("insert into papers (id, title, title_key) values ('y', 'Another', 'another')")
    conn.commit()
    before = _count(loaded)
    with pytest.raises(Exception):  # the other tables are missing: the copy fails
        postgres.load(broken, loaded)
    assert _count(loaded) == before
    assert not [s for s in _schemas(loaded) if s != postgres.SCHEMA and s.startswith("papershelf")]


def _count(url: str) -> int:
    with postgres.connect(url) as pg:
        return int(pg.execute("select count(*) from papers").fetchone()[0])
