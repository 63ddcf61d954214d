"""The records every source yields: the contract between the parse stage and the rest.

Sources turn a file's text into ``Paper`` and ``Reject`` items; nothing here touches a database.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Iterable, Union


@dataclass(slots=True)
class Paper:
    """One paper as one listing showed it. Text fields are already normalized (``clean_text``)."""

    title: str
    abstract: str = ""
    arxiv_id: str | None = None  # normalized: no "arXiv:" prefix, no version
    arxiv_version: int | None = None
    upvotes: int | None = None
    authors: list[str] = field(default_factory=list)  # in the order the source gives
    author_count: int | None = None  # "N authors" when only the count is shown
    published: str | None = None  # ISO date of arXiv publication
    updated: str | None = None  # ISO date of the latest arXiv version
    listed_at: str | None = None  # ISO date-time the listing says it was submitted/listed
    comments_count: int | None = None  # Daily Papers numComments
    github_repo: str | None = None
    github_stars: int | None = None
    project_page: str | None = None
    ai_summary: str | None = None
    ai_keywords: list[str] = field(default_factory=list)
    organization: str | None = None
    categories: list[str] = field(default_factory=list)
    primary_category: str | None = None
    doi: str | None = None
    journal_ref: str | None = None
    arxiv_comment: str | None = None
    line: int | None = None  # 1-based line of the file where the record starts
    position: int | None = None  # 1-based order of the record in its listing


@dataclass(slots=True)
class Reject:
    """A record the source could not turn into a paper, kept so that nothing disappears."""

    reason: str  # for a person: what was wrong
    raw: str  # the offending text, cut to RAW_LIMIT characters
    line: int | None = None  # 1-based line in the file, when the format has lines
    position: int | None = None  # 1-based index of the item (JSON array index + 1, entry number)


RAW_LIMIT = 2000


def cut(raw: str, limit: int = RAW_LIMIT) -> str:
    """Cut raw text kept in a reject to a sane length."""
    return raw if len(raw) <= limit else raw[:limit] + f"… [{len(raw) - limit} more characters]"


Item = Union[Paper, Reject]


@dataclass(slots=True)
class Listing:
    """What a source made of one file: its own metadata and its items (possibly a lazy iterator)."""

    source: str  # "hf-text", "hf-html", "hf-api", "arxiv-atom", "arxiv-jsonl"
    items: Iterable[Item]
    shape: str | None = None  # for hf-text: "paste", "compact", "pagecopy", "markdown", ... (README)
    date_text: str | None = None  # the listing's own date line, as shown ("Mar 14")
    date: str | None = None  # ISO date when the listing itself states one with a year
    kind: str | None = None  # for page captures: daily, weekly, monthly, trending or search
    page: str | None = None  # the page's address, when the capture shows it
    # What reading did to the file (encoding fallback, NULs removed, ...); complete once items are read.
    notes: list[str] = field(default_factory=list)
