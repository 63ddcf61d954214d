"""`papershelf fetch` end to end against a local server on 127.0.0.1 (see test_fetch.py)."""

from __future__ import annotations

import sqlite3
from pathlib import Path

from click.testing import CliRunner

from etl.cli import cli

from .conftest import api_bytes
from .test_fetch import server  # noqa: F401  (the fixture)


def test_fetch_hf_day_keeps_the_response_and_builds_the_database(server: str, tmp_path: Path) -> None:  # noqa: F811
    out, db = tmp_path / "listings", tmp_path / "p.db"
    args = ["fetch", "hf", "--date", "2025-03-14", "--out", str(out), "--db", str(db), "--base-url", server]
    result = CliRunner().invoke(cli, args, catch_exceptions=False)
    assert result.exit_code == 0, result.output
    saved = out / "hf-2025-03-14.json"
    assert saved.read_bytes() == api_bytes("2025-03-14.json")
    conn = sqlite3.connect(db)
    expected = len(__import__("json").loads(saved.read_text()))
    assert conn.execute("select count(*) from papers").fetchone() == (expected,)
    assert conn.execute("select date, source from listings").fetchall() == [("2025-03-14", "hf-api")]


def test_fetch_hf_range_adds_to_an_existing_database(server: str, tmp_path: Path) -> None:  # noqa: F811
    out, db = tmp_path / "listings", tmp_path / "p.db"
    runner = CliRunner()
    runner.invoke(cli, ["fetch", "hf", "--date", "2025-03-13", "--out", str(out), "--db", str(db),
                        "--base-url", server], catch_exceptions=False)
    result = runner.invoke(cli, ["fetch", "hf", "--from", "2025-03-13", "--to", "2025-03-14", "--out", str(out),
                                 "--db", str(db), "--base-url", server], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    assert "already ingested" in result.output  # the 13th was kept and not read twice
    conn = sqlite3.connect(db)
    assert conn.execute("select group_concat(date) from (select date from listings order by date)").fetchone() == (
        "2025-03-13,2025-03-14",)


def test_fetch_arxiv_saves_pages_and_adds_them(server: str, tmp_path: Path) -> None:  # noqa: F811
    out, db = tmp_path / "listings", tmp_path / "p.db"
    result = CliRunner().invoke(
        cli, ["fetch", "arxiv", "--query", "cat:cs.CL", "--max", "2", "--out", str(out), "--db", str(db),
              "--base-url", f"{server}/api/query"], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    [page] = list(out.iterdir())
    assert page.name.endswith("-000000.atom.xml")
    conn = sqlite3.connect(db)
    assert conn.execute("select count(*) from papers").fetchone() == (2,)
    assert conn.execute("select source from listings").fetchall() == [("arxiv-atom",)]


def test_fetch_needs_a_day(tmp_path: Path) -> None:
    result = CliRunner().invoke(cli, ["fetch", "hf", "--out", str(tmp_path)])
    assert result.exit_code == 2
    assert "give either --date or --from" in result.output


def test_fetch_failure_is_a_clear_error(server: str, tmp_path: Path) -> None:  # noqa: F811
    result = CliRunner().invoke(cli, ["fetch", "hf", "--date", "2020-01-01", "--out", str(tmp_path / "l"),
                                      "--db", str(tmp_path / "p.db"), "--base-url", server])
    assert result.exit_code == 1
    assert "404" in result.output
    assert not (tmp_path / "p.db").exists()
