"""The one place that writes the database: listings, papers (identity and merging), sightings, rejects.

Enrichment (links, keywords), aggregates and the FTS index are applied by ``etl.pipeline.enrich`` and
``etl.db.index`` to the papers this module reports as touched. During a full build the loader can also
report, paper by paper, what enrichment needs (``Loader(conn, events=True)``), so that a worker
process enriches while the loader is still writing (``etl.pipeline.parallel``).
"""

from __future__ import annotations

import datetime as dt
import json
import sqlite3
from collections import Counter
from dataclasses import dataclass, field
from typing import Callable

from etl.db.index import next_id
from etl.text import keyword_identity
from etl.text.identity import slugify, title_key
from etl.text.keyword_identity import FORMS_UPSERT as KEYWORD_FORMS_UPSERT
from etl.sources.records import Listing, Paper, Reject, cut


@dataclass
class ListingCounts:
    """What one listing contributed; read = loaded + merged + rejected."""

    name: str
    listing_id: int | None = None
    read: int = 0
    loaded: int = 0
    merged: int = 0
    rejected: int = 0
    skipped: bool = False  # already ingested (same sha256)
    touched: set[str] = field(default_factory=set)  # paper ids written to
    new_papers: set[str] = field(default_factory=set)
    filled: set[str] = field(default_factory=set)  # stored papers whose empty abstract this listing filled
    notes: list[str] = field(default_factory=list)  # what reading had to do to the file
    shape: str | None = None  # the capture's shape as recognised (text captures)
    kind: str | None = None  # the page it was (daily, weekly, monthly, trending, search)
    first_reject: str | None = None  # the reason of its first rejected record


# Fields where the first value seen stays (what the paper is), and fields where the latest
# non-empty value wins (what changes over time: stars, summary, the repo a page points to).
FIRST_WINS = ("published", "primary_category", "doi", "journal_ref", "author_count")
LATEST_WINS = (
    "updated",
    "arxiv_comment",
    "ai_summary",
    "organization",
    "github_stars",
    "comments_count",
    "github_repo",
    "project_page",
)


def now_iso() -> str:
    return dt.datetime.now(dt.timezone.utc).replace(microsecond=0).isoformat()


# Ids kept in memory to spare a lookup per author or keyword; bounded, so that a corpus of millions
# of names does not grow the process (the unique indexes answer the rest).
CACHE_LIMIT = 300_000
BULK_IDS = 2_000_000  # names and keywords a full build keeps in memory, each (about 120 bytes a name)
EVENT_BATCH = 1000  # papers for enrichment piled up inside a long listing before they are sent

# What enrichment reads of a paper: (rowid, id, title, abstract, github_repo, project_page).
TextEvent = tuple[int, str, str, str, str | None, str | None]


@dataclass(slots=True)
class Found:
    """The stored paper a record is, with what a merge needs to know about its current values."""

    rowid: int
    id: str
    abstract_empty: bool
    github_repo: str | None
    project_page: str | None


class IdMap:
    """Ids of the rows of a table of names (authors by name, keywords by key and source).

    In bulk mode (a full build: the loader is the table's only writer) the map knows every stored key
    until it holds ``limit`` of them: a key it lacks is new, its id is the next number and its row is
    written in a batch (``flush``), with no lookup. Past the limit, and outside bulk mode, the map is
    a cache and a key it lacks is inserted, or looked up when it exists.
    """

    def __init__(self, conn: sqlite3.Connection, table: str, columns: tuple[str, ...], *, bulk: bool,
                 limit: int) -> None:
        self.conn = conn
        self.table = table
        self.columns = columns
        self.limit = limit
        self.ids: dict[object, int] = {}
        self.authoritative = bulk
        self._pending: list[tuple] = []
        self._pending_keys: list[object] = []
        self._next = next_id(conn, table) if bulk else 0  # the id a new key gets
        names = ", ".join(columns)
        self._insert = (f"insert into {table} ({names}) values ({', '.join('?' * len(columns))})"
                        " on conflict do nothing returning id")
        self._insert_with_id = f"insert into {table} (id, {names}) values (?, {', '.join('?' * len(columns))})"

    def get(self, key: object, row: tuple, lookup: str, lookup_params: tuple) -> int:
        """The id of ``key``; ``row`` is its row (``columns``) when new, ``lookup`` the SQL that finds it."""
        found = self.ids.get(key)
        if found is not None:
            return found
        if self.authoritative:
            new_id = self.ids[key] = self._next
            self._next += 1
            self._pending.append((new_id, *row))
            self._pending_keys.append(key)
            if len(self.ids) >= self.limit:  # from here on, a key not in memory may be stored
                self.flush()
                self.authoritative = False
            return new_id
        stored = self.conn.execute(self._insert, row).fetchone() or self.conn.execute(lookup, lookup_params).fetchone()
        if len(self.ids) >= self.limit:
            self.ids.clear()
        self.ids[key] = stored[0]
        return int(stored[0])

    def flush(self) -> None:
        if self._pending:
            self.conn.executemany(self._insert_with_id, self._pending)
        self._pending, self._pending_keys = [], []

    def forget_pending(self) -> None:
        """Rows not flushed yet are not written (their listing was rolled back)."""
        for key in self._pending_keys:
            self.ids.pop(key, None)
        self._pending, self._pending_keys = [], []
        if self.authoritative:
            self._next = next_id(self.conn, self.table)

    def clear(self) -> None:
        """After a rollback of rows already written: forget everything (a cache again)."""
        self.ids.clear()
        self._pending, self._pending_keys = [], []
        self.authoritative = False


class Loader:
    """Writes listings into an open connection. The caller owns transactions.

    With ``events=True`` the loader also lists what a full build's enrichment needs, in ``events``:
    ``("text", *TextEvent)`` once for each new paper that has its abstract (its title and abstract
    never change afterwards: a merge only fills an empty abstract), and ``("links", *TextEvent)``
    when a merge changes the repository or project page a paper's links come from. A paper first
    stored without an abstract goes to ``late`` instead: its final text is known at the end only.
    """

    def __init__(
        self, conn: sqlite3.Connection, *, events: bool = False,
        on_events: Callable[[list[tuple]], None] | None = None, track_keywords: bool = False,
        bulk: bool = False, event_batch: int = EVENT_BATCH,
    ) -> None:
        self.conn = conn
        # In a bulk load (a full build, this loader the only writer) author names and keywords are
        # kept in memory (up to BULK_IDS of each), so that a new one costs no lookup.
        self.bulk = bulk
        limit = BULK_IDS if bulk else CACHE_LIMIT
        self._authors = IdMap(conn, "authors", ("name",), bulk=bulk, limit=limit)
        self._keywords = IdMap(conn, "keywords", ("key", "display"), bulk=bulk, limit=limit)
        self.events: list[tuple] | None = [] if events else None
        self.on_events = on_events  # called with the events when they pile up inside a long listing
        self.event_batch = event_batch  # events piled up before on_events is called
        self.listing_id: int | None = None  # the listing being loaded, and its records read so far
        self.listing_read = 0
        self.late: set[int] = set()
        self._late_in_listing: list[int] = []
        # Ids of source keywords whose papers changed (an add refreshes their paper counts).
        self.keywords_touched: set[int] | None = set() if track_keywords else None
        self._filled: set[str] = set()
        # Rows that nothing reads back while their listing loads, written in batches by flush().
        self._sightings: list[tuple] = []
        self._author_rows: list[tuple] = []
        self._categories: list[tuple] = []
        self._source_keywords: list[tuple] = []
        self._keyword_forms: Counter[tuple[int, str, str, str]] = Counter()

    def forget_cached_ids(self) -> None:
        """After a rollback: ids written since the savepoint are gone (and so are those not written)."""
        for ids in (self._authors, self._keywords):
            ids.forget_pending()
            if not self.bulk:
                ids.clear()

    def forget_keyword_ids(self) -> None:
        """The keyword ids kept in memory may be stale (keyword_identity.resolve merged keywords)."""
        self._keywords.clear()

    def release(self) -> None:
        """Drop what the loader keeps in memory (after its last listing)."""
        self._authors.clear()
        self._keywords.clear()
        self.late = set()

    def forget_listing(self, pending: int) -> None:
        """The current listing was rolled back: its events (those after the first ``pending``),
        late papers and batched rows are gone."""
        if self.events is not None:
            del self.events[pending:]
        self.late.difference_update(self._late_in_listing)
        self._late_in_listing = []
        self._sightings, self._author_rows, self._categories, self._source_keywords = [], [], [], []
        self._keyword_forms = Counter()
        self._authors.forget_pending()
        self._keywords.forget_pending()

    # ---- listings -------------------------------------------------------------------------

    def already_ingested(self, sha256: str) -> str | None:
        row = self.conn.execute("select name from listings where sha256 = ?", (sha256,)).fetchone()
        return row[0] if row else None

    def start_listing(
        self, *, name: str, path: str, sha256: str, source: str, shape: str | None,
        date: str | None, date_text: str | None, kind: str | None = None,
    ) -> int:
        cursor = self.conn.execute(
            "insert into listings (name, path, source, shape, kind, date, date_text, sha256, ingested_at)"
            " values (?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (name, path, source, shape, kind, date, date_text, sha256, now_iso()),
        )
        return int(cursor.lastrowid or 0)

    def flush(self) -> None:
        """Write the batched rows (sightings, authors, categories, source keywords)."""
        conn = self.conn
        self._authors.flush()
        self._keywords.flush()
        if self._sightings:
            conn.executemany(
                "insert into listing_papers (listing_id, paper_id, position, line, listing_date, upvotes,"
                " github_stars, comments_count) values (?, ?, ?, ?, ?, ?, ?, ?)", self._sightings)
        if self._author_rows:
            conn.executemany("insert into paper_authors (paper_id, position, author_id) values (?, ?, ?)",
                             self._author_rows)
        if self._categories:
            conn.executemany(
                "insert or ignore into paper_categories (paper_id, category, is_primary) values (?, ?, ?)",
                self._categories)
        if self._source_keywords:
            conn.executemany(
                "insert into paper_keywords (paper_id, keyword_id, source, rank, score) values (?, ?, ?, ?, null)",
                self._source_keywords)
        if self._keyword_forms:
            conn.executemany(KEYWORD_FORMS_UPSERT, [(*form, uses) for form, uses in self._keyword_forms.items()])
        self._sightings, self._author_rows, self._categories, self._source_keywords = [], [], [], []
        self._keyword_forms = Counter()
        self._authors.forget_pending()
        self._keywords.forget_pending()

    def finish_listing(self, counts: ListingCounts, listing: Listing | None = None) -> None:
        self.flush()
        notes = list(listing.notes) if listing is not None else []
        counts.notes = notes
        self.conn.execute(
            "update listings set records_read = ?, papers_loaded = ?, papers_merged = ?, rejected = ?,"
            " encoding = ?, notes = ? where id = ?",
            (counts.read, counts.loaded, counts.merged, counts.rejected,
             getattr(listing, "encoding", None), json.dumps(notes) if notes else None, counts.listing_id),
        )

    def load_listing(
        self, listing: Listing, *, name: str, path: str, sha256: str, date: str | None
    ) -> ListingCounts:
        """Write one parsed listing: its row, each paper merged by identity, each reject kept."""
        counts = ListingCounts(name=name, shape=listing.shape, kind=listing.kind)
        counts.listing_id = self.start_listing(
            name=name, path=path, sha256=sha256, source=listing.source, shape=listing.shape,
            date=date, date_text=listing.date_text, kind=listing.kind,
        )
        shown: dict[str, int | None] = {}  # paper id -> line where this listing first showed it
        position = 0
        self.listing_id, self.listing_read = counts.listing_id, 0
        self._late_in_listing = []
        self._filled = counts.filled
        for item in listing.items:
            counts.read += 1
            self.listing_read = counts.read
            if isinstance(item, Reject):
                self.add_reject(counts.listing_id, path, item)
                counts.rejected += 1
                if counts.first_reject is None:
                    counts.first_reject = item.reason
                continue
            key = title_key(item.title)
            found = self.find(item, key)
            if found is not None:
                paper_id, is_new = found.id, False
            else:
                paper_id, is_new = self.new_id(item), True
            if paper_id in shown:
                where = f"line {shown[paper_id]}" if shown[paper_id] else "an earlier record"
                self.add_reject(
                    counts.listing_id, path,
                    Reject(f"the same paper ({paper_id}) appears again in this listing; first at {where}",
                           cut(item.title), item.line, item.position),
                )
                counts.rejected += 1
                continue
            shown[paper_id] = item.line
            position += 1
            self.write_paper(paper_id, is_new, item, key=key, found=found)
            self.write_sighting(counts.listing_id, paper_id, position, item, date)
            counts.touched.add(paper_id)
            if is_new:
                counts.loaded += 1
                counts.new_papers.add(paper_id)
            else:
                counts.merged += 1
            if self.events is not None and self.on_events is not None and len(self.events) >= self.event_batch:
                self.on_events(self.events)
                self.events = []
        self.finish_listing(counts, listing)
        return counts

    def add_reject(self, listing_id: int | None, file: str, reject: Reject) -> None:
        self.conn.execute(
            "insert into rejects (listing_id, file, line, position, reason, raw) values (?, ?, ?, ?, ?, ?)",
            (listing_id, file, reject.line, reject.position, reject.reason, cut(reject.raw)),
        )

    # ---- identity ---------------------------------------------------------------------------

    def find(self, paper: Paper, key: str) -> Found | None:
        """The stored paper this record is, or None; ``key`` is its title key.

        An arXiv id decides; else the normalized title matches a paper whose arXiv id is unknown or
        equal. An existing paper's id never changes: a title-only paper that later shows its arXiv
        id keeps its slug and gains ``arxiv_id``.
        """
        # One query for both ways a paper is recognised: its arXiv id first, then its title.
        for *row, arxiv_id, same_id in self.conn.execute(
            "select rowid, id, abstract = '', github_repo, project_page, arxiv_id, coalesce(arxiv_id = ?1, 0) as same_id"
            " from papers where arxiv_id = ?1 or title_key = ?2 order by same_id desc, rowid",
            (paper.arxiv_id, key),
        ):
            if same_id or arxiv_id is None or paper.arxiv_id is None:
                return Found(*row)
        return None

    def new_id(self, paper: Paper) -> str:
        """The id a new paper gets: its arXiv id, else a slug of its title not taken yet."""
        if paper.arxiv_id:
            return paper.arxiv_id
        return self._unique_slug(slugify(paper.title))

    def _unique_slug(self, slug: str) -> str:
        candidate, n = slug, 1
        while self.conn.execute("select 1 from papers where id = ?", (candidate,)).fetchone():
            n += 1
            candidate = f"{slug}-{n}"
        return candidate

    # ---- papers and what hangs off them -----------------------------------------------------

    def write_paper(
        self, paper_id: str, is_new: bool, paper: Paper, *, key: str | None = None, found: Found | None = None
    ) -> None:
        """Insert a new paper, or merge a record into a stored one (``found``, looked up when not given)."""
        values = (
            paper.published,
            paper.primary_category,
            paper.doi,
            paper.journal_ref,
            paper.author_count or (len(paper.authors) or None),
            paper.updated,
            paper.arxiv_comment,
            paper.ai_summary,
            paper.organization,
            paper.github_stars,
            paper.comments_count,
            paper.github_repo,
            paper.project_page,
        )
        if is_new:
            cursor = self.conn.execute(
                _INSERT_PAPER,
                (paper_id, paper.arxiv_id, paper.title, paper.abstract, key or title_key(paper.title),
                 paper.arxiv_version, *values),
            )
            if self.events is not None:
                rowid = int(cursor.lastrowid or 0)
                if paper.abstract:
                    self.events.append(("text", rowid, paper_id, paper.title, paper.abstract,
                                        paper.github_repo, paper.project_page))
                else:
                    self.late.add(rowid)
                    self._late_in_listing.append(rowid)
        else:
            if found is None:
                found = self.find(paper, key or title_key(paper.title))
            if found is None or found.id != paper_id:
                raise ValueError(f"{paper_id} is not the stored paper this record is")
            # Only an empty abstract is replaced: leaving the column out otherwise spares the FTS
            # trigger (which fires on any update that names it) a delete and an insert.
            fills_abstract = found.abstract_empty and bool(paper.abstract)
            if fills_abstract:
                self._filled.add(paper_id)
            self.conn.execute(
                _MERGE_FILLING_ABSTRACT if fills_abstract else _MERGE_PAPER,
                (paper.arxiv_id, paper.arxiv_version, *values, found.rowid)
                + ((paper.abstract,) if fills_abstract else ()),
            )
            if self.events is not None and found.rowid not in self.late:
                self._note_link_change(found, paper)
        if paper.authors:
            self.write_authors(paper_id, paper.authors, new=is_new)
        if paper.categories:
            self._categories += [
                (paper_id, category, int(category == paper.primary_category)) for category in paper.categories
            ]
        if paper.ai_keywords:
            self.write_source_keywords(paper_id, "hf-ai", paper.ai_keywords, new=is_new)

    def _note_link_change(self, found: Found, paper: Paper) -> None:
        """A merge that changes the repository or project page changes the paper's links."""
        assert self.events is not None
        github_repo = paper.github_repo if paper.github_repo is not None else found.github_repo
        project_page = paper.project_page if paper.project_page is not None else found.project_page
        if (github_repo, project_page) == (found.github_repo, found.project_page):
            return
        title, abstract = self.conn.execute(
            "select title, abstract from papers where rowid = ?", (found.rowid,)
        ).fetchone()
        self.events.append(("links", found.rowid, found.id, title, abstract, github_repo, project_page))

    def write_authors(self, paper_id: str, names: list[str], *, new: bool = False) -> None:
        # The first source that lists the authors decides their order; later ones are not mixed in.
        if not new and self.conn.execute(
            "select 1 from paper_authors where paper_id = ? limit 1", (paper_id,)
        ).fetchone():
            return
        self._author_rows += [(paper_id, position, self.author_id(name)) for position, name in enumerate(names, 1)]

    def author_id(self, name: str) -> int:
        return self._authors.get(name, (name,), "select id from authors where name = ?", (name,))

    def keyword_id(self, key: str, display: str) -> int:
        return self._keywords.get(key, (key, display), "select id from keywords where key = ?", (key,))

    def write_source_keywords(self, paper_id: str, source: str, phrases: list[str], *, new: bool = False) -> None:
        """Keywords a source gives itself (the API's ai_keywords): the concepts they name
        (``keyword_identity``, shared with every source), assigned by ``source``, and their written
        forms. The latest listing's list replaces the one kept before."""
        if not new:
            replaced = self.conn.execute(
                "delete from paper_keywords where paper_id = ? and source = ? returning keyword_id", (paper_id, source)
            ).fetchall()
            if self.keywords_touched is not None:
                self.keywords_touched.update(keyword_id for (keyword_id,) in replaced)
        seen: set[int] = set()
        rows = []
        rank = 0
        for phrase in phrases:
            key, forms = keyword_identity.read(phrase)
            if not key:
                continue
            keyword_id = self.keyword_id(key, forms[0])
            for form in forms:
                self._keyword_forms[(keyword_id, form, source, keyword_identity.form_key(form))] += 1
            if keyword_id in seen:
                continue
            seen.add(keyword_id)
            rank += 1
            rows.append((paper_id, keyword_id, source, rank))
        if self.keywords_touched is not None:
            self.keywords_touched.update(seen)
        self._source_keywords += rows

    def write_sighting(
        self, listing_id: int, paper_id: str, position: int, paper: Paper, listing_date: str | None
    ) -> None:
        self._sightings.append(
            (listing_id, paper_id, position, paper.line, listing_date, paper.upvotes, paper.github_stars,
             paper.comments_count)
        )


_VALUE_COLUMNS = FIRST_WINS + LATEST_WINS
_INSERT_PAPER = (
    f"insert into papers (id, arxiv_id, title, abstract, title_key, arxiv_version, {', '.join(_VALUE_COLUMNS)})"
    f" values ({', '.join('?' * (6 + len(_VALUE_COLUMNS)))})"
)
# A merge, with numbered parameters: ?1 arxiv_id, ?2 arxiv_version, then FIRST_WINS and LATEST_WINS in
# order, then the rowid, then (when an empty abstract is filled) the abstract.
_MERGE_PAPER = "update papers set " + ", ".join(
    [
        "arxiv_id = coalesce(arxiv_id, ?1)",
        "arxiv_version = max(coalesce(arxiv_version, ?2), coalesce(?2, arxiv_version))",
        *(f"{name} = coalesce({name}, ?{n})" for n, name in enumerate(FIRST_WINS, 3)),
        *(f"{name} = coalesce(?{n}, {name})" for n, name in enumerate(LATEST_WINS, 3 + len(FIRST_WINS))),
    ]
) + f" where rowid = ?{3 + len(_VALUE_COLUMNS)}"
_MERGE_FILLING_ABSTRACT = _MERGE_PAPER.replace(
    " where rowid", f", abstract = ?{4 + len(_VALUE_COLUMNS)} where rowid"
)
