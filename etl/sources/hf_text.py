r"""Captures of huggingface.co/papers pages as text, in any shape: a reader of paper cards.

Every papers page (daily, weekly, monthly, trending, search) shows the same card: an optional upvote
count, the title (often a link to ``/papers/ARXIV_ID``), the abstract or, on trending pages, HF's
one-sentence AI summary, then meta lines (authors or "N authors", organization, a date, "Submitted
by", a comment count, GitHub/arXiv buttons). Captures differ in markup only, so reading goes:

1. ``markup.strip_markup`` removes links, reference links, images, HTML anchors, ``\\`` line ends
   and ``\ `` escapes, line for line, keeping the card's words; a button or meta link becomes a
   *fact* of its line (the paper it names, upvotes, GitHub stars, comments, organization).
2. Every line is classified on its own (blank, page chrome, date, upvote button, count, "N authors",
   "Submitted by", paper URL, bare URL, labelled field, heading, facts, or text).
3. Text lines are grouped into paragraphs: joined when the capture is hard-wrapped (a greedy-wrap
   test at the width measured on the file), kept one per line in compact captures and notebook
   exports, grouped between blank lines otherwise; the lines of one link's text, or after a hard
   break, always go together. A heading's wrapped continuation joins the heading.
4. A state machine pairs titles with texts by structure: a heading is a title; after a paper URL
   comes a text; otherwise a paragraph is a title when it is short and does not end like a
   sentence. Facts go to the card they belong to (by the arXiv id they name, else by position).
5. Each card is checked: a title that reads as running text, a URL, or is too long, or a text too
   short for an abstract, is a ``Reject`` with its reason; a card shown again identically is one
   paper; a one-sentence text of at most 400 characters on a page that is not a daily page is the
   AI summary (``ai_summary``), never the abstract.

Shapes reported (``Listing.shape``): paste, compact, pagecopy, notebook, markdown (text browser,
reference links), markdown-inline (converters, inline links), markdown-plain. ``Listing.kind`` is the
page kind, from the capture's address, title or headings. The listing's date line ("Mar 14") is kept
as text; its year is never guessed, so ``Listing.date`` is None unless the capture shows a year or
its address names the day: the loader takes the date from ``--date`` or the file name.
"""

from __future__ import annotations

import datetime as dt
import re
from collections import deque
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import Any

from etl.text.identity import normalize_arxiv_id, title_key
from etl.text.normalize import clean_text, parse_int
from etl.sources.records import Item, Listing, Paper, Reject, cut
from etl.sources.hf_api import JSON_ARRAY_START
from etl.sources.markup import Fact, has_markup, numbered_references, strip_markup

SOURCE = "hf-text"

# --- line classification ---------------------------------------------------------------------------

BLANK, CHROME, DATE, VOTE, COUNT, AUTHORS, SUBMITTED, PAPER_URL, HEADING, TEXT, FACTS, URL = (
    "blank", "chrome", "date", "vote", "count", "authors", "submitted", "paper_url", "heading", "text",
    "facts", "url",
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
    "Search models, datasets, users...", "Trending Papers", "Upvote", "by and the research community",
    "Trending Papers - Hugging Face", "Extracted Text", "Paper page", "References", "Visible links",
    "Hidden links",
    # The site's navigation and footer, and the papers pages' own controls.
    "Community", "Collections", "Papers", "Search any paper", "Search any paper...", "Submit", "Previous",
    "Next", "Load more", "See more", "Show more", "Newest", "Most upvoted", "Trending", "System theme",
    "Company", "TOS", "Privacy", "About", "Jobs", "Careers", "Website", "Brand assets", "Terms of Service",
    "Privacy Policy", "Changelog", "Learn", "Forum", "Status", "Blog", "Tasks", "Inference Endpoints",
    "Inference Providers", "HuggingChat", "Enterprise Hub", "Compute", "Resources", "Social", "Discord",
    "GitHub", "Twitter", "LinkedIn", "Get started", "Upvoted", "Copy link", "Share", "View arXiv page",
    "View PDF", "Add to collection",
)
# Header lines of capture tools ("**URL:** https://...", "- Source URL: ...", "Page Title: ..."): the
# page's address and title, never a card.
_HEADER_FIELD = re.compile(
    r"(?i)\s*(?:[-*]\s+)?(?:\*\*)?(?P<key>source url|page url|page title|retrieved|captured|fetched"
    r"|saved|source html|source sha256|generated from|extraction|command|status ?code|transport"
    r"|completeness)(?:\*\*)?\s*:(?:\*\*)?\s+(?P<value>\S.*)"
)


_LINK_REF = re.compile(r"\]\[[^\]]*\]|\]\([^)]*\)")
_NON_WORD = re.compile(r"[\W_]+")


def _chrome_key(text: str) -> str:
    return _NON_WORD.sub("", _LINK_REF.sub("", text)).casefold()


_CHROME_KEYS = frozenset(_chrome_key(phrase) for phrase in _CHROME_PHRASES)
# A page's title with more words ("Hugging Face Daily Papers 2024-05-27", "Trending Papers - Hugging Face").
_PAGE_TITLE_KEYS = ("dailypapers", "huggingfacedailypapers", "trendingpapers", "huggingfacetrendingpapers")

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
# Capitalised: "submitted by professionals" in a wrapped abstract is text.
_SUBMITTED = re.compile(r"(?:Submitted|SUBMITTED) (?:by|By|BY)\b\s*(?P<name>.*)")
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
_FIXED_LINES = {"[": BLANK, "]": BLANK, "\u00b7": BLANK, "-": BLANK, "[-]": VOTE}
_LONG_META_START = re.compile(
    r"(?i)<?(?:https?:|www\.|huggingface\.co|hf\.co|arxiv|submitted by)|\s*(?:[-*]\s+)?(?:\*\*)?[\w ]{2,20}(?:\*\*)?:")
_BARE_URL = re.compile(r"<?https?://[^\s<>]+>?")
_SENTENCE_END_LINE = re.compile(r"[.!?)\]\"']{1,3}")
_REFERENCE_LINE = re.compile(r"\d{1,5}\.\s+https?://\S+")
_TITLE_MAX = 300  # longest paragraph taken for a title (real titles: up to ~250 characters)
_ABSTRACT_MIN = 200  # a paragraph this long is an abstract whatever its punctuation


@dataclass(slots=True)
class _Line:
    number: int
    kind: str
    text: str  # the line stripped (TEXT), or cleaned (other kinds)
    value: Any = None  # count, arXiv id, (level, content) of a heading, ISO date, ...
    raw: str = ""  # the line as in the file, for TEXT: paragraphs are cleaned from their raw lines
    facts: list[Fact] | None = None  # what markup removed from the line said (markup.strip_markup)
    hard_break: bool = False  # the line ended with a markdown hard break: its paragraph goes on
    source: str | None = None  # the line as in the file, markup included (wrap tests), when it differs
    field: bool = False  # a labelled field ("Code: https://...")

    @property
    def measured(self) -> str:
        """The line as a wrap test sees it: as in the file, indentation included."""
        return (self.raw if self.source is None else self.source).rstrip()


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
    if not line.raw:  # a labelled field ("Abstract: ...") keeps its value as its raw text
        line.raw = raw
    return line


# A card's fields written with their names, one a line, as notebooks and scripts print them
# ("Title: ...", "**Abstract:** ...", "- URL: https://huggingface.co/papers/...").
_FIELD = re.compile(
    r"(?i)\s*(?:[-*]\s+)?(?:\*\*)?(?P<key>title|paper title|abstract|summary|ai summary|tl;?dr|authors?"
    r"|published(?: on)?|date|upvotes?|likes|url|link|paper|paper url|arxiv|pdf|code|github|repo(?:sitory)?"
    r"|project(?: page)?)(?:\*\*)?\s*:(?:\*\*)?\s*(?P<value>\S.*)"
)


def _field(number: int, key: str, value: str) -> _Line | None:
    """A labelled field as the line kind it names; None when the value is not what the label says
    (a title such as "Code: ..." is not a code field)."""
    value = value.strip()
    text = clean_text(value)
    if key in ("title", "paper title"):
        if kind_of_title(text):
            return _Line(number, CHROME, text, ("page title", text))  # the page's title
        return _Line(number, HEADING, "### " + text, (7, value), raw=value)
    if key in ("abstract", "summary", "ai summary", "tldr", "tl;dr"):
        return _Line(number, TEXT, value, raw=value)
    if key in ("author", "authors"):
        count = _AUTHORS.fullmatch(text)
        if count:
            return _Line(number, AUTHORS, text, parse_int(count.group("n")))
        return _Line(number, CHROME, text) if "," in text else None  # the names
    if key in ("upvote", "upvotes", "likes"):
        upvotes = parse_int(text)
        return _Line(number, COUNT, text, upvotes) if upvotes is not None else None
    if key in ("published", "published on", "date"):
        date = _DATE.fullmatch(text)
        return _Line(number, DATE, text, _iso_date(date)) if date else None
    url = _BARE_URL.fullmatch(text)
    if url is None:
        return None
    arxiv_id = _arxiv_id_from_url(text.strip("<>"))
    if arxiv_id and re.search(r"(?i)(?:huggingface\.co|hf\.co)/papers/|arxiv\.org/", text):
        return _Line(number, PAPER_URL, text, arxiv_id)
    if kind_of_url(text)[0] is not None:
        return _Line(number, CHROME, text, ("url", text.strip("<>")))  # the page's own address
    return _Line(number, URL, text, text.strip("<>"))


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
    if text[0] in "\u00b7\u2022|" and len(text) > 1:  # "· Published on Oct 4, 2026" after a removed link
        text = text.lstrip("\u00b7\u2022| ")
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
    if key in _CHROME_KEYS or (len(key) <= 60 and key.startswith(_PAGE_TITLE_KEYS)):
        return _Line(number, CHROME, text)
    field = _FIELD.fullmatch(text) if ":" in text[:24] else None
    # Labels are written "Title" or "title", never "CODE" or "RePo" (those start titles).
    label = field.group("key") if field else ""
    if field and (label in (label.lower(), label.capitalize()) or label in ("URL", "PDF", "arXiv", "GitHub")):
        line = _field(number, re.sub(r"\s+", " ", field.group("key").lower()), field.group("value"))
        if line is not None:
            line.field = True
            return line
    header = _HEADER_FIELD.fullmatch(text)
    if header:
        return _Line(number, CHROME, text, (header.group("key").lower(), header.group("value")))
    if _BARE_URL.fullmatch(text):
        return _Line(number, URL, text, text.strip("<>"))
    if _REFERENCE_LINE.fullmatch(text):
        return _Line(number, BLANK, text)  # "12. https://..." in a text browser's list of links
    if not key and (len(text) <= 10 or not any(char.isalnum() for char in text)):
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
    line = line.lstrip()
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
    card_level: int = 1  # the heading level of card titles; shallower headings are page sections


def _measure(sample: list[_Line]) -> _Layout:
    """Decide, from the first lines of the file, how its text lines make paragraphs, and its shape."""
    followed_by_text: list[tuple[int, int]] = []  # (line length, first word of the next line)
    text_then_text = text_then_other = text_then_meta = 0
    headings = pagecopy_marks = 0
    levels: dict[int, int] = {}
    for line, after in zip(sample, sample[1:] + [None]):
        if line.kind == HEADING:
            headings += 1
            levels[line.value[0]] = levels.get(line.value[0], 0) + 1
        elif line.kind in (PAPER_URL, SUBMITTED) or (line.kind == VOTE and line.value is not None):
            pagecopy_marks += 1
        if line.kind != TEXT:
            continue
        if after is not None and after.kind == TEXT:
            text_then_text += 1
            length = len(line.measured)
            if length <= _SHORT_LINE:
                followed_by_text.append((length, _first_word_length(after.measured)))
        elif after is not None and after.kind not in (BLANK, CHROME, HEADING):
            text_then_meta += 1  # a paper URL or "N authors" right under the line: fields one per line
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
    compact = text_then_text - wraps + text_then_meta > text_then_other
    mode = WRAPPED if width else LINES if compact else BLOCKS

    markdown = headings > 0
    # Card titles are the most frequent heading level (the deepest on a tie): "# Daily Papers" and
    # "## Trending Papers" above "### Title" cards are page sections.
    card_level = max(levels, key=lambda level: (levels[level], level)) if levels else 1
    if markdown:
        shape: str | None = "markdown"
    elif pagecopy_marks:
        shape = "notebook" if compact and not width else "pagecopy"  # fields one per line, URLs bare
    elif text_then_text + text_then_other == 0:
        shape = None
    else:
        shape = "compact" if compact else "paste"
    return _Layout(mode, width, shape, markdown, card_level)


def _wraps(length: int, next_word: int, width: int) -> bool:
    """Greedy wrapping: the line ended because the next word did not fit on it."""
    return length >= width or length + 1 + next_word > width


def _joins(layout: _Layout, previous: int, line: str) -> bool:
    """Whether ``line`` continues the paragraph whose last line was ``previous`` characters long."""
    if layout.mode == BLOCKS:
        return True
    if layout.mode == WRAPPED:
        return previous <= _SHORT_LINE and _wraps(previous, _first_word_length(line), layout.width)
    return False


# --- units: paragraphs, titles and metadata ---------------------------------------------------------


@dataclass(slots=True)
class _Unit:
    kind: str  # TEXT, HEADING (a title), or a metadata kind
    line: int
    text: str = ""  # cleaned paragraph or title
    raw: str = ""
    value: Any = None  # as _Line.value; for HEADING the arXiv id of its link, if any


def _units(lines: Iterable[_Line], layout: _Layout) -> Iterator[_Unit]:
    paragraph: list[str] = []  # raw lines
    paragraph_end = 0  # the length of its last line in the file, for the wrap test
    paragraph_last = ""  # and that line
    paragraph_line = 0
    paragraph_chars = 0
    paragraph_goes_on = False  # its last line ended with a hard break
    heading: list[str] = []
    heading_line = heading_level = 0
    facts: list[Fact] = []  # facts of the paragraph's or heading's lines, given after it
    previous_kind = BLANK

    def flush_facts() -> Iterator[_Unit]:
        if facts:
            yield _Unit(FACTS, paragraph_line or heading_line, "", "", list(facts))
            facts.clear()

    def flush_paragraph() -> Iterator[_Unit]:
        raw = "\n".join(paragraph)
        paragraph.clear()
        text = clean_text(raw)
        if text:
            yield _Unit(TEXT, paragraph_line, text, raw)
        yield from flush_facts()

    def flush_heading() -> Iterator[_Unit]:
        raw = "\n".join(heading)
        heading.clear()
        label, arxiv_id = raw, None
        link = _MARKDOWN_TITLE.fullmatch(raw)
        if link:
            label = link.group("label")
            if link.group("url"):
                arxiv_id = _arxiv_id_from_url(link.group("url"))
        title = clean_text(label)
        if title:
            yield _Unit(HEADING, heading_line, title, raw, arxiv_id)
        yield from flush_facts()

    for line in lines:
        kind = line.kind
        # After a hard break, or inside one link's text, whatever the next line looks like it goes on.
        if paragraph and paragraph_goes_on and kind != HEADING and line.raw.strip():
            kind = TEXT
            # A page heading's mark inside the link's text ("[...\n# Daily Papers\n...](url)") is
            # markup, not text: its words go on the paragraph without it.
            heading_mark = _HEADING.fullmatch(line.text) if line.text[:1] == "#" else None
            raw = (heading_mark.group("content") or "") if heading_mark else line.raw
            source = line.source if line.source is not None or raw is line.raw else line.raw
            line = _Line(line.number, TEXT, raw.strip(), raw=raw, facts=line.facts,
                         hard_break=line.hard_break, source=source)
        # The end of a sentence wrapped onto a line of its own ("."): still the paragraph's.
        if kind == BLANK and paragraph and _SENTENCE_END_LINE.fullmatch(line.raw.strip()):
            kind = TEXT
            line = _Line(line.number, TEXT, line.raw.strip(), raw=line.raw, facts=line.facts, source=line.source)
        if kind == BLANK and line.facts:
            kind = FACTS
        # A short line that looks like metadata or a page word but continues a paragraph is text
        # (an abstract whose wrapped last line is a URL or a year, a title that wraps before "models").
        # A labelled link ("Code: https://...") at the end of a wrapped abstract is the abstract's.
        if (paragraph and line.field and kind in (URL, PAPER_URL) and layout.mode != LINES
                and paragraph_end <= _SHORT_LINE):
            kind = TEXT
            line = _Line(line.number, TEXT, line.raw.strip(), raw=line.raw, facts=line.facts, source=line.source)
        if (paragraph and kind in (PAPER_URL, URL, COUNT, DATE, AUTHORS, CHROME) and layout.mode != LINES
                and not line.text.startswith("#") and _joins(layout, paragraph_end, line.measured)
                and not (kind == AUTHORS and line.text[:1] in "-*+\u2022")
                # a URL on its own line after a finished sentence is the card's link, not the text's
                # (a wrapped abstract's last line is short: a notebook's one-line abstract is not wrapped)
                and not (kind in (PAPER_URL, URL) and layout.mode == BLOCKS
                         and (paragraph_last.endswith((".", "!", "?")) or paragraph_end > _SHORT_LINE))
                and (layout.mode == WRAPPED or kind in (COUNT, DATE, CHROME)
                     or (kind != AUTHORS and paragraph_chars > _TITLE_MAX))):
            kind = TEXT
            line = _Line(line.number, TEXT, line.raw.strip(), raw=line.raw, facts=line.facts, source=line.source)
        # A heading line of a title that wraps before a page word ("### Models")
        if kind == CHROME and heading and previous_kind == HEADING and line.text.startswith("#"):
            marks = _HEADING.fullmatch(line.text)
            if marks and len(marks.group("marks")) == heading_level and marks.group("content"):
                heading.append(marks.group("content"))
                continue
        # A title wrapped onto an indented line right under its heading ("### A long title\n  Models").
        if (kind in (TEXT, CHROME, COUNT, DATE) and heading and previous_kind == HEADING and line.raw[:1] in " \t"
                and len(line.raw.strip()) < _TITLE_MAX):
            heading.append(line.raw.strip())
            continue
        previous_kind = kind
        if kind == TEXT:
            if heading:
                yield from flush_heading()
            if paragraph and not paragraph_goes_on and not _joins(layout, paragraph_end, line.measured):
                yield from flush_paragraph()
            if not paragraph:
                paragraph_line, paragraph_chars = line.number, 0
            paragraph.append(line.raw)
            paragraph_end = len(line.measured)
            paragraph_last = line.text
            paragraph_goes_on = line.hard_break
            paragraph_chars += len(line.text)
            if line.facts:
                facts.extend(line.facts)
            continue
        if kind == BLANK and paragraph and paragraph_goes_on:
            paragraph_goes_on = line.hard_break  # the link's closing line ends it
            continue  # a blank line inside one link's text
        if paragraph:
            yield from flush_paragraph()
        if kind == HEADING:
            level, content = line.value
            if level < layout.card_level:
                previous_kind = CHROME
                if heading:
                    yield from flush_heading()
                continue  # a page section ("# Daily Papers"), not a card
            if heading and level != heading_level:
                yield from flush_heading()
            if not heading:
                heading_line, heading_level = line.number, level
                paragraph_line = 0
            heading.append(content)
            if line.facts:
                facts.extend(line.facts)
            continue
        if heading:
            yield from flush_heading()
        if kind in (BLANK, CHROME):
            continue
        if kind == FACTS:
            yield _Unit(FACTS, line.number, "", "", list(line.facts or ()))
            continue
        yield _Unit(kind, line.number, line.text, line.text, line.value)
        if line.facts:
            yield _Unit(FACTS, line.number, "", "", list(line.facts))
    if paragraph:
        yield from flush_paragraph()
    if heading:
        yield from flush_heading()


# --- records: pairing titles and abstracts ---------------------------------------------------------


def _looks_like_title(text: str) -> bool:
    return len(text) <= _TITLE_MAX and not text.endswith(".")


def _looks_like_abstract(text: str) -> bool:
    return len(text) >= _ABSTRACT_MIN or (text.endswith(".") and " " in text)


# A card's text shorter than this is no abstract and no AI summary (the shortest summaries have ~90).
_TEXT_MIN = 50
# HF's AI summary is one sentence of at most ~360 characters; of 5,841 abstracts in the API archive,
# 2 are one sentence of 400 characters or less.
_SUMMARY_MAX = 400
_SENTENCE_BREAK = re.compile(r"[.!?][\"')\]]?\s+[A-Z]")
_RUNNING_FIRST_WORD = re.compile(r"[a-z]+,?")
_MID_SENTENCE_END = re.compile(
    r"(?:[,;]|(?<![-\w])(?:the|of|and|or|a|an|to|in|for|with|on|by|from|as|at))$")
_URL_TITLE = re.compile(r"(?i)(?:https?://|www\.)\S*|\S+\.(?:com|org|io|co)/\S*")


_ENUMERATOR = re.compile(r"^\d{1,3}[.)]\s+(?=\S)")  # "1. Title" in a numbered export


def looks_like_summary(text: str) -> bool:
    """HF's one-sentence AI summary rather than an abstract."""
    return len(text) <= _SUMMARY_MAX and not _SENTENCE_BREAK.search(text)


def junk_title(title: str) -> str | None:
    """Why ``title`` cannot be a paper's title (running text, a URL, too long), or None."""
    if len(title) > _TITLE_MAX:
        return f"a title of {len(title)} characters is running text, not a title"
    if _URL_TITLE.fullmatch(title):
        return "the title is a URL"
    first = title.split(maxsplit=1)[0]
    if _RUNNING_FIRST_WORD.fullmatch(first) and " " in title:
        return "the title starts in lower case like running text"
    if _MID_SENTENCE_END.search(title):
        return "the title ends mid-sentence"
    return None


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
    github_repo: str | None = None
    github_stars: int | None = None
    project_page: str | None = None
    organization: str | None = None
    comments_count: int | None = None
    heading: bool = False


@dataclass(slots=True)
class _Pending:
    """Metadata a card shows before its title (page copy: the upvote count)."""

    upvotes: int | None = None
    arxiv_id: str | None = None
    author_count: int | None = None


_CONTENT = (TEXT, HEADING, VOTE, SUBMITTED)


class _Assembler:
    def __init__(self, units: Iterator[_Unit], kind: str | None = None) -> None:
        self.units = units
        self.kind = kind
        self.buffer: deque[_Unit] = deque()
        self.current: _Open | None = None
        self.pending = _Pending()
        self.position = 0
        self.deferred: deque[tuple[_Unit, str]] = deque()
        self.seen: dict[str, str] = {}  # title key -> text of the cards already given (duplicates)
        self.expect_submitter = False

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
            yield from self._card(paper)
        # Paragraphs met while the paper was still open (its metadata may follow them) come after it.
        while self.deferred:
            unit, why = self.deferred.popleft()
            yield self._unplaced(unit, why)

    def _card(self, paper: _Open) -> Iterator[Item]:
        text = paper.abstract
        key = title_key(paper.title)
        if key and key in self.seen and (text is None or self.seen[key] in ("", text)):
            return  # the same card shown again (trending pages show each card twice): one paper
        self.position += 1
        why = junk_title(paper.title)
        if why is None and text is None:
            why = "a title with no abstract after it"
        if why is None and text is not None and len(text) < _TEXT_MIN:
            why = f"its text has {len(text)} characters, too short for an abstract or a summary"
        if why is not None:
            yield Reject(
                reason=f"line {paper.line}: {why}: {cut(paper.title, 200)!r}",
                raw=cut(paper.raw), line=paper.line, position=self.position,
            )
            return
        assert text is not None
        self.seen[key] = text
        summary = self.kind != "daily" and looks_like_summary(text)
        yield Paper(
            title=paper.title, abstract="" if summary else text, ai_summary=text if summary else None,
            arxiv_id=paper.arxiv_id, upvotes=paper.upvotes, author_count=paper.author_count,
            published=paper.published, github_repo=paper.github_repo, github_stars=paper.github_stars,
            project_page=paper.project_page, organization=paper.organization,
            comments_count=paper.comments_count, line=paper.line, position=self.position,
        )

    def _open(self, unit: _Unit, structural: bool, arxiv_id: str | None = None) -> None:
        pending, self.pending = self.pending, _Pending()
        self.current = _Open(
            title=_ENUMERATOR.sub("", unit.text), line=unit.line, raw=unit.raw,
            structural=structural or arxiv_id is not None,
            arxiv_id=arxiv_id or pending.arxiv_id, upvotes=pending.upvotes, author_count=pending.author_count,
            heading=unit.kind == HEADING,
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

    def _fact(self, fact: Fact) -> Iterator[Item]:
        """What a removed link said, given to the card it belongs to."""
        current = self.current
        kind = fact.kind
        if kind == "paper" and fact.paper:
            thumbnail = fact.value == "thumbnail"
            if current is not None and current.arxiv_id == fact.paper:
                return
            if current is not None and current.arxiv_id is None and not (thumbnail and current.abstract):
                current.arxiv_id = fact.paper
                if current.abstract is None:
                    current.structural = True
            else:
                self.pending.arxiv_id = fact.paper
        elif kind == "vote":
            if fact.paper is not None:
                if current is not None and current.arxiv_id == fact.paper:
                    current.upvotes = fact.value
                else:  # the button above the next card (search pages)
                    self.pending.upvotes, self.pending.arxiv_id = fact.value, fact.paper
            else:
                yield from self._close()
                self.pending = _Pending(upvotes=fact.value)
        elif kind == "count":
            if current is not None and current.upvotes is None:
                current.upvotes = fact.value
            else:
                self.pending.upvotes = fact.value
        elif kind == "authors":
            if current is not None and current.author_count is None:
                current.author_count = fact.value
            else:
                self.pending.author_count = fact.value
        elif current is None:
            return  # a GitHub button, comment count or organization with no card: page chrome
        elif kind == "github" and current.github_repo is None:
            current.github_repo, current.github_stars = fact.url, fact.value
        elif kind == "project" and current.project_page is None:
            current.project_page = fact.url
        elif kind == "comments":
            current.comments_count = fact.value
        elif kind == "org" and current.organization is None and current.abstract is not None:
            current.organization = fact.value

    def items(self) -> Iterator[Item]:
        while (unit := self._next()) is not None:
            kind = unit.kind
            current = self.current
            if self.expect_submitter and kind != FACTS:
                self.expect_submitter = False
                # "Submitted by" on its own line, the submitter's name a few lines down.
                if kind == TEXT and len(unit.text) <= 40 and len(unit.text.split()) <= 3:
                    continue
            if kind == FACTS:
                if self.expect_submitter and any(fact.kind == "org" for fact in unit.value):
                    self.expect_submitter = False  # the submitter's name was a link to their profile
                    continue
                for fact in unit.value:
                    yield from self._fact(fact)
            elif kind == TEXT:
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
                self.expect_submitter = not unit.value
            elif kind == PAPER_URL:
                if current is not None and current.arxiv_id is None:
                    current.arxiv_id = unit.value
                    if current.abstract is None:
                        current.structural = True
                else:
                    self.pending.arxiv_id = unit.value
            elif kind == URL:
                if current is not None:
                    if re.match(r"(?i)https?://(?:www\.)?github\.com/[^/\s]+", unit.value):
                        yield from self._fact(Fact("github", url=unit.value))
                    else:
                        yield from self._fact(Fact("project", url=unit.value))
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



def sniff(text: str) -> bool:
    """True when ``text`` looks like a Daily Papers text capture (any shape), not JSON, XML or binary."""
    head = text[:65536].lstrip("\ufeff \t\r\n\u00a0")
    if not head:
        return False
    if head[0] in "{<" or (head[0] == "[" and JSON_ARRAY_START.match(head)):
        return False
    probe = head[:4096]
    unreadable = sum(1 for char in probe if (char < " " and char not in "\t\r\n") or char == "\ufffd")
    return unreadable <= len(probe) // 20


def _link_definitions(text: str) -> dict[str, str]:
    """Markdown reference definitions ("[3]: https://huggingface.co/papers/2503.10613"): label to URL."""
    return {match.group(1): match.group(2) for match in _LINK_DEFINITION.finditer(text)}


# --- what page it was ------------------------------------------------------------------------------

KINDS = ("daily", "weekly", "monthly", "trending", "search")
_FRONT_MATTER = re.compile(r"---[ \t]*\n(?P<body>(?:[^\n]*\n){1,40}?)---[ \t]*(?:\n|$)")
_FRONT_FIELD = re.compile(r"(?im)^(url|title|source|sourceurl|og:url)\s*:\s*(\S.*?)\s*$")
_PAGE_URL = re.compile(r"(?i)https?://(?:www\.)?(?:huggingface\.co|hf\.co)/papers(?P<rest>[^\s)\]>\"']*)")


def kind_of_url(url: str) -> tuple[str | None, str | None]:
    """(page kind, ISO date) of a papers page address; (None, None) for any other address."""
    match = _PAGE_URL.search(url)
    if not match:
        return None, None
    rest = match.group("rest")
    path, _, query = rest.partition("?")
    path = path.rstrip("/")
    if re.search(r"(?:^|&)q=", query) or path.startswith("/search"):
        return "search", None
    if path.startswith("/trending"):
        return "trending", None
    if path.startswith("/week"):
        return "weekly", None
    if path.startswith("/month"):
        return "monthly", None
    day = re.fullmatch(r"/date/(\d{4}-\d{2}-\d{2})", path) or re.search(r"(?:^|&)date=(\d{4}-\d{2}-\d{2})", query)
    if day:
        try:
            return "daily", dt.date.fromisoformat(day.group(1)).isoformat()
        except ValueError:
            return "daily", None
    if path == "":
        return "daily", None
    return None, None


def kind_of_title(text: str) -> str | None:
    """The page kind a page title or section heading names ("Trending Papers - Hugging Face")."""
    key = _chrome_key(text).removeprefix("huggingface")
    if key.startswith("trendingpapers"):
        return "trending"
    if key.startswith("dailypapers"):
        return "daily"
    if key.startswith(("weeklypapers", "papersoftheweek")):
        return "weekly"
    if key.startswith(("monthlypapers", "papersofthemonth")):
        return "monthly"
    return None


def _front_matter(text: str) -> tuple[str, list[str]]:
    """YAML front matter blanked out (line count kept), and its url/title values."""
    match = _FRONT_MATTER.match(text)
    if not match:
        return text, []
    values = [value for _, value in _FRONT_FIELD.findall(match.group("body"))]
    blanked = "\n" * match.group(0).count("\n")
    return blanked + text[match.end():], values


def _page_kind(sample: list[_Line], front: list[str]) -> tuple[str | None, str | None, str | None]:
    """(kind, page address, ISO date) from the capture's header: its address first (front matter,
    "URL:" lines), then its title and section headings, then the page words it shows."""
    urls: list[str] = []
    titles: list[str] = []
    words: list[str] = []
    dated = False
    for value in front:
        (urls if value.lower().startswith(("http", "www.", "huggingface")) else titles).append(value)
    for line in sample[:400]:
        if line.kind in (TEXT, VOTE, SUBMITTED) or (line.kind == HEADING and kind_of_title(line.value[1]) is None
                                                     and titles + words):
            break
        if line.kind == CHROME and isinstance(line.value, tuple):
            key, value = line.value
            (urls if "url" in key else titles).append(value)
        elif line.kind == HEADING:
            titles.append(line.value[1])
        elif line.kind == CHROME:
            words.append(line.text)
        elif line.kind in (PAPER_URL, URL):
            urls.append(line.value if line.kind == URL else line.text)
        elif line.kind == DATE:
            dated = True
    page = next((url for url in urls if _PAGE_URL.search(url)), urls[0] if urls else None)
    for url in urls:
        kind, date = kind_of_url(url)
        if kind:
            return kind, page, date
    for text in titles + words:
        kind = kind_of_title(text)
        if kind:
            return kind, page, None
    # A day's date above the cards, and nothing saying otherwise: the daily page.
    return ("daily" if dated else None), page, None


_INLINE_HEADING = re.compile(r"(?m)^[ \t]*#{1,6}[ \t]+\[[^\n]*(?:\n[^\n#][^\n]*)?\]\(")


def parse(text: str) -> Listing:
    """Parse a Daily Papers text capture.

    ``items`` is a lazy iterator of ``Paper`` and ``Reject`` (iterate it once); ``shape``, ``kind``
    and ``date_text`` are read from the start of the file before it is returned.
    """
    text = _prepare(text)
    text, front = _front_matter(text)
    original = text
    facts: dict[int, list[Fact]] = {}
    breaks: set[int] = set()
    shape_hint = None
    if has_markup(text[:_SAMPLE_CHARS]) or has_markup(text[-65536:]):
        head = text[:65536]
        # Which markdown: a text browser's reference links ("### [Title][3]"), a converter's inline
        # links ("### [Title](https://huggingface.co/papers/ID)"), or plain "### Title" headings.
        if head.count("][") > head.count("]("):
            shape_hint = "markdown"
        elif _INLINE_HEADING.search(head):
            shape_hint = "markdown-inline"
        elif numbered_references(text[-65536:] if len(text) > 65536 else text):
            shape_hint = "lynx"
        text, facts, breaks = strip_markup(text, _link_definitions(text) if "]:" in text else {},
                                           escapes=shape_hint != "lynx")

    def classified() -> Iterator[_Line]:
        originals = _iter_lines(original) if original is not text else None
        for number, raw in _iter_lines(text):
            line = _classify(number, raw)
            if originals is not None:
                source = next(originals, (0, ""))[1]
                if source != raw:
                    line.source = source
            if facts:
                line.facts = facts.get(number)
            if breaks and number in breaks:
                line.hard_break = True
            yield line

    sample: list[_Line] = []
    sampled_chars = 0
    for line in classified():
        sample.append(line)
        sampled_chars += len(line.raw) + 1
        if len(sample) >= _SAMPLE_LINES or sampled_chars >= _SAMPLE_CHARS:
            break
    layout = _measure(sample)
    if layout.shape == "markdown":
        layout.shape = shape_hint or "markdown-plain"
    elif shape_hint and layout.shape is not None:
        layout.shape = shape_hint
    kind, page, page_date = _page_kind(sample, front)

    # The listing's date line comes before its first card or title, so within the sample: read it
    # now so that the Listing carries it before its items are consumed.
    date_text = date = None
    for line in sample:
        if line.kind in (TEXT, HEADING, VOTE, SUBMITTED):
            break
        if line.kind == DATE:
            date_text, date = line.text, line.value  # an ISO date only when the line shows the year
            break
    if kind not in (None, "daily"):
        date = None  # a trending, weekly, monthly or search page is no day's listing
    date = page_date or date

    def items() -> Iterator[Item]:
        count = 0
        for item in _Assembler(_units(classified(), layout), kind).items():
            count += 1
            yield item
        if count == 0 and clean_text(text):
            # A capture of the page's header alone (the copy missed the cards): say so, never silently.
            last_line = text.count("\n") + 1
            yield Reject(
                f"lines 1-{last_line}: no paper in this capture, only page header lines", cut(text), 1, 1
            )

    return Listing(source=SOURCE, items=items(), shape=layout.shape, date_text=date_text, date=date, kind=kind,
                   page=page)
