"""Full builds on every core: listings parsed in worker processes, papers enriched in another one,
while the loader (the one process that writes the database) stores them.

The stages of a build and where they run:

- **parse** (``ParseWorkers``): each worker reads every n-th file (``open_listing``) and streams its
  items, in chunks, through a bounded queue; the loader reads the files back in the canonical order.
- **load** (the calling process): identity, merging, sightings, authors, source keywords; for every
  paper it stores it sends what enrichment needs (``Loader(events=True)``) to ...
- **enrich** (``Enricher``, one process): the links of each paper and its keyword candidates, counted
  into the corpus statistics (pass 1, while the loader loads). When the loader is done it ranks every
  paper against the final statistics (pass 2) while the loader builds the FTS index: SQLite's
  single-threaded part and Python's part of the build run side by side. The enricher writes its rows
  into a side SQLite file, which the loader copies in with ``INSERT ... SELECT``.

Everything the enricher computes is what ``etl.enrich`` computes in-process from the final tables
(a test builds both ways and compares every table): a paper is sent once its title and abstract are
final (a merge only fills an empty abstract, so a paper stored without one is sent at the end), and
again when a merge changes the repository or project page its links come from. No listing is taken
back after its papers were sent: a full build stops on a file that breaks half-way (see
``build.ingest_file``). Only the loader writes the database; a worker that fails fails the build,
and the database being built is thrown away as for any failure.
"""

from __future__ import annotations

import heapq
import marshal
import multiprocessing
import os
import queue
import sqlite3
import traceback
from collections.abc import Iterator
from dataclasses import dataclass, field
from multiprocessing.process import BaseProcess
from pathlib import Path
from typing import Any

from . import enrich
from .records import Item
from sqlalchemy.dialects import sqlite as sqlite_dialect
from sqlalchemy.schema import CreateTable

from .schema import build_info, keyword_aliases, keyword_df, keywords, paper_keywords
from .sources import SourceError, SourceListing, open_listing, sha256_file

CHUNK = 500  # items per message from a parse worker
QUEUE_CHUNKS = 6  # messages a parse worker may run ahead by, per worker
ENRICH_QUEUE = 8  # event batches the loader may run ahead of the enricher by
POLL = 1.0  # seconds between checks that a worker is still alive


class WorkerError(RuntimeError):
    """A worker process failed; the message holds its traceback."""


def _context() -> multiprocessing.context.BaseContext:
    # fork: workers start at once and share the parent's imported modules; spawn elsewhere.
    methods = multiprocessing.get_all_start_methods()
    return multiprocessing.get_context("fork" if "fork" in methods else "spawn")


def cpu_count() -> int:
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        return os.cpu_count() or 1


def _get(channel: Any, processes: list[BaseProcess]) -> Any:
    """The next message of ``channel``, failing when a worker died without a word."""
    while True:
        try:
            return channel.get(timeout=POLL)
        except queue.Empty:
            for process in processes:
                if not process.is_alive() and process.exitcode not in (0, None):
                    raise WorkerError(f"{process.name} stopped (exit code {process.exitcode})") from None


def _put(channel: Any, message: Any, processes: list[BaseProcess]) -> None:
    while True:
        try:
            channel.put(message, timeout=POLL)
            return
        except queue.Full:
            for process in processes:
                if not process.is_alive():
                    raise WorkerError(f"{process.name} stopped (exit code {process.exitcode})") from None


# ---- parse workers -------------------------------------------------------------------------------


def _parse_files(paths: list[str], numbers: range, out: Any) -> None:
    """Worker: parse the files ``numbers`` of ``paths`` in order, streaming their items to ``out``.

    Messages: ("start", n, sha256), ("meta", n, source, shape, date_text, date), ("items", n, [...])*,
    then ("end", n, notes, encoding) or ("source_error", n, error); ("raise", n, text) ends the worker.
    """
    for number in numbers:
        path = Path(paths[number])
        try:
            out.put(("start", number, sha256_file(path)))
            chunk: list[Item] = []
            try:
                listing = open_listing(path)
                out.put(("meta", number, listing.source, listing.shape, listing.date_text, listing.date))
                for item in listing.items:
                    chunk.append(item)
                    if len(chunk) >= CHUNK:
                        out.put(("items", number, chunk))
                        chunk = []
                if chunk:
                    out.put(("items", number, chunk))
                out.put(("end", number, list(listing.notes), listing.encoding))
            except SourceError as error:
                if chunk:  # what was read before the error, as the loader would have seen it
                    out.put(("items", number, chunk))
                out.put(("source_error", number, error))
        except BaseException:  # noqa: BLE001 - reported to the loader, which fails the build
            out.put(("raise", number, traceback.format_exc()))
            return


@dataclass
class ParsedFile:
    """One file as a parse worker read it; ``listing()`` streams its items from the worker."""

    path: Path
    sha256: str
    _workers: ParseWorkers
    _channel: Any
    _done: bool = False

    def listing(self) -> SourceListing:
        """The file's listing; iterating its items raises SourceError where reading failed."""
        message = self._workers.receive(self._channel, self.path)
        if message[0] == "source_error":
            self._done = True
            raise message[2]
        _, _, source, shape, date_text, date = message
        listing = SourceListing(source=source, items=[], shape=shape, date_text=date_text, date=date,
                                file=str(self.path))
        listing.items = self._items(listing)
        return listing

    def _items(self, listing: SourceListing) -> Iterator[Item]:
        while True:
            message = self._workers.receive(self._channel, self.path)
            kind = message[0]
            if kind == "items":
                yield from message[2]
            elif kind == "end":
                self._done = True
                listing.notes.extend(message[2])
                listing.encoding = message[3]
                return
            else:  # source_error
                self._done = True
                raise message[2]

    def drain(self) -> None:
        """Skip what is left of the file (a file already ingested, or a failed listing)."""
        while not self._done:
            kind = self._workers.receive(self._channel, self.path)[0]
            self._done = kind in ("end", "source_error")


class ParseWorkers:
    """``workers`` processes parsing ``paths`` ahead of the loader; iterate for ``ParsedFile``s in order."""

    def __init__(self, paths: list[Path], workers: int) -> None:
        context = _context()
        self.paths = paths
        count = max(1, min(workers, len(paths)))
        self.channels = [context.Queue(maxsize=QUEUE_CHUNKS) for _ in range(count)]
        names = [str(p) for p in paths]
        self.processes: list[BaseProcess] = [
            context.Process(target=_parse_files, args=(names, range(k, len(paths), count), self.channels[k]),
                            name=f"papershelf-parse-{k}", daemon=True)
            for k in range(count)
        ]
        for process in self.processes:
            process.start()

    def receive(self, channel: Any, path: Path) -> tuple:
        message = _get(channel, self.processes)
        if message[0] == "raise":
            raise WorkerError(f"reading {path} failed in a worker:\n{message[2]}")
        return message

    def __iter__(self) -> Iterator[ParsedFile]:
        for number, path in enumerate(self.paths):
            channel = self.channels[number % len(self.channels)]
            message = self.receive(channel, path)
            yield ParsedFile(path, message[2], self, channel)

    def close(self) -> None:
        for process in self.processes:
            if process.is_alive():
                process.terminate()
        for process in self.processes:
            process.join()
        for channel in self.channels:
            channel.close()
            channel.cancel_join_thread()


# ---- the enricher --------------------------------------------------------------------------------

SIDE_TABLES = ("keywords", "keyword_aliases", "paper_keywords", "keyword_df")
SIDE_LINKS = """create table link_rows (paper_rowid integer not null, paper_id text not null, url text not null,
  raw text not null, host text not null, kind text not null, repo text, source text not null)"""


def _side_ddl() -> list[str]:
    """The side file's tables: the keyword tables as in the schema (their unique keys are used while
    writing), without secondary indexes, and the links with the rowid of their paper."""
    dialect = sqlite_dialect.dialect()
    statements = [
        str(CreateTable(table).compile(dialect=dialect)).strip()
        for table in (keywords, keyword_aliases, paper_keywords, keyword_df, build_info)
    ]
    return [*statements, SIDE_LINKS]


def _enrich(inbox: Any, outbox: Any, side_path: str, spool_path: str) -> None:
    """Worker: pass 1 over the papers the loader sends, then pass 2 (rank) at the end."""
    try:
        outbox.put(("done", _Enrichment(side_path, spool_path).run(inbox)))
    except BaseException:  # noqa: BLE001 - reported to the loader, which fails the build
        outbox.put(("error", traceback.format_exc()))


class _Enrichment:
    def __init__(self, side_path: str, spool_path: str) -> None:
        self.side = sqlite3.connect(side_path, isolation_level=None)
        self.side.execute("pragma journal_mode = off")
        self.side.execute("pragma synchronous = off")
        for statement in _side_ddl():
            self.side.execute(statement)
        self.side.execute("begin")
        self.keywords = enrich.extraction_available()
        self.stats = enrich.keywords_module.CorpusStats() if self.keywords else None
        self.spool_path = spool_path
        self.spool = open(spool_path, "wb")
        self.late: list[tuple] = []
        self.replaced: dict[int, list[tuple]] = {}  # links of papers whose repository changed later
        self.link_batch: list[tuple] = []
        self.papers = 0

    def run(self, inbox: Any) -> dict[str, int]:
        while True:
            message = inbox.get()
            if message[0] == "events":
                for event in message[1]:
                    self.event(event, late=False)
            elif message[0] == "late":
                for event in message[1]:
                    self.event(event, late=True)
            else:  # "end"
                break
        self.flush_links()
        self.spool.close()
        self.finish_links()
        if self.keywords:
            self.rank_all()
        self.side.execute("commit")
        self.side.close()
        os.unlink(self.spool_path)
        return {"papers": self.papers}

    def event(self, event: tuple, *, late: bool) -> None:
        kind, rowid, paper_id, title, abstract, github_repo, project_page = event
        rows = [(rowid, *row) for row in enrich.paper_link_rows(paper_id, abstract, github_repo, project_page)]
        if kind == "links" or late:
            self.replaced[rowid] = rows
        else:
            self.link_batch.extend(rows)
            if len(self.link_batch) >= enrich.BATCH:
                self.flush_links()
        if kind == "text":
            self.papers += 1
            if self.stats is not None:
                self.stats.add(enrich.candidates(title, abstract))
            record = (rowid, paper_id, title, abstract)
            if late:
                self.late.append(record)
            else:
                marshal.dump(record, self.spool)

    def flush_links(self) -> None:
        self.side.executemany("insert into link_rows values (?, ?, ?, ?, ?, ?, ?, ?)", self.link_batch)
        self.link_batch = []

    def finish_links(self) -> None:
        if not self.replaced:
            return
        self.side.execute("create temp table replaced (paper_rowid integer primary key)")
        self.side.executemany("insert into temp.replaced values (?)", ((rowid,) for rowid in self.replaced))
        self.side.execute("delete from link_rows where paper_rowid in (select paper_rowid from temp.replaced)")
        self.side.executemany(
            "insert into link_rows values (?, ?, ?, ?, ?, ?, ?, ?)",
            [row for rowid in sorted(self.replaced) for row in self.replaced[rowid]],
        )

    def spooled(self) -> Iterator[tuple]:
        with open(self.spool_path, "rb") as spool:
            while True:
                try:
                    yield marshal.load(spool)
                except EOFError:
                    return

    def rank_all(self) -> None:
        """Pass 2: every paper in rowid order (as the in-process build goes), ranked on the final counts."""
        writer = enrich.KeywordWriter(self.side)
        for _, paper_id, title, abstract in heapq.merge(self.spooled(), sorted(self.late)):
            doc = enrich.candidates(title, abstract)
            writer.add(paper_id, enrich.rank(doc, self.stats), doc)
        writer.flush()
        enrich.store_stats(self.side, self.stats)


@dataclass
class Enricher:
    """The enrichment worker as the loader sees it: ``send`` events, then ``finish`` and ``copy_into``."""

    side_path: Path
    spool_path: Path
    sent: int = 0
    _process: BaseProcess | None = None
    _inbox: Any = None
    _outbox: Any = None
    _result: dict[str, int] = field(default_factory=dict)

    def start(self) -> None:
        context = _context()
        self._inbox = context.Queue(maxsize=ENRICH_QUEUE)
        self._outbox = context.Queue()
        self._process = context.Process(
            target=_enrich, args=(self._inbox, self._outbox, str(self.side_path), str(self.spool_path)),
            name="papershelf-enrich", daemon=True,
        )
        self._process.start()

    def _processes(self) -> list[BaseProcess]:
        return [self._process] if self._process is not None else []

    def _check(self) -> None:
        try:
            message = self._outbox.get_nowait()
        except queue.Empty:
            return
        if message[0] == "error":
            raise WorkerError(f"enrichment failed in a worker:\n{message[1]}")
        self._result = message[1]

    def _send(self, message: tuple) -> None:
        try:
            _put(self._inbox, message, self._processes())
        except WorkerError as stopped:
            raise self._failure(stopped) from None

    def _failure(self, stopped: WorkerError) -> WorkerError:
        """The error the worker reported before it stopped, if it could."""
        try:
            message = self._outbox.get(timeout=POLL)
        except queue.Empty:
            return stopped
        return WorkerError(f"enrichment failed in a worker:\n{message[1]}") if message[0] == "error" else stopped

    def send(self, events: list[tuple]) -> None:
        if events:
            self._check()
            self._send(("events", events))
            self.sent += len(events)

    def end(self, late: list[tuple]) -> None:
        """No more papers: the late ones (stored without an abstract at first) and the end mark."""
        for start in range(0, len(late), enrich.BATCH):
            self._send(("late", late[start : start + enrich.BATCH]))
        self._send(("end",))

    def wait(self) -> None:
        try:
            message = _get(self._outbox, self._processes())
        except WorkerError as stopped:
            raise self._failure(stopped) from None
        if message[0] == "error":
            raise WorkerError(f"enrichment failed in a worker:\n{message[1]}")
        self._result = message[1]
        if self._process is not None:
            self._process.join()

    def copy_into(self, conn: sqlite3.Connection) -> None:
        """Copy the side file's rows into the database, in a transaction of its own (SQLite cannot
        detach a database inside one); the caller's transaction must be committed."""
        conn.execute("attach database ? as side", (str(self.side_path),))
        try:
            conn.execute("begin")
            conn.execute(
                "insert into links (paper_id, url, raw, host, kind, repo, source)"
                " select paper_id, url, raw, host, kind, repo, source from side.link_rows"
                " order by paper_rowid, rowid"
            )
            if enrich.extraction_available():
                # Extracted keywords come after the source keywords the loader stored, in the order
                # the in-process build gives them ids: first appearance in rowid order.
                offset = conn.execute("select coalesce(max(id), 0) from keywords").fetchone()[0]
                conn.execute(
                    "insert into keywords (id, key, display, source, paper_count)"
                    " select id + ?, key, display, source, 0 from side.keywords order by id", (offset,)
                )
                conn.execute(
                    "insert into keyword_aliases (keyword_id, alias)"
                    " select keyword_id + ?, alias from side.keyword_aliases order by rowid", (offset,)
                )
                conn.execute(
                    "insert into paper_keywords (paper_id, keyword_id, source, rank, score)"
                    " select paper_id, keyword_id + ?, source, rank, score from side.paper_keywords order by rowid",
                    (offset,),
                )
                conn.execute("delete from keyword_df")
                conn.execute("insert into keyword_df (key, df) select key, df from side.keyword_df order by key")
                conn.execute(
                    "insert or replace into build_info (key, value) select key, value from side.build_info"
                )
            conn.execute("commit")
        finally:
            if conn.in_transaction:
                conn.execute("rollback")
            conn.execute("detach database side")

    def close(self) -> None:
        if self._process is not None and self._process.is_alive():
            self._process.terminate()
            self._process.join()
        for channel in (self._inbox, self._outbox):
            if channel is not None:
                channel.close()
                channel.cancel_join_thread()
        for path in (self.side_path, self.spool_path):
            path.unlink(missing_ok=True)
