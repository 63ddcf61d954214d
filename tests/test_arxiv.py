"""arXiv readers: API Atom pages and metadata-snapshot JSON lines, on the fixtures and damaged copies."""

from __future__ import annotations

import gzip
import json
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from etl.sources.records import Paper, Reject
from etl.sources import SourceError, arxiv_atom, arxiv_jsonl, open_listing

FIXTURES = Path(__file__).resolve().parent / "fixtures"
ATOM = (FIXTURES / "arxiv_query.atom.xml").read_text(encoding="utf-8")
ERROR = (FIXTURES / "arxiv_error.atom.xml").read_text(encoding="utf-8")
JSONL = FIXTURES / "arxiv_snapshot.jsonl"


# --- Atom ----------------------------------------------------------------------------------------


def test_atom_page_counts_and_order() -> None:
    feed = arxiv_atom.read_feed(ATOM)
    assert (feed.total_results, feed.start_index, feed.items_per_page, feed.entries) == (5, 0, 5, 5)
    assert [(p.arxiv_id, p.arxiv_version, p.position, p.line) for p in feed.items] == [
        ("1706.03762", 7, 1, 10),
        ("hep-th/9711200", 3, 2, 53),
        ("0710.2073", 2, 3, 77),
        ("math/0211159", 1, 4, 100),
        ("2501.12948", 1, 5, 118),  # an https:// id, as the API writes them since 2025
    ]
    for paper in feed.items:
        assert ATOM.splitlines()[paper.line - 1].strip() == "<entry>"


def test_atom_entry_fields() -> None:
    attention, maldacena, popolitov, perelman, _ = arxiv_atom.parse(ATOM).items
    assert attention == Paper(
        title="Attention Is All You Need",
        abstract="The dominant sequence transduction models are based on complex recurrent or convolutional neural"
        " networks in an encoder-decoder configuration. The best performing models also connect the encoder and"
        " decoder through an attention mechanism. We propose a new simple network architecture, the Transformer,"
        " based solely on attention mechanisms, dispensing with recurrence and convolutions entirely.",
        arxiv_id="1706.03762",
        arxiv_version=7,
        authors=[
            "Ashish Vaswani",
            "Noam Shazeer",
            "Niki Parmar",
            "Jakob Uszkoreit",
            "Llion Jones",
            "Aidan N. Gomez",
            "Lukasz Kaiser",
            "Illia Polosukhin",
        ],
        published="2017-06-12",
        updated="2023-08-02",
        categories=["cs.CL", "cs.LG"],
        primary_category="cs.CL",
        arxiv_comment="15 pages, 5 figures",
        line=10,
        position=1,
    )
    # A title hard-wrapped over two lines, a DOI element, a journal ref and a wrapped comment.
    assert maldacena.title == "The Large N Limit of Superconformal Field Theories and Supergravity"
    assert (maldacena.doi, maldacena.journal_ref) == (
        "10.1023/A:1026654312961",
        "Adv.Theor.Math.Phys.2:231-252,1998",
    )
    assert maldacena.arxiv_comment == (
        "20 pages, harvmac, v2: section on AdS_2 corrected, references added, v3: more references added"
    )
    assert (maldacena.published, maldacena.updated) == ("1997-11-27", "1998-01-22")
    # No <arxiv:doi>, only the DOI link: the DOI comes from the link.
    assert popolitov.doi == "10.1134/S0021364007210011"
    assert (
        popolitov.title
        == "On coincidence of Alday-Maldacena-regularized $σ$-model and Nambu-Goto areas of minimal surfaces"
    )
    assert (perelman.categories, perelman.primary_category) == (["math.DG", "math.GT"], "math.DG")


def test_atom_error_entry_is_a_reject() -> None:
    feed = arxiv_atom.read_feed(ERROR)
    [reject] = feed.items
    assert isinstance(reject, Reject) and feed.errors == [reject]
    assert reject.reason == "the arXiv API answered with an error: incorrect id format for 1234.12345v1234"
    assert (reject.line, reject.position) == (10, 1)
    assert "<title>Error</title>" in reject.raw


def test_atom_cut_off_keeps_complete_entries() -> None:
    cut = ATOM[: ATOM.index("<title>DeepSeek-R1")]
    *papers, tail = arxiv_atom.parse(cut).items
    assert [p.arxiv_id for p in papers] == ["1706.03762", "hep-th/9711200", "0710.2073", "math/0211159"]
    assert isinstance(tail, Reject) and tail.line == 118 and tail.position == 5
    assert tail.reason.startswith("the XML is cut off or broken at line ")
    assert tail.raw.startswith("  <entry>\n    <id>https://arxiv.org/abs/2501.12948v1</id>")


def test_atom_entry_without_title_or_with_a_foreign_id() -> None:
    text = ATOM.replace("<title>Attention Is All You Need</title>", "<title>  </title>").replace(
        "http://arxiv.org/abs/math/0211159v1</id>", "https://example.org/paper/1</id>"
    )
    items = arxiv_atom.parse(text).items
    assert isinstance(items[0], Reject) and items[0].reason == "entry 1706.03762 has no title"
    assert isinstance(items[3], Reject) and "not an arXiv abstract URL" in items[3].reason
    assert [type(item) for item in items].count(Paper) == 3


def test_atom_with_a_doctype_is_refused_before_parsing(tmp_path: Path) -> None:
    xxe = (
        '<?xml version="1.0"?>\n<!DOCTYPE feed [<!ENTITY secret SYSTEM "file:///etc/passwd">]>\n'
        '<feed xmlns="http://www.w3.org/2005/Atom"><entry><id>http://arxiv.org/abs/2401.00001v1</id>'
        "<title>&secret;</title></entry></feed>"
    )
    with pytest.raises(SourceError, match="DOCTYPE is refused") as caught:
        arxiv_atom.parse(xxe)
    assert caught.value.line == 2
    laughs = '<!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;">]>' + ATOM.split("?>", 1)[1]
    path = tmp_path / "laughs.xml"
    path.write_text('<?xml version="1.0"?>\n' + laughs, encoding="utf-8")
    with pytest.raises(SourceError, match="laughs.xml, line 2: XML with a DOCTYPE is refused"):
        open_listing(path, source="arxiv-atom")


def test_atom_undeclared_entity_is_a_reject_not_a_crash() -> None:
    text = ATOM.replace("<title>Attention Is All You Need</title>", "<title>&nbsp;Attention</title>")
    items = arxiv_atom.parse(text).items
    assert len(items) == 1 and isinstance(items[0], Reject) and "undefined entity" in items[0].reason


def test_atom_not_a_feed() -> None:
    with pytest.raises(SourceError, match="root element is <html>"):
        arxiv_atom.parse("<html><body>Rate exceeded.</body></html>")
    with pytest.raises(SourceError, match="not XML"):
        arxiv_atom.parse("Rate exceeded.")


def test_atom_empty_page_is_an_empty_listing() -> None:
    head = ATOM[: ATOM.index("  <entry>")] + "</feed>\n"
    feed = arxiv_atom.read_feed(head)
    assert feed.items == [] and feed.total_results == 5


@settings(max_examples=300, deadline=None)
@given(st.text(), st.integers(min_value=0, max_value=len(ATOM)))
def test_atom_never_raises_anything_but_source_error(noise: str, cut_at: int) -> None:
    for text in (noise, ATOM[:cut_at], ATOM[:cut_at] + noise):
        try:
            items = arxiv_atom.parse(text).items
        except SourceError:
            continue
        assert all(isinstance(item, (Paper, Reject)) for item in items)


# --- JSON lines ----------------------------------------------------------------------------------


def test_jsonl_fixture_items() -> None:
    items = list(arxiv_jsonl.parse_lines(JSONL.read_text(encoding="utf-8").splitlines(keepends=True)))
    assert [(type(i).__name__, i.line, i.position) for i in items] == [
        ("Paper", 1, 1), ("Paper", 2, 2), ("Paper", 4, 3), ("Reject", 5, 4), ("Reject", 6, 5), ("Paper", 7, 6),
    ]  # fmt: skip
    first, maldacena, attention, truncated, numeric, perelman = items
    assert first == Paper(
        title="Calculation of prompt diphoton production cross sections at Tevatron and LHC energies",
        abstract="A fully differential calculation in perturbative quantum chromodynamics is presented for the"
        " production of massive photon pairs at hadron colliders. All next-to-leading order perturbative"
        " contributions from quark-antiquark, gluon-(anti)quark, and gluon-gluon subprocesses are included.",
        arxiv_id="0704.0001",
        arxiv_version=2,
        authors=["C. Balázs", "E. L. Berger", "P. M. Nadolsky", "C. -P. Yuan"],
        published="2007-04-02",
        updated="2008-11-13",
        categories=["hep-ph"],
        primary_category="hep-ph",
        doi="10.1103/PhysRevD.76.013009",
        journal_ref="Phys.Rev.D76:013009,2007",
        arxiv_comment="37 pages, 15 figures; published version",
        line=1,
        position=1,
    )
    assert (maldacena.arxiv_id, maldacena.arxiv_version, maldacena.published) == (
        "hep-th/9711200",
        3,
        "1997-11-27",
    )
    assert (attention.arxiv_version, attention.categories, attention.primary_category) == (
        7,
        ["cs.CL", "cs.LG"],
        "cs.CL",
    )
    assert truncated.reason.startswith("not valid JSON: Unterminated string")
    assert numeric.reason == "id 704.0002 is not a string (a number loses digits)"
    # No authors_parsed: the authors string is split instead.
    assert (perelman.arxiv_id, perelman.authors) == ("math/0211159", ["Grisha Perelman"])


def test_jsonl_is_streamed_lazily() -> None:
    consumed = []

    def lines():
        for number, line in enumerate(JSONL.read_text(encoding="utf-8").splitlines(), 1):
            consumed.append(number)
            yield line

    items = arxiv_jsonl.parse_lines(lines())
    first = next(items)
    assert first.arxiv_id == "0704.0001" and consumed == [1]


def test_jsonl_author_string_fallback_and_odd_records() -> None:
    lines = [
        json.dumps({"id": "2401.00002", "title": "T", "authors": "A. One, B. Two and C. Three"}),
        json.dumps(["not", "an", "object"]),
        json.dumps({"id": "2401.00003"}),
        json.dumps({"id": "bogus", "title": "T"}),
        json.dumps(
            {"id": "2401.00004v3", "title": "T", "versions": [{"version": "v1", "created": "garbage"}]}
        ),
        "x" * (arxiv_jsonl.MAX_LINE_CHARS + 1),
    ]
    a, b, c, d, e, f = arxiv_jsonl.parse_lines(lines)
    assert a.authors == ["A. One", "B. Two", "C. Three"]
    assert b.reason == "a JSON list where a metadata object was expected"
    assert c.reason == "2401.00003 has no title"
    assert d.reason == "id 'bogus' is not an arXiv id"
    assert (e.arxiv_id, e.arxiv_version, e.published) == ("2401.00004", 1, None)
    assert f.reason.startswith("a line of more than 1,000,000 characters") and len(f.raw) < 2100


def test_jsonl_gz_gives_the_same_items() -> None:
    plain = list(open_listing(JSONL).items)
    listing = open_listing(FIXTURES / "arxiv_snapshot.jsonl.gz")
    assert listing.source == "arxiv-jsonl" and listing.compressed
    assert list(listing.items) == plain
    assert gzip.decompress((FIXTURES / "arxiv_snapshot.jsonl.gz").read_bytes()) == JSONL.read_bytes()


@settings(max_examples=300, deadline=None)
@given(st.lists(st.text(), max_size=8))
def test_jsonl_never_raises(lines: list[str]) -> None:
    for item in arxiv_jsonl.parse_lines(lines):
        assert isinstance(item, (Paper, Reject))


@settings(max_examples=200, deadline=None)
@given(st.dictionaries(st.sampled_from(["id", "title", "abstract", "authors", "authors_parsed", "versions",
                                        "categories", "update_date", "doi", "comments", "journal-ref"]),
                       st.recursive(st.none() | st.integers() | st.text(max_size=20),
                                    lambda c: st.lists(c, max_size=3) | st.dictionaries(st.text(max_size=8), c, max_size=3),
                                    max_leaves=10)))  # fmt: skip
def test_jsonl_never_raises_on_snapshot_shaped_records(record: dict) -> None:
    [item] = arxiv_jsonl.parse_lines([json.dumps(record)])
    assert isinstance(item, (Paper, Reject))
