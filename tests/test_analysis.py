"""etl.publish.analysis: polars frames with dates as dates and lists as lists, checked against SQL on real data."""

from __future__ import annotations

import datetime as dt
import sqlite3
from pathlib import Path

import polars as pl
import pytest

from etl.publish import analysis


@pytest.fixture(scope="module")
def api(api_sample_db: Path) -> sqlite3.Connection:
    return analysis.connect(api_sample_db)


@pytest.fixture(scope="module")
def seed(seed_db: Path) -> sqlite3.Connection:
    return analysis.connect(seed_db)


def one(conn: sqlite3.Connection, sql: str, params: tuple = ()) -> object:
    return conn.execute(sql, params).fetchone()[0]


def test_papers_frame_types_and_lists(api: sqlite3.Connection) -> None:
    frame = analysis.papers(api)
    assert frame.height == one(api, "select count(*) from papers")
    assert frame.schema["first_seen"] == pl.Date and frame.schema["last_seen"] == pl.Date
    assert frame.schema["keywords"] == pl.List(pl.String) and frame.schema["authors"] == pl.List(pl.String)
    assert frame.schema["has_code"] == pl.Boolean
    paper_id = one(api, "select paper_id from paper_keywords group by paper_id order by count(*) desc limit 1")
    row = frame.filter(pl.col("id") == paper_id).row(0, named=True)
    expected = [d for (d,) in api.execute("""select k.display from paper_keywords pk join keywords k
        on k.id = pk.keyword_id where pk.paper_id = ? order by pk.source, pk.rank""", (paper_id,))]
    assert row["keywords"] == expected
    authors = [n for (n,) in api.execute("""select a.name from paper_authors pa join authors a on a.id = pa.author_id
        where pa.paper_id = ? order by pa.position""", (paper_id,))]
    assert row["authors"] == authors
    assert isinstance(row["first_seen"], dt.date)


def test_papers_per_day(api: sqlite3.Connection) -> None:
    frame = analysis.papers_per_day(api)
    assert frame.schema["date"] == pl.Date
    assert frame.get_column("date").is_sorted()
    assert frame.get_column("papers").sum() == one(api, "select count(*) from listing_papers where listing_date is not null")
    assert frame.get_column("new_papers").sum() == one(api, "select count(*) from papers where first_seen is not null")
    assert frame.height == one(api, "select count(distinct listing_date) from listing_papers")


def test_keyword_trends(api: sqlite3.Connection) -> None:
    frame = analysis.keyword_trends(api, top=3)
    assert frame.schema["period"] == pl.Date and frame.get_column("keyword").n_unique() == 3
    top_key = one(api, """select k.key from paper_keywords pk join keywords k on k.id = pk.keyword_id
        group by k.key order by count(distinct pk.paper_id) desc, k.key limit 1""")
    top_display = one(api, "select min(display) from keywords where key = ?", (top_key,))
    total = one(api, """select count(distinct pk.paper_id) from paper_keywords pk join keywords k on k.id = pk.keyword_id
        join papers p on p.id = pk.paper_id where k.key = ? and p.first_seen is not null""", (top_key,))
    assert frame.filter(pl.col("keyword") == top_display).get_column("papers").sum() == total
    assert frame.get_column("share").is_between(0, 1).all()
    # Periods before any keyword are left out, not zeros.
    first_keyword_month = one(api, """select min(substr(p.first_seen, 1, 7)) from paper_keywords pk
        join papers p on p.id = pk.paper_id""")
    assert frame.get_column("period").min().strftime("%Y-%m") == first_keyword_month
    named = analysis.keyword_trends(api, keywords=[top_display.upper()])
    assert named.get_column("keyword").unique().to_list() == [top_display]


def test_code_share_and_hosts(api: sqlite3.Connection) -> None:
    frame = analysis.code_share(api)
    assert frame.get_column("papers").sum() == one(api, "select count(*) from papers where first_seen is not null")
    assert frame.get_column("with_code").sum() == one(api, "select sum(has_code) from papers where first_seen is not null")
    hosts = analysis.top_code_hosts(api, 5)
    assert hosts.row(0, named=True)["host"] == one(api, """select host from links where kind = 'code' group by host
        order by count(distinct paper_id) desc, host limit 1""")
    repos = analysis.top_repos(api, 10)
    assert repos.height <= 10 and repos.get_column("papers").is_sorted(descending=True)
    assert analysis.code_share_total(api) == pytest.approx(
        one(api, "select avg(has_code) from papers"))


def test_upvotes(api: sqlite3.Connection) -> None:
    distribution = analysis.upvote_distribution(api)
    assert distribution.get_column("papers").sum() == one(api, "select count(*) from papers where upvotes is not null")
    tens = distribution.filter(pl.col("range") == "10-19").get_column("papers").item()
    assert tens == one(api, "select count(*) from papers where upvotes between 10 and 19")
    by_month = analysis.upvotes_by_period(api)
    assert by_month.schema["period"] == pl.Date
    assert (by_month.get_column("median") <= by_month.get_column("p90")).all()


@pytest.mark.parametrize("name", ["papers_per_day", "papers_per_period", "keyword_trends", "code_share",
                                  "top_code_hosts", "top_repos", "upvote_distribution", "upvotes_by_period"])
def test_every_function_keeps_its_schema_on_the_seed(seed: sqlite3.Connection, api: sqlite3.Connection,
                                                      name: str) -> None:
    """The seed has no dates, keywords or upvotes: the frames are empty but typed like the full ones."""
    on_seed = getattr(analysis, name)(seed)
    assert on_seed.schema == getattr(analysis, name)(api).schema


def test_connect_refuses_a_missing_file(tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError, match="papershelf build"):
        analysis.connect(tmp_path / "none.db")
