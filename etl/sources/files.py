"""From a path to a listing: inputs expanded, bytes read (plain or gzip), text decoded, source detected.

What a file can be and what happens to it:

- gzip (recognised by its magic bytes, whatever the name): decompressed; arXiv JSON lines as a stream.
- UTF-8 with or without a BOM; UTF-16/UTF-32 with a BOM; UTF-16 without a BOM when its NUL bytes give
  it away: decoded, the choice written in ``notes``.
- Not UTF-8: each line that is not valid UTF-8 is read as cp1252 (latin-1 for the five bytes cp1252
  leaves undefined), so a file mixing both loses nothing; ``notes`` says how many lines and where.
- A few NUL bytes in text: removed, with a note. Binary files (NUL-heavy or control-character-heavy,
  or a known binary signature such as PDF, ZIP, PNG, SQLite): ``SourceError``.
- Empty, or nothing but white space: ``SourceError`` ("empty file"), which the build records as a
  reject naming the file. A listing with no papers is not an error: an API day with ``[]`` or an
  Atom page with no entries gives an empty listing.
"""

from __future__ import annotations

import codecs
import glob
import gzip
import hashlib
import io
import os
import re
import zlib
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import BinaryIO

from etl.sources.records import Item, Listing, Reject
from etl.sources import arxiv_atom, arxiv_jsonl, hf_api, hf_html, hf_text, ipynb
from etl.sources._common import iso_date
from etl.sources.errors import SourceError

SNIFF_BYTES = 65536
# Whole-file formats (API JSON, Atom, text captures) are small; the 4 GB snapshot is streamed instead.
MAX_WHOLE_FILE_BYTES = 512 * 1024 * 1024
# A line this long (in bytes) cannot hold fewer than MAX_LINE_CHARS characters, so it is rejected unread.
MAX_LINE_BYTES = 4 * arxiv_jsonl.MAX_LINE_CHARS + 4

_GZIP_MAGIC = b"\x1f\x8b"
_BOMS = (  # UTF-32 first: its little-endian BOM starts with UTF-16's
    (codecs.BOM_UTF32_LE, "utf-32", "UTF-32 (BOM)"),
    (codecs.BOM_UTF32_BE, "utf-32", "UTF-32 (BOM)"),
    (codecs.BOM_UTF8, "utf-8-sig", "UTF-8 (BOM)"),
    (codecs.BOM_UTF16_LE, "utf-16", "UTF-16 (BOM)"),
    (codecs.BOM_UTF16_BE, "utf-16", "UTF-16 (BOM)"),
)
_SIGNATURES = (
    (b"%PDF-", "a PDF document"),
    (b"PK\x03\x04", "a ZIP archive (or an Office document)"),
    (b"\x89PNG\r\n\x1a\n", "a PNG image"),
    (b"\xff\xd8\xff", "a JPEG image"),
    (b"GIF8", "a GIF image"),
    (b"SQLite format 3\x00", "an SQLite database"),
    (b"BZh", "a bzip2 archive (not read: decompress it first)"),
    (b"\xfd7zXZ\x00", "an xz archive (not read: decompress it first)"),
    (b"\x7fELF", "an executable"),
)
# C0 controls other than tab, line feed, form feed, carriage return and escape.
_CONTROL_BYTES = frozenset(range(9)) | frozenset({11}) | frozenset(range(14, 27)) | frozenset(range(28, 32))

PARSERS: dict[str, Callable[[str], Listing]] = {
    arxiv_atom.SOURCE: arxiv_atom.parse,
    arxiv_jsonl.SOURCE: arxiv_jsonl.parse,
    hf_api.SOURCE: hf_api.parse,
    hf_html.SOURCE: hf_html.parse,
    ipynb.SOURCE: ipynb.parse,
    "hf-text": hf_text.parse,
}
_DATE_IN_NAME = re.compile(r"(?<!\d)(\d{4}-\d{2}-\d{2})(?!\d)")


@dataclass(slots=True)
class SourceListing(Listing):
    """A ``records.Listing`` read from a file, with how it was read.

    ``notes`` says what was done to the bytes (encoding fallbacks, NULs removed, a cut-off gzip).
    For a streamed source (arXiv JSON lines) the notes about the body are complete only once
    ``items`` has been consumed.
    """

    file: str = ""
    encoding: str = "utf-8"
    compressed: bool = False


def detect_source(text: str) -> str | None:
    """The source a text is in, from its content: "arxiv-atom", "arxiv-jsonl", "ipynb", "hf-api",
    "hf-html", "hf-text"."""
    if arxiv_atom.sniff(text):
        return arxiv_atom.SOURCE
    if arxiv_jsonl.sniff(text):
        return arxiv_jsonl.SOURCE
    if ipynb.sniff(text):
        return ipynb.SOURCE
    if hf_api.sniff(text):
        return hf_api.SOURCE
    if hf_html.sniff(text):
        return hf_html.SOURCE
    if hf_text.sniff(text):
        return "hf-text"
    return None


def open_listing(path: str | os.PathLike[str], source: str | None = None) -> SourceListing:
    """Read the file at ``path`` as a listing, detecting its source from its content unless
    ``source`` names one. Raises ``SourceError`` (naming the file) when it cannot be read as text
    or is in no known format; problems with single records are ``Reject`` items instead."""
    file = Path(path)
    if source is not None and source not in PARSERS:
        raise SourceError(file, None, f"unknown source {source!r}; known: {', '.join(sorted(PARSERS))}")
    try:
        return _open_listing(file, source)
    except SourceError as error:
        raise error.with_file(file) from None
    except OSError as error:
        raise SourceError(file, None, f"cannot be read: {error.strerror or error}") from None


def _open_listing(file: Path, source: str | None) -> SourceListing:
    if not file.is_file():
        raise SourceError(file, None, "is a folder" if file.is_dir() else "no such file")
    compressed = _is_gzip(file)
    head, head_error = _read(file, compressed, SNIFF_BYTES)
    encoding, label, notes = _detect_encoding(head)
    head_text = _decode_head(head, encoding)
    if not head_text.strip():
        if head_error is not None:
            raise SourceError(file, None, f"the compressed file is damaged: {head_error}")
        raise SourceError(file, None, "empty file" if not head else "the file contains only white space")
    detected = source or detect_source(head_text)
    if detected is None:
        raise SourceError(
            file,
            1,
            "not a listing papershelf knows (Daily Papers API JSON, arXiv Atom, arXiv JSON lines, a"
            " saved papers page or a Daily Papers text capture)",
        )
    listing = SourceListing(source=detected, items=[], file=str(file), encoding=label, compressed=compressed)
    listing.notes.extend(notes)
    if detected == arxiv_jsonl.SOURCE:
        listing.items = _stream_jsonl(file, compressed, encoding, listing)
        return listing
    data, read_error = _read(file, compressed, MAX_WHOLE_FILE_BYTES + 1)
    if len(data) > MAX_WHOLE_FILE_BYTES:
        raise SourceError(
            file, None, f"larger than {MAX_WHOLE_FILE_BYTES // 2**20} MB; only arXiv JSON lines are streamed"
        )
    if read_error is not None:
        listing.notes.append(
            f"the compressed file is cut off or damaged ({read_error}); read {len(data)} bytes of it"
        )
    decoded = decode_text(data, encoding, label)
    listing.encoding = decoded.encoding
    listing.notes.extend(decoded.notes)
    parsed = PARSERS[detected](decoded.text)
    listing.items, listing.shape, listing.date_text, listing.date = (
        parsed.items,
        parsed.shape,
        parsed.date_text,
        parsed.date,
    )
    listing.kind, listing.page = parsed.kind, parsed.page
    listing.date = listing_date(listing, file.name)
    return listing


def date_in_name(name: str) -> str | None:
    """The day a file name holds (``2025-03-14.json``, ``hf-2025-03-14.txt``), when it is a real day.

    >>> date_in_name("hf-2025-03-14.json.gz"), date_in_name("2025-02-30.json"), date_in_name("x20250314.txt")
    ('2025-03-14', None, None)
    """
    match = _DATE_IN_NAME.search(name)
    return iso_date(match.group(1)) if match else None


def listing_date(listing: Listing, name: str) -> str | None:
    """The date of a listing read from the file ``name``: the day in the file name, else the date the
    listing states (an API envelope's ``date``, a page copy's date line with its year). When the
    two differ, a note in ``listing.notes`` says both and which was kept. (A build's ``--date``
    overrides both: ``etl.pipeline.build.ingest_file``.)"""
    named = date_in_name(name)
    if named is None:
        return listing.date
    if listing.date is not None and listing.date != named:
        listing.notes.append(f"the listing says it is for {listing.date}, the file name says {named}; kept {named}")
    return named


def _is_gzip(file: Path) -> bool:
    with file.open("rb") as handle:
        return handle.read(2) == _GZIP_MAGIC


def _open_binary(file: Path, compressed: bool) -> BinaryIO:
    if not compressed:
        return file.open("rb")
    return io.BufferedReader(_Inflater(file.open("rb")), buffer_size=1 << 16)  # type: ignore[return-value]


class _Inflater(io.RawIOBase):
    """gzip decompression that hands over every byte it could decompress before it raises on a
    cut-off or damaged stream (``gzip.GzipFile`` loses the last chunk read before the damage).
    Concatenated gzip members are read one after another, as gzip does."""

    _CHUNK = 1 << 16

    def __init__(self, raw: BinaryIO) -> None:
        self._raw = raw
        self._inflate = zlib.decompressobj(wbits=31)
        self._member_started = False
        self._pending = b""
        self._error: Exception | None = None
        self._finished = False

    def readable(self) -> bool:
        return True

    def close(self) -> None:
        self._raw.close()
        super().close()

    def readinto(self, buffer: bytearray | memoryview) -> int:  # type: ignore[override]
        while not self._pending:
            if self._error is not None:
                error, self._error = self._error, None
                self._finished = True
                raise error
            if self._finished:
                return 0
            self._fill()
        size = min(len(buffer), len(self._pending))
        buffer[:size] = self._pending[:size]
        self._pending = self._pending[size:]
        return size

    def _fill(self) -> None:
        try:
            data = self._inflate.unconsumed_tail or self._raw.read(self._CHUNK)
            if not data:
                if self._member_started and not self._inflate.eof:
                    self._pending = self._inflate.flush()
                    self._error = EOFError(
                        "Compressed file ended before the end-of-stream marker was reached"
                    )
                else:
                    self._finished = True
                return
            self._member_started = True
            # Bounded output per step, so a small bomb cannot expand all at once.
            self._pending = self._inflate.decompress(data, self._CHUNK * 16)
            if self._inflate.eof and self._inflate.unused_data:
                rest = self._inflate.unused_data
                self._inflate = zlib.decompressobj(wbits=31)
                self._pending += self._inflate.decompress(rest, self._CHUNK * 16)
            elif self._inflate.eof:
                self._inflate = zlib.decompressobj(wbits=31)
                self._member_started = False
        except zlib.error as error:
            self._error = error


def _read(file: Path, compressed: bool, limit: int) -> tuple[bytes, str | None]:
    """Up to ``limit`` bytes (decompressed), and the error that stopped a damaged gzip early, if any."""
    chunks: list[bytes] = []
    size = 0
    with _open_binary(file, compressed) as stream:
        try:
            while size < limit:
                # read1: one raw read at a time, so bytes inflated before damage are not dropped.
                chunk = stream.read1(min(1 << 20, limit - size))  # type: ignore[attr-defined]
                if not chunk:
                    break
                chunks.append(chunk)
                size += len(chunk)
        except (EOFError, zlib.error, gzip.BadGzipFile) as error:
            return b"".join(chunks), str(error) or type(error).__name__
    return b"".join(chunks), None


def _detect_encoding(head: bytes) -> tuple[str, str, list[str]]:
    """(codec, label for people, notes) from the first bytes; raises SourceError for binary data."""
    for bom, codec, label in _BOMS:
        if head.startswith(bom):
            return codec, label, []
    for signature, what in _SIGNATURES:
        if head.startswith(signature):
            raise SourceError(None, None, f"binary file ({what}), not a text listing")
    if not head:
        return "utf-8", "UTF-8", []
    nuls = head.count(0)
    if nuls:
        even_nuls = head[0::2].count(0)
        odd_nuls = head[1::2].count(0)
        half = len(head) / 2
        if odd_nuls >= 0.9 * half and even_nuls <= 0.1 * half:
            return (
                "utf-16-le",
                "UTF-16LE (no BOM)",
                ["no byte-order mark; read as UTF-16LE from its NUL bytes"],
            )
        if even_nuls >= 0.9 * half and odd_nuls <= 0.1 * half:
            return (
                "utf-16-be",
                "UTF-16BE (no BOM)",
                ["no byte-order mark; read as UTF-16BE from its NUL bytes"],
            )
    controls = sum(1 for byte in head if byte in _CONTROL_BYTES)
    if nuls > max(8, len(head) // 100) or controls > len(head) // 10:
        raise SourceError(
            None,
            None,
            f"binary file ({nuls} NUL and {controls - nuls} other control bytes in its first {len(head)} bytes),"
            " not a text listing",
        )
    return "utf-8", "UTF-8", []


def _decode_head(head: bytes, encoding: str) -> str:
    """The first bytes as text for sniffing only (a cut multi-byte character is replaced)."""
    if encoding in ("utf-8", "utf-8-sig"):
        return "".join(_decode_line(line)[0] for line in head.splitlines(keepends=True)).lstrip("\ufeff")
    return head.decode(encoding, errors="replace")


def _decode_line(line: bytes) -> tuple[str, bool]:
    """A line as UTF-8, else cp1252 (latin-1 for cp1252's undefined bytes); True when it was not UTF-8."""
    try:
        return line.decode("utf-8"), False
    except UnicodeDecodeError:
        try:
            return line.decode("cp1252"), True
        except UnicodeDecodeError:
            return line.decode("latin-1"), True


@dataclass(slots=True)
class Decoded:
    """A file's text, the encoding it was read in (for people) and notes on anything not clean."""

    text: str
    encoding: str
    notes: list[str] = field(default_factory=list)


def decode_text(data: bytes, encoding: str = "utf-8", label: str = "UTF-8") -> Decoded:
    """Decode a whole file: strictly in ``encoding``; for UTF-8, line by line with the cp1252
    fallback. The BOM and NUL characters are removed (with a note for the NULs)."""
    notes: list[str] = []
    if encoding in ("utf-8", "utf-8-sig"):
        try:
            text = data.decode(encoding)
        except UnicodeDecodeError:
            legacy_lines: list[int] = []
            pieces = []
            for number, line in enumerate(data.split(b"\n"), 1):
                piece, legacy = _decode_line(line)
                pieces.append(piece)
                if legacy:
                    legacy_lines.append(number)
            text = "\n".join(pieces)
            label = _legacy_label(label, len(legacy_lines), len(pieces))
            notes.append(_legacy_note(len(legacy_lines), legacy_lines[0]))
    else:
        try:
            text = data.decode(encoding)
        except UnicodeDecodeError as error:
            text = data.decode(encoding, errors="replace")
            notes.append(f"not valid {label} ({error.reason}); undecodable bytes replaced with U+FFFD")
    text = text.removeprefix("\ufeff")
    nul_count = text.count("\x00")
    if nul_count:
        text = text.replace("\x00", "")
        notes.append(_nul_note(nul_count))
    return Decoded(text, label, notes)


def _legacy_label(label: str, legacy: int, total: int) -> str:
    return "cp1252" if legacy >= total else f"{label} + cp1252"


def _legacy_note(count: int, first: int) -> str:
    return f"not valid UTF-8 on {count} line{'s' if count != 1 else ''} (first: line {first}); read as cp1252"


def _nul_note(count: int) -> str:
    return f"removed {count} NUL character{'s' if count != 1 else ''}"


def _stream_jsonl(file: Path, compressed: bool, encoding: str, listing: SourceListing) -> Iterator[Item]:
    """Items of an arXiv JSON lines file, reading one line at a time (the file opens when iterated)."""
    seen = {"lines": 0, "legacy": 0, "first_legacy": 0, "nul": 0}

    def lines() -> Iterator[str]:
        with _open_binary(file, compressed) as raw:
            for text, legacy in _text_lines(raw, encoding):
                seen["lines"] += 1
                if legacy:
                    seen["legacy"] += 1
                    seen["first_legacy"] = seen["first_legacy"] or seen["lines"]
                if "\x00" in text:
                    seen["nul"] += text.count("\x00")
                    text = text.replace("\x00", "")
                yield text

    try:
        yield from arxiv_jsonl.parse_lines(lines())
    except (EOFError, zlib.error, gzip.BadGzipFile) as error:
        # What was read stays read; the damaged rest is one reject, as for a cut-off JSON array.
        yield Reject(
            reason=f"the compressed file is cut off or damaged after line {seen['lines']}"
            f" ({str(error) or type(error).__name__}); the rest could not be read",
            raw="",
            line=seen["lines"] + 1,
        )
    except OSError as error:
        raise SourceError(file, seen["lines"] + 1, f"reading stopped: {error.strerror or error}") from None
    finally:
        if seen["legacy"]:
            listing.encoding = _legacy_label(listing.encoding, seen["legacy"], seen["lines"])
            listing.notes.append(_legacy_note(seen["legacy"], seen["first_legacy"]))
        if seen["nul"]:
            listing.notes.append(_nul_note(seen["nul"]))


def _text_lines(raw: BinaryIO, encoding: str) -> Iterator[tuple[str, bool]]:
    """Decoded lines split on "\\n" only, with a flag for lines that were not UTF-8. A line longer
    than MAX_LINE_BYTES is cut there (the parser rejects it for its length) and the rest skipped."""
    if encoding in ("utf-8", "utf-8-sig"):
        while line := raw.readline(MAX_LINE_BYTES):
            if len(line) >= MAX_LINE_BYTES and not line.endswith(b"\n"):
                while (rest := raw.readline(1 << 20)) and not rest.endswith(b"\n"):
                    pass
                yield line.decode("utf-8", errors="replace"), False
            else:
                yield _decode_line(line)
        return
    reader = io.TextIOWrapper(raw, encoding=encoding, errors="replace", newline="\n")
    while text := reader.readline(MAX_LINE_BYTES):
        if len(text) >= MAX_LINE_BYTES and not text.endswith("\n"):
            while (more := reader.readline(1 << 20)) and not more.endswith("\n"):
                pass
        yield text, False


def expand_inputs(args: Iterable[str | os.PathLike[str]]) -> list[Path]:
    """Files named, files under folders named (recursively, sorted, hidden ones skipped) and files
    matched by globs, each once, in the order given. Raises ``SourceError`` for a name that matches
    nothing."""
    found: dict[Path, None] = {}
    for arg in args:
        name = os.fspath(arg)
        path = Path(name)
        if path.is_file():
            found.setdefault(path, None)
        elif path.is_dir():
            for child in _files_under(path):
                found.setdefault(child, None)
        elif glob.has_magic(name):
            matches = sorted(glob.glob(name, recursive=True))
            files = []
            for match in matches:
                matched = Path(match)
                files.extend(
                    _files_under(matched) if matched.is_dir() else [matched] if matched.is_file() else []
                )
            if not files:
                raise SourceError(name, None, "no file matches this pattern")
            for file in files:
                found.setdefault(file, None)
        else:
            raise SourceError(name, None, "no such file or folder")
    return list(found)


def _files_under(folder: Path) -> list[Path]:
    files: list[Path] = []
    for root, dirs, names in os.walk(folder):
        dirs[:] = sorted(name for name in dirs if not name.startswith("."))
        files.extend(Path(root, name) for name in names if not name.startswith("."))
    return sorted(files)


def sha256_file(path: str | os.PathLike[str]) -> str:
    """The hex SHA-256 of the file's bytes as stored (compressed bytes for a .gz), read in chunks."""
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        while chunk := handle.read(1 << 20):
            digest.update(chunk)
    return digest.hexdigest()
