"""The command line, through click.testing."""

from __future__ import annotations

import re
import sqlite3
from pathlib import Path

import pytest
from click.testing import CliRunner

from etl.cli import cli

from .conftest import SEED, api_files

ROOT = Path(__file__).resolve().parents[1]
COMMANDS = sorted(cli.commands)
# Every command and subcommand, as the words a user types.
ALL_COMMANDS = sorted(
    [name] + ([sub] if sub else [])
    for name, command in cli.commands.items()
    for sub in ([None, *getattr(command, "commands", {})])
)


@pytest.mark.parametrize("words", [[], *ALL_COMMANDS], ids=lambda words: " ".join(words) or "papershelf")
def test_help(words: list[str]) -> None:
    result = CliRunner().invoke(cli, [*words, "--help"], catch_exceptions=False)
    assert result.exit_code == 0
    assert "Usage:" in result.output
    command = cli
    for word in words:
        command = command.commands[word]  # type: ignore[attr-defined]
    assert command.help, f"{' '.join(words)} has no help text"


@pytest.mark.parametrize("words", ALL_COMMANDS, ids=" ".join)
def test_every_command_is_in_the_readme(words: list[str]) -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    command = "papershelf " + " ".join(words)
    assert re.search(rf"{command}\b", readme), f"`{command}` is not in the README"


def test_build_reports_what_it_read_and_wrote(tmp_path: Path) -> None:
    db = tmp_path / "p.db"
    result = CliRunner().invoke(cli, ["build", str(SEED), "--db", str(db)], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    assert "63 records = 63 new papers + 0 merged into known papers + 0 rejected" in result.output
    assert "1 listings, 63 papers" in result.output


def test_search_prints_ranked_titles_with_highlighted_snippets(tmp_path: Path) -> None:
    db = tmp_path / "p.db"
    CliRunner().invoke(cli, ["build", str(SEED), "--db", str(db), "--silent"], catch_exceptions=False)
    result = CliRunner().invoke(cli, ["search", "speculative decoding", "--db", str(db), "--limit", "5"])
    assert result.exit_code == 0, result.output
    lines = [line for line in result.output.splitlines() if re.match(r"\d\. ", line)]
    assert len(lines) == 2  # every word must match: only these two papers speak of both
    titles = {line[3:].split("  [")[0].split(":")[0] for line in lines}
    assert titles == {"SpecTr", "Speculative Decoding with Big Little Decoder"}
    assert "**" in result.output  # matches highlighted (plain-text form when not a terminal)


def test_build_of_the_bundled_listings_by_default(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    result = CliRunner().invoke(cli, ["build", "--silent"], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    db = tmp_path / "db" / "papershelf.db"
    # The whole shipped dataset: the seed first (undated), then every gzipped API day in date order,
    # each dated from its file name.
    rows = sqlite3.connect(db).execute("select name, date, source from listings order by id").fetchall()
    days = api_files()
    assert len(days) == 415
    assert [name for name, _, _ in rows] == [SEED.name, *(day.name for day in days)]
    assert [date for _, date, _ in rows[1:]] == [day.name.removesuffix(".json.gz") for day in days]
    assert {source for _, _, source in rows[1:]} == {"hf-api"}
    # The README's first screen gives the figures of this build.
    conn = sqlite3.connect(db)
    papers, first, last, with_code, keywords = conn.execute(
        "select count(*), min(last_seen), max(last_seen), sum(has_code), (select count(*) from keywords) from papers"
    ).fetchone()
    readme = "\n".join((ROOT / "README.md").read_text(encoding="utf-8").splitlines()[:40])
    assert f"**{papers:,} papers** from {len(rows)} listings" in " ".join(readme.split())
    assert f"**{first} to {last}**" in readme
    assert f"{with_code:,} papers with code" in " ".join(readme.split())
    assert f"{keywords:,} keywords" in " ".join(readme.split())
    # What `make serve` shows of it: the home page's figures and the canned queries, all with real rows.
    import asyncio

    import yaml
    from datasette.app import Datasette

    site = Datasette([str(db)], metadata=yaml.safe_load((ROOT / "metadata.yml").read_text(encoding="utf-8")))

    async def fetch(path: str):  # type: ignore[no-untyped-def]
        response = await site.client.get(path)
        assert response.status_code == 200, (path, response.text[:300])
        return response

    home = asyncio.run(fetch("/")).text
    assert f"<strong>{papers:,}</strong> papers" in home and f"{first} – {last}" in home
    upvoted = asyncio.run(fetch("/papershelf/top_upvoted.json?_shape=array")).json()
    assert len(upvoted) >= 50 and upvoted[0]["upvotes"] > 100
    assert len(asyncio.run(fetch("/papershelf/papers_with_code.json?_shape=array")).json()) >= 100
    trend = asyncio.run(fetch("/papershelf/keyword_over_time.json?keyword=GRPO&_shape=array")).json()
    assert len(trend) >= 19 and sum(month["papers_with_keyword"] for month in trend) > 10


def test_missing_database_is_a_clear_error(tmp_path: Path) -> None:
    result = CliRunner().invoke(cli, ["search", "x", "--db", str(tmp_path / "none.db")])
    assert result.exit_code == 1
    assert "does not exist" in result.output


def test_add_starts_without_the_heavy_libraries(tmp_path: Path) -> None:
    """`papershelf add` runs every day: its start must not import SQLAlchemy, numpy, polars or
    Datasette (together about half a second), which only the commands that need them import."""
    import subprocess
    import sys

    from etl.pipeline.build import build

    db = tmp_path / "seed.db"
    build([SEED], db)
    script = (
        "import sys\n"
        "from etl.cli import cli\n"
        f"cli(['add', '--silent', '--db', {str(db)!r}, {str(SEED)!r}], standalone_mode=False)\n"
        "heavy = {'sqlalchemy', 'numpy', 'polars', 'datasette'} & {m.split('.')[0] for m in sys.modules}\n"
        "print(sorted(heavy))\n"
    )
    result = subprocess.run([sys.executable, "-c", script], cwd=ROOT, capture_output=True, text=True, check=True)
    assert result.stdout.strip().splitlines()[-1] == "[]", result.stdout + result.stderr


def test_a_killed_build_leaves_the_previous_database_and_no_temporary_file(tmp_path: Path) -> None:
    """`kill` (SIGTERM) stops a build as Ctrl-C does: the half-written file is removed and the
    database it was to replace is untouched."""
    import signal
    import subprocess
    import sys
    import time

    from etl.pipeline.build import build

    from .conftest import HF_API

    db = tmp_path / "p.db"
    build([SEED], db)
    before = db.read_bytes()
    process = subprocess.Popen([sys.executable, "-m", "etl", "build", "--silent", "--db", str(db), str(HF_API)],
                               cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    deadline = time.monotonic() + 60
    while not list(tmp_path.glob(".p.db.building-*")):  # the build has started writing
        assert process.poll() is None, "the build ended before it could be stopped"
        assert time.monotonic() < deadline
        time.sleep(0.01)
    time.sleep(0.3)
    process.send_signal(signal.SIGTERM)
    assert process.wait(timeout=60) == 128 + signal.SIGTERM
    assert sorted(p.name for p in tmp_path.iterdir()) == ["p.db"]
    assert db.read_bytes() == before
