"""Text normalization shared by every source: one function decides what a title or abstract looks like.

``clean_text`` keeps the text as the authors wrote it (no case changes, no spelling fixes) and only
undoes what copying did to it: odd spaces, hard wraps, control characters, decomposed accents.
"""

from __future__ import annotations

import re
import unicodedata

# Control characters (C0 and C1) that are not white space, plus invisible format characters that
# copy/paste leaves behind: U+00AD soft hyphen, U+200B zero-width space, U+2060 word joiner and
# U+FEFF (a BOM, or a zero-width no-break space in the middle of text). Tab, LF, CR, VT, FF,
# U+001C-U+001F and U+0085 are white space to Python and become a space instead of being deleted,
# so that the words they separate stay apart.
_INVISIBLE = re.compile("[\x00-\x08\x0e-\x1b\x7f-\x84\x86-\x9f\u00ad\u200b\u2060\ufeff]")
_ASCII_INVISIBLE = bytes([*range(0x09), *range(0x0E, 0x1C), 0x7F])
_ASCII_SPACES = bytes.maketrans(b"\t\n\r\x0b\x0c\x1c\x1d\x1e\x1f", b" " * 9)

# A hard wrap right after a hyphen inside a word ("cost-\nefficient"): the hyphen belongs to the
# word, so the line break goes and the hyphen stays. The same for a dash written against the word
# ("statistics--\notherwise", "statistics—\notherwise"): it had no space after it, or the line would
# have broken there. A dash after a space ("1 step -\nwhich") fails the look-behind and becomes an
# ordinary space. A line break is LF, CR or CRLF, as for the parsers' line numbers; other separators
# (VT, FF, U+2028, ...) are plain white space. Only one line break: a blank line in between is a
# paragraph break, not a wrap. The patterns start with the dash (look-behind after it) so that the
# regex engine skips from dash to dash instead of trying every position.
_DASHES = "\\-\u2010\u2011\u2013\u2014"
_HYPHEN_WRAP = re.compile(
    rf"([{_DASHES}])(?:(?<=\w[{_DASHES}])|(?<=\w[{_DASHES}]{{2}}))[^\S\r\n]*(?:\r\n|[\r\n])[^\S\r\n]*(?=\w)"
)
_ASCII_HYPHEN_WRAP = re.compile(
    rb"(-)(?:(?<=\w-)|(?<=\w--))[ \t\x0b\x0c\x1c-\x1f]*(?:\r\n|[\r\n])[ \t\x0b\x0c\x1c-\x1f]*(?=\w)"
)


def clean_text(text: str) -> str:
    """Normalize a title or an abstract.

    Unicode NFC; control and zero-width characters dropped; hard-wrapped lines joined (a line-end
    hyphen inside a word is kept: "cost-\\nefficient" gives "cost-efficient"); every run of white
    space, non-breaking and other Unicode spaces included, collapsed to one space; trimmed.
    The steps run in that order; tests check the fast paths below against a plain regex version.

    >>> clean_text("  Cost-\\nefficient\\u00a0tool   paths\\r\\n")
    'Cost-efficient tool paths'
    """
    if not text:
        return ""
    if text.isascii():
        return _clean_ascii(text)
    if text.isprintable():
        # No control, format or white-space character but " " (those are all "Other" or "Separator"
        # to Unicode): only composition and runs of spaces can need work.
        if not unicodedata.is_normalized("NFC", text):
            text = unicodedata.normalize("NFC", text)
        return _collapse_spaces(text)
    # Usually white space (line breaks, NBSP) made the text non-printable: try the steps without
    # the invisibles pass, and keep the result when no invisible character was left in it.
    result = _join_lines(text)
    if result.isprintable():
        return result
    # NFC after dropping invisibles, so that a letter and its accent kept apart by a stray control
    # character compose.
    return _join_lines(_INVISIBLE.sub("", text))


def _join_lines(text: str) -> str:
    if not unicodedata.is_normalized("NFC", text):
        text = unicodedata.normalize("NFC", text)
    if "\n" in text or "\r" in text:  # a plain search, much faster than the regex's scan
        text = _HYPHEN_WRAP.sub(r"\1", text)
    # str.split() splits on exactly what str.isspace() calls white space (NBSP, U+2000-U+200A,
    # U+202F, U+3000, ...), the same set as re's \s, and trims both ends.
    return " ".join(text.split())


def _clean_ascii(text: str) -> str:
    """clean_text for ASCII text (most titles and abstracts), on bytes: C-speed translate and replace."""
    data = text.encode("ascii")
    data = data.translate(None, _ASCII_INVISIBLE)
    if (b"\n" in data or b"\r" in data) and b"-" in data:
        data = _ASCII_HYPHEN_WRAP.sub(rb"\1", data)
    data = data.translate(_ASCII_SPACES)
    while b"  " in data:
        data = data.replace(b"  ", b" ")
    return data.strip(b" ").decode("ascii")


def _collapse_spaces(text: str) -> str:
    while "  " in text:
        text = text.replace("  ", " ")
    return text.strip(" ")


_COUNT = re.compile(r"(?P<number>\d+(?:[.,]\d+)*)\s*(?P<suffix>[kKmM]?)")


def parse_int(text: str | None) -> int | None:
    """An integer as pages show counts: "19", "1,234", "1.2k", "3M"; None when ``text`` is not one.

    >>> parse_int("1.2k"), parse_int("1,234"), parse_int(" 19 "), parse_int("n/a")
    (1200, 1234, 19, None)
    """
    if text is None:
        return None
    match = _COUNT.fullmatch(clean_text(text))
    if not match:
        return None
    number, suffix = match.group("number"), match.group("suffix").lower()
    if suffix:
        # "1.2k": the separator is a decimal point; "1,2k" is read the same way.
        whole, _, fraction = number.replace(",", ".").partition(".")
        if "." in fraction:
            return None
        scale = 1000 if suffix == "k" else 1_000_000
        return int(whole) * scale + (int(fraction) * scale // 10 ** len(fraction) if fraction else 0)
    # Without a suffix a separator groups thousands ("1,234" or "1.234"), so groups must be 3 digits.
    head, *groups = re.split(r"[.,]", number)
    if any(len(group) != 3 for group in groups):
        return None
    return int(head + "".join(groups))
