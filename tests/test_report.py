"""papershelf report: PNG charts and an HTML page from etl.publish.analysis, on the API sample and the seed."""

from __future__ import annotations

import html
import sqlite3
from pathlib import Path

from click.testing import CliRunner

from etl.cli import cli
from etl.publish.report import make_report

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


def test_report_on_the_api_sample(api_sample_db: Path, tmp_path: Path) -> None:
    report = make_report(api_sample_db, tmp_path)
    assert [c.file for c in report.charts] == ["papers_per_month.png", "keyword_trends.png", "code_by_month.png",
                                               "upvotes.png"]
    for png in report.pngs:
        data = png.read_bytes()
        assert data.startswith(PNG_SIGNATURE) and len(data) > 10_000, png
    page = report.index.read_text()
    for chart in report.charts:
        assert f'<img src="{chart.file}"' in page and html.escape(chart.title) in page
    conn = sqlite3.connect(api_sample_db)
    papers, top_repo = conn.execute("""select (select count(*) from papers), (select repo from links
        where kind = 'code' and repo is not null group by repo order by count(distinct paper_id) desc,
        repo limit 1)""").fetchone()
    assert f"<strong>{papers:,}</strong> papers" in page and html.escape(top_repo) in page
    # The same data draws the same bytes.
    again = make_report(api_sample_db, tmp_path / "again")
    assert [p.read_bytes() for p in again.pngs] == [p.read_bytes() for p in report.pngs]


def test_report_on_the_seed_explains_what_it_cannot_draw(seed_db: Path, tmp_path: Path) -> None:
    report = make_report(seed_db, tmp_path)
    assert report.pngs == []
    page = report.index.read_text()
    assert page.count('class="missing"') == 4 and "has a date" in page and "keywords" in page
    assert "github.com" in page  # code hosts need no dates


def test_report_escapes_text_from_the_data(hostile_db: Path, tmp_path: Path) -> None:
    page = make_report(hostile_db, tmp_path).index.read_text()
    assert "<img src=x" not in page and "<script>alert(" not in page
    assert html.escape("<img src=x onerror=alert('img')>") in page  # the keyword, in the trends table


def test_report_command(seed_db: Path, tmp_path: Path) -> None:
    result = CliRunner().invoke(cli, ["report", "--db", str(seed_db), "--out", str(tmp_path / "r")],
                                catch_exceptions=False)
    assert result.exit_code == 0, result.output
    assert "not drawn" in result.output and f"Open {tmp_path / 'r' / 'index.html'}" in result.output
    missing = CliRunner().invoke(cli, ["report", "--db", str(tmp_path / "none.db")])
    assert missing.exit_code == 1 and "does not exist" in missing.output
