"""arXiv API responses (``export.arxiv.org/api/query``, Atom 1.0 with the arxiv and opensearch
extensions) as papers.

- ``<id>`` is the versioned abstract URL (``http://arxiv.org/abs/2401.00001v2``, ``https://`` since
  2025, old-style ``hep-th/9901001v1``): it gives ``arxiv_id`` and ``arxiv_version``.
- ``published`` is the v1 submission, ``updated`` the latest version's; both kept as ISO dates as
  written in the feed (no time-zone shift).
- ``categories`` keeps every ``<category term>`` in feed order; ``primary_category`` comes from
  ``<arxiv:primary_category>``.
- The API reports a bad query with HTTP 200 and a single entry titled "Error" whose id is
  ``http://arxiv.org/api/errors#...``: that entry is a ``Reject`` carrying the API's message.

Safety: parsed with the standard library's ``xml.etree`` (expat). A document with a DOCTYPE is refused
before expat sees it, so no entity is ever declared, expanded or fetched; an arXiv response never
has one. (defusedxml would add nothing else here and is not a project dependency.)
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import cast

from etl.text.identity import parse_arxiv_id
from etl.sources.records import Item, Listing, Paper, Reject, cut
from etl.sources._common import as_text, iso_date, text_list
from etl.sources.errors import SourceError

SOURCE = "arxiv-atom"
_API_ERROR = "the arXiv API answered with an error"
# Reasons of the reject for a cut-off or broken feed start with this (the fetcher retries those).
BROKEN = "the XML is cut off or broken"

ATOM = "{http://www.w3.org/2005/Atom}"
ARXIV = "{http://arxiv.org/schemas/atom}"
OPENSEARCH = "{http://a9.com/-/spec/opensearch/1.1/}"

_FEED_START = re.compile(r"<(?:[A-Za-z_][\w.-]*:)?feed[\s>/]")
_FIRST_ELEMENT = re.compile(r"<[A-Za-z_]")
_DTD = re.compile(r"<!DOCTYPE|<!ENTITY", re.IGNORECASE)
_WHERE = re.compile(r": line \d+, column \d+$")
_DOI_URL = re.compile(r"^https?://(?:dx\.)?doi\.org/", re.IGNORECASE)


def sniff(text: str) -> bool:
    """True when ``text`` starts like an Atom feed (what the arXiv API returns)."""
    head = text[:8192].lstrip("\ufeff \t\r\n")
    return head.startswith("<") and "http://www.w3.org/2005/Atom" in head and bool(_FEED_START.search(head))


@dataclass(slots=True)
class Feed:
    """One response: the opensearch counts (for paging) and its entries as papers or rejects."""

    items: list[Item] = field(default_factory=list)
    total_results: int | None = None
    start_index: int | None = None
    items_per_page: int | None = None

    @property
    def entries(self) -> int:
        """Entries in this page, error entries and broken ones included."""
        return sum(1 for item in self.items if item.position is not None)

    @property
    def errors(self) -> list[Reject]:
        """The API's own error entries (a bad query), as rejects."""
        return [
            item for item in self.items if isinstance(item, Reject) and item.reason.startswith(_API_ERROR)
        ]


def parse(text: str) -> Listing:
    """Read one API response. Raises ``SourceError`` when the text is not an Atom feed at all or
    carries a DTD; a feed cut off or broken part way keeps its complete entries and rejects the rest."""
    return Listing(source=SOURCE, items=read_feed(text).items)


def read_feed(text: str) -> Feed:
    """``parse`` with the feed's opensearch counts, which the fetcher pages with."""
    _refuse_dtd(text)
    lines = _lines(text)
    parser: ET.XMLPullParser = ET.XMLPullParser(events=("start", "end"))
    feed = Feed()
    root_tag: str | None = None
    entry_line: int | None = None
    position = 0
    line_number = 0
    try:
        for line_number, line in enumerate(lines, 1):
            parser.feed(line)
            # Only start and end events were asked for: each is (event, element).
            for event, element in cast("Iterator[tuple[str, ET.Element]]", parser.read_events()):
                if event == "start":
                    if root_tag is None:
                        root_tag = element.tag
                        if root_tag != ATOM + "feed":
                            raise SourceError(
                                None,
                                line_number,
                                f"not an Atom feed: the root element is <{_local(root_tag)}>",
                            )
                    elif element.tag == ATOM + "entry":
                        entry_line = line_number
                    continue
                if element.tag == ATOM + "entry":
                    position += 1
                    raw = "".join(lines[(entry_line or line_number) - 1 : line_number])
                    feed.items.append(_entry(element, raw, position, entry_line))
                    element.clear()  # a page can hold 2000 entries; keep only what is needed
                    entry_line = None
                elif element.tag == OPENSEARCH + "totalResults":
                    feed.total_results = _count(element.text)
                elif element.tag == OPENSEARCH + "startIndex":
                    feed.start_index = _count(element.text)
                elif element.tag == OPENSEARCH + "itemsPerPage":
                    feed.items_per_page = _count(element.text)
        parser.close()
    except ET.ParseError as error:
        if root_tag is None:
            raise SourceError(None, error.position[0], f"not XML: {error}") from None
        broken_line, column = error.position
        start = entry_line or broken_line
        feed.items.append(
            Reject(
                reason=f"{BROKEN} at line {broken_line}, column {column}"
                f" ({_WHERE.sub('', str(error))}); nothing after it could be read",
                raw=cut("".join(lines[max(start - 1, 0) :])),
                line=start,
                position=position + 1 if entry_line is not None else None,
            )
        )
    except RecursionError:
        raise SourceError(None, line_number, "XML nested too deeply to read") from None
    if root_tag is None:
        raise SourceError(None, None, "not an Atom feed: no root element")
    return feed


def _refuse_dtd(text: str) -> None:
    """Refuse a DOCTYPE (and with it any entity declaration) in the prolog before parsing."""
    first = _FIRST_ELEMENT.search(text)
    prolog = text[: first.start()] if first else text
    dtd = _DTD.search(prolog)
    if dtd:
        line = prolog.count("\n", 0, dtd.start()) + 1
        raise SourceError(
            None,
            line,
            "XML with a DOCTYPE is refused: an arXiv API response has none, and its entities could"
            " read local files or expand without limit",
        )


def _lines(text: str) -> list[str]:
    """Split on "\\n" only, as expat counts lines (str.splitlines also splits on \\x0b, \\u2028 ...)."""
    pieces = text.split("\n")
    lines = [piece + "\n" for piece in pieces[:-1]]
    if pieces[-1]:
        lines.append(pieces[-1])
    return lines


def _local(tag: str) -> str:
    return tag.rsplit("}", 1)[-1]


def _count(text: str | None) -> int | None:
    try:
        return int((text or "").strip())
    except ValueError:
        return None


def _text(element: ET.Element, tag: str) -> str | None:
    child = element.find(tag)
    return child.text if child is not None and child.text else None


def _entry(entry: ET.Element, raw: str, position: int, line: int | None) -> Item:
    entry_id = (_text(entry, ATOM + "id") or "").strip()
    if "arxiv.org/api/errors" in entry_id:
        message = as_text(_text(entry, ATOM + "summary")) or entry_id.rsplit("#", 1)[-1].replace("_", " ")
        return Reject(reason=f"{_API_ERROR}: {message}", raw=cut(raw), line=line, position=position)
    parsed = parse_arxiv_id(entry_id)
    if parsed is None:
        shown = cut(entry_id, 80) if entry_id else "missing"
        return Reject(
            reason=f"entry id is not an arXiv abstract URL ({shown})",
            raw=cut(raw),
            line=line,
            position=position,
        )
    arxiv_id, version = parsed
    title = as_text(_text(entry, ATOM + "title"))
    if title is None:
        return Reject(reason=f"entry {arxiv_id} has no title", raw=cut(raw), line=line, position=position)
    if version is None:
        version = _version_from_links(entry)
    primary = entry.find(ARXIV + "primary_category")
    return Paper(
        title=title,
        abstract=as_text(_text(entry, ATOM + "summary")) or "",
        arxiv_id=arxiv_id,
        arxiv_version=version,
        authors=[
            name
            for author in entry.findall(ATOM + "author")
            if (name := as_text(_text(author, ATOM + "name")))
        ],
        published=iso_date(_text(entry, ATOM + "published")),
        updated=iso_date(_text(entry, ATOM + "updated")),
        categories=text_list([category.get("term") for category in entry.findall(ATOM + "category")]),
        primary_category=as_text(primary.get("term")) if primary is not None else None,
        doi=as_text(_text(entry, ARXIV + "doi")) or _doi_from_links(entry),
        journal_ref=as_text(_text(entry, ARXIV + "journal_ref")),
        arxiv_comment=as_text(_text(entry, ARXIV + "comment")),
        line=line,
        position=position,
    )


def _links(entry: ET.Element) -> Iterator[ET.Element]:
    return iter(entry.findall(ATOM + "link"))


def _version_from_links(entry: ET.Element) -> int | None:
    for link in _links(entry):
        parsed = parse_arxiv_id(link.get("href") or "")
        if parsed and parsed[1] is not None:
            return parsed[1]
    return None


def _doi_from_links(entry: ET.Element) -> str | None:
    for link in _links(entry):
        if link.get("title") == "doi" and link.get("href"):
            return _DOI_URL.sub("", link.get("href", "").strip()) or None
    return None
