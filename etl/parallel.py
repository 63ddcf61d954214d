"""Full builds on every core: listings parsed in worker processes, papers enriched in another one,
while the loader (the one process that writes the database) stores them.

The stages of a build and where they run:

- **parse** (``ParseWorkers``): each worker reads every n-th file (``open_listing``) and streams its
  items, in chunks, through a bounded queue; the loader reads the files back in the canonical order.
- **load** (the calling process): identity, merging, sightings, authors, source keywords; for every
  paper it stores it sends what enrichment needs (``Loader(events=True)``) to ...
- **enrich** (``Enricher``, one process per core): the links of each paper and its keyword candidates,
  counted into the corpus statistics (pass 1, while the loader loads). When the loader is done they
  rank every paper against the final statistics (pass 2) while the loader builds the FTS index:
  SQLite's single-threaded part and Python's part of the build run side by side. Each worker writes
  its links into a side SQLite file, which the loader copies in with ``INSERT ... SELECT``, and its
  ranked keywords into a file the loader reads once, in paper order, giving keyword ids as it goes.

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
import signal
import sqlite3
import traceback
from collections import Counter
from collections.abc import Iterator
from itertools import repeat
from operator import add, itemgetter
from dataclasses import dataclass, field
from multiprocessing.process import BaseProcess
from pathlib import Path
from typing import Any

from . import enrich
from .load import IdMap
from .records import Item
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


def _default_signals() -> None:
    """A worker dies on SIGTERM (the loader's ``close`` sends it), whatever handler it was forked with."""
    signal.signal(signal.SIGTERM, signal.SIG_DFL)


# ---- parse workers -------------------------------------------------------------------------------


def _parse_files(paths: list[str], numbers: range, out: Any) -> None:
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

SIDE_DDL = [
    """create table link_rows (paper_rowid integer not null, paper_id text not null, url text not null,
      raw text not null, host text not null, kind text not null, repo text, source text not null)""",
    # Counted words of all papers (each worker's are in its own counts file, COUNTS_DDL).
    "create table df (key text primary key, df integer not null)",
    "create table counts (name text primary key, value integer not null)",
]
# A worker's counts, in a file of their own: written before the barrier, only read after it (a side
# file is written until the end, and a journal-less SQLite file cannot be read while it is written).
COUNTS_DDL = [
    "create table df_part (key text not null, df integer not null)",
    "create table counts (name text primary key, value integer not null)",
]
SEEN_LIMIT = 250_000  # keys a worker remembers having ranked (past it, displays are written again)
# Keys a worker counts in memory before it writes the counts out to its counts file (SQLite adds the
# parts up at the end): counting a million papers meets millions of words, most in one paper only.
COUNT_SPILL = 200_000


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


def _enrich(number: int, inbox: Any, outbox: Any, side_path: str, spool_path: str, barrier: Any,
            sides: list[str]) -> None:
    """Worker ``number``: pass 1 over the papers the loader sends it, then, with every worker's
    counts, pass 2 (rank)."""
    _default_signals()
    try:
        outbox.put(("done", number, _Enrichment(side_path, spool_path).run(inbox, barrier, sides)))
    except BaseException:  # noqa: BLE001 - reported to the loader, which fails the build
        if barrier is not None:
            barrier.abort()
        outbox.put(("error", number, traceback.format_exc()))


def counts_path(side_path: str | Path) -> str:
    return f"{side_path}.counts"


class _Enrichment:
    def __init__(self, side_path: str, spool_path: str) -> None:
        self.side_path = side_path
        self.side = sqlite3.connect(side_path, isolation_level=None)
        self.side.execute("pragma journal_mode = off")
        self.side.execute("pragma synchronous = off")
        for statement in SIDE_DDL:
            self.side.execute(statement)
        self.side.execute("begin")
        # Pass 1 counts into ``counted`` and spills it into the counts file; pass 2 ranks on ``stats``.
        self.counted: Counter[str] = Counter()
        self.n_docs = 0
        self.counts = sqlite3.connect(counts_path(side_path), isolation_level=None)
        self.counts.execute("pragma journal_mode = off")
        self.counts.execute("pragma synchronous = off")
        for statement in COUNTS_DDL:
            self.counts.execute(statement)
        self.counts.execute("begin")
        self.stats: enrich.keywords_module.CorpusStats | None = None
        self.spool_path = spool_path
        self.spool = open(spool_path, "wb", buffering=1 << 20)
        self.pending: list[tuple] = []  # papers not counted yet: (rowid, paper id, title, abstract)
        self.late: list[tuple] = []
        self.replaced: dict[int, list[tuple]] = {}  # links of papers whose repository changed later
        self.link_batch: list[tuple] = []
        self.papers = 0

    def run(self, inbox: Any, barrier: Any, sides: list[str]) -> dict[str, int]:
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
        self.count_pending()
        self.spool.close()
        for start in range(0, len(self.late), enrich.KEYWORD_CHUNK):
            self.count(self.late[start : start + enrich.KEYWORD_CHUNK])
        self.finish_links()
        self.count_all(barrier, sides)
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
            paper = (rowid, paper_id, title, abstract)
            if late:
                self.late.append(paper)
            else:
                self.pending.append(paper)
                if len(self.pending) >= enrich.KEYWORD_CHUNK:
                    self.count_pending()

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
        # counted[key] += n for each key with C loops (Counter.update would loop in Python).
        dict.update(counted, zip(keys, map(add, map(counted.get, keys, repeat(0)), counts.values())))
        self.n_docs += len(papers)
        if len(counted) >= COUNT_SPILL:
            self.spill_counts()

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

    def count_all(self, barrier: Any, sides: list[str]) -> None:
        """This worker's counts out to its counts file; once every worker's are there, the corpus's
        counts in (SQLite adds them up; Python holds one copy of the result, not one per part)."""
        self.spill_counts()
        self.counts.execute("insert into counts values ('n_docs', ?)", (self.n_docs,))
        self.counts.execute("commit")
        self.counts.close()
        if barrier is not None:
            barrier.wait()
        self.side.execute("commit")
        parts = []
        for number, path in enumerate(sides):
            self.side.execute(f"attach database ? as part{number}", (f"file:{counts_path(path)}?mode=ro",))
            parts.append(f"part{number}")
        n_docs = sum(self.side.execute(f"select value from {part}.counts where name = 'n_docs'").fetchone()[0]
                     for part in parts)
        union = " union all ".join(f"select key, df from {part}.df_part" for part in parts)
        self.side.execute("begin")
        self.side.execute(f"insert into df (key, df) select key, sum(df) from ({union}) group by key")
        self.side.execute("insert into counts values ('n_docs_all', ?)", (n_docs,))
        self.side.execute("commit")
        for part in parts:
            self.side.execute(f"detach database {part}")
        if barrier is not None:
            barrier.wait()  # every worker has read every counts file
        os.unlink(counts_path(self.side_path))
        self.stats = enrich.keywords_module.CorpusStats.adopt(n_docs, _StoredFrequencies(self.side))
        self.side.execute("begin")

    def spill_counts(self) -> None:
        """The counts so far out to the counts file (a key may have a row per spill: they are added
        up with the other workers' parts)."""
        self.counts.executemany("insert into df_part values (?, ?)", self.counted.items())
        self.counted = Counter()

    def spooled(self) -> Iterator[tuple]:
        for papers in _read_blobs(self.spool_path):
            yield from papers

    def rank_all(self) -> None:
        """Pass 2: this worker's papers in rowid order, ranked on the corpus's counts, into its
        ranked file (``ranked_path``): batches of (paper rowid, paper id, [(key, display, score,
        aliases), ...] best first), length-prefixed marshal. A display is given only where the key
        is new to this worker: a paper after another that has the key is never the first to have it."""
        stats = self.stats
        assert stats is not None
        seen: set[str] = set()
        with open(ranked_path(self.side_path), "wb", buffering=1 << 20) as out:
            papers = heapq.merge(self.spooled(), sorted(self.late))
            for chunk in enrich.chunked(papers):
                ranked = enrich.rank(enrich.candidates([(title, abstract) for _, _, title, abstract in chunk]), stats)
                batch = []
                for (rowid, paper_id, _, _), keywords in zip(chunk, ranked):
                    rows = []
                    keys = set()
                    for keyword in keywords:
                        key = keyword.key
                        if key in keys:  # (an acronym and its long form, both ranked: one keyword)
                            continue
                        keys.add(key)
                        display = None
                        if key not in seen:
                            display = keyword.display
                            if len(seen) >= SEEN_LIMIT:
                                seen.clear()
                            seen.add(key)
                        rows.append((key, display, round(float(keyword.score), 4), keyword.aliases))
                    batch.append((rowid, paper_id, rows))
                _write_blob(out, batch)


def _write_blob(out: Any, value: Any) -> None:
    # Length-prefixed: marshal.loads of bytes is six times faster than marshal.load of a file.
    blob = marshal.dumps(value)
    out.write(len(blob).to_bytes(4, "little"))
    out.write(blob)


def _read_blobs(path: str | Path) -> Iterator[Any]:
    with open(path, "rb", buffering=1 << 20) as spool:
        while size := spool.read(4):
            yield marshal.loads(spool.read(int.from_bytes(size, "little")))


def ranked_path(side_path: str | Path) -> str:
    return f"{side_path}.ranked"


def _ranked_papers(paths: list[str]) -> Iterator[tuple]:
    """The papers of every worker's ranked file, in rowid order (each worker wrote its own in that order)."""

    def papers(path: str) -> Iterator[tuple]:
        for batch in _read_blobs(path):
            yield from batch

    return heapq.merge(*(papers(path) for path in paths), key=itemgetter(0))


# Keys whose ids the copy keeps in memory: 96% of the extracted keywords are in one paper only, so a
# bounded map (a cache past the limit, the unique index answering the rest) costs little.
COPY_IDS = 500_000


def _copy_keywords(conn: sqlite3.Connection, paths: list[str]) -> None:
    """The workers' ranked keywords into keywords, paper_keywords and keyword_aliases, in one pass
    over their ranked files in paper order: a keyword's id is given at its first appearance (paper
    rowid, then rank), after the source keywords the loader stored, and its display is that first
    paper's, as the in-process build gives them. (The same in SQL took a sort and a join of every row.)"""
    ids = IdMap(conn, "keywords", ("key", "display", "source"), bulk=True, limit=COPY_IDS)
    lookup = "select id from keywords where key = ? and source = 'papershelf'"
    rows: list[tuple] = []
    aliases: list[tuple] = []
    for _, paper_id, keywords in _ranked_papers(paths):
        for position, (key, display, score, written) in enumerate(keywords, 1):
            # No display: the worker ranked the key before, so it is stored and only looked up.
            keyword_id = ids.get(key, (key, display or key, "papershelf"), lookup, (key,))
            rows.append((paper_id, keyword_id, position, score))
            if written:
                aliases += [(keyword_id, alias) for alias in written]
        if len(rows) >= COPY_BATCH:
            _insert_keyword_rows(conn, ids, rows, aliases)
            rows, aliases = [], []
    _insert_keyword_rows(conn, ids, rows, aliases)


def _insert_keyword_rows(conn: sqlite3.Connection, ids: IdMap, rows: list[tuple], aliases: list[tuple]) -> None:
    ids.flush()
    conn.executemany(
        "insert into paper_keywords (paper_id, keyword_id, source, rank, score) values (?, ?, 'papershelf', ?, ?)",
        rows)
    conn.executemany("insert or ignore into keyword_aliases (keyword_id, alias) values (?, ?)", aliases)


COPY_BATCH = 20_000


@dataclass
class Enricher:
    """The enrichment workers as the loader sees them: ``send`` events, ``end``, ``wait``, ``copy_into``.

    Papers go to worker ``rowid % workers`` (every event of a paper to the same worker). Each worker
    counts its papers; the workers add their counts up among themselves (a barrier, without the
    loader, which is building the FTS index meanwhile) and rank their papers on the corpus's counts.
    """

    folder: Path
    stem: str
    workers: int = 2
    sent: int = 0
    _processes: list[BaseProcess] = field(default_factory=list)
    _inboxes: list[Any] = field(default_factory=list)
    _outbox: Any = None
    _done: set[int] = field(default_factory=set)

    def side_path(self, number: int) -> Path:
        return self.folder / f"{self.stem}.side{number}"

    def spool_path(self, number: int) -> Path:
        return self.folder / f"{self.stem}.spool{number}"

    def start(self) -> None:
        context = _context()
        self._outbox = context.Queue()
        barrier = context.Barrier(self.workers) if self.workers > 1 else None
        sides = [str(self.side_path(n)) for n in range(self.workers)]
        for number in range(self.workers):
            inbox = context.Queue(maxsize=ENRICH_QUEUE)
            process = context.Process(
                target=_enrich,
                args=(number, inbox, self._outbox, sides[number], str(self.spool_path(number)), barrier, sides),
                name=f"papershelf-enrich-{number}", daemon=True,
            )
            process.start()
            self._inboxes.append(inbox)
            self._processes.append(process)

    def _receive(self, block: bool) -> None:
        """Take the workers' reports; an error report fails the build with the worker's traceback."""
        while True:
            try:
                message = self._outbox.get(timeout=POLL) if block else self._outbox.get_nowait()
            except queue.Empty:
                if not block:
                    return
                for process in self._processes:
                    if not process.is_alive() and process.exitcode not in (0, None):
                        raise WorkerError(f"{process.name} stopped (exit code {process.exitcode})") from None
                continue
            if message[0] == "error":
                raise WorkerError(f"enrichment failed in a worker:\n{message[2]}")
            self._done.add(message[1])
            if not block or len(self._done) == self.workers:
                return

    def _send(self, number: int, message: tuple) -> None:
        try:
            _put(self._inboxes[number], message, [self._processes[number]])
        except WorkerError:
            self._receive(block=False)  # the worker's own report, when it made one
            raise

    def send(self, events: list[tuple]) -> None:
        if not events:
            return
        self._receive(block=False)
        if self.workers == 1:
            self._send(0, ("events", events))
        else:
            parts: list[list[tuple]] = [[] for _ in range(self.workers)]
            for event in events:
                parts[event[1] % self.workers].append(event)
            for number, part in enumerate(parts):
                if part:
                    self._send(number, ("events", part))
        self.sent += len(events)

    def end(self, late: list[tuple]) -> None:
        """No more papers: the late ones (stored without an abstract at first) and the end mark."""
        for number in range(self.workers):
            mine = [event for event in late if event[1] % self.workers == number]
            for start in range(0, len(mine), enrich.BATCH):
                self._send(number, ("late", mine[start : start + enrich.BATCH]))
            self._send(number, ("end",))

    def wait(self) -> None:
        self._receive(block=True)
        for process in self._processes:
            process.join()

    def copy_into(self, conn: sqlite3.Connection) -> None:
        """Copy the side files' rows into the database, in a transaction of its own (SQLite cannot
        detach a database inside one); the caller's transaction must be committed.

        Keyword ids are given here as the in-process build gives them (``_copy_keywords``).
        """
        names = [f"side{n}" for n in range(self.workers)]
        for number, name in enumerate(names):
            conn.execute(f"attach database ? as {name}", (str(self.side_path(number)),))
        try:
            conn.execute("begin")

            def union(select: str) -> str:
                return " union all ".join(select.format(side=name) for name in names)

            conn.execute(
                "insert into links (paper_id, url, raw, host, kind, repo, source)"
                " select paper_id, url, raw, host, kind, repo, source from ("
                + union("select paper_rowid, rowid as seq, paper_id, url, raw, host, kind, repo, source"
                        " from {side}.link_rows")
                + ") order by paper_rowid, seq"
            )
            _copy_keywords(conn, [ranked_path(self.side_path(n)) for n in range(self.workers)])
            conn.execute("delete from keyword_df")
            conn.execute("insert into keyword_df (key, df) select key, df from side0.df order by key")
            conn.execute(
                "insert or replace into build_info (key, value)"
                " select ?, value from side0.counts where name = 'n_docs_all'", (enrich.N_DOCS_KEY,)
            )
            conn.execute("commit")
        finally:
            if conn.in_transaction:
                conn.execute("rollback")
            for name in names:
                conn.execute(f"detach database {name}")

    def close(self) -> None:
        for process in self._processes:
            if process.is_alive():
                process.terminate()
            process.join()
        for channel in (*self._inboxes, self._outbox):
            if channel is not None:
                channel.close()
                channel.cancel_join_thread()
        for number in range(self.workers):
            self.side_path(number).unlink(missing_ok=True)
            self.spool_path(number).unlink(missing_ok=True)
            Path(ranked_path(self.side_path(number))).unlink(missing_ok=True)
            Path(counts_path(self.side_path(number))).unlink(missing_ok=True)
