"""Small helpers the source parsers share: dates, typed field access, offsets to line numbers."""

from __future__ import annotations

import bisect
import re
from datetime import UTC, date, datetime
from email.utils import parsedate_to_datetime
from typing import Any

from etl.text.normalize import clean_text

_ISO_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")
_MONTHS = {
    name: number
    for number, name in enumerate(
        ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"], 1
    )
}
_ARXIV_CREATED = re.compile(r"^\s*[A-Z][a-z]{2}, (\d{1,2}) ([A-Z][a-z]{2}) (\d{4}) \d{2}:\d{2}:\d{2} GMT\s*$")


def iso_date(value: Any) -> str | None:
    """The calendar date of an ISO date or date-time, as written (no time-zone shift), else None.

    >>> iso_date("2024-05-24T17:34:15.000Z")
    '2024-05-24'
    """
    if not isinstance(value, str):
        return None
    text = value.strip()
    if not _ISO_DATE.match(text):
        return None
    try:
        if len(text) == 10:
            return date.fromisoformat(text).isoformat()
        return datetime.fromisoformat(text).date().isoformat()
    except ValueError:
        return None


def iso_datetime_utc(value: Any) -> str | None:
    """An ISO date-time normalized to UTC, whole seconds, ``Z`` suffix; None when unreadable.

    A value without a time zone is taken as UTC (the Daily Papers API always writes ``Z``).

    >>> iso_datetime_utc("2024-05-27T03:50:58.348Z")
    '2024-05-27T03:50:58Z'
    """
    if not isinstance(value, str) or not _ISO_DATE.match(value.strip()):
        return None
    try:
        moment = datetime.fromisoformat(value.strip())
    except ValueError:
        return None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def rfc2822_date(value: Any) -> str | None:
    """The ISO calendar date (UTC) of an RFC 2822 date such as ``Mon, 2 Apr 2007 19:18:42 GMT``."""
    if not isinstance(value, str) or not value.strip():
        return None
    fast = _ARXIV_CREATED.match(value)
    if fast:  # the snapshot's own shape, "Mon, 2 Apr 2007 19:18:42 GMT": no time-zone arithmetic needed
        day, month, year = fast.groups()
        try:
            return date(int(year), _MONTHS[month], int(day)).isoformat()
        except (KeyError, ValueError):
            return None
    try:
        moment = parsedate_to_datetime(value.strip())
    except (TypeError, ValueError, IndexError, OverflowError):
        return None
    if moment.tzinfo is not None:
        moment = moment.astimezone(UTC)
    return moment.date().isoformat()


def as_int(value: Any) -> int | None:
    """An integer field, or None: booleans and numbers in strings are not counts."""
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def as_text(value: Any) -> str | None:
    """A text field through ``clean_text``, or None when absent, not a string, or blank."""
    if not isinstance(value, str):
        return None
    cleaned = clean_text(value)
    return cleaned or None


def as_url(value: Any) -> str | None:
    """A URL field trimmed, or None. Repairing URLs is the links stage's work, not the reader's."""
    if not isinstance(value, str):
        return None
    stripped = value.strip()
    return stripped or None


def text_list(values: Any) -> list[str]:
    """A list of strings cleaned, blanks and repeats dropped, first occurrence order kept."""
    if not isinstance(values, list):
        return []
    seen: dict[str, None] = {}
    for value in values:
        cleaned = as_text(value)
        if cleaned is not None:
            seen.setdefault(cleaned, None)
    return list(seen)


class LineIndex:
    """Maps a character offset in a text to its 1-based line number."""

    def __init__(self, text: str) -> None:
        self._starts = [match.start() for match in re.finditer("\n", text)]

    def line_of(self, offset: int) -> int:
        return bisect.bisect_left(self._starts, offset) + 1
