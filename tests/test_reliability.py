"""Issue 8: dirty input never crashes a build nor disappears; failures leave the old database intact."""

from __future__ import annotations

import codecs
import json
import sqlite3
import threading
from pathlib import Path

import pytest
from click.testing import CliRunner

from etl.pipeline import build as build_module
from etl.pipeline.build import BuildError, add, build
from etl.cli import cli

from .conftest import LISTINGS, SEED, api_day, api_text, contents, rows

PASTE = (LISTINGS / "2025-03-14.paste.txt").read_text(encoding="utf-8-sig")


def rejects(db: Path) -> list[tuple]:
    return rows(db, "select file, line, position, reason from rejects order by id")


def dump(db: Path) -> list[str]:
    conn = sqlite3.connect(db)
    try:
        return list(conn.iterdump())
    finally:
        conn.close()


# ---- input that is not what it claims ------------------------------------------------------------


def write(tmp_path: Path, name: str, data: bytes | str) -> Path:
    path = tmp_path / name
    path.write_bytes(data if isinstance(data, bytes) else data.encode("utf-8"))
    return path


def test_an_empty_file_is_a_reject_naming_the_file(tmp_path: Path) -> None:
    empty = write(tmp_path, "empty.txt", b"")
    db = tmp_path / "p.db"
    report = build([empty, SEED], db)
    assert rejects(db) == [(str(empty), None, None, "empty file")]
    assert (report.read, report.loaded, report.rejected) == (64, 63, 1)
    assert rows(db, "select count(*) from papers") == [(63,)]


def test_a_binary_file_is_a_reject_naming_the_file(tmp_path: Path) -> None:
    binary = write(tmp_path, "paper.pdf.txt", b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj\n<<>>\nendobj\n" + bytes(range(256)))
    db = tmp_path / "p.db"
    build([binary], db)
    [(file, line, position, reason)] = rejects(db)
    assert file == str(binary) and "PDF" in reason


@pytest.mark.parametrize("encoding", ["utf-16", "utf-8-sig", "cp1252"])
def test_other_encodings_are_read_and_say_so(tmp_path: Path, encoding: str) -> None:
    text = PASTE.replace("Text-to-image", "Text–to–image café")  # characters cp1252 also has
    path = write(tmp_path, f"2025-03-14.{encoding}.txt", text.encode(encoding))
    db = tmp_path / "p.db"
    report = build([path], db)
    assert (report.loaded, report.rejected) == (26, 0)
    [(abstract,)] = rows(db, "select abstract from papers where title like 'CoSTAast%'")
    assert abstract.startswith("Text–to–image café models like stable diffusion")
    [(label, notes)] = rows(db, "select encoding, notes from listings")
    assert label == {"utf-16": "UTF-16 (BOM)", "utf-8-sig": "UTF-8 (BOM)", "cp1252": label}[encoding]
    if encoding == "cp1252":
        assert "cp1252" in (notes or "") and "cp1252" in report.summary()


def test_bom_crlf_and_non_breaking_spaces(tmp_path: Path) -> None:
    db = tmp_path / "p.db"
    build([LISTINGS / "2024-12-11.paste.txt"], db)
    expected = json.loads((LISTINGS / "2024-12-11.expected.json").read_text(encoding="utf-8"))["papers"]
    assert [r[0] for r in rows(db, "select title from papers order by rowid")] == [p["title"] for p in expected]
    assert rows(db, "select count(*) from papers where title like '%' || char(160) || '%'"
                     " or abstract like '%' || char(13) || '%'") == [(0,)]


def test_nul_bytes_and_control_characters_are_removed_and_noted(tmp_path: Path) -> None:
    dirty = PASTE.replace("CoSTAast", "Co\x00STA\x07ast", 1).replace("Recent advances", "Recent\x00 advances")
    path = write(tmp_path, "2025-03-14.txt", dirty)
    db = tmp_path / "p.db"
    report = build([path], db)
    assert (report.loaded, report.rejected) == (26, 0)
    assert rows(db, "select count(*) from papers where title like 'CoSTAast:%'") == [(1,)]
    assert "NUL" in (rows(db, "select notes from listings")[0][0] or "")


def test_a_truncated_json_array_keeps_what_is_complete_and_rejects_the_tail(tmp_path: Path) -> None:
    text = api_text("2024-06-17.json")
    items = json.loads(text)
    cut_at = text.index('"paper"', len(text) // 2)  # inside an item in the second half
    path = write(tmp_path, "2024-06-17.json", text[:cut_at])
    db = tmp_path / "p.db"
    report = build([path], db)
    loaded = rows(db, "select count(*) from papers")[0][0]
    assert 0 < loaded < len(items)
    [(file, line, position, reason)] = rejects(db)
    assert file == str(path) and line is not None and position == loaded + 1
    assert "cut off" in reason or "truncated" in reason or "incomplete" in reason, reason
    assert report.read == report.loaded + report.rejected


def test_json_items_of_the_wrong_type_are_rejects_with_their_position(tmp_path: Path) -> None:
    items = json.loads(api_text("2024-06-17.json"))[:3]
    path = write(tmp_path, "2024-06-17.json", json.dumps([items[0], "status", 42, items[1], None, items[2]]))
    db = tmp_path / "p.db"
    build([path], db)
    assert rows(db, "select count(*) from papers") == [(3,)]
    assert [(file, line, position, reason) for file, line, position, reason in rejects(db)] == [
        (str(path), 1, 2, "a bare string 'status' where a paper object was expected"),
        (str(path), 1, 3, "a JSON number where a paper object was expected"),
        (str(path), 1, 5, "a JSON null where a paper object was expected"),
    ]


def test_a_title_without_an_abstract_is_a_reject_naming_its_line(tmp_path: Path) -> None:
    lines = PASTE.split("\n")
    abstract_line = next(i for i, line in enumerate(lines) if line.startswith("Recent advances in large vision"))
    del lines[abstract_line]
    path = write(tmp_path, "2025-03-14.txt", "\n".join(lines))
    db = tmp_path / "p.db"
    build([path], db)
    [(file, line, position, reason)] = rejects(db)
    assert line == abstract_line - 1  # 1-based line of the title, which stood just before
    assert "no abstract" in reason and "World Modeling Makes a Better Planner" in reason


def test_the_same_paper_twice_in_one_listing(tmp_path: Path) -> None:
    first = PASTE.index("CoSTAast")
    card_end = PASTE.index("World Modeling")
    # The same card shown again (trending pages show every card twice): one paper, one sighting.
    path = write(tmp_path, "2025-03-14.txt", PASTE.rstrip("\n") + "\n\n" + PASTE[first:card_end])
    db = tmp_path / "p.db"
    report = build([path], db)
    assert (report.loaded, report.rejected) == (26, 0)
    assert rows(db, "select count(*) from listing_papers") == [(26,)]
    # The same title again with another text is not the same card: kept as a reject, never lost.
    again = PASTE[first:card_end].replace("Text-to-image models", "Image generators", 1)
    path = write(tmp_path, "2025-03-15.txt", PASTE.rstrip("\n") + "\n\n" + again)
    db = tmp_path / "q.db"
    report = build([path], db)
    assert (report.loaded, report.rejected) == (26, 1)
    [(_, line, _, reason)] = rejects(db)
    assert line > 50 and "appears again in this listing; first at line 11" in reason
    assert rows(db, "select count(*) from listing_papers") == [(26,)]


def test_a_10_mb_line_is_a_reject_and_the_rest_loads(tmp_path: Path) -> None:
    path = write(tmp_path, "2025-03-14.txt", PASTE + "\n\n" + "x" * 10_000_000 + "\n")
    db = tmp_path / "p.db"
    report = build([path], db)
    assert (report.loaded, report.rejected) == (26, 1)
    [(raw_length,)] = rows(db, "select length(raw) from rejects")
    assert raw_length < 3000  # the raw text is kept, cut to a sane length


def test_a_listing_with_only_header_lines(tmp_path: Path) -> None:
    header = PASTE[: PASTE.index("CoSTAast")]
    path = write(tmp_path, "2025-03-14.txt", header)
    db = tmp_path / "p.db"
    report = build([path], db)
    assert (report.loaded, report.rejected) == (0, 1)
    [(file, line, _, reason)] = rejects(db)
    assert (file, line) == (str(path), 1) and "only page header lines" in reason


# ---- --strict ----------------------------------------------------------------------------------


def test_strict_turns_a_reject_into_an_error_naming_file_and_line(tmp_path: Path) -> None:
    db = tmp_path / "p.db"
    build([SEED], db)
    before = dump(db)
    bad = write(tmp_path, "2025-03-14.txt", PASTE + "\n\nA Title With No Abstract After It\n")
    for command in ("build", "add"):
        result = CliRunner().invoke(cli, [command, str(bad), "--db", str(db), "--strict", "--silent"])
        assert result.exit_code == 1
        assert f"Error: {bad}:" in result.output and "no abstract" in result.output
        assert dump(db) == before
    # Without --strict the same file loads, and its reject is kept.
    result = CliRunner().invoke(cli, ["add", str(bad), "--db", str(db)], catch_exceptions=False)
    assert result.exit_code == 0 and "26 new papers + 0 merged into known papers + 1 rejected" in result.output


# ---- failures mid-build ------------------------------------------------------------------------


def leftovers(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir() if p.name != "p.db" and not p.name.endswith(".txt"))


@pytest.mark.parametrize("failure", [RuntimeError("boom"), KeyboardInterrupt()], ids=["exception", "ctrl-c"])
def test_a_build_that_fails_leaves_the_previous_database(tmp_path: Path, failure: BaseException,
                                                         monkeypatch: pytest.MonkeyPatch) -> None:
    db = tmp_path / "p.db"
    build([SEED], db)
    before = dump(db)

    def fail(*args: object) -> None:
        raise failure

    monkeypatch.setattr(build_module.index, "rebuild_fts", fail)  # late: after every listing is loaded
    with pytest.raises(type(failure)):
        build([SEED, LISTINGS / "2025-03-14.paste.txt"], db)
    assert dump(db) == before
    assert leftovers(tmp_path) == []


def full_disk(max_pages: int):  # type: ignore[no-untyped-def]
    """A connect() whose database cannot grow past ``max_pages`` pages: SQLite's own 'disk is full'."""
    real_connect = build_module.connect

    def connect(path: Path) -> sqlite3.Connection:
        conn = real_connect(path)
        conn.execute(f"pragma max_page_count = {max_pages}")
        return conn

    return connect


def test_a_full_disk_during_a_build_leaves_the_previous_database(tmp_path: Path,
                                                                monkeypatch: pytest.MonkeyPatch) -> None:
    db = tmp_path / "p.db"
    build([SEED], db)
    before = dump(db)
    monkeypatch.setattr(build_module, "connect", full_disk(60))
    with pytest.raises(sqlite3.OperationalError, match="full"):
        build([api_day("2025-03-14.json"), api_day("2025-03-13.json")], db)
    assert dump(db) == before
    assert leftovers(tmp_path) == []


def test_a_full_disk_during_an_add_rolls_back_that_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    db = tmp_path / "p.db"
    build([SEED], db)
    before = dump(db)
    pages = rows(db, "pragma page_count")[0][0]
    monkeypatch.setattr(build_module, "connect", full_disk(pages + 5))
    with pytest.raises(sqlite3.OperationalError, match="full"):
        add([api_day("2025-03-14.json")], db)
    assert dump(db) == before


def test_an_add_interrupted_mid_file_rolls_back_that_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    db = tmp_path / "p.db"
    build([SEED], db)
    add([api_day("2025-03-13.json")], db)
    before = dump(db)
    real = build_module.Loader.write_sighting
    calls = {"n": 0}

    def interrupted(self, *args, **kwargs):  # type: ignore[no-untyped-def]
        calls["n"] += 1
        if calls["n"] == 10:
            raise KeyboardInterrupt
        return real(self, *args, **kwargs)

    monkeypatch.setattr(build_module.Loader, "write_sighting", interrupted)
    with pytest.raises(KeyboardInterrupt):
        add([api_day("2025-03-14.json")], db)
    assert dump(db) == before


# ---- determinism -------------------------------------------------------------------------------


def test_the_same_inputs_in_any_order_give_the_same_tables(tmp_path: Path) -> None:
    inputs = [SEED, LISTINGS / "2025-03-14.paste.txt", LISTINGS / "2025-03-14.pagecopy.txt",
              api_day("2025-03-14.json"), api_day("2024-12-11.json"), LISTINGS / "2024-12-11.paste.txt"]
    one, two = tmp_path / "one.db", tmp_path / "two.db"
    build(inputs, one)
    build(list(reversed(inputs)), two)
    first, second = contents(one), contents(two)
    assert first.keys() == second.keys()
    for table in first:
        assert first[table] == second[table], table
    assert len(first["papers"]) > 100


# ---- readers while an add writes ---------------------------------------------------------------


def test_readers_are_never_blocked_nor_shown_half_a_listing(tmp_path: Path) -> None:
    db = tmp_path / "p.db"
    build([SEED], db)
    listing = api_day("2025-03-14.json")
    expected = len(json.loads(api_text("2025-03-14")))
    seen: set[int] = set()
    errors: list[BaseException] = []
    done = threading.Event()

    def read() -> None:
        conn = sqlite3.connect(f"file:{db}?mode=ro", uri=True, timeout=0.2)
        try:
            while not done.is_set():
                [(papers, sightings)] = conn.execute(
                    "select (select count(*) from papers), (select count(*) from listing_papers)").fetchall()
                seen.add(sightings - 63)
                assert papers - 63 in (0, expected)
        except BaseException as error:  # noqa: BLE001 - reported by the main thread
            errors.append(error)
        finally:
            conn.close()

    readers = [threading.Thread(target=read) for _ in range(2)]
    for reader in readers:
        reader.start()
    add([listing], db)
    done.set()
    for reader in readers:
        reader.join()
    assert errors == []
    assert seen <= {0, expected} and expected in seen | {expected}
    assert rows(db, "pragma journal_mode") == [("wal",)]
