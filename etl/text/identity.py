"""Identity of a paper: normalized arXiv ids, title keys for matching, readable slugs."""

from __future__ import annotations

import re
import unicodedata

# New-style ids (0704.0001 to 2512.99999) and old-style ids (hep-th/9901001, math.GT/0309136).
_NEW_ID = re.compile(r"(?<![\w.])(\d{4}\.\d{4,5})(?:v(\d+))?(?![\w.])")
_OLD_ID = re.compile(r"(?<![\w.-])([a-z][a-z-]*(?:\.[A-Z]{2})?/\d{7})(?:v(\d+))?(?!\w)")
_PREFIX = re.compile(r"^\s*(?:arxiv:|https?://(?:www\.)?(?:arxiv\.org|export\.arxiv\.org|huggingface\.co)/(?:abs|pdf|papers)/)", re.I)


def parse_arxiv_id(text: str) -> tuple[str, int | None] | None:
    """Return (id without version, version or None) for an arXiv id or URL, else None.

    >>> parse_arxiv_id("arXiv:2503.10613v2")
    ('2503.10613', 2)
    >>> parse_arxiv_id("http://arxiv.org/abs/hep-th/9901001v1")
    ('hep-th/9901001', 1)
    """
    if not text:
        return None
    candidate = _PREFIX.sub("", text.strip())
    candidate = re.sub(r"\.pdf$", "", candidate)
    for pattern in (_NEW_ID, _OLD_ID):
        match = pattern.fullmatch(candidate)
        if match:
            return match.group(1), int(match.group(2)) if match.group(2) else None
    return None


def normalize_arxiv_id(text: str | None) -> str | None:
    """The arXiv id without prefix or version, or None when ``text`` is not one."""
    parsed = parse_arxiv_id(text or "")
    return parsed[0] if parsed else None


_WORD = re.compile(r"\w+")


def title_key(title: str) -> str:
    """A key two captures of the same title share: case, accents, punctuation and spacing ignored."""
    if title.isascii():  # most titles: no accents to strip, and casefold() is lower()
        return " ".join(_WORD.findall(title.lower()))
    text = unicodedata.normalize("NFKD", title)
    text = "".join(ch for ch in text if not unicodedata.combining(ch)).casefold()
    return " ".join(re.findall(r"\w+", text))


def slugify(title: str, max_length: int = 80) -> str:
    """A readable id for a paper known only by its title."""
    words = title_key(title).split()
    slug = ""
    for word in words:
        candidate = f"{slug}-{word}" if slug else word
        if len(candidate) > max_length:
            break
        slug = candidate
    return slug or "untitled"
