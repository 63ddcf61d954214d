"""Full builds on every core: listings parsed in worker processes, papers enriched in another one,
while the loader (the one process that writes the database) stores them.

The stages of a build and where they run:

- **parse** (``ParseWorkers``): each worker reads every n-th file (``open_listing``) and streams its
  items, in chunks, through a bounded queue; the loader reads the files back in the canonical order.
- **load** (the calling process): identity, merging, sightings, authors, source keywords; for every
  paper it stores it sends what enrichment needs (``Loader(events=True)``) to ...
- **enrich** (``Enricher``, one process at a lower priority than the loader's): the links of each
  paper and its keyword candidates, counted into the corpus statistics (pass 1, while the loader
  loads). When the loader is done it ranks every paper against the final statistics (pass 2) while
  the loader builds the FTS index: SQLite's single-threaded part and Python's part of the build run
  side by side. It writes the links into a side SQLite file, finished as soon as the last paper is
  in (the loader copies it with ``INSERT ... SELECT``), and the keywords, a chunk of papers at a time,
  into a file of blobs the loader writes in as they come: rows with their final ids (the concepts of
  the source keywords the loader stored keep theirs; the others get ids in order of first
  appearance, after them) and their written forms. The loader then resolves them
  (``keyword_identity.resolve``) as an in-process build does.

The enricher runs the functions ``etl.pipeline.enrich`` runs in-process (``paper_link_rows``,
``rank_chunk``; ``write_keyword_rows`` on the loader's side), with ids from an
``ArchivedKeywordIds`` instead of the database (a test builds both ways and compares every table):
a paper is sent once its title and abstract are final (a merge only fills an empty abstract, so a
paper stored without one is sent at the end), and again when a merge changes the repository or
project page its links come from. No listing is taken back after its papers were sent: a full build
stops on a file that breaks half-way (see ``build.ingest_file``). Only the loader writes the
database; a worker that fails fails the build, and the database being built is thrown away as for
any failure.
"""

from __future__ import annotations

import heapq
import marshal
import multiprocessing
import os
import queue
import signal
import sqlite3
import traceback
from collections import Counter
from collections.abc import Iterable, Iterator
from contextlib import closing, contextmanager
from dataclasses import dataclass, field
from itertools import repeat
from multiprocessing.process import BaseProcess
from operator import add
from pathlib import Path
from typing import TYPE_CHECKING, Any

from etl.pipeline import enrich, keyword_ids, load, memory
from etl.pipeline.keyword_ids import ArchivedKeywordIds
from etl.sources.records import Item
from etl.sources import SourceError, SourceListing, open_listing, sha256_file

if TYPE_CHECKING:  # etl.text.keywords brings numpy in: imported by the enricher, not at `add`'s start
    from etl.text.keywords import CorpusStats

QUEUE_CHUNKS = 6  # messages a parse worker may run ahead by, per worker
ENRICH_QUEUE = 8  # event batches the loader may run ahead of the enricher by
POLL = 1.0  # seconds between checks that a worker is still alive


@dataclass(frozen=True)
class Tuning:
    """Batch sizes and memory bounds of a parallel build. The defaults are the measured ones; a test
    makes them small, so that a small corpus takes every path (spilled counts, archived keyword ids,
    several chunks and event batches)."""

    parse_chunk: int = 500  # items per message from a parse worker
    event_batch: int = load.EVENT_BATCH  # papers the loader sends the enricher at a time inside a long listing
    keyword_chunk: int = enrich.KEYWORD_CHUNK  # papers per batch of keyword extraction
    # Keys the enricher counts in memory before it writes the counts out (SQLite adds the parts up at
    # the end): counting a million papers meets millions of words, most in one paper only.
    count_spill: int = 200_000
    recent_ids: int = keyword_ids.RECENT  # keyword ids kept in a dict while ranking (ArchivedKeywordIds)


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


def _default_signals() -> None:
    """A worker dies on SIGTERM (the loader's ``close`` sends it), whatever handler it was forked with."""
    signal.signal(signal.SIGTERM, signal.SIG_DFL)


# ---- parse workers -------------------------------------------------------------------------------


def _parse_files(paths: list[str], numbers: range, out: Any, chunk_size: int) -> None:
    """Worker: parse the files ``numbers`` of ``paths`` in order, streaming their items to ``out``.

    Messages: ("start", n, sha256), ("meta", n, source, shape, date_text, date), ("items", n, [...])*,
    then ("end", n, notes, encoding) or ("source_error", n, error); ("raise", n, text) ends the worker.
    """
    _default_signals()
    for number in numbers:
        path = Path(paths[number])
        try:
            out.put(("start", number, sha256_file(path)))
            chunk: list[Item] = []
            try:
                listing = open_listing(path)
                out.put(("meta", number, listing.source, listing.shape, listing.date_text, listing.date,
                         listing.kind))
                for item in listing.items:
                    chunk.append(item)
                    if len(chunk) >= chunk_size:
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
        _, _, source, shape, date_text, date, kind = message
        listing = SourceListing(source=source, items=[], shape=shape, date_text=date_text, date=date, kind=kind,
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

    def __init__(self, paths: list[Path], workers: int, tuning: Tuning = Tuning()) -> None:
        context = _context()
        self.paths = paths
        count = max(1, min(workers, len(paths)))
        self.channels = [context.Queue(maxsize=QUEUE_CHUNKS) for _ in range(count)]
        names = [str(p) for p in paths]
        self.processes: list[BaseProcess] = [
            context.Process(target=_parse_files,
                            args=(names, range(k, len(paths), count), self.channels[k], tuning.parse_chunk),
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

# The side files of a build's enricher, next to the database being built: links (SQLite, finished
# when the last paper is in), statistics (SQLite, finished before ranking), the extracted keywords
# (blobs of rows, announced one by one), and its own: their keys by id (SQLite) and the spool of
# texts for pass 2; the loader's: the keywords its sources gave (SQLite, written before "end"). A
# journal-less SQLite file is not read by the other process until it is finished.
SIDE_FILES = ("links", "stats", "keys", "keywords", "spool", "sources")
LINKS_DDL = [
    """create table link_rows (paper_rowid integer not null, paper_id text not null, url text not null,
      raw text not null, host text not null, kind text not null, repo text, source text not null)""",
]
STATS_DDL = [
    "create table df_part (key text not null, df integer not null)",  # counts, spilled as they grow
    "create table df (key text primary key, df integer not null)",  # the corpus's counts
    "create table counts (name text primary key, value integer not null)",
]
KEYS_DDL = ["create table keys (id integer primary key, key text not null)"]  # each extracted keyword's key
TRIM_EVERY = 50  # keyword blobs the loader copies between two trims of its heap (etl.pipeline.memory)
NICE = 5  # the enricher's priority below the loader's: the loader is the build's critical path


class _StoredFrequencies(Counter):
    """The corpus's document frequencies for ranking, as ``CorpusStats.adopt`` takes them: in memory
    only where a word is in more than one paper, and the definitions of the acronyms that can have
    an expansion (one long form in two papers or more); the others are read from the side database's
    ``df`` table when asked (at a million papers 87% of the keys are in one paper only)."""

    def __init__(self, side: sqlite3.Connection) -> None:
        super().__init__()
        self.side = side
        dict.update(self, side.execute("select key, df from df where df > 1 and instr(key, '=') = 0"))
        dict.update(self, side.execute(
            "with definitions as (select substr(key, 1, instr(key, '=')) as acronym, key, df from df"
            " where instr(key, '=') > 0)"
            " select key, df from definitions where acronym in (select acronym from definitions where df > 1)"
        ))

    def __missing__(self, key: str) -> int:
        row = self.side.execute("select df from df where key = ?", (key,)).fetchone()
        return int(row[0]) if row else 0

    def get(self, key: str, default: int | None = None) -> int | None:  # type: ignore[override]
        found = dict.get(self, key)
        if found is not None:
            return found
        return self.__missing__(key) or default

    def get_many(self, keys: list[str]) -> list[int]:
        """The frequency of each key (0 when unknown), with one query per 500 keys not in memory."""
        found = list(map(dict.get, repeat(self), keys, repeat(None)))
        missing = sorted({key for key, value in zip(keys, found) if value is None})
        stored: dict[str, int] = {}
        for part in enrich.chunked(missing, enrich.ID_CHUNK):
            stored.update(self.side.execute(f"select key, df from df where key in ({', '.join('?' * len(part))})", part))
        return [value if value is not None else stored.get(key, 0) for key, value in zip(keys, found)]


def _enrich(inbox: Any, outbox: Any, paths: dict[str, str], tuning: Tuning) -> None:
    """The enricher: pass 1 over the papers the loader sends, pass 2 once it sent the last."""
    _default_signals()
    os.nice(NICE)
    try:
        outbox.put(("done", _Enrichment(paths, tuning).run(inbox, outbox)))
    except BaseException:  # noqa: BLE001 - reported to the loader, which fails the build
        outbox.put(("error", traceback.format_exc()))


def _side_database(path: str, ddl: list[str]) -> sqlite3.Connection:
    conn = sqlite3.connect(path, isolation_level=None)
    conn.execute("pragma journal_mode = off")  # a side file is thrown away with a failed build
    conn.execute("pragma synchronous = off")
    for statement in ddl:
        conn.execute(statement)
    conn.execute("begin")
    return conn


class _Enrichment:
    def __init__(self, paths: dict[str, str], tuning: Tuning) -> None:
        self.tuning = tuning
        self.links = _side_database(paths["links"], LINKS_DDL)
        self.side = _side_database(paths["stats"], STATS_DDL)
        self.keys = _side_database(paths["keys"], KEYS_DDL)
        self.keywords_path = paths["keywords"]
        open(self.keywords_path, "wb").close()  # there before the loader opens it (it reads what is announced)
        self.sources_path = paths["sources"]
        self.counted: dict[str, int] = {}  # pass 1's counts not spilled yet
        self.n_docs = 0
        self.spool_path = paths["spool"]
        self.spool = open(self.spool_path, "wb", buffering=1 << 20)
        self.pending: list[tuple] = []  # papers not counted yet: (rowid, paper id, title, abstract)
        self.late: list[tuple] = []
        self.replaced: dict[int, list[tuple]] = {}  # links of papers whose repository changed later
        self.link_batch: list[tuple] = []
        self.papers = 0

    def run(self, inbox: Any, outbox: Any) -> dict[str, int]:
        while True:
            message = inbox.get()
            if message[0] == "events":
                for event in message[1]:
                    self.event(event, late=False)
            elif message[0] == "late":
                for event in message[1]:
                    self.event(event, late=True)
            else:  # ("end", the first id for an extracted keyword); the source keywords are written
                first_id = message[1]
                break
        self.finish_links()
        outbox.put(("links",))
        self.count_pending()
        self.spool.close()
        for chunk in enrich.chunked(self.late, self.tuning.keyword_chunk):
            self.count(chunk)
        stats = self.count_all()
        outbox.put(("df",))
        memory.trim()  # pass 1's counts and candidates
        keywords = self.rank_all(stats, first_id, outbox)
        self.keys.execute("commit")
        self.keys.close()
        self.side.close()
        os.unlink(self.spool_path)
        return {"papers": self.papers, "keywords": keywords}

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
            paper = (rowid, paper_id, title, abstract)
            if late:
                self.late.append(paper)
            else:
                self.pending.append(paper)
                if len(self.pending) >= self.tuning.keyword_chunk:
                    self.count_pending()

    def flush_links(self) -> None:
        self.links.executemany("insert into link_rows values (?, ?, ?, ?, ?, ?, ?, ?)", self.link_batch)
        self.link_batch = []

    def finish_links(self) -> None:
        """The last links in: the file is complete (the loader copies it while ranking goes on)."""
        self.flush_links()
        if self.replaced:
            self.links.execute("create temp table replaced (paper_rowid integer primary key)")
            self.links.executemany("insert into temp.replaced values (?)", ((rowid,) for rowid in self.replaced))
            self.links.execute("delete from link_rows where paper_rowid in (select paper_rowid from temp.replaced)")
            self.links.executemany(
                "insert into link_rows values (?, ?, ?, ?, ?, ?, ?, ?)",
                [row for rowid in sorted(self.replaced) for row in self.replaced[rowid]],
            )
        self.links.execute("commit")
        self.links.close()

    def count_pending(self) -> None:
        """The papers received since the last call: counted, and spooled as text for pass 2, which
        computes their candidates again (cheaper than storing them: a few kB a paper)."""
        if not self.pending:
            return
        self.count(self.pending)
        _write_blob(self.spool, self.pending)
        self.pending = []

    def count(self, papers: list[tuple]) -> None:
        counts = enrich.candidates([(title, abstract) for _, _, title, abstract in papers]).df_counts()
        counted = self.counted
        keys = list(counts)
        # counted[key] += n for each key with C loops (a Counter's update would loop in Python).
        dict.update(counted, zip(keys, map(add, map(counted.get, keys, repeat(0)), counts.values())))
        self.n_docs += len(papers)
        if len(counted) >= self.tuning.count_spill:
            self.spill_counts()

    def spill_counts(self) -> None:
        """The counts so far out to the side file (a key may have a row per spill: added up at the end)."""
        self.side.executemany("insert into df_part values (?, ?)", self.counted.items())
        self.counted = {}

    def count_all(self) -> CorpusStats:
        """The corpus's counts, from the spilled parts (SQLite adds them up: Python holds one copy of
        the frequent keys, not of every key), committed: the loader copies them while pass 2 runs."""
        self.spill_counts()
        self.side.execute("insert into df (key, df) select key, sum(df) from df_part group by key")
        self.side.execute("drop table df_part")
        self.side.execute("insert into counts values ('n_docs', ?)", (self.n_docs,))
        self.side.execute("commit")
        from etl.text.keywords import CorpusStats

        return CorpusStats.adopt(self.n_docs, _StoredFrequencies(self.side))

    def spooled(self) -> Iterator[tuple]:
        for papers in _read_blobs(self.spool_path):
            yield from papers

    def rank_all(self, stats: CorpusStats, first_id: int, outbox: Any) -> int:
        """Pass 2: every paper in rowid order, ranked on the corpus's counts (``enrich.rank_chunk``,
        ids from an ``ArchivedKeywordIds``: this process cannot read the database being loaded). The
        rows go to the keyword file, a blob a chunk of papers, each announced to the loader
        (("keywords", end offset)), which copies them in while later papers are ranked. Returns
        the number of keywords."""
        ids = ArchivedKeywordIds(self.keys, first_id, recent=self.tuning.recent_ids)
        with closing(sqlite3.connect(f"file:{self.sources_path}?mode=ro", uri=True)) as sources:
            ids.known(sources.execute("select id, key from known"))
        papers = heapq.merge(self.spooled(), sorted(self.late))
        with open(self.keywords_path, "wb") as out:
            for chunk in enrich.chunked(papers, self.tuning.keyword_chunk):
                batch = enrich.candidates([(title, abstract) for _, _, title, abstract in chunk])
                rows = enrich.rank_chunk([paper_id for _, paper_id, _, _ in chunk], batch, stats, ids)
                _write_blob(out, (rows.keywords, rows.paper_keywords, rows.aliases))
                out.flush()
                outbox.put(("keywords", out.tell()))
        return ids.assigned


def _write_blob(out: Any, value: Any) -> None:
    # Length-prefixed: marshal.loads of bytes is six times faster than marshal.load of a file.
    blob = marshal.dumps(value)
    out.write(len(blob).to_bytes(4, "little"))
    out.write(blob)


def _read_blob(stream: Any) -> Any:
    """The next blob of ``stream`` (``_write_blob``), or None at its end."""
    size = stream.read(4)
    return marshal.loads(stream.read(int.from_bytes(size, "little"))) if size else None


def _read_blobs(path: str | Path) -> Iterator[Any]:
    with open(path, "rb", buffering=1 << 20) as spool:
        while (blob := _read_blob(spool)) is not None:
            yield blob


@dataclass
class Enricher:
    """The enrichment worker as the loader sees it: ``send`` events, ``end``, then ``copy_links``,
    ``copy_stats`` and ``copy_keywords`` as the worker finishes each; its files are named after
    ``stem`` in ``folder`` (``SIDE_FILES``)."""

    folder: Path
    stem: str
    tuning: Tuning = field(default_factory=Tuning)
    sent: int = 0
    links_done: bool = False
    stats_done: bool = False
    keywords_end: int = 0  # the keyword file's length the worker announced
    _process: BaseProcess | None = None
    _inbox: Any = None
    _outbox: Any = None
    _result: dict[str, int] | None = None

    def path(self, suffix: str) -> Path:
        return self.folder / f"{self.stem}.{suffix}"

    def start(self) -> None:
        context = _context()
        self._outbox = context.Queue()
        self._inbox = context.Queue(maxsize=ENRICH_QUEUE)
        self._process = context.Process(
            target=_enrich,
            args=(self._inbox, self._outbox, {name: str(self.path(name)) for name in SIDE_FILES}, self.tuning),
            name="papershelf-enrich", daemon=True,
        )
        self._process.start()

    @property
    def processes(self) -> list[BaseProcess]:
        return [self._process] if self._process is not None else []

    def _receive(self, block: bool) -> None:
        """Take the worker's reports (all that are there, or the next one when ``block``); an error
        report fails the build with the worker's traceback."""
        while True:
            try:
                message = self._outbox.get(timeout=POLL) if block else self._outbox.get_nowait()
            except queue.Empty:
                if not block:
                    return
                for process in self.processes:
                    if not process.is_alive() and process.exitcode not in (0, None):
                        raise WorkerError(f"{process.name} stopped (exit code {process.exitcode})") from None
                continue
            kind = message[0]
            if kind == "error":
                raise WorkerError(f"enrichment failed in a worker:\n{message[1]}")
            if kind == "links":
                self.links_done = True
            elif kind == "df":
                self.stats_done = True
            elif kind == "keywords":
                self.keywords_end = message[1]
            else:  # "done"
                self._result = message[1]
            if block:
                return

    def _send(self, message: tuple) -> None:
        try:
            _put(self._inbox, message, self.processes)
        except WorkerError:
            self._receive(block=False)  # the worker's own report, when it made one
            raise

    def send(self, events: list[tuple]) -> None:
        if not events:
            return
        self._receive(block=False)
        self._send(("events", events))
        self.sent += len(events)

    def end(self, late: list[tuple], first_keyword_id: int, known: Iterable[tuple[int, str]] = ()) -> None:
        """No more papers: the late ones (stored without an abstract at first) and the end mark, with
        the id the first extracted keyword gets (after the source keywords); ``known``: the (id, key)
        of the keywords stored so far (the sources'), whose concepts the extracted keywords share."""
        side = _side_database(str(self.path("sources")), ["create table known (id integer primary key, key text not null)"])
        side.executemany("insert into known (id, key) values (?, ?)", known)
        side.execute("commit")
        side.close()
        for start in range(0, len(late), enrich.BATCH):
            self._send(("late", late[start : start + enrich.BATCH]))
        self._send(("end", first_keyword_id))

    def copy_links(self, conn: sqlite3.Connection) -> None:
        """The links into the database once the worker has written the last, in a transaction of its
        own (SQLite cannot attach a database inside one): the caller's must be committed."""
        while not self.links_done:
            self._receive(block=True)
        with _attached(conn, self.path("links"), "side"):
            conn.execute(
                "insert into links (paper_id, url, raw, host, kind, repo, source)"
                " select paper_id, url, raw, host, kind, repo, source from side.link_rows order by paper_rowid, rowid"
            )

    def copy_stats(self, conn: sqlite3.Connection) -> None:
        """The corpus's keyword statistics, once counted (same transaction rule as ``copy_links``)."""
        while not self.stats_done:
            self._receive(block=True)
        with _attached(conn, self.path("stats"), "side"):
            conn.execute("delete from keyword_df")
            conn.execute("insert into keyword_df (key, df) select key, df from side.df order by key")
            conn.execute(
                "insert or replace into build_info (key, value)"
                " select ?, value from side.counts where name = 'n_docs'", (enrich.N_DOCS_KEY,)
            )

    def copy_keywords(self, conn: sqlite3.Connection) -> None:
        """The extracted keywords, their rows and aliases, blob by blob as the worker announces them,
        until it is done (inside the caller's transaction)."""
        copied = 0
        # The worker creates the file when it starts ranking, after it reported the statistics
        # (``copy_stats``): wait for its first announcement, or the file may not be there yet.
        while not self.keywords_end and self._result is None:
            self._receive(block=True)
        with open(self.path("keywords"), "rb") as stream:
            while True:
                while stream.tell() < self.keywords_end:
                    enrich.write_keyword_rows(conn, enrich.KeywordRows(*_read_blob(stream)))
                    copied += 1
                    if copied % TRIM_EVERY == 0:
                        memory.trim()  # the rows of the blobs copied so far
                if self._result is not None:
                    break
                self._receive(block=True)
        if self._process is not None:
            self._process.join()

    def close(self) -> None:
        for process in self.processes:
            if process.is_alive():
                process.terminate()
            process.join()
        for channel in (self._inbox, self._outbox):
            if channel is not None:
                channel.close()
                channel.cancel_join_thread()
        for name in SIDE_FILES:
            self.path(name).unlink(missing_ok=True)


@contextmanager
def _attached(conn: sqlite3.Connection, path: Path, name: str) -> Iterator[None]:
    """``path`` attached as ``name`` for the block, which runs in one transaction."""
    conn.execute(f"attach database ? as {name}", (f"file:{path}?mode=ro",))
    try:
        conn.execute("begin")
        yield
        conn.execute("commit")
    finally:
        if conn.in_transaction:
            conn.execute("rollback")
        conn.execute(f"detach database {name}")
