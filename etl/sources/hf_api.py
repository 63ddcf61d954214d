"""Hugging Face Daily Papers API responses (``/api/daily_papers?date=YYYY-MM-DD``) as papers.

Shapes met in the archive, all read:

- a JSON array of items ``{"paper": {...}, "title": ..., "publishedAt": ..., "numComments": ...}``;
- the same array wrapped in an envelope ``{"status": "success", "date": ..., "count": N, "data": [...]}``;
- items that are Python ``repr()`` strings of such a dict (``{'paper': {... 'hidden': False}}``),
  read with ``ast.literal_eval`` (never ``eval``) below a size limit.

Everything else becomes a ``Reject`` with its 1-based array position and line: bare strings, items
of the wrong type, items without a title or with an id that is not an arXiv id, and the tail of an
array that is cut off or broken (each complete item before the break is still read).

Field semantics (what the loader receives):

- ``listed_at``: when the paper was put on Daily Papers: ``paper.submittedOnDailyAt`` (from 2025-03),
  else the item's ``publishedAt``; normalized to UTC ``YYYY-MM-DDTHH:MM:SSZ``.
- ``published``: ``paper.publishedAt`` (the arXiv publication time), as an ISO date.
- ``authors``: every ``paper.authors[].name`` in order, hidden ones included: ``hidden`` means the
  claiming user hid the paper from their Hugging Face profile, not that the person is not an author
  (the archive's 26 hidden authors are real first/middle authors). ``name`` is the name on the paper,
  never ``user.fullname`` (the claiming account, sometimes somebody else).
- ``organization``: the organization's display name (``fullname``, e.g. "ByteDance Seed"), else its
  slug (``name``, "ByteDance-Seed"). Read from the item's or the paper's ``organization``, else the
  item's ``submitterOrganization``: the API used that key from 2025-09-29 to 2025-10-02 and
  ``organization`` from 2025-10-03 on, for the same object.
- ``ai_keywords``: cleaned, blanks and repeats dropped (9 papers list a keyword twice), order kept.
- ``github_repo`` / ``project_page``: trimmed, otherwise as given (URL repair is the links stage's).
"""

from __future__ import annotations

import ast
import json
import re
from typing import Any

from etl.text.identity import normalize_arxiv_id
from etl.text.normalize import clean_text
from etl.sources.records import Item, Listing, Paper, Reject, cut
from etl.sources._common import (
    LineIndex,
    as_int,
    as_text,
    as_url,
    iso_date,
    iso_datetime_utc,
    text_list,
)
from etl.sources.errors import SourceError

SOURCE = "hf-api"
# Reasons of the reject for a cut-off or broken array start with this (the fetcher retries those).
BROKEN = "the JSON is cut off or broken"

# The largest repr() item in the archive is 55 kB; literal_eval's cost and recursion grow with size.
REPR_LIMIT = 1_000_000

_DECODER = json.JSONDecoder()
_WHITESPACE = re.compile(r"[ \t\n\r]*")
# How a JSON array starts; "[1]Hugging Face", a text browser's numbered link, is not one.
JSON_ARRAY_START = re.compile(
    r'\[\s*(?:[{\["\]]|-?\d+(?:\.\d+)?\s*(?:,|\](?=\s*(?:$|[,\]}])))|true\b|false\b|null\b)')
# An arXiv metadata line also starts with "{"; an API object is recognised by its keys.
_API_OBJECT_KEY = re.compile(r'"(?:data|paper)"\s*:')


def sniff(text: str) -> bool:
    """True when ``text`` looks like a Daily Papers API response (a JSON array or its envelope)."""
    head = text[:65536].lstrip("\ufeff \t\r\n")
    if head.startswith("["):
        return JSON_ARRAY_START.match(head.replace("\x00", "")) is not None
    return head.startswith("{") and _API_OBJECT_KEY.search(head) is not None


def parse(text: str) -> Listing:
    """Read one API response. Raises ``SourceError`` only when the text is not JSON-shaped at all.

    The listing's ``date`` is set only when the response states one (the envelope's ``date``);
    otherwise the loader takes it from the file name.
    """
    start = _skip_whitespace(text, 1 if text.startswith("\ufeff") else 0)
    if start >= len(text):
        raise SourceError(None, None, "empty: no JSON in the text")
    lines = LineIndex(text)
    opener = text[start]
    if opener == "[":
        items: list[Item] = []
        end = _read_array(text, start, lines, items)
        if end is not None:
            items.extend(_trailing(text, end, lines))
        return Listing(source=SOURCE, items=items)
    if opener == "{":
        return _read_envelope(text, start, lines)
    raise SourceError(
        None,
        lines.line_of(start),
        f"not a Daily Papers API response: expected a JSON array or object, found {text[start : start + 40]!r}",
    )


def _skip_whitespace(text: str, index: int) -> int:
    match = _WHITESPACE.match(text, index)
    return match.end() if match else index


def _read_envelope(text: str, start: int, lines: LineIndex) -> Listing:
    """Walk an object member by member so that a cut-off ``data`` array still yields its items."""
    items: list[Item] = []
    listing = Listing(source=SOURCE, items=items)
    index = _skip_whitespace(text, start + 1)
    found_data = False
    keys: list[str] = []
    while index < len(text) and text[index] != "}":
        try:
            key, index = _DECODER.raw_decode(text, index)
            index = _skip_whitespace(text, index)
            if not isinstance(key, str) or text[index : index + 1] != ":":
                raise ValueError("expected a quoted key followed by ':'")
            index = _skip_whitespace(text, index + 1)
            keys.append(key)
            if key == "data" and text[index : index + 1] == "[":
                found_data = True
                end = _read_array(text, index, lines, items)
                if end is None:  # a broken tail, already reported
                    return listing
                index = end
            else:
                value, index = _DECODER.raw_decode(text, index)
                if key == "date":
                    listing.date = iso_date(value)
            index = _skip_whitespace(text, index)
            if text[index : index + 1] == ",":
                index = _skip_whitespace(text, index + 1)
        except (ValueError, RecursionError) as error:
            items.append(
                Reject(
                    reason=f"{BROKEN} inside the response object at line {lines.line_of(index)}"
                    f" ({_describe(error)}); nothing after it could be read",
                    raw=cut(text[index:]),
                    line=lines.line_of(index),
                )
            )
            return listing
    if not found_data:
        items.append(
            Reject(
                reason='a JSON object without a "data" list of papers'
                + (f" (its keys: {', '.join(keys[:10])})" if keys else ""),
                raw=cut(text[start:]),
                line=lines.line_of(start),
            )
        )
    return listing


def _read_array(text: str, start: int, lines: LineIndex, items: list[Item]) -> int | None:
    """Append the items of the array at ``text[start] == '['`` one at a time, so that a broken tail
    loses no complete item before it. Returns the offset after the closing bracket, or None when
    the array is broken (the tail is then one Reject)."""
    index = _skip_whitespace(text, start + 1)
    if text[index : index + 1] == "]":
        return index + 1
    position = 0
    while True:
        position += 1
        item_start = index
        try:
            value, index = _DECODER.raw_decode(text, index)
        except (ValueError, RecursionError) as error:
            items.append(_broken_tail(text, item_start, position, lines, error))
            return None
        items.append(_item(value, text[item_start:index], position, lines.line_of(item_start)))
        index = _skip_whitespace(text, index)
        separator = text[index : index + 1]
        if separator == ",":
            index = _skip_whitespace(text, index + 1)
        elif separator == "]":
            return index + 1
        else:
            problem = "expected ',' or ']' after the item" if separator else "the text ends inside the array"
            items.append(_broken_tail(text, index, position + 1, lines, ValueError(problem)))
            return None


def _trailing(text: str, index: int, lines: LineIndex) -> list[Reject]:
    """Anything but white space after the top-level array is reported, not silently dropped."""
    rest_start = _skip_whitespace(text, index)
    if rest_start >= len(text):
        return []
    return [
        Reject(
            reason="unexpected text after the end of the JSON array",
            raw=cut(text[rest_start:]),
            line=lines.line_of(rest_start),
        )
    ]


def _broken_tail(text: str, offset: int, position: int, lines: LineIndex, error: BaseException) -> Reject:
    where = ""
    if isinstance(error, json.JSONDecodeError):
        where = f" at line {error.lineno}, column {error.colno}"
    remaining = len(text) - offset
    return Reject(
        reason=f"{BROKEN}{where} ({_describe(error)}); the rest of the array"
        f" ({remaining} characters from item {position} on) could not be read",
        raw=cut(text[offset:]),
        line=lines.line_of(offset),
        position=position,
    )


def _describe(error: BaseException) -> str:
    if isinstance(error, RecursionError):
        return "nested too deeply"
    if isinstance(error, json.JSONDecodeError):
        return error.msg
    return str(error) or type(error).__name__


def _item(value: Any, raw: str, position: int, line: int) -> Item:
    """One array element as a Paper, or a Reject saying what it is instead."""
    if isinstance(value, str):
        decoded = _decode_string_item(value)
        if isinstance(decoded, Reject):
            decoded.raw, decoded.position, decoded.line = cut(raw), position, line
            return decoded
        value = decoded
    if not isinstance(value, dict):
        return Reject(
            reason=f"a JSON {_json_type(value)} where a paper object was expected",
            raw=cut(raw),
            line=line,
            position=position,
        )
    return paper_from_item(value, raw, position=position, line=line)


def _decode_string_item(value: str) -> dict[str, Any] | Reject:
    """A string item: a dict serialized as repr() (or as JSON) is read; anything else is rejected."""
    stripped = value.strip()
    if not stripped.startswith("{"):
        return Reject(
            reason=f"a bare string {cut(value, 80)!r} where a paper object was expected", raw=cut(value)
        )
    if len(stripped) > REPR_LIMIT:
        return Reject(
            reason=f"a string item of {len(stripped)} characters, too long to read as a Python dict"
            f" (limit {REPR_LIMIT})",
            raw=cut(value),
        )
    decoded: Any = None
    try:
        decoded = json.loads(stripped)
    except (ValueError, RecursionError):
        try:
            # literal_eval only builds literals (no names, calls or attributes): safe on any input.
            decoded = ast.literal_eval(stripped)
        except (ValueError, TypeError, SyntaxError, MemoryError, RecursionError) as error:
            return Reject(
                reason=f"a string that is neither JSON nor a Python dict literal ({type(error).__name__})",
                raw=cut(value),
            )
    if not isinstance(decoded, dict):
        return Reject(
            reason=f"a string holding a {type(decoded).__name__} where a paper object was expected",
            raw=cut(value),
        )
    return decoded


def _json_type(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, (int, float)):
        return "number"
    if isinstance(value, list):
        return "array"
    return type(value).__name__


def paper_from_item(
    item: dict[str, Any], raw: str, *, position: int | None = None, line: int | None = None
) -> Item:
    """Map one API item (already a dict) to a ``Paper``; a Reject when it has no usable title or id."""
    paper = item.get("paper")
    if paper is None and ("id" in item or "summary" in item):
        paper = item  # the bare paper object, as /api/papers/{id} returns it
    if not isinstance(paper, dict):
        return Reject(
            reason='an item without a "paper" object'
            if paper is None
            else f'an item whose "paper" is a JSON {_json_type(paper)}, not an object',
            raw=cut(raw),
            line=line,
            position=position,
        )
    title = as_text(item.get("title")) or as_text(paper.get("title"))
    if title is None:
        return Reject(reason="a paper without a title", raw=cut(raw), line=line, position=position)
    raw_id = paper.get("id")
    arxiv_id = None
    if raw_id is not None:
        arxiv_id = normalize_arxiv_id(raw_id) if isinstance(raw_id, str) else None
        if arxiv_id is None:
            return Reject(
                reason=f"paper id {cut(str(raw_id), 80)!r} is not an arXiv id",
                raw=cut(raw),
                line=line,
                position=position,
            )
    abstract = as_text(paper.get("summary")) or as_text(item.get("summary")) or ""
    return Paper(
        title=title,
        abstract=abstract,
        arxiv_id=arxiv_id,
        upvotes=as_int(paper.get("upvotes")),
        authors=_authors(paper.get("authors")),
        published=iso_date(paper.get("publishedAt")),
        listed_at=iso_datetime_utc(paper.get("submittedOnDailyAt"))
        or iso_datetime_utc(item.get("publishedAt")),
        comments_count=as_int(item.get("numComments")),
        github_repo=as_url(paper.get("githubRepo")),
        github_stars=as_int(paper.get("githubStars")),
        project_page=as_url(paper.get("projectPage")),
        ai_summary=as_text(paper.get("ai_summary")),
        ai_keywords=text_list(paper.get("ai_keywords")),
        organization=_organization(item, paper),
        line=line,
        position=position,
    )


def _authors(value: Any) -> list[str]:
    if not isinstance(value, list):
        return []
    names = []
    for author in value:
        name = author.get("name") if isinstance(author, dict) else author
        if isinstance(name, str) and (cleaned := clean_text(name)):
            names.append(cleaned)
    return names


def _organization(item: dict[str, Any], paper: dict[str, Any]) -> str | None:
    for value in (item.get("organization"), paper.get("organization"), item.get("submitterOrganization")):
        if isinstance(value, dict):
            name = as_text(value.get("fullname")) or as_text(value.get("name"))
            if name:
                return name
        elif isinstance(value, str) and (name := as_text(value)):
            return name
    return None
