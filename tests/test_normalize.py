"""clean_text and parse_int: the rules of issue 2, on real captures and against a plain reference."""

from __future__ import annotations

import json
import re
import unicodedata
from pathlib import Path

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from etl.text.normalize import clean_text, parse_int

from .conftest import LISTINGS



def reference_clean(text: str) -> str:
    """The rules written plainly, one regex each, in order. clean_text is a faster equivalent."""
    text = re.sub("[\x00-\x08\x0e-\x1b\x7f-\x84\x86-\x9f\u00ad\u200b\u2060\ufeff]", "", text)
    text = unicodedata.normalize("NFC", text)
    dashes, horizontal = "[-\u2010\u2011\u2013\u2014]", r"[^\S\r\n]"
    text = re.sub(rf"(?<=\w)({dashes}{{1,2}}){horizontal}*(?:\r\n|[\r\n]){horizontal}*(?=\w)", r"\1", text)
    return re.sub(r"\s+", " ", text).strip()


@pytest.mark.parametrize(
    ("raw", "clean"),
    [
        ("", ""),
        ("   \n\t ", ""),
        ("Plain title", "Plain title"),
        ("  padded  ", "padded"),
        ("runs   of \t white\n\nspace", "runs of white space"),
        # Non-breaking, narrow no-break, em, ideographic spaces and the other Unicode spaces.
        ("a\u00a0b\u202fc\u2003d\u3000e\u2009f", "a b c d e f"),
        # Hard wraps: a hyphen inside a word is kept and the lines join without a space ...
        ("cost-\nefficient tool paths", "cost-efficient tool paths"),
        ("cost-\r\nefficient", "cost-efficient"),
        ("cost-  \n   efficient", "cost-efficient"),
        # ... a dash after a space stays a dash with spaces ...
        ("in only 1 step -\nwhich is fast", "in only 1 step - which is fast"),
        ("1 step \u2014\nwhich", "1 step \u2014 which"),
        # ... and so is a dash written against the word before it (it had no space after it).
        ("statistics--\notherwise known", "statistics--otherwise known"),
        ("statistics\u2014\notherwise", "statistics\u2014otherwise"),
        ("pages 10\u2013\n20", "pages 10\u201320"),
        ("three---\ndashes", "three--- dashes"),
        # ... and a blank line is a paragraph break, not a wrap.
        ("first-\n\nsecond", "first- second"),
        ("plain\nwrap", "plain wrap"),
        # NFC: a decomposed accent composes; compatibility forms are left as written.
        ("Cafe\u0301 and nai\u0308ve", "Café and naïve"),
        ("ﬁne-tuning ²", "ﬁne-tuning ²"),
        # No case changes.
        ("LLMs and GPT-4o, not llms", "LLMs and GPT-4o, not llms"),
        # Control characters are dropped (NUL included); white-space controls become a space.
        ("nu\x00ll by\x07tes\x1b[0m", "null bytes[0m"),
        ("form\x0cfeed and\x0bvertical tab", "form feed and vertical tab"),
        ("\ufeffBOM first", "BOM first"),
        # Invisible format characters from copy/paste.
        ("soft\u00adhyphen zero\u200bwidth", "softhyphen zerowidth"),
        # A stray control character between a letter and its accent: dropped, then composed.
        ("e\x00\u0301", "é"),
        ("Long\u2028line separator", "Long line separator"),
    ],
)
def test_clean_text_rules(raw: str, clean: str) -> None:
    assert clean_text(raw) == clean
    assert reference_clean(raw) == clean


def _markdown_files() -> list[Path]:
    return sorted(LISTINGS.glob("*.markdown.txt"))


def test_markdown_captures_are_there() -> None:
    assert len(_markdown_files()) == 3, f"expected the three markdown captures in {LISTINGS}"


@pytest.mark.parametrize("path", _markdown_files(), ids=lambda path: path.name)
def test_hard_wrapped_markdown_abstracts_join_to_the_expected_text(path: Path) -> None:
    """Every abstract of a markdown capture is a hard-wrapped block; cleaned, it is the expected text."""
    text = path.read_text(encoding="utf-8")
    blocks = [block for block in re.split(r"\n[ \t]*\n", text) if block.count("\n") >= 1]
    cleaned = {clean_text(block) for block in blocks}
    expected = json.loads(path.with_name(path.name.split(".")[0] + ".expected.json").read_text())
    for paper in expected["papers"]:
        assert paper["abstract"] in cleaned, paper["title"]


def test_hyphens_at_line_starts_in_a_real_wrap() -> None:
    """2025-03-14.markdown wraps before 'cost-efficient' and after '1 step -': both read as written."""
    text = (LISTINGS / "2025-03-14.markdown.txt").read_text(encoding="utf-8")
    wrapped = re.search(r"to find\ncost-efficient tool paths\?", text)
    assert wrapped, "the capture no longer has this wrap"
    assert clean_text(wrapped.group(0)) == "to find cost-efficient tool paths?"
    dash = re.search(r"in only 1 step -\n\S+", text)
    assert dash, "the capture no longer has this wrap"
    assert clean_text(dash.group(0)) == "in only 1 step - " + dash.group(0).split("\n")[1]
    expected = json.loads((LISTINGS / "2025-03-14.expected.json").read_text())
    assert any("in only 1 step - " in paper["abstract"] for paper in expected["papers"])


def test_the_nbsp_paste_capture_cleans_to_plain_spaces() -> None:
    raw = (LISTINGS / "2024-12-11.paste.txt").read_bytes().decode("utf-8")  # keeps CRLF
    assert "\u00a0" in raw and "\r\n" in raw and raw.startswith("\ufeff")
    header = raw.split("\r\n\r\n")[1]
    assert "\u00a0" in header
    assert clean_text(header) == "Get trending papers in your email inbox!"


_TRICKY = st.sampled_from(list("ab Z_1-\u2014\u2013\n\r\t\x00\x07\x0b\x0c\x1c\x1f\x85\xa0"
                               "\u2028\u2029\u202f\u00ad\u200b\ufeff"
                               "e\u0301\u0308é\u1100\u1161\uac00ﬁ"))


@settings(max_examples=500)
@given(st.text(_TRICKY, max_size=60) | st.text(max_size=60))
@example("word-\n\u0301x")
@example("e\u0301-\nx")
def test_clean_text_matches_the_plain_rules(text: str) -> None:
    assert clean_text(text) == reference_clean(text)


@settings(max_examples=300)
@given(st.text(_TRICKY, max_size=60) | st.text(max_size=60))
def test_clean_text_output_is_clean(text: str) -> None:
    cleaned = clean_text(text)
    assert clean_text(cleaned) == cleaned
    assert cleaned == cleaned.strip() and "  " not in cleaned
    assert not re.search(r"[^\S ]", cleaned)
    assert unicodedata.is_normalized("NFC", cleaned)


@pytest.mark.parametrize(
    ("shown", "value"),
    [("19", 19), (" 19 ", 19), ("0", 0), ("1,234", 1234), ("1.2k", 1200), ("1.25K", 1250), ("12k", 12000),
     ("3M", 3_000_000), ("2\u00a0k", 2000), ("", None), ("-", None), ("n/a", None), ("1.2", None),
     ("12,34", None), ("1.2.3k", None), (None, None)],
)
def test_parse_int(shown: str | None, value: int | None) -> None:
    assert parse_int(shown) == value
