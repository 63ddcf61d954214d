"""Markup to text, keeping the URLs: what captures of a papers page wrap around the card's words.

Captures made by markdown converters and text browsers wrap the same card in different markup:
inline links ``[text](url)`` around a title *and* around a whole abstract, reference links
``[text][32]`` whose text spans several lines, images ``![alt](src)`` and placeholders
(``[图片：无替代文本]``), HTML anchors (``<a id="x"></a>``), backslash line ends (``\\\\``) and ``\\ ``
escapes. ``strip_markup`` removes all of it and gives back the text line for line (the same number
of lines, so that line numbers still point into the file), with the *facts* the removed markup
carried, by line: the paper a link points to, an upvote button and its count, the GitHub button and
its stars, a comment count, an organization, "N authors".

A link is either kept as text (its words stay, its URL becomes a ``paper`` fact when it names a
paper) or, when it is a button or a meta link (upvote, comments, GitHub, arXiv page, organization,
author list, thumbnail), removed whole and turned into a fact.
"""

from __future__ import annotations

import bisect
import re
from dataclasses import dataclass
from typing import Any
from urllib.parse import unquote

from etl.text.identity import normalize_arxiv_id
from etl.text.normalize import parse_int


@dataclass(slots=True)
class Fact:
    """What a removed piece of markup said about the card around it."""

    kind: str  # paper, vote, count, comments, github, project, org, authors
    value: Any = None  # count, stars, name, author number
    url: str | None = None
    paper: str | None = None  # the arXiv id the link names (a paper page, an upvote button's next=)


# Tokens of link syntax. A backslash before a line end is a markdown hard break; "\ " and "\[" are
# escapes (the escaped bracket is text, not syntax).
_TOKEN = re.compile(
    r"(?P<br>\\\\?(?=\r?\n|$))"
    r"|(?P<esc>\\[\\\[\]()*_#!.`{}+\- ])"
    r"|(?P<img>!\[)"
    r"|(?P<open>\[)"
    r"|(?P<close>\](?:\((?P<url>[^()\s]*(?:\([^()\s]*\)[^()\s]*)*)(?:\s+\"[^\"\n]*\")?\)"
    r"|\[(?P<ref>[^\[\]\n]{0,40})\])?)"
    # An HTML anchor with no text (a converter's section marker), a line break tag. A link tag
    # with text stays: the abstract shows it so (the API's own abstracts hold a few).
    r"|(?P<tag><a\s+(?:id|name)=[^<>\n]*>\s*</a>|<br\s*/?>)",
    re.IGNORECASE,
)
_LABEL_MAX = 20_000  # a bracket further back than this is not the link's opening one
_PLACEHOLDER = re.compile(r"(?i)\s*(?:图片|圖片|image|img|picture|photo|avatar|thumbnail)\s*[:：].*")
_IMAGE_IN_LABEL = re.compile(r"!\[[^\[\]]*\]\([^()]*\)|\[(?:图片|圖片|image|img)[:：][^\[\]]*\]", re.IGNORECASE)
_LABEL_NOISE = re.compile(r"\\\\?|[*_`]")
_LIST_MARK = re.compile(r"(?m)^\s*[-*+\u2022]\s*")
_COUNT = r"\d+(?:[.,]\d+)*\s*[kKmM]?"
_AUTHORS_LABEL = re.compile(r"(?i)(?:^|\s)(\d[\d,]*)\s+authors?\s*$")
_VOTE_LABEL = re.compile(rf"(?i)(?:upvote|vote|\u25b2|\u2191)?\s*(?P<n>{_COUNT})?|-")
_GITHUB_LABEL = re.compile(rf"(?i)(?:link:\s*)?(?:github|code|repo(?:sitory)?)(?:\s+(?P<n>{_COUNT}))?")
_PAPER_LABEL = re.compile(r"(?i)(?:arxiv(?:\s+page)?|pdf|paper(?:\s+page)?|abstract|view\s+paper)")
_PROJECT_LABEL = re.compile(r"(?i)(?:project\s+page|website|homepage|demo)")
_CHROME_LABEL = re.compile(r"(?i)subscribe|log\s*in|sign\s*up|see all|view all|load more|trending papers")
_HF_HOST = re.compile(r"(?i)^(?:https?://)?(?:www\.)?(?:huggingface\.co|hf\.co)(?P<path>/[^?#]*)?(?P<rest>.*)$")
_PROFILE_PATH = re.compile(r"/(?!papers$|models$|datasets$|spaces$|login$|docs$|blog$)[\w.-]+/?")
_NEXT = re.compile(r"(?i)[?&]next=([^&#]+)")


def paper_id_of(url: str) -> str | None:
    """The arXiv id of a paper page (huggingface.co/papers/ID, hf.co/papers/ID, arxiv.org/abs/ID)."""
    url = url.strip().strip("<>")
    base = re.split(r"[?#]", url, maxsplit=1)[0].rstrip("/")
    base = re.sub(r"(?i)^(?:https?://)?(?:www\.)?hf\.co/", "https://huggingface.co/", base)
    if not re.match(r"(?i)https?://", base):
        base = "https://" + base
    if not re.search(r"(?i)//(?:www\.)?(?:huggingface\.co/papers|(?:export\.)?arxiv\.org/(?:abs|pdf))/", base):
        return None
    return normalize_arxiv_id(base)


def _next_paper(url: str) -> str | None:
    """The paper an upvote button's login link returns to (``/login?next=%2Fpapers%2FID``)."""
    match = _NEXT.search(url)
    if not match:
        return None
    target = unquote(match.group(1))
    return paper_id_of("https://huggingface.co" + target) if target.startswith("/papers/") else None


def _label_text(raw: str) -> str:
    text = _IMAGE_IN_LABEL.sub(" ", raw)
    text = _LABEL_NOISE.sub(" ", text)
    text = _LIST_MARK.sub(" ", text)
    return " ".join(text.split())


def meta_fact(label: str, url: str | None) -> Fact | None | bool:
    """What a link whose text is ``label`` and target ``url`` is: a ``Fact`` (a button or meta link,
    removed from the text), ``True`` for page chrome (removed, nothing said), or ``None`` for a link
    whose words are card text (a title, an abstract) and stay."""
    text = _label_text(label)
    target = (url or "").strip()
    paper = paper_id_of(target) if target else None
    hf = _HF_HOST.match(target) if target else None
    if not text:
        return Fact("paper", "thumbnail", url=target, paper=paper) if paper else True  # a thumbnail, an avatar
    if "#community" in target and re.fullmatch(_COUNT, text):
        return Fact("comments", parse_int(text), url=target, paper=paper)
    if hf and (hf.group("path") or "").startswith("/login"):
        if _CHROME_LABEL.fullmatch(text):
            return True
        vote = _VOTE_LABEL.fullmatch(text)
        if vote:
            count = vote.group("n")
            return Fact("vote", parse_int(count) if count else None, url=target, paper=_next_paper(target))
        return True
    authors = _AUTHORS_LABEL.search(text)
    if authors and len(text) <= 40:
        return Fact("authors", parse_int(authors.group(1)), url=target, paper=paper)
    if len(text) <= 40:
        github = _GITHUB_LABEL.fullmatch(text)
        if github and re.search(r"(?i)github\.com|gitlab\.com", target):
            stars = github.group("n")
            return Fact("github", parse_int(stars) if stars else None, url=target)
        if paper and _PAPER_LABEL.fullmatch(text):
            return Fact("paper", paper=paper, url=target)
        if target and _PROJECT_LABEL.fullmatch(text):
            return Fact("project", url=target)
        if not target and text in ("-", "\u25b2", "\u2191"):
            return Fact("vote")  # a text browser's upvote button, its count shown after the card
        if not target and re.fullmatch(_COUNT, text):
            return Fact("count", parse_int(text))
        if _CHROME_LABEL.fullmatch(text):
            return True
        if hf and _PROFILE_PATH.fullmatch(hf.group("path") or ""):
            return Fact("org", text, url=target)  # an organization's or a user's page
    return None


@dataclass(slots=True)
class _Span:
    start: int
    end: int
    replacement: str


def has_markup(text: str) -> bool:
    """True when ``text`` has link, image or escape markup, or is markdown (its escapes are markup)."""
    return (_REFERENCES.search(text) is not None or "](" in text or "][" in text or "<a " in text or "\\\n" in text or "[" in text and "\u56fe\u7247" in text
            or _HEADING_LINE.search(text) is not None)


def strip_markup(
    text: str, definitions: dict[str, str] | None = None, *, escapes: bool = True
) -> tuple[str, dict[int, list[Fact]], set[int]]:
    """The text without link, image and escape markup, line for line; the facts by 1-based line; and
    the lines that ended with a hard break (``\\``): the paragraph goes on on the next line.
    ``escapes``: whether backslashes are markdown's (not in a text browser's plain dump)."""
    definitions = definitions or {}
    numbered = numbered_references(text)
    edits: list[_Span] = []
    facts: list[tuple[int, Fact]] = []  # (offset of the closing bracket, fact)
    stack: list[tuple[int, int, bool]] = []  # (offset, token end, is an image)
    breaks: list[int] = []
    for match in _TOKEN.finditer(text):
        kind = match.lastgroup
        start, end = match.start(), match.end()
        if not escapes and kind in ("br", "esc"):
            continue
        if kind == "br" or kind == "tag":
            edits.append(_Span(start, end, ""))
            if kind == "br":
                breaks.append(start)
        elif kind == "esc":
            char = text[end - 1]
            edits.append(_Span(start, end, " " if char == " " else char))
        elif kind in ("img", "open"):
            stack.append((start, end, kind == "img"))
        else:  # a closing bracket, maybe with its target
            while stack and start - stack[-1][0] > _LABEL_MAX:
                stack.pop()
            if not stack:
                continue
            open_start, open_end, image = stack.pop()
            url = match.group("url")
            ref = match.group("ref")
            is_link = url is not None or ref is not None
            if ref is not None:
                url = definitions.get(ref or text[open_end:start].strip())
            label = text[open_end:start]
            if image:
                if is_link:
                    edits.append(_Span(open_start, end, ""))  # an image: its alt text is no card text
                continue
            if not is_link:
                if _PLACEHOLDER.fullmatch(label) and "\n" not in label:
                    edits.append(_Span(open_start, end, ""))
                elif (label.isdigit() and label in numbered and text[end : end + 1].strip()
                      and text[end] not in ",.;:)]}"):  # "[12]Title", not a citation "[12],"
                    _numbered_link(text, open_start, end, numbered[label], edits, facts)
                continue
            fact = meta_fact(label, url)
            if isinstance(fact, Fact) and fact.kind in ("github", "project", "paper") and not _alone(text, open_start, end):
                fact = None  # "code at [GitHub](https://github.com/...)." is text with a link, not a button
            if fact is None and url and paper_id_of(url) is None and not _HF_HOST.match(url):
                # A link inside the text to elsewhere ("code at [link](https://github.com/...)"): kept as
                # written, as the API's own abstracts keep it, so that its URL stays with the text.
                if ref is not None:
                    edits.append(_Span(start, end, f"]({url})"))
                continue
            if fact is None:  # card text: keep the words, drop the brackets
                edits.append(_Span(open_start, open_end, ""))
                edits.append(_Span(start, end, ""))
                # Text wrapped inside one link is one paragraph, blank lines included.
                position = text.find("\n", open_end, start)
                while position >= 0:
                    breaks.append(position)
                    position = text.find("\n", position + 1, start)
                _continue_heading(text, open_start, open_end, start, edits)
                if url:
                    _paper_fact(facts, start, url)
            else:
                edits.append(_Span(open_start, end, ""))
                if isinstance(fact, Fact):
                    facts.append((start, fact))
    new_text = _apply(text, edits)
    lines = _LineStarts(text)
    by_line: dict[int, list[Fact]] = {}
    for offset, fact in sorted(facts, key=lambda item: item[0]):
        by_line.setdefault(lines.line_of(offset), []).append(fact)
    return new_text, by_line, {lines.line_of(offset) for offset in breaks}


_HEADING_LINE = re.compile(r"(?m)^[ \t]{0,3}#{1,6}[ \t]+\S")


_LINK_SPAN = re.compile(r"!?\[[^\[\]\n]*(?:\[[^\[\]\n]*\][^\[\]\n]*)*\](?:\([^()\s]*\)|\[[^\[\]\n]*\])")


_SEPARATORS = "-*+\u00b7\u2022|"


def _alone(text: str, start: int, end: int) -> bool:
    """Whether the link at ``text[start:end]`` stands on its line with nothing but other links, list
    marks and separators around it (a button), rather than inside a sentence."""
    line_start = text.rfind("\n", 0, start) + 1
    line_end = text.find("\n", end)
    around = text[line_start:start] + " " + text[end : len(text) if line_end < 0 else line_end]
    return all(char.isspace() or char in _SEPARATORS for char in _LINK_SPAN.sub(" ", around))


# A text browser's numbered links (lynx, w3m): "[12]Title" in the text, "12. https://..." under
# "References" at the end.
_REFERENCES = re.compile(r"(?m)^[ \t]*(?:References|Visible links:?)[ \t]*$")
_NUMBERED = re.compile(r"(?m)^[ \t]*(\d{1,5})\.[ \t]+(https?://\S+)[ \t]*$")


def numbered_references(text: str) -> dict[str, str]:
    """The numbered reference list of a text browser's dump, number to URL (empty without one)."""
    heading = None
    for heading in _REFERENCES.finditer(text):
        pass  # the last "References" line: the list follows it
    if heading is None:
        return {}
    return {number: url for number, url in _NUMBERED.findall(text, heading.end())}


def _numbered_link(text: str, start: int, end: int, url: str, edits: list[_Span],
                   facts: list[tuple[int, Fact]]) -> None:
    """ "[12]" before a link's text, which runs to the end of its line at least: a button (removed,
    its fact kept) or card text (the number removed, the paper it names kept)."""
    line_end = text.find("\n", end)
    line_end = len(text) if line_end < 0 else line_end
    fact = meta_fact(text[end:line_end], url)
    if isinstance(fact, Fact) and fact.kind in ("github", "project", "paper") and not _alone(text, start, line_end):
        fact = None
    if fact is None:
        edits.append(_Span(start, end, ""))
        _paper_fact(facts, start, url)
    else:
        edits.append(_Span(start, line_end, ""))
        if isinstance(fact, Fact):
            facts.append((start, fact))


def _paper_fact(facts: list[tuple[int, Fact]], start: int, url: str) -> None:
    """A link to a papers page left in the text is still a fact: the card's paper id."""
    paper = paper_id_of(url)
    if paper:
        facts.append((start, Fact("paper", paper=paper, url=url)))


def _continue_heading(text: str, open_start: int, open_end: int, close: int, edits: list[_Span]) -> None:
    """A heading's link text wrapped onto plain lines: the lines get the heading's marks, so that the
    title is read whole (``### [A long\\ntitle](url)``)."""
    if "\n" not in text[open_end:close]:
        return
    line_start = text.rfind("\n", 0, open_start) + 1
    marks = re.match(r"[ \t]*(#{1,6})[ \t]", text[line_start:open_start])
    if not marks:
        return
    position = text.find("\n", open_end, close)
    while position >= 0:
        following = text[position + 1 : position + 8].lstrip(" \t")
        if following and not following.startswith("#") and following[0] not in "\r\n":
            edits.append(_Span(position + 1, position + 1, marks.group(1) + " "))
        position = text.find("\n", position + 1, close)


def _apply(text: str, edits: list[_Span]) -> str:
    """Apply non-overlapping edits (an edit inside a removed span is dropped); removed spans keep
    their line breaks so that every line stays where it was."""
    # At one offset: an insertion first, then the longest removal (which covers the shorter ones).
    edits.sort(key=lambda edit: (edit.start, edit.end > edit.start, -(edit.end - edit.start)))
    pieces: list[str] = []
    cursor = 0
    for edit in edits:
        if edit.start < cursor:
            continue
        pieces.append(text[cursor : edit.start])
        removed = text[edit.start : edit.end]
        pieces.append(edit.replacement + "\n" * removed.count("\n"))
        cursor = edit.end
    pieces.append(text[cursor:])
    return "".join(pieces)


class _LineStarts:
    def __init__(self, text: str) -> None:
        self._starts = [match.start() for match in re.finditer("\n", text)]

    def line_of(self, offset: int) -> int:
        return bisect.bisect_left(self._starts, offset) + 1
