"""Orchestration of the stages for a full build (into a new file, renamed into place) and for adds."""

from __future__ import annotations

import os
import re
import sqlite3
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Iterable

from . import enrich, index
from .load import ListingCounts, Loader, listing_date
from .records import Reject
from .sources import SourceError, expand_inputs, open_listing, sha256_file

DEFAULT_DB = Path("db/papershelf.db")
DATE_IN_NAME = re.compile(r"(?<!\d)\d{4}-\d{2}-\d{2}(?!\d)")


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
            for note in counts.notes:
                lines.append(f"Note on {counts.name}: {note}")
        lines.append(
            f"Database: {self.listings} listings, {self.papers} papers, {self.links} links,"
            f" {self.keywords} keywords, {self.rejects} rejected records."
        )
        if self.rejected:
            lines.append("Rejected records are in the rejects table (file, line, reason, raw text).")
        return "\n".join(lines)


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
        match = DATE_IN_NAME.search(path.name)
        return (match.group(0) if match else "", path.name, str(path))

    return sorted(set(paths), key=key)


def ingest_file(loader: Loader, path: Path, *, date: str | None, strict: bool) -> ListingCounts:
    """Load one file inside the caller's transaction; a file that cannot be read becomes one reject."""
    sha256 = sha256_file(path)
    previous = loader.already_ingested(sha256)
    if previous is not None:
        return ListingCounts(name=path.name, skipped=True)
    conn = loader.conn
    conn.execute("savepoint listing")
    try:
        listing = open_listing(path)
        counts = loader.load_listing(
            listing, name=path.name, path=str(path), sha256=sha256, date=listing_date(path, listing, date)
        )
    except SourceError as error:
        conn.execute("rollback to listing")
        loader.forget_cached_ids()  # ids inserted inside the savepoint are gone
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
) -> BuildReport:
    """A full build of ``inputs`` into a new database that replaces ``db_path`` only when complete."""
    paths = resolve_inputs(inputs)
    if not paths:
        raise BuildError("no input files found in " + ", ".join(str(i) for i in inputs))
    db_path.parent.mkdir(parents=True, exist_ok=True)
    temp_path = db_path.with_name(f".{db_path.name}.building-{os.getpid()}")
    temp_path.unlink(missing_ok=True)
    report = BuildReport()
    conn = connect(temp_path)
    try:
        # A temporary file that is thrown away on failure needs no journal.
        conn.execute("pragma journal_mode = off")
        conn.execute("pragma synchronous = off")
        index.create_tables(conn)
        conn.execute("begin")
        loader = Loader(conn)
        started = time.perf_counter()
        for path in paths:
            report.files.append(ingest_file(loader, path, date=date, strict=strict))
            if progress:
                progress(path.name)
        report.timings["load"] = time.perf_counter() - started
        _enrich_all(conn, None, report)
        started = time.perf_counter()
        index.rebuild_fts(conn)
        index.ensure_views(conn)
        report.timings["index"] = time.perf_counter() - started
        conn.execute("commit")
        conn.execute("analyze")
        _finish_report(conn, report)
        conn.execute("pragma journal_mode = wal")  # readers are never blocked by a later add
        conn.close()
        os.replace(temp_path, db_path)
    except BaseException:
        conn.close()
        temp_path.unlink(missing_ok=True)
        raise
    return report


def _enrich_all(conn: sqlite3.Connection, paper_ids: set[str] | None, report: BuildReport) -> None:
    started = time.perf_counter()
    enrich.refresh_links(conn, paper_ids)
    report.timings["links"] = report.timings.get("links", 0) + time.perf_counter() - started
    started = time.perf_counter()
    enrich.refresh_keywords(conn, paper_ids)
    report.timings["keywords"] = report.timings.get("keywords", 0) + time.perf_counter() - started
    started = time.perf_counter()
    enrich.refresh_aggregates(conn, paper_ids)
    report.timings["aggregates"] = report.timings.get("aggregates", 0) + time.perf_counter() - started


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
        conn.execute("pragma busy_timeout = 10000")
        loader = Loader(conn)
        index.ensure_db_shape(conn)
        for path in paths:
            conn.execute("begin immediate")
            try:
                counts = ingest_file(loader, path, date=date, strict=strict)
                if not counts.skipped:
                    _enrich_all(conn, counts.touched, report)
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
