"""The one place that writes the database: listings, papers (identity and merging), sightings, rejects.

Enrichment (links, keywords), aggregates and the FTS index are applied by ``etl.enrich`` and
``etl.index`` to the papers this module reports as touched.
"""

from __future__ import annotations

import datetime as dt
import json
import sqlite3
from dataclasses import dataclass, field
from pathlib import Path

from .identity import slugify, title_key
from .records import Listing, Paper, Reject, cut


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
    notes: list[str] = field(default_factory=list)  # what reading had to do to the file


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


class Loader:
    """Writes listings into an open connection. The caller owns transactions."""

    def __init__(self, conn: sqlite3.Connection) -> None:
        self.conn = conn
        self._author_ids: dict[str, int] = {}
        self._keyword_ids: dict[tuple[str, str], int] = {}

    def forget_cached_ids(self) -> None:
        self._author_ids.clear()
        self._keyword_ids.clear()

    # ---- listings -------------------------------------------------------------------------

    def already_ingested(self, sha256: str) -> str | None:
        row = self.conn.execute("select name from listings where sha256 = ?", (sha256,)).fetchone()
        return row[0] if row else None

    def start_listing(
        self, *, name: str, path: str, sha256: str, source: str, shape: str | None,
        date: str | None, date_text: str | None,
    ) -> int:
        cursor = self.conn.execute(
            "insert into listings (name, path, source, shape, date, date_text, sha256, ingested_at)"
            " values (?, ?, ?, ?, ?, ?, ?, ?)",
            (name, path, source, shape, date, date_text, sha256, now_iso()),
        )
        return int(cursor.lastrowid or 0)

    def finish_listing(self, counts: ListingCounts, listing: Listing | None = None) -> None:
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
        counts = ListingCounts(name=name)
        counts.listing_id = self.start_listing(
            name=name, path=path, sha256=sha256, source=listing.source, shape=listing.shape,
            date=date, date_text=listing.date_text,
        )
        shown: dict[str, int | None] = {}  # paper id -> line where this listing first showed it
        position = 0
        for item in listing.items:
            counts.read += 1
            if isinstance(item, Reject):
                self.add_reject(counts.listing_id, path, item)
                counts.rejected += 1
                continue
            paper_id, is_new = self.resolve(item)
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
            self.write_paper(paper_id, is_new, item)
            self.write_sighting(counts.listing_id, paper_id, position, item, date)
            counts.touched.add(paper_id)
            if is_new:
                counts.loaded += 1
                counts.new_papers.add(paper_id)
            else:
                counts.merged += 1
        self.finish_listing(counts, listing)
        return counts

    def add_reject(self, listing_id: int | None, file: str, reject: Reject) -> None:
        self.conn.execute(
            "insert into rejects (listing_id, file, line, position, reason, raw) values (?, ?, ?, ?, ?, ?)",
            (listing_id, file, reject.line, reject.position, reject.reason, cut(reject.raw)),
        )

    # ---- identity ---------------------------------------------------------------------------

    def resolve(self, paper: Paper) -> tuple[str, bool]:
        """The id of the paper this record is (existing or new) and whether it is new.

        An arXiv id decides; else the normalized title matches a paper whose arXiv id is unknown or
        equal. An existing paper's id never changes: a title-only paper that later shows its arXiv
        id keeps its slug and gains ``arxiv_id``.
        """
        if paper.arxiv_id:
            row = self.conn.execute("select id from papers where arxiv_id = ?", (paper.arxiv_id,)).fetchone()
            if row:
                return row[0], False
        key = title_key(paper.title)
        for paper_id, arxiv_id in self.conn.execute(
            "select id, arxiv_id from papers where title_key = ? order by rowid", (key,)
        ):
            if arxiv_id is None or paper.arxiv_id is None or arxiv_id == paper.arxiv_id:
                return paper_id, False
        if paper.arxiv_id:
            return paper.arxiv_id, True
        return self._unique_slug(slugify(paper.title)), True

    def _unique_slug(self, slug: str) -> str:
        candidate, n = slug, 1
        while self.conn.execute("select 1 from papers where id = ?", (candidate,)).fetchone():
            n += 1
            candidate = f"{slug}-{n}"
        return candidate

    # ---- papers and what hangs off them -----------------------------------------------------

    def write_paper(self, paper_id: str, is_new: bool, paper: Paper) -> None:
        values = {
            "published": paper.published,
            "primary_category": paper.primary_category,
            "doi": paper.doi,
            "journal_ref": paper.journal_ref,
            "author_count": paper.author_count or (len(paper.authors) or None),
            "updated": paper.updated,
            "arxiv_comment": paper.arxiv_comment,
            "ai_summary": paper.ai_summary,
            "organization": paper.organization,
            "github_stars": paper.github_stars,
            "comments_count": paper.comments_count,
            "github_repo": paper.github_repo,
            "project_page": paper.project_page,
        }
        if is_new:
            columns = ["id", "arxiv_id", "title", "abstract", "title_key", "arxiv_version", *values]
            row = [paper_id, paper.arxiv_id, paper.title, paper.abstract, title_key(paper.title),
                   paper.arxiv_version, *values.values()]
            self.conn.execute(
                f"insert into papers ({', '.join(columns)}) values ({', '.join('?' * len(columns))})", row
            )
        else:
            assignments = [
                "arxiv_id = coalesce(arxiv_id, :arxiv_id)",
                # A capture without its abstract must not blank one we already have.
                "abstract = case when abstract = '' then :abstract else abstract end",
                "arxiv_version = max(coalesce(arxiv_version, :arxiv_version), coalesce(:arxiv_version, arxiv_version))",
            ]
            assignments += [f"{name} = coalesce({name}, :{name})" for name in FIRST_WINS]
            assignments += [f"{name} = coalesce(:{name}, {name})" for name in LATEST_WINS]
            self.conn.execute(
                f"update papers set {', '.join(assignments)} where id = :id",
                {**values, "id": paper_id, "arxiv_id": paper.arxiv_id, "abstract": paper.abstract,
                 "arxiv_version": paper.arxiv_version},
            )
        if paper.authors:
            self.write_authors(paper_id, paper.authors)
        if paper.categories:
            self.conn.executemany(
                "insert or ignore into paper_categories (paper_id, category, is_primary) values (?, ?, ?)",
                [(paper_id, category, int(category == paper.primary_category)) for category in paper.categories],
            )
        if paper.ai_keywords:
            self.write_source_keywords(paper_id, "hf-ai", paper.ai_keywords)

    def write_authors(self, paper_id: str, names: list[str]) -> None:
        # The first source that lists the authors decides their order; later ones are not mixed in.
        if self.conn.execute("select 1 from paper_authors where paper_id = ? limit 1", (paper_id,)).fetchone():
            return
        rows = [(paper_id, position, self.author_id(name)) for position, name in enumerate(names, 1)]
        self.conn.executemany(
            "insert into paper_authors (paper_id, position, author_id) values (?, ?, ?)", rows
        )

    def author_id(self, name: str) -> int:
        cached = self._author_ids.get(name)
        if cached is not None:
            return cached
        row = self.conn.execute("select id from authors where name = ?", (name,)).fetchone()
        author_id = row[0] if row else int(
            self.conn.execute("insert into authors (name) values (?)", (name,)).lastrowid or 0
        )
        self._author_ids[name] = author_id
        return author_id

    def keyword_id(self, key: str, display: str, source: str) -> int:
        cached = self._keyword_ids.get((key, source))
        if cached is not None:
            return cached
        row = self.conn.execute(
            "select id from keywords where key = ? and source = ?", (key, source)
        ).fetchone()
        keyword_id = row[0] if row else int(
            self.conn.execute(
                "insert into keywords (key, display, source) values (?, ?, ?)", (key, display, source)
            ).lastrowid or 0
        )
        self._keyword_ids[(key, source)] = keyword_id
        return keyword_id

    def write_source_keywords(self, paper_id: str, source: str, phrases: list[str]) -> None:
        """Keywords a source gives itself (the API's ai_keywords): kept apart under their source."""
        from .keywords import normalize_key  # enrichment owns keyword normalization

        self.conn.execute("delete from paper_keywords where paper_id = ? and source = ?", (paper_id, source))
        seen: set[int] = set()
        rank = 0
        for phrase in phrases:
            key = normalize_key(phrase)
            if not key:
                continue
            keyword_id = self.keyword_id(key, phrase, source)
            if keyword_id in seen:
                continue
            seen.add(keyword_id)
            rank += 1
            self.conn.execute(
                "insert into paper_keywords (paper_id, keyword_id, source, rank, score) values (?, ?, ?, ?, null)",
                (paper_id, keyword_id, source, rank),
            )

    def write_sighting(
        self, listing_id: int, paper_id: str, position: int, paper: Paper, listing_date: str | None
    ) -> None:
        self.conn.execute(
            "insert into listing_papers (listing_id, paper_id, position, line, listing_date, upvotes,"
            " github_stars, comments_count) values (?, ?, ?, ?, ?, ?, ?, ?)",
            (listing_id, paper_id, position, paper.line, listing_date, paper.upvotes, paper.github_stars,
             paper.comments_count),
        )


def dumps_sources(sources: list[str]) -> str:
    return json.dumps(sources, ensure_ascii=False)


def listing_date(path: Path, listing: Listing, override: str | None) -> str | None:
    """The listing's ISO date: --date, else an ISO date in the file name, else what the listing states."""
    import re

    if override:
        return override
    match = re.search(r"(?<!\d)(\d{4})-(\d{2})-(\d{2})(?!\d)", path.name)
    if match:
        try:
            return dt.date(*map(int, match.groups())).isoformat()
        except ValueError:
            pass
    return listing.date
