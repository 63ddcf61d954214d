"""`build`, `add` and `fetch` read gzip files (.gz, .json.gz, .txt.gz) as they are shipped: folders and
globs pick them up, they are ordered and dated by their names, and a corrupt one is one reject naming it."""

from __future__ import annotations

import gzip
import json
import shutil
import sqlite3
from pathlib import Path

from click.testing import CliRunner

from etl.pipeline.build import resolve_inputs
from etl.cli import cli

from .conftest import HF_API, SEED, api_bytes, api_day, rows

DAYS = ["2025-03-13", "2025-03-14", "2025-06-10"]


def invoke(*args: str):  # type: ignore[no-untyped-def]
    return CliRunner().invoke(cli, list(args), catch_exceptions=False)


def test_folders_and_globs_pick_up_gzip_files_in_canonical_order(tmp_path: Path) -> None:
    for day in reversed(DAYS):
        shutil.copyfile(api_day(day), tmp_path / f"{day}.json.gz")
    (tmp_path / "seed.txt.gz").write_bytes(gzip.compress(SEED.read_bytes()))
    expected = ["seed.txt.gz", *(f"{day}.json.gz" for day in DAYS)]  # undated first, then by date
    assert [p.name for p in resolve_inputs([tmp_path])] == expected
    assert [p.name for p in resolve_inputs([str(tmp_path / "*.gz")])] == expected
    assert [p.name for p in resolve_inputs([str(tmp_path / "2025-*.json.gz"), tmp_path / "seed.txt.gz"])] == expected
    # The shipped archive by folder and by glob: every day, in date order.
    shipped = sorted(HF_API.glob("*.json.gz"))
    assert resolve_inputs([HF_API]) == resolve_inputs([str(HF_API / "*.json.gz")]) == shipped


def test_build_reads_gzip_listings_dated_by_their_names(tmp_path: Path) -> None:
    for day in DAYS:
        shutil.copyfile(api_day(day), tmp_path / f"{day}.json.gz")
    (tmp_path / "000_seed.txt.gz").write_bytes(gzip.compress(SEED.read_bytes()))
    db = tmp_path / "p.db"
    result = invoke("build", str(tmp_path), "--db", str(db), "--silent")
    assert result.exit_code == 0, result.output
    listed = rows(db, "select name, date, source, records_read from listings order by id")
    expected_counts = [len(json.loads(api_bytes(day))) for day in DAYS]
    assert [(name, date, source) for name, date, source, _ in listed] == [
        ("000_seed.txt.gz", None, "hf-text"), *((f"{day}.json.gz", day, "hf-api") for day in DAYS)]
    assert listed[0][3] == 63 and [r[3] for r in listed[1:]] == expected_counts
    assert rows(db, "select count(*) from rejects") == [(0,)]


def test_add_reads_a_gzip_day_once(seed_db: Path, tmp_path: Path) -> None:
    db = tmp_path / "p.db"
    shutil.copyfile(seed_db, db)
    day = tmp_path / "2025-03-14.json.gz"
    shutil.copyfile(api_day("2025-03-14"), day)
    first = invoke("add", str(day), "--db", str(db), "--silent")
    assert first.exit_code == 0, first.output
    papers = rows(db, "select count(*) from papers")[0][0]
    assert papers > 63
    assert rows(db, "select date from listings where name = '2025-03-14.json.gz'") == [("2025-03-14",)]
    again = invoke("add", str(day), "--db", str(db))
    assert "already ingested" in again.output and rows(db, "select count(*) from papers")[0][0] == papers


def test_a_corrupt_gzip_file_is_one_reject_naming_the_file(tmp_path: Path) -> None:
    folder = tmp_path / "listings"
    folder.mkdir()
    good = folder / "2025-03-13.json.gz"
    shutil.copyfile(api_day("2025-03-13"), good)
    corrupt = folder / "2025-03-14.json.gz"
    corrupt.write_bytes(b"\x1f\x8b\x08\x00" + bytes(range(256)) * 8)  # gzip magic, then noise
    db = tmp_path / "p.db"
    result = invoke("build", str(folder), "--db", str(db), "--silent")
    assert result.exit_code == 0, result.output
    assert "1 rejected" in result.output
    rejects = rows(db, "select file, line, reason from rejects")
    assert len(rejects) == 1
    file, line, reason = rejects[0]
    assert file.endswith("2025-03-14.json.gz") and line is None
    assert "compressed" in reason or "gzip" in reason, reason
    assert rows(db, "select count(*) from papers")[0][0] == len(json.loads(api_bytes("2025-03-13")))
    strict = CliRunner().invoke(cli, ["build", str(folder), "--db", str(tmp_path / "s.db"), "--strict", "--silent"])
    assert strict.exit_code == 1 and "2025-03-14.json.gz" in strict.output
    added = invoke("add", str(corrupt), "--db", str(db))  # add: the same one reject (already ingested: skipped)
    assert added.exit_code == 0 and rows(db, "select count(*) from rejects") == [(1,)]


def test_fetch_uses_a_day_already_kept_gzipped_without_downloading(tmp_path: Path) -> None:
    out, db = tmp_path / "listings", tmp_path / "p.db"
    out.mkdir()
    shutil.copyfile(api_day("2025-03-13"), out / "2025-03-13.json.gz")  # as shipped
    (out / "hf-2025-03-14.json.gz").write_bytes(gzip.compress(api_bytes("2025-03-14")))  # as downloaded, then gzipped
    # Nothing listens on the base URL: a download would fail the command.
    result = invoke("fetch", "hf", "--from", "2025-03-13", "--to", "2025-03-14", "--out", str(out), "--db", str(db),
                    "--base-url", "http://127.0.0.1:9")
    assert result.exit_code == 0, result.output
    assert rows(db, "select name, date from listings order by date") == [
        ("2025-03-13.json.gz", "2025-03-13"), ("hf-2025-03-14.json.gz", "2025-03-14")]
