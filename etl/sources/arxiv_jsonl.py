"""arXiv metadata as JSON lines: the OAI snapshot Kaggle publishes (``arxiv-metadata-oai-snapshot.json``),
one paper per line. The real file is about 4 GB, so ``parse_lines`` is a generator over lines and
never holds more than one of them.

Field semantics:

- ``arxiv_id`` from ``id`` (``0704.0001``, ``2401.12345``, old-style ``hep-th/9901001``); the snapshot
  gives no version in it, so ``arxiv_version`` is the highest ``versions[].version`` (``"v2"`` -> 2).
- ``published`` is the date of v1 (``versions[0].created``, an RFC 2822 date, taken in UTC);
  ``updated`` is ``update_date`` (the date arXiv last changed the record).
- ``authors`` come from ``authors_parsed`` (``[last, first, suffix]``, already Unicode) as
  "first last suffix"; only when that is missing from the ``authors`` string split on commas and
  "and" (that string keeps TeX accents such as ``Bal\\'azs``).
- ``categories`` is the space-separated list in order; its first entry is the primary category
  (the OAI metadata lists the primary first; the snapshot has no separate field).
- ``doi``, ``journal-ref`` and ``comments`` map to ``doi``, ``journal_ref`` and ``arxiv_comment``;
  ``submitter``, ``report-no`` and ``license`` have no place in ``records.Paper`` and are dropped.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Iterator
from typing import Any

from etl.text.identity import normalize_arxiv_id
from etl.sources.records import Item, Listing, Paper, Reject, cut
from etl.sources._common import as_text, iso_date, rfc2822_date, text_list

SOURCE = "arxiv-jsonl"

# A snapshot record is a few kB; a line far longer is not one (and is not worth decoding).
MAX_LINE_CHARS = 1_000_000

_SNAPSHOT_KEYS = frozenset(
    {"authors_parsed", "versions", "update_date", "submitter", "journal-ref", "report-no"}
)
_AUTHOR_SPLIT = re.compile(r"\s*,\s*|\s+and\s+")
_VERSION = re.compile(r"^v(\d+)$")


def sniff(text: str) -> bool:
    """True when the first non-blank line is a JSON object shaped like a snapshot record."""
    for line in text[:262144].lstrip("\ufeff").splitlines():
        if line.strip():
            try:
                record = json.loads(line)
            except (ValueError, RecursionError):
                return False
            return isinstance(record, dict) and "id" in record and len(_SNAPSHOT_KEYS & record.keys()) >= 2
    return False


def parse(text: str) -> Listing:
    """The whole text at once (for small files and tests); large files go through ``parse_lines``."""
    return Listing(source=SOURCE, items=list(parse_lines(text.splitlines())))


def parse_lines(lines: Iterable[str]) -> Iterator[Item]:
    """One Paper or Reject per non-blank line, with its 1-based line number; blank lines are skipped.

    ``position`` counts records (non-blank lines), ``line`` counts every line.
    """
    position = 0
    for line_number, line in enumerate(lines, 1):
        if line_number == 1:
            line = line.lstrip("\ufeff")
        if not line.strip():
            continue
        position += 1
        yield _record(line, line_number, position)


def _record(line: str, line_number: int, position: int) -> Item:
    line = line.rstrip("\r\n")

    def reject(reason: str) -> Reject:
        return Reject(reason=reason, raw=cut(line), line=line_number, position=position)

    if len(line) > MAX_LINE_CHARS:
        return reject(f"a line of more than {MAX_LINE_CHARS:,} characters is not a metadata record")
    try:
        record = json.loads(line)
    except json.JSONDecodeError as error:
        return reject(f"not valid JSON: {error.msg.removesuffix(' at')} (column {error.colno})")
    except (ValueError, RecursionError) as error:
        return reject(f"not valid JSON ({type(error).__name__})")
    if not isinstance(record, dict):
        return reject(f"a JSON {type(record).__name__} where a metadata object was expected")
    raw_id = record.get("id")
    if not isinstance(raw_id, str):
        return reject(
            "no arXiv id" if raw_id is None else f"id {raw_id!r} is not a string (a number loses digits)"
        )
    arxiv_id = normalize_arxiv_id(raw_id)
    if arxiv_id is None:
        return reject(f"id {cut(raw_id, 80)!r} is not an arXiv id")
    title = as_text(record.get("title"))
    if title is None:
        return reject(f"{arxiv_id} has no title")
    categories = text_list(
        (record.get("categories") or "").split() if isinstance(record.get("categories"), str) else []
    )
    versions = sorted(_versions(record.get("versions")))
    return Paper(
        title=title,
        abstract=as_text(record.get("abstract")) or "",
        arxiv_id=arxiv_id,
        arxiv_version=versions[-1][0] if versions else None,
        authors=_authors(record),
        published=rfc2822_date(versions[0][1]) if versions else None,
        updated=iso_date(record.get("update_date")),
        categories=categories,
        primary_category=categories[0] if categories else None,
        doi=as_text(record.get("doi")),
        journal_ref=as_text(record.get("journal-ref")),
        arxiv_comment=as_text(record.get("comments")),
        line=line_number,
        position=position,
    )


def _versions(versions: Any) -> list[tuple[int, Any]]:
    """(number, created) for each well-formed ``{"version": "vN", "created": ...}``."""
    found = []
    if isinstance(versions, list):
        for version in versions:
            if isinstance(version, dict) and isinstance(version.get("version"), str):
                match = _VERSION.match(version["version"].strip())
                if match:
                    found.append((int(match.group(1)), version.get("created")))
    return found


def _authors(record: dict[str, Any]) -> list[str]:
    parsed = record.get("authors_parsed")
    names: list[str] = []
    if isinstance(parsed, list):
        for parts in parsed:
            if isinstance(parts, list) and parts:
                last, first, suffix = (list(parts) + ["", "", ""])[:3]
                # One clean_text per name, not per part: this runs millions of times on a snapshot.
                name = as_text(" ".join(part for part in (first, last, suffix) if isinstance(part, str)))
                if name:
                    names.append(name)
        if names:
            return names
    authors = record.get("authors")
    if isinstance(authors, str):
        return [author for piece in _AUTHOR_SPLIT.split(authors) if (author := as_text(piece))]
    return []
