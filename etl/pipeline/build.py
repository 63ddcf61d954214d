"""Orchestration of the stages for a full build (into a new file, renamed into place) and for adds.

A large build runs its stages on every core (``etl.pipeline.parallel``): parse workers read the files ahead of
the loader, an enrichment worker computes links and keywords while the loader stores papers, and
ranks them while the loader builds the FTS index. A small build, and every add, runs in-process.
Both give the same tables; the database is written by this process only.
"""

from __future__ import annotations

import os
import sqlite3
import time
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from etl.pipeline import enrich, memory, parallel
from etl.db import index
from etl.publish import serving
from etl.sources.records import Reject
from etl.text import keyword_identity
from etl.db.ddl import DATABASE
from .load import ListingCounts, Loader
from etl.sources import SourceError, date_in_name, expand_inputs, open_listing, sha256_file

DEFAULT_DB = Path("db") / f"{DATABASE}.db"
# A build of fewer bytes than this runs in-process: worker processes cost more than they save.
PARALLEL_MIN_BYTES = 64 * 2**20
CACHE_KIB = 131_072  # SQLite page cache of a build (KiB)
ADD_CACHE_KIB = 65_536  # and of an add


class BuildError(Exception):
    """A build or add that must stop; the message names the file (and line) at fault."""


@dataclass
class BuildReport:
    files: list[ListingCounts] = field(default_factory=list)
    papers: int = 0
    links: int = 0
    keywords: int = 0
    rejects: int = 0
    listings: int = 0
    timings: dict[str, float] = field(default_factory=dict)

    @contextmanager
    def timed(self, stage: str) -> Iterator[None]:
        """Add the block's wall time to ``timings[stage]``."""
        started = time.perf_counter()
        yield
        self.timings[stage] = self.timings.get(stage, 0) + time.perf_counter() - started

    @property
    def read(self) -> int:
        return sum(c.read for c in self.files)

    @property
    def loaded(self) -> int:
        return sum(c.loaded for c in self.files)

    @property
    def merged(self) -> int:
        return sum(c.merged for c in self.files)

    @property
    def rejected(self) -> int:
        return sum(c.rejected for c in self.files)

    @property
    def skipped(self) -> list[ListingCounts]:
        return [c for c in self.files if c.skipped]

    def summary(self) -> str:
        lines = [
            f"Read {len(self.files)} file(s): {self.read} records = {self.loaded} new papers"
            f" + {self.merged} merged into known papers + {self.rejected} rejected.",
        ]
        for counts in self.files:
            if counts.skipped:
                lines.append(f"Skipped {counts.name}: already ingested (same sha256).")
            elif counts.shape is not None or counts.kind is not None:
                lines.append(capture_line(counts))
            for note in counts.notes:
                lines.append(f"Note on {counts.name}: {note}")
        lines.append(
            f"Database: {self.listings} listings, {self.papers} papers, {self.links} links,"
            f" {self.keywords} keywords, {self.rejects} rejected records."
        )
        if self.rejected:
            lines.append("Rejected records are in the rejects table (file, line, reason, raw text).")
        return "\n".join(lines)


def capture_line(counts: ListingCounts) -> str:
    """One line on how a page capture was read: its shape, the cards found, the rejects and why; a
    capture whose candidate cards were mostly rejected is said not to be understood."""
    shape = counts.shape or "unknown shape"
    page = f" of a {counts.kind} page" if counts.kind else ""
    cards = counts.loaded + counts.merged
    first = f" (first: {counts.first_reject})" if counts.first_reject else ""
    if counts.rejected and counts.rejected > cards:
        return (f"{counts.name}: capture not understood (guessed shape: {shape}{page}): {counts.rejected} of"
                f" {counts.read} candidate cards rejected{first}; {cards} papers kept.")
    return f"{counts.name}: {shape} capture{page}: {cards} papers, {counts.rejected} rejected{first}."


Progress = Callable[[str], None]


def connect(path: Path) -> sqlite3.Connection:
    # Autocommit mode: this module issues BEGIN / COMMIT itself.
    conn = sqlite3.connect(path, isolation_level=None)
    conn.execute("pragma foreign_keys = off")
    return conn


def resolve_inputs(inputs: Iterable[str | Path]) -> list[Path]:
    """Files, folders and globs to the files they name, in canonical order."""
    try:
        return sort_inputs(expand_inputs([str(i) for i in inputs]))
    except SourceError as error:
        raise BuildError(str(error)) from None


def sort_inputs(paths: Iterable[Path]) -> list[Path]:
    """A canonical order, so that the same inputs build the same database whatever the command line:
    by the date in the file name (undated files first), then by name. A database grown day by day
    with `add` in this order equals a full build of the same files."""

    def key(path: Path) -> tuple[str, str, str]:
        return (date_in_name(path.name) or "", path.name, str(path))

    return sorted(set(paths), key=key)


def ingest_file(
    loader: Loader, path: Path, *, date: str | None, strict: bool, parsed: parallel.ParsedFile | None = None
) -> ListingCounts:
    """Load one file inside the caller's transaction; a file that cannot be read becomes one reject.

    ``parsed`` is the file as a parse worker read it; without it the file is read here.
    """
    sha256 = parsed.sha256 if parsed is not None else sha256_file(path)
    previous = loader.already_ingested(sha256)
    if previous is not None:
        if parsed is not None:
            parsed.drain()
        return ListingCounts(name=path.name, skipped=True)
    conn = loader.conn
    conn.execute("savepoint listing")
    pending = len(loader.events) if loader.events is not None else 0
    loader.listing_id, loader.listing_read = None, 0
    try:
        listing = parsed.listing() if parsed is not None else open_listing(path)
        counts = loader.load_listing(
            listing, name=path.name, path=str(path), sha256=sha256, date=date or listing.date
        )
    except SourceError as error:
        if rollback_impossible(conn):
            # A full build writes without a journal (its file is thrown away on failure), so a
            # listing cannot be taken back once records of it are stored.
            if loader.listing_read:
                raise BuildError(
                    f"{path}: {error.message} (after {loader.listing_read} records, which a full build"
                    " cannot take back: fix or remove the file, or add it later with `papershelf add`)"
                ) from None
            if loader.listing_id is not None:  # only its row was written
                conn.execute("delete from listings where id = ?", (loader.listing_id,))
        conn.execute("rollback to listing")
        loader.forget_cached_ids()  # ids inserted inside the savepoint are gone
        loader.forget_listing(pending)
        if parsed is not None:
            parsed.drain()
        counts = ListingCounts(name=path.name, read=1, rejected=1)
        counts.listing_id = loader.start_listing(
            name=path.name, path=str(path), sha256=sha256, source="unreadable", shape=None, date=date,
            date_text=None,
        )
        loader.add_reject(counts.listing_id, str(path), Reject(error.message, "", error.line))
        loader.finish_listing(counts)
    conn.execute("release listing")
    if strict and counts.rejected:
        first = conn.execute(
            "select line, position, reason from rejects where listing_id = ? order by id limit 1",
            (counts.listing_id,),
        ).fetchone()
        line, position, reason = first
        where = f"{path}:{line}" if line else (f"{path} (item {position})" if position else str(path))
        raise BuildError(f"{where}: {reason} ({counts.rejected} rejected record(s) in this file; --strict)")
    return counts


def rollback_impossible(conn: sqlite3.Connection) -> bool:
    return str(conn.execute("pragma journal_mode").fetchone()[0]).lower() == "off"


def _finish_report(conn: sqlite3.Connection, report: BuildReport) -> BuildReport:
    def count(table: str) -> int:
        return int(conn.execute(f"select count(*) from {table}").fetchone()[0])

    report.papers = count("papers")
    report.links = count("links")
    report.keywords = count("keywords")
    report.rejects = count("rejects")
    report.listings = count("listings")
    return report


def build(
    inputs: Iterable[str | Path],
    db_path: Path = DEFAULT_DB,
    *,
    date: str | None = None,
    strict: bool = False,
    progress: Progress | None = None,
    workers: int | None = None,
    tuning: parallel.Tuning = parallel.Tuning(),
) -> BuildReport:
    """A full build of ``inputs`` into a new database that replaces ``db_path`` only when complete.

    ``workers``: parse processes of a parallel build (0: everything in-process). By default a build
    of at least PARALLEL_MIN_BYTES of input is parallel, with all cores but one parsing and one
    enrichment process; ``tuning``: its batch sizes and memory bounds.
    """
    paths = resolve_inputs(inputs)
    if not paths:
        raise BuildError("no input files found in " + ", ".join(str(i) for i in inputs))
    if workers is None:
        workers = default_workers(paths)
    db_path.parent.mkdir(parents=True, exist_ok=True)
    temp_path = db_path.with_name(f".{db_path.name}.building-{os.getpid()}")
    temp_path.unlink(missing_ok=True)
    report = BuildReport()
    conn = connect(temp_path)
    parsers: parallel.ParseWorkers | None = None
    enricher: parallel.Enricher | None = None
    try:
        # A temporary file that is thrown away on failure needs no journal.
        conn.execute("pragma journal_mode = off")
        conn.execute("pragma synchronous = off")
        conn.execute(f"pragma cache_size = -{CACHE_KIB}")
        # No waiting on locks: the file is this build's own, and a side file of the enricher's that
        # were still locked would be one read before the enricher finished it.
        conn.execute("pragma busy_timeout = 0")
        deferred = index.create_tables(conn, defer_indexes=True)
        conn.execute("begin")
        if workers > 0:
            enricher = parallel.Enricher(temp_path.parent, temp_path.name, tuning)
            enricher.start()
            parsers = parallel.ParseWorkers(paths, workers, tuning)
        loader = Loader(conn, events=enricher is not None, on_events=enricher.send if enricher else None,
                        bulk=True, event_batch=tuning.event_batch)
        parsed_files = iter(parsers) if parsers is not None else (None for _ in paths)
        with report.timed("load"):
            for path, parsed in zip(paths, parsed_files):
                counts = ingest_file(loader, path, date=date, strict=strict, parsed=parsed)
                # The ids a file touched serve an add's enrichment; a full build enriches every paper
                # (a million ids kept per build otherwise).
                counts.touched, counts.new_papers, counts.filled = set(), set(), set()
                report.files.append(counts)
                if enricher is not None and loader.events:
                    enricher.send(loader.events)
                    loader.events = []
                if progress:
                    progress(path.name)
        if parsers is not None:
            parsers.close()
            parsers = None
        if enricher is not None:
            enricher.end(late_events(conn, loader.late), index.next_id(conn, "keywords"),
                         conn.execute("select id, key from keywords"))
            loader.release()  # its maps of names and keywords: memory the FTS build can use
            memory.trim()
            # While the enricher ranks keywords: the FTS index, and what needs no keywords.
            _index(conn, report)
            deferred = _finish_loaded_tables(conn, deferred, report)
            with report.timed("links"):
                conn.execute("commit")  # the file is still a temporary one: this commits nothing for good
                enricher.copy_links(conn)
                conn.execute("begin")
            deferred = _finish_linked_tables(conn, deferred, report)
            with report.timed("copy"):
                conn.execute("commit")
                enricher.copy_stats(conn)
                conn.execute("begin")
                # Taken in as the enricher ranks: what is left when it is done is its last batch.
                enricher.copy_keywords(conn)
            _finish_keyword_tables(conn, deferred, report)
        else:
            _enrich_all(conn, report, tuning.keyword_chunk)
            deferred = _finish_linked_tables(conn, _finish_loaded_tables(conn, deferred, report), report)
            _finish_keyword_tables(conn, deferred, report)
            _index(conn, report)
        conn.execute("commit")
        with report.timed("analyze"):
            conn.execute("pragma analysis_limit = 1000")  # statistics from a sample: enough for the planner
            conn.execute("analyze")
        _finish_report(conn, report)
        with report.timed("inspect"):  # Datasette's inspect data: a server of this file starts at once
            conn.execute("begin")
            serving.store_inspect(conn)
            conn.execute("commit")
        conn.execute("pragma journal_mode = wal")  # readers are never blocked by a later add
        conn.close()
        os.replace(temp_path, db_path)
    except BaseException:
        conn.close()
        temp_path.unlink(missing_ok=True)
        raise
    finally:
        if parsers is not None:
            parsers.close()
        if enricher is not None:
            enricher.close()
    return report


def default_workers(paths: list[Path]) -> int:
    """Parse processes for a build of ``paths``: none for a small build or on a single core."""
    cores = parallel.cpu_count()
    size = 0
    for path in paths:
        try:
            size += path.stat().st_size
        except OSError:
            pass
    if cores < 2 or size < PARALLEL_MIN_BYTES:
        return 0
    return max(1, cores - 1)


def late_events(conn: sqlite3.Connection, rowids: set[int]) -> list[tuple]:
    """Text events for the papers first stored without an abstract, with their final values."""
    ordered = sorted(rowids)
    events = []
    for start in range(0, len(ordered), 500):
        chunk = ordered[start : start + 500]
        marks = ", ".join("?" * len(chunk))
        events += [("text", *row) for row in conn.execute(
            f"select rowid, id, title, abstract, github_repo, project_page from papers where rowid in ({marks})"
            " order by rowid", chunk)]
    return events


def _index(conn: sqlite3.Connection, report: BuildReport) -> None:
    with report.timed("index"):
        index.rebuild_fts(conn)
        index.ensure_views(conn)
    memory.trim()  # the FTS index's hash of terms (a hundred MB at a million papers)


def _create_indexes(conn: sqlite3.Connection, deferred: list[str], report: BuildReport,
                    tables: set[str] | None = None) -> list[str]:
    """``index.create_indexes``, timed, its sorts' memory given back after."""
    with report.timed("indexes"):
        left = index.create_indexes(conn, deferred, tables=tables)
    memory.trim()
    return left


# Tables that only the loader writes: final once the last listing is loaded.
LOADER_TABLES = frozenset({"listings", "listing_papers", "paper_authors", "authors", "paper_categories", "rejects"})


def _finish_loaded_tables(conn: sqlite3.Connection, deferred: list[str], report: BuildReport) -> list[str]:
    """After a bulk load, what needs no enrichment (a parallel build does it while the workers
    rank): the secondary indexes of the loader's own tables and the aggregates of the sightings.
    Returns the indexes left to create."""
    deferred = _create_indexes(conn, deferred, report, set(LOADER_TABLES))
    with report.timed("aggregates"):
        enrich.refresh_sighting_aggregates(conn)
    return deferred


def _finish_linked_tables(conn: sqlite3.Connection, deferred: list[str], report: BuildReport) -> list[str]:
    """Once the links are in: their indexes, the papers with code, then the indexes on papers
    (after the aggregates, which rewrite the columns they cover). Returns the indexes left."""
    deferred = _create_indexes(conn, deferred, report, {"links"})
    with report.timed("aggregates"):
        enrich.mark_papers_with_code(conn)
    return _create_indexes(conn, deferred, report, {"papers"})


def _finish_keyword_tables(conn: sqlite3.Connection, deferred: list[str], report: BuildReport) -> None:
    """Once the keywords are in: the last indexes, each keyword resolved (acronyms merged into their
    concepts, displays, paper counts: ``keyword_identity.resolve``) before the indexes that cover it."""
    deferred = _create_indexes(conn, deferred, report, {"paper_keywords", "keyword_aliases"})
    with report.timed("aggregates"):
        keyword_identity.resolve(conn, None)
    _create_indexes(conn, deferred, report)


def _enrich_all(conn: sqlite3.Connection, report: BuildReport, keyword_chunk: int) -> None:
    """Links and keywords of every paper, in-process, ``keyword_chunk`` papers at a time."""
    with report.timed("links"):
        enrich.refresh_links(conn, None)
    with report.timed("keywords"):
        enrich.refresh_keywords(conn, None, chunk=keyword_chunk)


def _enrich_listing(conn: sqlite3.Connection, loader: Loader, counts: ListingCounts, report: BuildReport) -> None:
    """What an added listing changes: links, keywords and aggregates of the papers it touched."""
    with report.timed("links"):
        enrich.refresh_links(conn, counts.touched)
    with report.timed("keywords"):
        keyword_ids = enrich.refresh_keywords(conn, counts.new_papers | counts.filled, filled=counts.filled)
    if loader.keywords_touched is not None:
        keyword_ids |= loader.keywords_touched
        loader.keywords_touched.clear()
    with report.timed("aggregates"):
        enrich.refresh_aggregates(conn, counts.touched)
        if keyword_ids:
            keyword_identity.resolve(conn, keyword_ids)
            loader.forget_keyword_ids()  # a keyword merged into its concept is no more


def add(
    inputs: Iterable[str | Path],
    db_path: Path = DEFAULT_DB,
    *,
    date: str | None = None,
    strict: bool = False,
    progress: Progress | None = None,
) -> BuildReport:
    """Add listings to an existing database in place, one transaction per file."""
    if not db_path.exists():
        raise BuildError(f"{db_path} does not exist: run `papershelf build` first")
    paths = resolve_inputs(inputs)
    report = BuildReport()
    conn = connect(db_path)
    try:
        conn.execute("pragma journal_mode = wal")
        # WAL with synchronous=NORMAL: a commit never corrupts the database; only the last commits
        # before a power cut can be lost (a re-run of `add` skips what was kept, by sha256).
        conn.execute("pragma synchronous = normal")
        conn.execute(f"pragma cache_size = -{ADD_CACHE_KIB}")  # index pages of a large database
        conn.execute("pragma busy_timeout = 10000")
        if not index.has_table(conn, "keyword_sources"):
            # Keywords were one row per source before keyword_identity: no add can turn them into concepts.
            raise BuildError(f"{db_path} was built by an earlier papershelf: rebuild it with `papershelf build`")
        loader = Loader(conn, track_keywords=True)
        index.ensure_db_shape(conn)
        serving.track_row_changes(conn)  # each file's inspect data: the stored counts and what it changed
        for path in paths:
            conn.execute("begin immediate")
            try:
                with report.timed("load"), index.papers_indexed_at_the_end(conn):
                    counts = ingest_file(loader, path, date=date, strict=strict)
                if not counts.skipped:
                    _enrich_listing(conn, loader, counts, report)
                    with report.timed("inspect"):  # the counts changed: the inspect data with them
                        serving.store_inspect(conn)
                with report.timed("commit"):
                    conn.execute("commit")
            except BaseException:
                if conn.in_transaction:  # SQLite may have rolled back already (a full disk does)
                    conn.execute("rollback")
                raise
            report.files.append(counts)
            if progress:
                progress(path.name)
        _finish_report(conn, report)
    finally:
        conn.close()
    return report
