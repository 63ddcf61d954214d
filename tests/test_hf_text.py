"""The Daily Papers text parser on the listing renders in tests/fixtures/listings, on damaged copies of them, and on
arbitrary text (hypothesis)."""

from __future__ import annotations

import gzip
import json
import re
import textwrap
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from etl.text.normalize import clean_text
from etl.sources.records import RAW_LIMIT, Listing, Paper, Reject
from etl.sources.hf_text import parse, sniff
from etl.sources.markup import strip_markup

from .conftest import LISTINGS, SEED, api_files

CAPTURES = sorted(LISTINGS.glob("*.txt"))
SHAPES = ("paste", "compact", "pagecopy", "markdown")

# What each shape shows besides title and abstract. Checked against the files themselves below
# (test_fields_shown_match_the_files), so that this table cannot drift from the data.
SHOWN = {
    "paste": set(),
    "compact": set(),
    "markdown": {"upvotes", "author_count"},
    "pagecopy": {"arxiv_id", "upvotes", "author_count", "published"},
}
EXPECTED_KEYS = {"arxiv_id": "arxiv_id", "upvotes": "upvotes", "author_count": "authors"}


def read(path: Path) -> str:
    data = path.read_bytes()
    if path.suffix == ".gz":
        data = gzip.decompress(data)
    return data.decode("utf-8")  # not read_text: it would turn CRLF into LF


def expected_for(path: Path) -> dict:
    return json.loads(path.with_name(path.name.split(".")[0] + ".expected.json").read_text(encoding="utf-8"))


def shape_of(path: Path) -> str:
    return path.name.split(".")[1]


def line_of(item: Paper | Reject) -> int:
    assert item.line is not None
    return item.line


def run(text: str) -> tuple[Listing, list[Paper], list[Reject]]:
    listing = parse(text)
    items = list(listing.items)
    assert all(isinstance(item, (Paper, Reject)) for item in items)
    return (listing, [item for item in items if isinstance(item, Paper)],
            [item for item in items if isinstance(item, Reject)])


def seed_paragraphs() -> list[str]:
    return [clean_text(paragraph) for paragraph in re.split(r"\n\s*\n", read(SEED)) if paragraph.strip()]


# --- the real captures ---------------------------------------------------------------------------


def test_the_shared_captures_are_there() -> None:
    assert len(CAPTURES) == 13, f"expected 13 captures in {LISTINGS}"
    assert {shape_of(path) for path in CAPTURES} == set(SHAPES)


@pytest.mark.parametrize("path", CAPTURES, ids=lambda path: path.name)
def test_capture_parses_to_its_expected_json(path: Path) -> None:
    listing, papers, rejects = run(read(path))
    expected = expected_for(path)
    assert rejects == []
    assert listing.source == "hf-text"
    assert listing.date_text == expected["listing_date_text"]
    assert listing.date is None  # the capture shows no year: never invented
    assert [paper.title for paper in papers] == [paper["title"] for paper in expected["papers"]]
    assert [paper.abstract for paper in papers] == [paper["abstract"] for paper in expected["papers"]]
    assert [paper.position for paper in papers] == list(range(1, len(papers) + 1))


@pytest.mark.parametrize("path", CAPTURES, ids=lambda path: path.name)
def test_capture_shape_is_detected(path: Path) -> None:
    assert parse(read(path)).shape == shape_of(path)


@pytest.mark.parametrize("path", CAPTURES, ids=lambda path: path.name)
def test_ids_upvotes_and_author_counts_exactly_where_the_shape_shows_them(path: Path) -> None:
    _, papers, _ = run(read(path))
    expected = expected_for(path)["papers"]
    shown = SHOWN[shape_of(path)]
    for paper, wanted in zip(papers, expected, strict=True):
        for field, key in EXPECTED_KEYS.items():
            assert getattr(paper, field) == (wanted[key] if field in shown else None), (field, paper.title)
        if "published" in shown:
            # Page copies show each paper's date with its year ("Jun 17, 2024"): the arXiv date.
            assert paper.published is not None and re.fullmatch(r"\d{4}-\d\d-\d\d", paper.published)
        else:
            assert paper.published is None


@pytest.mark.parametrize("path", CAPTURES, ids=lambda path: path.name)
def test_fields_shown_match_the_files(path: Path) -> None:
    """The SHOWN table is a fact about the files: ids, counts and author numbers are there or not."""
    text = read(path)
    expected = expected_for(path)["papers"]
    shown = SHOWN[shape_of(path)]
    ids_in_text = [paper["arxiv_id"] in text for paper in expected]
    assert all(ids_in_text) if "arxiv_id" in shown else not any(ids_in_text)
    author_lines = re.findall(r"(?m)^\W*\d+ authors?\s*$", text)
    assert len(author_lines) == (len(expected) if "author_count" in shown else 0)
    count_lines = re.findall(r"(?m)^\s*(?:\[-\]\s*)?\d+\s*$", text)
    assert len(count_lines) == (len(expected) if "upvotes" in shown else 0)


@pytest.mark.parametrize("path", CAPTURES, ids=lambda path: path.name)
def test_line_numbers_point_at_the_titles(path: Path) -> None:
    lines = re.split(r"\r\n|\r|\n", read(path))
    _, papers, _ = run(read(path))
    for paper in papers:
        assert paper.line is not None
        first_words = " ".join(paper.title.split()[:3])
        assert first_words in clean_text(lines[paper.line - 1]), (paper.line, paper.title)


def test_the_four_shapes_of_one_day_agree() -> None:
    """The same day captured four ways gives the same papers."""
    results = {shape_of(path): run(read(path))[1] for path in CAPTURES if path.name.startswith("2025-03-14")}
    assert set(results) == set(SHAPES)
    reference = [(paper.title, paper.abstract) for paper in results["paste"]]
    for papers in results.values():
        assert [(paper.title, paper.abstract) for paper in papers] == reference


def test_markdown_titles_wrapped_over_heading_lines_are_joined() -> None:
    text = read(LISTINGS / "2024-06-20.markdown.txt")
    assert "Benchmarking Long-Context Capability\n### of Multimodal" in text
    _, papers, _ = run(text)
    assert papers[0].title == ("Multimodal Needle in a Haystack: Benchmarking Long-Context Capability of "
                               "Multimodal Large Language Models")
    assert papers[0].line == 13


def test_pagecopy_ids_come_from_the_paper_urls() -> None:
    text = read(LISTINGS / "2025-03-14.pagecopy.txt")
    assert "https://huggingface.co/papers/2503.10613" in text
    _, papers, _ = run(text)
    assert (papers[0].arxiv_id, papers[0].upvotes, papers[0].author_count) == ("2503.10613", 29, 4)
    assert papers[0].published == "2025-03-13"


# --- the seed ------------------------------------------------------------------------------------


def test_seed_gives_exactly_its_63_papers() -> None:
    listing, papers, rejects = run(read(SEED))
    paragraphs = seed_paragraphs()
    header, pairs = paragraphs[:5], paragraphs[5:]
    assert header[-1] == "Mar 14" and len(pairs) == 126
    assert rejects == []
    assert len(papers) == 63
    assert [paper.title for paper in papers] == pairs[0::2]
    assert [paper.abstract for paper in papers] == pairs[1::2]
    assert listing.date_text == "Mar 14"
    assert listing.shape == "paste"
    assert listing.date is None
    assert [paper.position for paper in papers] == list(range(1, 64))
    assert all(paper.arxiv_id is None and paper.upvotes is None for paper in papers)


def test_seed_line_numbers() -> None:
    _, papers, _ = run(read(SEED))
    lines = read(SEED).split("\n")
    assert papers[0].line == 11
    for paper in papers:
        assert clean_text(lines[line_of(paper) - 1]) == paper.title


@pytest.mark.parametrize("width", [60, 80, 120])
def test_seed_hard_wrapped_with_blank_lines_between_paragraphs(width: int) -> None:
    """A paste that went through a fixed-width wrap (an e-mail, a terminal) reads the same."""
    paragraphs = re.split(r"\n\n", read(SEED))
    wrapped = "\n\n".join(textwrap.fill(paragraph, width) for paragraph in paragraphs)
    listing, papers, rejects = run(wrapped)
    assert rejects == [] and listing.shape == "paste"
    pairs = seed_paragraphs()[5:]
    assert [(paper.title, paper.abstract) for paper in papers] == list(zip(pairs[0::2], pairs[1::2]))
    if width == 80:
        # A title wraps before the page word "models", and an abstract after "statistics--".
        assert "approximate\nmodels\n" in wrapped and "statistics--\n" in wrapped


def test_compact_with_short_abstracts() -> None:
    paragraphs = seed_paragraphs()
    shortened = paragraphs[:5] + [
        paragraph if index % 2 == 0 else paragraph[:150].rsplit(" ", 1)[0] + "."
        for index, paragraph in enumerate(paragraphs[5:])
    ]
    listing, papers, rejects = run("\n".join(shortened))
    assert rejects == [] and listing.shape == "compact"
    assert [(paper.title, paper.abstract) for paper in papers] == list(zip(shortened[5::2], shortened[6::2]))


def test_a_date_line_with_its_year_gives_the_listing_date() -> None:
    text = read(SEED).replace("\nMar 14\n", "\nMar 14, 2023\n", 1)
    listing, papers, _ = run(text)
    assert (listing.date_text, listing.date, len(papers)) == ("Mar 14, 2023", "2023-03-14", 63)


# --- damaged and dirty input ---------------------------------------------------------------------


def header_of(path: Path) -> str:
    """The capture cut just after its date line, before its first paper."""
    lines = read(path).splitlines(keepends=True)
    date_text = parse(read(path)).date_text
    end = next(index for index, line in enumerate(lines) if clean_text(line) == date_text)
    return "".join(lines[: end + 1])


@pytest.mark.parametrize("path", CAPTURES + [SEED], ids=lambda path: path.name)
def test_header_only_listing_gives_no_papers(path: Path) -> None:
    header = header_of(path)
    assert header.strip(), "the header is not empty"
    listing, papers, rejects = run(header)
    assert papers == []
    assert [(r.line, r.reason) for r in rejects] == [
        (1, f"lines 1-{header.count(chr(10)) + 1}: no paper in this capture, only page header lines")]
    assert listing.date_text is not None


def test_header_lines_alone() -> None:
    text = "new\nGet trending papers in your email inbox!\nSubscribe\nbyAK and the research community\n"
    for variant in (text, text.replace("\n", "\n\n"),
                    "Daily Papers\n\nby\n\nAK\n\nand the research community\n",
                    "# Daily Papers\n## by[AK][1] and the research community\n* Daily\n* Weekly\n* Monthly\n",
                    "Mar 13, 2025\n·\n[\n-\n][2]\n"):
        _, papers, rejects = run(variant)
        assert papers == [] and [r.reason.split(": ", 1)[1] for r in rejects] == [
            "no paper in this capture, only page header lines"]


@pytest.mark.parametrize("text", ["", " ", "\n\n\n", "\ufeff", "\r\n\r\n", "\x00\x00\x00", "\u00a0\u2028"])
def test_empty_text_gives_nothing(text: str) -> None:
    listing, papers, rejects = run(text)
    assert (papers, rejects) == ([], [])
    assert listing.date_text is None


def _without_paragraph(text: str, paragraph: str) -> str:
    assert paragraph in text
    return text.replace(paragraph, "", 1)


@pytest.mark.parametrize("shape", SHAPES)
def test_title_without_abstract_is_rejected_and_the_rest_kept(shape: str) -> None:
    path = LISTINGS / f"2025-03-14.{shape}.txt"
    text = read(path)
    expected = expected_for(path)["papers"]
    victim = expected[3]
    if shape == "markdown":
        # The abstract's wrapped block between "[" and "][n]": take it out whole.
        block = next(b for b in re.split(r"\n\n", text) if clean_text(b) == victim["abstract"])
        damaged = _without_paragraph(text, block)
    else:
        damaged = _without_paragraph(text, victim["abstract"])
    _, papers, rejects = run(damaged)
    assert [paper.title for paper in papers] == [paper["title"] for paper in expected if paper is not victim]
    assert len(rejects) == 1
    reject = rejects[0]
    assert "no abstract" in reject.reason and victim["title"][:40] in reject.reason
    assert reject.line is not None and str(reject.line) in reject.reason
    assert victim["title"].split()[0] in damaged.splitlines()[reject.line - 1]
    assert reject.position == 4
    assert [paper.position for paper in papers] == [1, 2, 3] + list(range(5, len(expected) + 1))


def test_abstract_without_title_is_rejected_in_a_paste() -> None:
    text = read(SEED)
    paragraphs = seed_paragraphs()
    lost_title, orphan = paragraphs[5 + 2 * 10], paragraphs[5 + 2 * 10 + 1]
    damaged = _without_paragraph(text, lost_title + "\n")
    _, papers, rejects = run(damaged)
    assert len(papers) == 62 and lost_title not in [paper.title for paper in papers]
    assert len(rejects) == 1
    assert rejects[0].raw == orphan
    assert "does not read like a title" in rejects[0].reason
    assert orphan.split()[0] in damaged.split("\n")[line_of(rejects[0]) - 1]


def test_bom_crlf_and_nbsp_capture() -> None:
    raw = read(LISTINGS / "2024-12-11.paste.txt")
    assert raw.startswith("\ufeff") and "\r\n" in raw and "\u00a0" in raw
    listing, papers, rejects = run(raw)
    assert len(papers) == 26 and rejects == []
    assert listing.date_text == "Dec 11"
    assert not any("\u00a0" in paper.title + paper.abstract or "\r" in paper.abstract for paper in papers)


@pytest.mark.parametrize("shape", SHAPES)
def test_bom_crlf_nbsp_added_to_every_shape_change_nothing(shape: str) -> None:
    path = LISTINGS / f"2025-10-15.{shape}.txt"
    plain = run(read(path))[1]
    dirty = "\ufeff" + read(path).replace("\n", "\r\n").replace(" ", "\u00a0", 200)
    listing, papers, rejects = run(dirty)
    assert rejects == []
    assert papers == plain
    assert listing.shape == shape


@pytest.mark.parametrize("shape", SHAPES)
def test_nul_bytes_and_control_characters_are_dropped(shape: str) -> None:
    path = LISTINGS / f"2024-06-20.{shape}.txt"
    expected = expected_for(path)
    text = read(path)
    dirty = text.replace("Subscribe", "Sub\x00scribe\x0c").replace("Multimodal", "Multi\x00modal\x07")
    dirty = dirty.replace("Long Code Arena", "Long\x1b Code\x7f Arena").replace("Jun 20", "\x00Jun\x0b20", 1)
    assert dirty != text
    listing, papers, rejects = run(dirty)
    assert rejects == []
    assert [paper.title for paper in papers] == [paper["title"] for paper in expected["papers"]]
    assert [paper.abstract for paper in papers] == [paper["abstract"] for paper in expected["papers"]]
    assert listing.date_text == "Jun 20"


def test_a_10_mb_line_becomes_one_reject() -> None:
    text = read(SEED)
    huge = ("word " * 2_000_000).strip()
    _, papers, rejects = run(text + "\n\n" + huge + "\n")
    assert len(papers) == 63
    assert len(rejects) == 1
    assert "10,000,000" in rejects[0].reason or "9,999,999" in rejects[0].reason
    assert len(rejects[0].raw) < RAW_LIMIT + 100
    assert rejects[0].line == read(SEED).count("\n") + 3

    _, papers, rejects = run(huge)
    assert papers == [] and len(rejects) == 1 and rejects[0].line == 1


def test_a_10_mb_title_like_line_without_spaces() -> None:
    _, papers, rejects = run("Mar 14\n\n" + "x" * 10_000_000)
    assert papers == [] and len(rejects) == 1


def test_upvotes_written_in_thousands() -> None:
    text = read(LISTINGS / "2025-03-14.pagecopy.txt").replace(" [-] 29\n", " [-] 1.2k\n", 1)
    _, papers, _ = run(text)
    assert papers[0].upvotes == 1200


def test_markdown_reference_links_give_arxiv_ids() -> None:
    """When a markdown capture keeps its link references, the heading's link carries the arXiv id."""
    text = read(LISTINGS / "2025-03-14.markdown.txt")
    text += "\n[3]: https://huggingface.co/papers/2503.10613\n[8]: https://huggingface.co/papers/2503.10480\n"
    _, papers, rejects = run(text)
    assert rejects == []
    assert [paper.arxiv_id for paper in papers[:3]] == ["2503.10613", "2503.10480", None]


def test_unknown_lines_between_papers_are_reported_not_lost() -> None:
    anchor = "\n\nMaking RL with Preference"
    text = read(SEED).replace(anchor, "\n\nSome stray note." + anchor)
    _, papers, rejects = run(text)
    assert len(papers) == 63
    assert len(rejects) == 1 and rejects[0].raw == "Some stray note."
    assert rejects[0].position == 2 and papers[1].position == 3


@pytest.mark.parametrize("text", [
    "\x00" * 1000, "\udcff\udcfe" * 10, "[" * 5000, "#" * 5000 + "\n" + "### [" * 1000,
    "]" * 100 + "\n" * 100,
    "### [\n### ][3]", "- \n" * 100, "[-] 999999999999999999999999\n", "[-] 1.2.3.4k\n", "0" * 5000,
    "Submitted by\n" * 10, "https://huggingface.co/papers/2503.10613\n" * 3, "Feb 31, 2025\n\nT\n\nA.",
    bytes(range(256)).decode("latin-1") * 20,
])
def test_odd_input_never_raises(text: str) -> None:
    _, papers, rejects = run(text)
    for item in papers + rejects:
        assert item.line is None or item.line >= 1


# --- sniff ---------------------------------------------------------------------------------------


@pytest.mark.parametrize("path", CAPTURES + [SEED], ids=lambda path: path.name)
def test_sniff_accepts_every_capture(path: Path) -> None:
    assert sniff(read(path))


def test_sniff_refuses_json_xml_and_nothing() -> None:
    api = api_files()[:3]
    assert api
    for path in api:
        assert not sniff(read(path))
    for text in ["", "  \n", '{"a": 1}\n{"b": 2}\n', "[1, 2]", '[\n  {"paper": {}}\n]', "[]",
                 '<?xml version="1.0"?><feed/>', "<feed xmlns='http://www.w3.org/2005/Atom'>",
                 "\x00\x01\x02\x03" * 100]:
        assert not sniff(text), text[:20]
    assert sniff("[\n-\n][2]\n\n### [A title][3]\n")  # a markdown capture may start with a link block


# --- property: never raises, never invents text --------------------------------------------------


def _searchable(text: str) -> str:
    """The input as a parser may read it: each line without invisible characters, surrounding spaces
    or a leading markdown heading mark, then cleaned as one text. A title wrapped over several
    "### " lines must be found in it as one string."""
    lines = re.split(r"\r\n|\r|\n", text)
    stripped = [re.sub(r"^#{1,6}(?:\s+|$)", "", clean_text(line)) for line in lines]
    return clean_text("\n".join(stripped))


def _check_invariants(text: str) -> None:
    listing = parse(text)
    items = list(listing.items)
    # Markup (links, escapes) is not text: what is read must be in the text or in the text without it.
    unmarked = strip_markup(text.replace("\r\n", "\n").replace("\r", "\n"))[0]  # as parse reads it
    haystack = _searchable(text) + "\n" + _searchable(unmarked)
    line_count = len(re.split(r"\r\n|\r|\n", text))
    assert all(item.position is not None for item in items)
    positions = [item.position or 0 for item in items]
    assert positions == sorted(positions) and len(set(positions)) == len(positions)
    for item in items:
        assert item.line is not None and 1 <= item.line <= line_count
        if isinstance(item, Paper):
            text = item.abstract or item.ai_summary
            assert item.title and text and not (item.abstract and item.ai_summary)
            assert item.title == clean_text(item.title) and text == clean_text(text)
            assert item.title in haystack
            assert text in haystack
        else:
            assert item.reason and len(item.raw) <= RAW_LIMIT + 40


_PIECES = st.sampled_from([
    "new", "Subscribe", "Get trending papers in your email inbox!", "byAK and the research community",
    "Mar 14", "Mar 13, 2025", "·", " [-] 19", "[-] 1.2k", "-", "[", "][4]", "* 9 authors", "7 authors",
    "Submitted by someone", "https://huggingface.co/papers/2503.10613", "19", "### [A wrapped",
    "### heading title][3]", "# Daily Papers", "A Short Title", "Another Title: With a Colon",
    "This abstract is one sentence long.", "cost-", "efficient tool paths.", "1 step -",
    "Tra\u0301nsformers\u00a0without Normalization", "\ufeffnew", "\x00", "e\u0301",
    "[3]: https://arxiv.org/abs/2401.00001",
    "Normalization layers are ubiquitous in modern networks and long thought essential. " * 3,
])
_STRUCTURED = st.lists(st.one_of(_PIECES, st.text(max_size=30)), max_size=40).flatmap(
    lambda pieces: st.lists(st.sampled_from(["\n", "\n\n", "\r\n", "\r", "\n \n", " "]),
                            min_size=len(pieces), max_size=len(pieces)).map(
        lambda seps: "".join(piece + sep for piece, sep in zip(pieces, seps))))


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.text(max_size=400))
def test_property_arbitrary_text(text: str) -> None:
    _check_invariants(text)


@settings(max_examples=600, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(_STRUCTURED)
def test_property_listing_like_text(text: str) -> None:
    _check_invariants(text)


def test_page_heading_inside_a_links_text_joins_without_its_mark() -> None:
    # Found by test_property_listing_like_text: a "# " line wrapped inside a reference link's text
    # goes on the paragraph, and its heading mark is markup, not text.
    words = "Normalization layers are ubiquitous in modern networks and long thought essential. " * 3
    text = "A Short Title\n[\n\u00e9\n# Daily Papers\n" + words + "\n][4]\n"
    papers = [item for item in parse(text).items if isinstance(item, Paper)]
    assert [(paper.title, paper.abstract) for paper in papers] == [
        ("A Short Title", "\u00e9 Daily Papers " + words.strip())]
    _check_invariants(text)


def test_property_holds_on_the_real_captures() -> None:
    for path in CAPTURES + [SEED]:
        _check_invariants(read(path))
