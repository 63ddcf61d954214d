"""Daily Papers text captures: what people copy from https://huggingface.co/papers, in any of its shapes.

One parser reads every shape without being told which one it has:

- ``paste``: header lines, a date line, then title and abstract paragraphs separated by blank lines;
- ``compact``: the same with one line per paragraph and no blank lines;
- ``pagecopy``: the whole page copied, with upvote lines (`` [-] 19``), "Submitted by X", the paper URL
  (which carries the arXiv id), "N authors", "·" and date lines around each title and abstract;
- ``markdown``: a text-browser capture: ``### [Title][3]`` headings (wrapped onto several ``###``
  lines), abstracts hard-wrapped at a fixed width inside ``[`` / ``][4]`` link lines, "* N authors",
  the paper's date and its upvote count in a link block after each abstract.

Every line is first classified on its own (blank, page chrome, date, upvote button, count, "N authors",
"Submitted by", paper URL, markdown heading, link markup, or text). Text lines are grouped into
paragraphs: joined when the capture is hard-wrapped (a greedy-wrap test at the width measured on the
file), kept one per line in compact captures, and grouped between blank lines otherwise. A small state
machine then pairs titles with abstracts by structure: a heading is always a title; after a paper URL
comes an abstract; otherwise a paragraph is a title when it is short and does not end like a sentence,
and an abstract when it is long or ends with a period. Anything that cannot be placed becomes a
``Reject`` with its line, never an exception.

The listing's date line ("Mar 14") is kept as text; its year is never guessed, so ``Listing.date`` is
None: the loader takes the date from ``--date`` or the file name.
"""

from __future__ import annotations

import datetime as dt
import re
from collections import deque
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import Any

from etl.identity import normalize_arxiv_id
from etl.normalize import clean_text, parse_int
from etl.records import Item, Listing, Paper, Reject, cut

SOURCE = "hf-text"

# --- line classification ---------------------------------------------------------------------------

BLANK, CHROME, DATE, VOTE, COUNT, AUTHORS, SUBMITTED, PAPER_URL, HEADING, TEXT = (
    "blank", "chrome", "date", "vote", "count", "authors", "submitted", "paper_url", "heading", "text",
)

# The page's own words, compared without case, spaces or punctuation ("byAK and the research community"
# and "## by[AK][1] and the research community" give the same key). These are interface strings of
# the Daily Papers page, never paper titles.
_CHROME_PHRASES = (
    "new", "Subscribe", "Get trending papers in your email inbox!",
    "Get trending papers in your email inbox once a day!",
    "byAK and the research community", "by", "AK", "and the research community",
    "Daily Papers", "Daily Papers - Hugging Face", "Hugging Face", "Daily", "Weekly", "Monthly",
    "Models", "Datasets", "Spaces", "Posts", "Docs", "Enterprise", "Pricing", "Log In", "Sign Up",
    "Search models, datasets, users...",
)


_LINK_REF = re.compile(r"\]\[[^\]]*\]|\]\([^)]*\)")
_NON_WORD = re.compile(r"[\W_]+")


def _chrome_key(text: str) -> str:
    return _NON_WORD.sub("", _LINK_REF.sub("", text)).casefold()


_CHROME_KEYS = frozenset(_chrome_key(phrase) for phrase in _CHROME_PHRASES)

_MONTH = (
    r"(?P<{0}>jan(?:uary)?|feb(?:ruary)?|mar(?:ch)?|apr(?:il)?|may|june?|july?|aug(?:ust)?"
    r"|sep(?:t(?:ember)?)?|oct(?:ober)?|nov(?:ember)?|dec(?:ember)?)\.?"
)
_DATE = re.compile(
    r"(?:(?:published|submitted) on\s+)?(?:"
    + _MONTH.format("m1") + r"\s+(?P<d1>\d{1,2})(?:st|nd|rd|th)?(?:,?\s+(?P<y1>\d{4}))?"
    + r"|(?P<d2>\d{1,2})\s+" + _MONTH.format("m2") + r"(?:,?\s+(?P<y2>\d{4}))?"
    + r"|(?P<y3>\d{4})-(?P<m3>\d{2})-(?P<d3>\d{2}))",
    re.IGNORECASE,
)
_MONTHS = {name: number for number, name in enumerate(
    ("jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"), start=1)}

_NUMBER = r"\d+(?:[.,]\d+)*\s*[kKmM]?"
# The upvote button: " [-] 19" in a page copy (button and count on one line, before the card), or "-"
# alone inside a markdown link block (the count comes after the card's date line).
_VOTE = re.compile(
    rf"\[\s*[-\u2013\u2014^\u25b2\u25b3\u2191]?\s*\]\s*(?P<count>{_NUMBER})?"  # [-] 19
    rf"|-"  # markdown
    rf"|[\u25b2\u25b3\u2191]\s*(?P<count2>{_NUMBER})?"  # an arrow and its count
)
_COUNT = re.compile(_NUMBER)
_AUTHORS = re.compile(r"(?:[*+\u2022\u00b7-]\s*)?(?P<n>\d[\d,]*)\s+authors?", re.IGNORECASE)
_SUBMITTED = re.compile(r"submitted by\b\s*(?P<name>.*)", re.IGNORECASE)
_SEPARATOR = re.compile(r"[\u00b7\u2022|]+")
_URL = re.compile(
    r"<?(?P<url>(?:https?://)?(?:www\.)?(?:huggingface\.co|hf\.co|arxiv\.org|export\.arxiv\.org)/\S+?)>?"
    r"|(?P<id>arxiv:\s*\S+|\d{4}\.\d{4,5}(?:v\d+)?)",
    re.IGNORECASE,
)
_HEADING = re.compile(r"(?P<marks>#{1,6})(?:\s+(?P<content>.*))?")
# Link syntax that is not text: "[" and "][4]" around a markdown block, "](https://...)", and
# reference definitions "[3]: https://..." (read beforehand for arXiv ids, see _link_definitions).
_MARKUP = re.compile(r"\[|\]\s*(?:\[[^\]]*\]|\([^)]*\))?|\[[^\]]+\]:\s*\S+.*")
_LINK_DEFINITION = re.compile(r"^[ \t]*\[([^\]\n]+)\]:[ \t]*<?([^\s>]+)", re.MULTILINE)
# "[Title][3]" or "[Title](https://huggingface.co/papers/...)", the title possibly over several lines.
_MARKDOWN_TITLE = re.compile(r"\[(?P<label>.*)\](?:\[(?P<ref>[^\]]*)\]|\((?P<url>[^)\s]*)[^)]*\))", re.DOTALL)

# A line longer than this is prose: no capture hard-wraps at such a width.
_SHORT_LINE = 250
# No page word, date, count or "N authors" line is longer than this; a longer line is prose unless it
# starts like a heading, link markup, a URL or "Submitted by". Only shorter lines are cleaned and
# matched against all the patterns above, which keeps classification cheap on hard-wrapped text.
_META_MAX = 64
# Lines that markdown captures repeat on every card, classified without the pattern chain.
_FIXED_LINES = {"[": BLANK, "]": BLANK, "\u00b7": BLANK, "-": VOTE, "[-]": VOTE}
_LONG_META_START = re.compile(r"(?i)<?(?:https?:|www\.|huggingface\.co|hf\.co|arxiv|submitted by)")
_TITLE_MAX = 300  # longest paragraph taken for a title (real titles: up to ~250 characters)
_ABSTRACT_MIN = 200  # a paragraph this long is an abstract whatever its punctuation


@dataclass(slots=True)
class _Line:
    number: int
    kind: str
    text: str  # the line stripped (TEXT), or cleaned (other kinds)
    value: Any = None  # count, arXiv id, (level, content) of a heading, ISO date, ...
    raw: str = ""  # the line as in the file, for TEXT: paragraphs are cleaned from their raw lines


def _arxiv_id_from_url(url: str) -> str | None:
    url = re.split(r"[?#]", url, maxsplit=1)[0].rstrip("/")
    if re.match(r"(?i)(?:https?://)?(?:www\.)?hf\.co/", url):
        url = re.sub(r"(?i)^(?:https?://)?(?:www\.)?hf\.co/", "https://huggingface.co/", url)
    elif not re.match(r"(?i)https?://", url):
        url = "https://" + url
    return normalize_arxiv_id(url)


def _iso_date(match: re.Match[str]) -> str | None:
    """ISO date of a date line when it shows a year; None without one (the year is never guessed)."""
    groups = match.groupdict()
    year = groups["y1"] or groups["y2"] or groups["y3"]
    if not year:
        return None
    if groups["y3"]:
        month, day = int(groups["m3"]), int(groups["d3"])
    else:
        name = (groups["m1"] or groups["m2"]).lower()[:3]
        month, day = _MONTHS[name], int(groups["d1"] or groups["d2"])
    try:
        return dt.date(int(year), month, day).isoformat()
    except ValueError:
        return None


def _classify(number: int, raw: str) -> _Line:
    line = _classify_text(number, raw)
    line.raw = raw
    return line


def _classify_text(number: int, raw: str) -> _Line:
    stripped = raw.strip()
    if not stripped:
        return _Line(number, BLANK, "")
    fixed = _FIXED_LINES.get(stripped)
    if fixed is not None:
        return _Line(number, fixed, stripped)
    if stripped[0] == "]" and _MARKUP.fullmatch(stripped):
        return _Line(number, BLANK, stripped)
    if len(stripped) > _META_MAX and stripped[0] not in "#[]" and not _LONG_META_START.match(stripped):
        return _Line(number, TEXT, stripped)  # most lines: prose, no need to clean and match it here
    text = clean_text(stripped)
    if not text:
        return _Line(number, BLANK, "")
    first = text[0]
    if first == "#":
        heading = _HEADING.fullmatch(text)
        if heading:
            content = heading.group("content") or ""
            key = _chrome_key(content)
            if key in _CHROME_KEYS or not key:
                return _Line(number, CHROME, text)
            return _Line(number, HEADING, text, (len(heading.group("marks")), content))
    if first in "[]" and _MARKUP.fullmatch(text):
        return _Line(number, BLANK, text)
    if first in "[-\u25b2\u25b3\u2191":
        vote = _VOTE.fullmatch(text)
        if vote:
            count = vote.group("count") or vote.group("count2")
            return _Line(number, VOTE, text, parse_int(count) if count else None)
    if first.isdigit() or first in "*+-\u2022\u00b7":
        authors = _AUTHORS.fullmatch(text)
        if authors:
            return _Line(number, AUTHORS, text, parse_int(authors.group("n")))
    url = _URL.fullmatch(text)
    if url:
        arxiv_id = _arxiv_id_from_url(url.group("url")) if url.group("url") else normalize_arxiv_id(
            re.sub(r"(?i)^arxiv:\s*", "", url.group("id")))
        if arxiv_id:
            return _Line(number, PAPER_URL, text, arxiv_id)
    if first.isdigit() and _COUNT.fullmatch(text):
        count = parse_int(text)
        if count is not None:
            return _Line(number, COUNT, text, count)
    date = _DATE.fullmatch(text)
    if date:
        return _Line(number, DATE, text, _iso_date(date))
    if first in "Ss":
        submitted = _SUBMITTED.fullmatch(text)
        if submitted:
            return _Line(number, SUBMITTED, text, submitted.group("name"))
    if _SEPARATOR.fullmatch(text):
        return _Line(number, BLANK, text)
    key = _chrome_key(text)
    if key in _CHROME_KEYS:
        return _Line(number, CHROME, text)
    if not key and len(text) <= 10:
        return _Line(number, BLANK, text)  # a rule or decoration such as "---" or "* * *"
    return _Line(number, TEXT, stripped)


# --- lines -----------------------------------------------------------------------------------------


def _prepare(text: str) -> str:
    text = text.removeprefix("\ufeff")
    if "\r" in text:  # CRLF and lone CR end lines as they do in an editor
        text = text.replace("\r\n", "\n").replace("\r", "\n")
    return text


def _iter_lines(text: str) -> Iterator[tuple[int, str]]:
    """(1-based number, line) without building a list: listings can be gigabytes."""
    find = text.find
    start, number = 0, 1
    while True:
        end = find("\n", start)
        if end < 0:
            if start < len(text):
                yield number, text[start:]
            return
        yield number, text[start:end]
        start, number = end + 1, number + 1


def _first_word_length(line: str) -> int:
    space = line.find(" ")
    return len(line) if space < 0 else space


# --- layout: how text lines form paragraphs ---------------------------------------------------------

LINES, BLOCKS, WRAPPED = "lines", "blocks", "wrapped"
_SAMPLE_LINES = 5000
_SAMPLE_CHARS = 4_000_000


@dataclass(slots=True)
class _Layout:
    mode: str  # LINES: one paragraph per line; BLOCKS: lines until a blank; WRAPPED: greedy-wrap test
    width: int = 0  # wrap width measured on the file, for WRAPPED
    shape: str | None = None
    markdown: bool = False


def _measure(sample: list[_Line]) -> _Layout:
    """Decide, from the first lines of the file, how its text lines make paragraphs, and its shape."""
    followed_by_text: list[tuple[int, int]] = []  # (line length, first word of the next line)
    text_then_text = text_then_other = 0
    headings = pagecopy_marks = 0
    for line, after in zip(sample, sample[1:] + [None]):
        if line.kind == HEADING:
            headings += 1
        elif line.kind in (PAPER_URL, SUBMITTED) or (line.kind == VOTE and line.value is not None):
            pagecopy_marks += 1
        if line.kind != TEXT:
            continue
        if after is not None and after.kind == TEXT:
            text_then_text += 1
            if len(line.text) <= _SHORT_LINE:
                followed_by_text.append((len(line.text), _first_word_length(after.text)))
        else:
            text_then_other += 1

    width = 0
    wraps = 0
    if len(followed_by_text) >= 3:
        lengths = sorted(length for length, _ in followed_by_text)
        width = lengths[min(len(lengths) - 1, len(lengths) * 95 // 100)]  # robust to one over-long line
        wraps = sum(1 for length, word in followed_by_text if _wraps(length, word, width))
        if wraps < 0.6 * len(followed_by_text):
            width = wraps = 0
    # Paragraphs that end without a blank line after them: one line per paragraph (compact).
    compact = text_then_text - wraps > text_then_other
    mode = WRAPPED if width else LINES if compact else BLOCKS

    markdown = headings > 0
    if markdown:
        shape: str | None = "markdown"
    elif pagecopy_marks:
        shape = "pagecopy"
    elif text_then_text + text_then_other == 0:
        shape = None
    else:
        shape = "compact" if compact else "paste"
    return _Layout(mode, width, shape, markdown)


def _wraps(length: int, next_word: int, width: int) -> bool:
    """Greedy wrapping: the line ended because the next word did not fit on it."""
    return length >= width or length + 1 + next_word > width


def _joins(layout: _Layout, previous: str, line: str) -> bool:
    if layout.mode == BLOCKS:
        return True
    if layout.mode == WRAPPED:
        return len(previous) <= _SHORT_LINE and _wraps(len(previous), _first_word_length(line), layout.width)
    return False


# --- units: paragraphs, titles and metadata ---------------------------------------------------------


@dataclass(slots=True)
class _Unit:
    kind: str  # TEXT, HEADING (a title), or a metadata kind
    line: int
    text: str = ""  # cleaned paragraph or title
    raw: str = ""
    value: Any = None  # as _Line.value; for HEADING the arXiv id of its link, if any


def _units(lines: Iterable[_Line], layout: _Layout, link_ids: dict[str, str]) -> Iterator[_Unit]:
    paragraph: list[str] = []  # raw lines
    paragraph_end = ""  # the last line, stripped, for the wrap test
    paragraph_line = 0
    heading: list[str] = []
    heading_line = heading_level = 0

    def flush_paragraph() -> Iterator[_Unit]:
        raw = "\n".join(paragraph)
        paragraph.clear()
        text = clean_text(raw)
        if text:
            yield _Unit(TEXT, paragraph_line, text, raw)

    def flush_heading() -> Iterator[_Unit]:
        raw = "\n".join(heading)
        heading.clear()
        label, arxiv_id = raw, None
        link = _MARKDOWN_TITLE.fullmatch(raw)
        if link:
            label = link.group("label")
            if link.group("url"):
                arxiv_id = _arxiv_id_from_url(link.group("url"))
            elif link.group("ref") is not None:
                arxiv_id = link_ids.get(link.group("ref") or link.group("label"))
        title = clean_text(label)
        if title:
            yield _Unit(HEADING, heading_line, title, raw, arxiv_id)
        else:
            yield _Unit(TEXT, heading_line, clean_text(raw), raw)  # "### []": not placeable, reported

    for line in lines:
        kind = line.kind
        # A short line that looks like metadata or a page word but continues a paragraph is text
        # (an abstract whose wrapped last line is a URL or a year, a title that wraps before "models").
        if (paragraph and kind in (PAPER_URL, COUNT, DATE, AUTHORS, CHROME) and layout.mode != LINES
                and not line.text.startswith("#") and _joins(layout, paragraph_end, line.text)):
            kind = TEXT
            line = _Line(line.number, TEXT, line.raw.strip(), raw=line.raw)
        if kind == TEXT:
            if heading:
                yield from flush_heading()
            if paragraph and not _joins(layout, paragraph_end, line.text):
                yield from flush_paragraph()
            if not paragraph:
                paragraph_line = line.number
            paragraph.append(line.raw)
            paragraph_end = line.text
            continue
        if paragraph:
            yield from flush_paragraph()
        if kind == HEADING:
            level, content = line.value
            if heading and level != heading_level:
                yield from flush_heading()
            if not heading:
                heading_line, heading_level = line.number, level
            heading.append(content)
            continue
        if heading:
            yield from flush_heading()
        if kind in (BLANK, CHROME):
            continue
        yield _Unit(kind, line.number, line.text, line.text, line.value)
    if paragraph:
        yield from flush_paragraph()
    if heading:
        yield from flush_heading()


# --- records: pairing titles and abstracts ---------------------------------------------------------


def _looks_like_title(text: str) -> bool:
    return len(text) <= _TITLE_MAX and not text.endswith(".")


def _looks_like_abstract(text: str) -> bool:
    return len(text) >= _ABSTRACT_MIN or (text.endswith(".") and " " in text)


@dataclass(slots=True)
class _Open:
    """The paper being read: its title, and what the capture showed around it so far."""

    title: str
    line: int
    raw: str
    structural: bool  # a heading, or a title followed by its paper URL: the next paragraph is the abstract
    abstract: str | None = None
    arxiv_id: str | None = None
    upvotes: int | None = None
    author_count: int | None = None
    published: str | None = None


@dataclass(slots=True)
class _Pending:
    """Metadata a card shows before its title (page copy: the upvote count)."""

    upvotes: int | None = None
    arxiv_id: str | None = None
    author_count: int | None = None


_CONTENT = (TEXT, HEADING, VOTE, SUBMITTED)


class _Assembler:
    def __init__(self, units: Iterator[_Unit]) -> None:
        self.units = units
        self.buffer: deque[_Unit] = deque()
        self.current: _Open | None = None
        self.pending = _Pending()
        self.position = 0
        self.deferred: deque[tuple[_Unit, str]] = deque()

    def _next(self) -> _Unit | None:
        if self.buffer:
            return self.buffer.popleft()
        return next(self.units, None)

    def _peek_content(self) -> _Unit | None:
        """The next title, paragraph or card boundary, reading past metadata without consuming it."""
        for unit in self.buffer:
            if unit.kind in _CONTENT:
                return unit
        for unit in self.units:
            self.buffer.append(unit)
            if unit.kind in _CONTENT:
                return unit
        return None

    def _close(self) -> Iterator[Item]:
        paper, self.current = self.current, None
        if paper is not None:
            self.position += 1
            if paper.abstract is None:
                yield Reject(
                    reason=f"line {paper.line}: a title with no abstract after it: {cut(paper.title, 200)!r}",
                    raw=cut(paper.raw), line=paper.line, position=self.position,
                )
            else:
                yield Paper(
                    title=paper.title, abstract=paper.abstract, arxiv_id=paper.arxiv_id,
                    upvotes=paper.upvotes, author_count=paper.author_count, published=paper.published,
                    line=paper.line, position=self.position,
                )
        # Paragraphs met while the paper was still open (its metadata may follow them) come after it.
        while self.deferred:
            unit, why = self.deferred.popleft()
            yield self._unplaced(unit, why)

    def _open(self, unit: _Unit, structural: bool, arxiv_id: str | None = None) -> None:
        pending, self.pending = self.pending, _Pending()
        self.current = _Open(
            title=unit.text, line=unit.line, raw=unit.raw, structural=structural or arxiv_id is not None,
            arxiv_id=arxiv_id or pending.arxiv_id, upvotes=pending.upvotes, author_count=pending.author_count,
        )

    def _unplaced(self, unit: _Unit, why: str) -> Reject:
        self.position += 1
        return Reject(
            reason=f"line {unit.line}: a paragraph of {len(unit.text):,} characters {why}",
            raw=cut(unit.raw), line=unit.line, position=self.position,
        )

    def _starts_paper(self, unit: _Unit) -> bool:
        """A paragraph opens a paper when it reads like a title, or when an abstract follows it."""
        if _looks_like_title(unit.text):
            return True
        if len(unit.text) > _TITLE_MAX:
            return False
        following = self._peek_content()
        return (following is not None and following.kind == TEXT and _looks_like_abstract(following.text)
                and len(following.text) > len(unit.text))

    def items(self) -> Iterator[Item]:
        while (unit := self._next()) is not None:
            kind = unit.kind
            current = self.current
            if kind == TEXT:
                if current is not None and current.abstract is None:
                    text = unit.text
                    if current.structural or _looks_like_abstract(text) or not _looks_like_title(text):
                        current.abstract = text
                        continue
                    yield from self._close()  # the previous title had no abstract: this is a new title
                    self._open(unit, structural=False)
                    continue
                if self._starts_paper(unit):
                    yield from self._close()
                    self._open(unit, structural=False)
                elif current is None:
                    yield self._unplaced(unit, "with no title before it (an abstract without its title?)")
                else:
                    title = cut(current.title, 120)
                    why = f"after the abstract of {title!r}, and it does not read like a title"
                    self.deferred.append((unit, why))
            elif kind == HEADING:
                yield from self._close()
                self._open(unit, structural=True, arxiv_id=unit.value)
            elif kind == VOTE:
                yield from self._close()
                self.pending = _Pending(upvotes=unit.value)
            elif kind == SUBMITTED:
                yield from self._close()
            elif kind == PAPER_URL:
                if current is not None and current.arxiv_id is None:
                    current.arxiv_id = unit.value
                    if current.abstract is None:
                        current.structural = True
                else:
                    self.pending.arxiv_id = unit.value
            elif kind == AUTHORS:
                if current is not None and current.author_count is None:
                    current.author_count = unit.value
                else:
                    self.pending.author_count = unit.value
            elif kind == COUNT:
                # Markdown captures show the count after the card's date: it belongs to the open paper.
                if current is not None and current.upvotes is None:
                    current.upvotes = unit.value
                else:
                    self.pending.upvotes = unit.value
            # The listing's own date line comes before any paper (parse reads it); a date line
            # inside a card is the paper's date, kept when it shows its year (page copies).
            elif kind == DATE and current is not None and unit.value and current.published is None:
                current.published = unit.value
        yield from self._close()


# --- public API --------------------------------------------------------------------------------------

_JSON_START = re.compile(r'\[\s*(?:[{\["\]]|-?\d+(?:\.\d+)?\s*[,\]]|true\b|false\b|null\b)')


def sniff(text: str) -> bool:
    """True when ``text`` looks like a Daily Papers text capture (any shape), not JSON, XML or binary."""
    head = text[:65536].lstrip("\ufeff \t\r\n\u00a0")
    if not head:
        return False
    if head[0] in "{<" or (head[0] == "[" and _JSON_START.match(head)):
        return False
    probe = head[:4096]
    unreadable = sum(1 for char in probe if (char < " " and char not in "\t\r\n") or char == "\ufffd")
    return unreadable <= len(probe) // 20


def _link_definitions(text: str) -> dict[str, str]:
    """Markdown reference definitions ("[3]: https://huggingface.co/papers/2503.10613") that name a paper."""
    ids: dict[str, str] = {}
    for match in _LINK_DEFINITION.finditer(text):
        arxiv_id = _arxiv_id_from_url(match.group(2))
        if arxiv_id:
            ids[match.group(1)] = arxiv_id
    return ids


def parse(text: str) -> Listing:
    """Parse a Daily Papers text capture.

    ``items`` is a lazy iterator of ``Paper`` and ``Reject`` (iterate it once); ``shape`` and
    ``date_text`` are read from the start of the file before it is returned.
    """
    text = _prepare(text)
    sample: list[_Line] = []
    sampled_chars = 0
    for number, raw in _iter_lines(text):
        sample.append(_classify(number, raw))
        sampled_chars += len(raw) + 1
        if len(sample) >= _SAMPLE_LINES or sampled_chars >= _SAMPLE_CHARS:
            break
    layout = _measure(sample)
    link_ids = _link_definitions(text) if layout.markdown and "]:" in text else {}

    # The listing's date line comes before its first card or title, so within the sample: read it
    # now so that the Listing carries it before its items are consumed.
    date_text = date = None
    for line in sample:
        if line.kind in (TEXT, HEADING, VOTE, SUBMITTED):
            break
        if line.kind == DATE:
            date_text, date = line.text, line.value  # an ISO date only when the line shows the year
            break

    def items() -> Iterator[Item]:
        lines = (_classify(number, raw) for number, raw in _iter_lines(text))
        count = 0
        for item in _Assembler(_units(lines, layout, link_ids)).items():
            count += 1
            yield item
        if count == 0 and clean_text(text):
            # A capture of the page's header alone (the copy missed the cards): say so, never silently.
            last_line = text.count("\n") + 1
            yield Reject(
                f"lines 1-{last_line}: no paper in this capture, only page header lines", cut(text), 1, 1
            )

    return Listing(source=SOURCE, items=items(), shape=layout.shape, date_text=date_text, date=date)
