"""open_listing: detection from content, gzip, encodings, binary and empty files; expand_inputs; sha256."""

from __future__ import annotations

import codecs
import gzip
import hashlib
import json
import os
import tempfile
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from etl.sources.records import Paper, Reject
from etl.sources import SourceError, detect_source, expand_inputs, open_listing, sha256_file
from etl.sources.files import MAX_LINE_BYTES

from .conftest import LISTINGS, SEED, api_bytes, api_day

FIXTURES = Path(__file__).resolve().parent / "fixtures"
DAY = api_day("2024-06-17.json")  # has "François Yvon" and "Hinrich Schütze": non-ASCII authors
DAY_BYTES = api_bytes("2024-06-17.json")  # the response as the API sent it (DAY is its gzip)


def papers(listing) -> list[Paper]:
    items = list(listing.items)
    assert all(isinstance(item, Paper) for item in items), [i for i in items if isinstance(i, Reject)]
    return items


@pytest.fixture(scope="module")
def day_papers() -> list[Paper]:
    return papers(open_listing(DAY))


# --- detection -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("source_file", "misleading_name", "expected"),
    [
        (DAY, "listing.xml", "hf-api"),
        (api_day("2025-01-10.json"), "envelope.txt", "hf-api"),
        (FIXTURES / "arxiv_query.atom.xml", "page.json", "arxiv-atom"),
        (FIXTURES / "arxiv_error.atom.xml", "error.txt", "arxiv-atom"),
        (FIXTURES / "arxiv_snapshot.jsonl", "snapshot.json", "arxiv-jsonl"),
        (SEED, "seed.json", "hf-text"),
    ],
)
def test_source_detected_from_content_not_name(
    tmp_path: Path, source_file: Path, misleading_name: str, expected: str
) -> None:
    copy = tmp_path / misleading_name
    copy.write_bytes(source_file.read_bytes())
    listing = open_listing(copy)
    assert listing.source == expected and listing.file == str(copy) and listing.encoding == "UTF-8"
    assert listing.notes == []


def test_every_shared_text_capture_is_detected_as_hf_text() -> None:
    for path in sorted(LISTINGS.glob("*.txt")):
        assert open_listing(path).source == "hf-text", path


def test_detection_priority_on_minimal_texts() -> None:
    assert detect_source('[{"paper": {"id": "2501.00001"}}]') == "hf-api"
    assert detect_source('{"status": "success", "data": []}') == "hf-api"
    assert (
        detect_source('{"id": "0704.0001", "versions": [], "update_date": "2008-11-13"}\n') == "arxiv-jsonl"
    )
    assert (
        detect_source('<?xml version="1.0"?>\n<feed xmlns="http://www.w3.org/2005/Atom"></feed>')
        == "arxiv-atom"
    )


def test_source_can_be_forced_and_must_exist(tmp_path: Path) -> None:
    listing = open_listing(FIXTURES / "arxiv_query.atom.xml", source="arxiv-atom")
    assert len(list(listing.items)) == 5
    with pytest.raises(SourceError, match="unknown source 'rss'"):
        open_listing(DAY, source="rss")
    with pytest.raises(SourceError, match="not a Daily Papers API response") as caught:
        open_listing(FIXTURES / "arxiv_query.atom.xml", source="hf-api")
    assert caught.value.file == str(FIXTURES / "arxiv_query.atom.xml")


def test_date_from_the_file_name_for_api_responses(tmp_path: Path) -> None:
    named = tmp_path / "hf-2024-06-17.json"
    named.write_bytes(DAY_BYTES)
    assert open_listing(named).date == "2024-06-17"
    assert open_listing(DAY).date == "2024-06-17"
    undated = tmp_path / "today.json"
    undated.write_bytes(DAY_BYTES)
    assert open_listing(undated).date is None
    mismatch = tmp_path / "2025-01-11.json"
    mismatch.write_bytes(api_bytes("2025-01-10.json"))
    listing = open_listing(mismatch)
    assert listing.date == "2025-01-11"  # the file name's day, as for every source (etl.sources.listing_date)
    assert listing.notes == [
        "the listing says it is for 2025-01-10, the file name says 2025-01-11; kept 2025-01-11"
    ]


# --- compression ---------------------------------------------------------------------------------


def test_gzip_by_content_whatever_the_name(tmp_path: Path, day_papers: list[Paper]) -> None:
    for name in ("2024-06-17.json.gz", "2024-06-17.json"):
        path = tmp_path / name
        path.write_bytes(gzip.compress(DAY_BYTES))
        listing = open_listing(path)
        assert listing.compressed and listing.source == "hf-api" and listing.date == "2024-06-17"
        assert papers(listing) == day_papers
    atom = tmp_path / "page.atom.xml.gz"
    atom.write_bytes(gzip.compress((FIXTURES / "arxiv_query.atom.xml").read_bytes()))
    assert [p.arxiv_id for p in open_listing(atom).items][:2] == ["1706.03762", "hep-th/9711200"]


def test_truncated_gzip_api_response_keeps_what_was_read(tmp_path: Path, day_papers: list[Paper]) -> None:
    packed = gzip.compress(DAY_BYTES)
    path = tmp_path / "2024-06-17.json.gz"
    path.write_bytes(packed[: len(packed) // 2])
    listing = open_listing(path)
    *read, tail = listing.items
    assert 0 < len(read) < len(day_papers) and read == day_papers[: len(read)]
    assert isinstance(tail, Reject) and tail.reason.startswith("the JSON is cut off or broken")
    assert listing.notes[0].startswith("the compressed file is cut off or damaged (Compressed file ended")


def test_truncated_gzip_jsonl_ends_with_a_reject(tmp_path: Path) -> None:
    lines = [json.dumps({"id": f"2401.{n:05d}", "title": f"Paper {n}", "versions": [], "update_date": "2024-01-02"})
             for n in range(1, 3001)]  # fmt: skip
    packed = gzip.compress(("\n".join(lines) + "\n").encode())
    path = tmp_path / "snapshot.jsonl.gz"
    path.write_bytes(packed[: len(packed) * 3 // 4])
    *read, tail = open_listing(path).items
    assert len(read) > 1000 and all(isinstance(p, Paper) for p in read[:-1])
    assert isinstance(tail, Reject) and tail.reason.startswith(
        "the compressed file is cut off or damaged after line"
    )


# --- encodings -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("codec", "bom", "label"),
    [
        ("utf-8", codecs.BOM_UTF8, "UTF-8 (BOM)"),
        ("utf-16-le", codecs.BOM_UTF16_LE, "UTF-16 (BOM)"),
        ("utf-16-be", codecs.BOM_UTF16_BE, "UTF-16 (BOM)"),
        ("utf-32-le", codecs.BOM_UTF32_LE, "UTF-32 (BOM)"),
        ("utf-16-le", b"", "UTF-16LE (no BOM)"),
    ],
)
def test_unicode_encodings(
    tmp_path: Path, day_papers: list[Paper], codec: str, bom: bytes, label: str
) -> None:
    path = tmp_path / "2024-06-17.json"
    path.write_bytes(bom + DAY_BYTES.decode("utf-8").encode(codec))
    listing = open_listing(path)
    assert (listing.source, listing.encoding) == ("hf-api", label)
    assert papers(listing) == day_papers
    assert listing.notes == ([] if bom else ["no byte-order mark; read as UTF-16LE from its NUL bytes"])


def test_utf16_jsonl_is_streamed_too(tmp_path: Path) -> None:
    path = tmp_path / "snapshot.jsonl"
    path.write_bytes(
        codecs.BOM_UTF16_LE
        + (FIXTURES / "arxiv_snapshot.jsonl").read_text(encoding="utf-8").encode("utf-16-le")
    )
    assert list(open_listing(path).items) == list(open_listing(FIXTURES / "arxiv_snapshot.jsonl").items)


def test_latin1_file_is_read_as_cp1252_with_a_note(tmp_path: Path, day_papers: list[Paper]) -> None:
    text = DAY_BYTES.decode("utf-8")
    path = tmp_path / "2024-06-17.json"
    path.write_bytes(text.encode("latin-1", errors="strict"))
    listing = open_listing(path)
    assert listing.encoding == "cp1252" or listing.encoding == "UTF-8 + cp1252"
    assert papers(listing) == day_papers  # every accented name survives
    assert any("read as cp1252" in note for note in listing.notes)


def test_windows_quotes_and_a_mixed_file(tmp_path: Path) -> None:
    records = [{"id": "2401.00001", "title": "It’s “quoted” – really", "versions": [], "update_date": "2024-01-02"},
               {"id": "2401.00002", "title": "Ünïcödé in UTF-8", "versions": [], "update_date": "2024-01-02"}]  # fmt: skip
    data = json.dumps(records[0], ensure_ascii=False).encode("cp1252") + b"\n"
    data += json.dumps(records[1], ensure_ascii=False).encode("utf-8") + b"\n"
    for name, payload in (("mixed.jsonl", data), ("mixed.jsonl.gz", gzip.compress(data))):
        path = tmp_path / name
        path.write_bytes(payload)
        listing = open_listing(path)
        first, second = listing.items  # notes are complete once the stream is read
        assert (first.title, second.title) == ("It’s “quoted” – really", "Ünïcödé in UTF-8")
        assert listing.notes == ["not valid UTF-8 on 1 line (first: line 1); read as cp1252"]
        assert listing.encoding == "UTF-8 + cp1252"


def test_a_few_nul_bytes_are_removed_with_a_note(tmp_path: Path, day_papers: list[Paper]) -> None:
    text = DAY_BYTES.decode("utf-8")
    path = tmp_path / "2024-06-17.json"
    path.write_bytes(text.replace("\n    {", "\x00\n    {", 3).encode())
    listing = open_listing(path)
    assert papers(listing) == day_papers and listing.notes == ["removed 3 NUL characters"]


# --- what is not a listing -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"", "empty file"),
        (b" \n\t\r\n  \n", "the file contains only white space"),
        (gzip.compress(b""), "empty file"),
        (codecs.BOM_UTF8, "the file contains only white space"),
        (bytes(range(256)) * 64, "binary file"),
        (os.urandom(4096).replace(b"\x1f\x8b", b"xx") + b"\x00" * 200, "binary file"),
        (b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj", "binary file \\(a PDF document\\)"),
        (b"SQLite format 3\x00" + bytes(100), "binary file \\(an SQLite database\\)"),
        (b"\x1f\x8bnot really gzip", "damaged|Not a gzipped file"),
    ],
)
def test_files_that_are_not_listings_raise_source_error_naming_the_file(
    tmp_path: Path, content: bytes, message: str
) -> None:
    path = tmp_path / "input.json"
    path.write_bytes(content)
    with pytest.raises(SourceError, match=message) as caught:
        list(open_listing(path).items)
    assert caught.value.file == str(path) and str(caught.value).startswith(str(path))


def test_missing_file_and_folder(tmp_path: Path) -> None:
    with pytest.raises(SourceError, match="no such file"):
        open_listing(tmp_path / "nope.json")
    with pytest.raises(SourceError, match="is a folder"):
        open_listing(tmp_path)


def test_an_empty_day_is_an_empty_listing_not_an_error(tmp_path: Path) -> None:
    path = tmp_path / "2025-03-15.json"
    path.write_text("[]\n")
    listing = open_listing(path)
    assert (listing.source, list(listing.items), listing.date) == ("hf-api", [], "2025-03-15")


# --- JSON lines streaming ------------------------------------------------------------------------


def test_jsonl_items_are_lazy_and_a_huge_line_is_one_reject(tmp_path: Path) -> None:
    good = json.dumps({"id": "2401.00001", "title": "Kept", "versions": [], "update_date": "2024-01-02"})
    path = tmp_path / "snapshot.jsonl"
    with path.open("w", encoding="utf-8") as out:
        out.write(good + "\n")
        out.write('{"id": "2401.00002", "title": "' + "x" * (MAX_LINE_BYTES + 10_000_000) + '"}\n')
        out.write(good.replace("00001", "00003") + "\n")
    listing = open_listing(path)
    assert not isinstance(listing.items, list)
    first, huge, last = listing.items
    assert first.title == "Kept" and last.arxiv_id == "2401.00003" and last.line == 3
    assert isinstance(huge, Reject) and huge.line == 2 and huge.reason.startswith("a line of more than")
    assert len(huge.raw) < 2100


# --- inputs --------------------------------------------------------------------------------------


def test_expand_inputs(tmp_path: Path) -> None:
    for name in ("b/2.json", "b/c/3.xml", "a.txt", "b/.hidden.json", ".git/config", "b/1.json.gz"):
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_text("x")
    found = expand_inputs([tmp_path / "b", str(tmp_path / "*.txt"), str(tmp_path / "b" / "2.json")])
    assert [p.relative_to(tmp_path).as_posix() for p in found] == [
        "b/1.json.gz",
        "b/2.json",
        "b/c/3.xml",
        "a.txt",
    ]
    everything = expand_inputs([str(tmp_path)])
    assert [p.relative_to(tmp_path).as_posix() for p in everything] == [
        "a.txt",
        "b/1.json.gz",
        "b/2.json",
        "b/c/3.xml",
    ]
    assert len(expand_inputs([str(tmp_path / "**" / "*.json")])) == 1
    with pytest.raises(SourceError, match="no file matches"):
        expand_inputs([str(tmp_path / "*.csv")])
    with pytest.raises(SourceError, match="no such file or folder"):
        expand_inputs([str(tmp_path / "missing.json")])


def test_sha256_file_is_of_the_stored_bytes() -> None:
    gz = FIXTURES / "arxiv_snapshot.jsonl.gz"
    assert sha256_file(gz) == hashlib.sha256(gz.read_bytes()).hexdigest()
    assert sha256_file(DAY) == hashlib.sha256(DAY.read_bytes()).hexdigest()


# --- arbitrary bytes -----------------------------------------------------------------------------

PREFIXES = [b"", b"[", b"{", b'[{"paper": ', b"\x1f\x8b", codecs.BOM_UTF8, codecs.BOM_UTF16_LE, b"<?xml ",
            b'<feed xmlns="http://www.w3.org/2005/Atom">', b'{"id": "0704.0001", "versions": [], "update_date": "x"}\n']  # fmt: skip


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.sampled_from(PREFIXES), st.binary(max_size=600), st.booleans())
def test_open_listing_never_raises_anything_but_source_error(
    prefix: bytes, body: bytes, compress: bool
) -> None:
    data = prefix + body
    if compress:
        data = gzip.compress(data)[: max(len(data) // 2, 12)] if body[:1] == b"\x00" else gzip.compress(data)
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "input"
        path.write_bytes(data)
        try:
            listing = open_listing(path)
            items = list(listing.items)
        except SourceError as error:
            assert error.file == str(path)
            return
        assert all(isinstance(item, (Paper, Reject)) for item in items)
