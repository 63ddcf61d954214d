"""polars frames for the questions people ask of the dataset.

Every function takes an open ``sqlite3.Connection`` (see :func:`connect`) and returns a
``polars.DataFrame`` with a fixed schema, also when there is nothing to count (the seed has no
dates and no keywords): dates are ``pl.Date`` (SQLite hands them over as text: STYLE.md pitfall 9),
lists are ``pl.List(pl.String)``, flags are ``pl.Boolean``, shares are fractions between 0 and 1.

    >>> import etl.publish.analysis as a
    >>> conn = a.connect("db/papershelf.db")
    >>> a.keyword_trends(conn, top=5).pivot("keyword", index="period", values="papers")
"""

from __future__ import annotations

import sqlite3
from functools import partial
from pathlib import Path
from typing import Any, Literal

import polars as pl

from etl.text import keyword_identity

Period = Literal["day", "week", "month", "year"]
_TRUNCATE = {"day": "1d", "week": "1w", "month": "1mo", "year": "1y"}
STRING_LIST = pl.List(pl.String)


def connect(db_path: str | Path) -> sqlite3.Connection:
    """A read-only connection to a papershelf database (a ``postgresql://`` URL: a psycopg connection
    to the tables ``papershelf export --format postgres`` loaded, which every function here accepts)."""
    from .postgres import connect as connect_postgres, is_url

    if is_url(db_path):
        return connect_postgres(str(db_path))  # type: ignore[no-any-return]
    path = Path(db_path)
    if not path.exists():
        raise FileNotFoundError(f"{path} does not exist: run `papershelf build` first")
    return sqlite3.connect(f"file:{path.resolve()}?mode=ro", uri=True)


def read(conn: sqlite3.Connection, sql: str, schema: dict[str, Any], params: dict[str, Any] | None = None
         ) -> pl.DataFrame:
    """Run ``sql`` and return its rows with ``schema``'s types: pl.Date from ISO text, lists from JSON."""
    text_types = {name: (pl.String if dtype in (pl.Date, STRING_LIST, pl.Boolean) else dtype)
                  for name, dtype in schema.items()}
    key = "parameters"  # the keyword of the DB-API cursor's execute(): psycopg names it params
    if _postgres(conn):
        from .postgres import adapt_sql

        sql, key = adapt_sql(sql), "params"
    frame = pl.read_database(sql, conn, schema_overrides=text_types, execute_options={key: params or {}})
    if frame.width == 0:  # no rows and no description: build the empty frame ourselves
        frame = pl.DataFrame(schema={name: text_types[name] for name in schema})
    casts = []
    for name, dtype in schema.items():
        if dtype == pl.Date:
            casts.append(pl.col(name).str.to_date("%Y-%m-%d", strict=False))
        elif dtype == STRING_LIST:
            casts.append(pl.col(name).str.json_decode(STRING_LIST))
        elif dtype == pl.Boolean:
            casts.append(pl.col(name).cast(pl.Int64).cast(pl.Boolean))
    return frame.with_columns(casts).select(list(schema)) if casts else frame.select(list(schema))


def keyword_key(conn: Any, text: str) -> str | None:
    """The key of the stored keyword that ``text`` names (any written form: "LLM", "large language
    models"), None when none; on SQLite or PostgreSQL (through ``read``)."""
    key = keyword_identity.key_of(text)
    if not key:
        return None
    return read(conn, keyword_identity.FIND_SQL, {"key": pl.String}, {"key": key}).get_column("key")[0]


def _postgres(conn: Any) -> bool:
    return type(conn).__module__.startswith("psycopg")


def _json_list(conn: Any, column: str, select: str) -> str:
    """SQL for a JSON array of ``column`` of ``select``'s rows, in their order ([] when it has none)."""
    if _postgres(conn):
        return f"(select coalesce(json_agg({column})::text, '[]') from ({select}) as list_rows)"
    return f"(select json_group_array({column}) from ({select}))"


def _truncate(column: str, period: Period) -> pl.Expr:
    return pl.col(column).dt.truncate(_TRUNCATE[period]).alias("period")


def papers(conn: sqlite3.Connection) -> pl.DataFrame:
    """One row per paper with its dates, figures and its keywords, authors and link kinds as lists."""
    keywords = _json_list(conn, "display", "select k.display from paper_keywords pk join keywords k"
                          " on k.id = pk.keyword_id where pk.paper_id = p.id order by pk.source, pk.rank")
    authors = _json_list(conn, "name", "select a.name from paper_authors pa join authors a on a.id = pa.author_id"
                         " where pa.paper_id = p.id order by pa.position")
    link_kinds = _json_list(conn, "kind", "select distinct kind from links where links.paper_id = p.id order by kind")
    return read(
        conn,
        f"""select p.id, p.title, p.first_seen, p.last_seen, p.published, p.upvotes, p.github_stars,
                  p.has_code, p.listing_count, p.organization,
                  {keywords} as keywords, {authors} as authors, {link_kinds} as link_kinds
           from papers p order by p.first_seen nulls first, p.id""",
        {"id": pl.String, "title": pl.String, "first_seen": pl.Date, "last_seen": pl.Date, "published": pl.Date,
         "upvotes": pl.Int64, "github_stars": pl.Int64, "has_code": pl.Boolean, "listing_count": pl.Int64,
         "organization": pl.String, "keywords": STRING_LIST, "authors": STRING_LIST, "link_kinds": STRING_LIST},
    )


def papers_per_day(conn: sqlite3.Connection) -> pl.DataFrame:
    """For each listing date: listings read, papers shown, and papers shown for the first time."""
    shown = read(
        conn,
        """select listing_date as date, count(distinct listing_id) as listings, count(*) as papers
           from listing_papers where listing_date is not null group by listing_date""",
        {"date": pl.Date, "listings": pl.Int64, "papers": pl.Int64},
    )
    new = read(
        conn,
        "select first_seen as date, count(*) as new_papers from papers where first_seen is not null group by first_seen",
        {"date": pl.Date, "new_papers": pl.Int64},
    )
    return (shown.join(new, on="date", how="left")
            .with_columns(pl.col("new_papers").fill_null(0))
            .drop_nulls("date").sort("date"))


def papers_per_period(conn: sqlite3.Connection, period: Period = "month") -> pl.DataFrame:
    """Papers by the period of their first listing."""
    return (papers_per_day(conn).group_by(_truncate("date", period))
            .agg(pl.col("new_papers").sum().alias("papers")).sort("period"))


def keyword_trends(conn: sqlite3.Connection, keywords: list[str] | None = None, top: int = 8,
                   period: Period = "month", source: str | None = None) -> pl.DataFrame:
    """Papers per period carrying each keyword (the ``top`` most frequent, or those named by any
    written form: "LLM", "large language models"), and their share of the period's papers that have
    keywords at all (``keyworded``): a period before any source gave keywords is left out rather
    than counted as zero.

    A keyword's papers count whichever source assigned it; ``source`` keeps one.
    """
    tagged = read(
        conn,
        """select k.key, k.display as keyword, pk.paper_id, p.first_seen as date
           from paper_keywords pk join keywords k on k.id = pk.keyword_id join papers p on p.id = pk.paper_id
           where p.first_seen is not null and (:source is null or pk.source = :source)""",
        {"key": pl.String, "keyword": pl.String, "paper_id": pl.String, "date": pl.Date},
        {"source": source},
    ).unique(["key", "paper_id"])
    totals = (tagged.group_by(_truncate("date", period)).agg(pl.col("paper_id").n_unique().alias("keyworded"))
              .with_columns(pl.col("keyworded").cast(pl.Int64)))
    if keywords:
        wanted = [key for key in map(partial(keyword_key, conn), keywords) if key is not None]
        tagged = tagged.filter(pl.col("key").is_in(wanted))
    else:
        best = (tagged.group_by("key").agg(pl.len().alias("n")).sort(["n", "key"], descending=[True, False])
                .head(top).get_column("key"))
        tagged = tagged.filter(pl.col("key").is_in(best.implode()))
    counts = (tagged.group_by(_truncate("date", period), "keyword")
              .agg(pl.col("paper_id").n_unique().alias("papers")))
    # Every (period, keyword) pair, zeros included, so that lines and shares are continuous.
    grid = totals.select("period").join(counts.select("keyword").unique(), how="cross")
    return (grid.join(counts, on=["period", "keyword"], how="left").join(totals, on="period", how="left")
            .with_columns(pl.col("papers").fill_null(0).cast(pl.Int64))
            .with_columns((pl.col("papers") / pl.col("keyworded")).alias("share"))
            .select("period", "keyword", "papers", "keyworded", "share").sort("period", "keyword"))


def _by_first_listing(conn: sqlite3.Connection, column: str, dtype: Any, period: Period, *figures: pl.Expr
                      ) -> pl.DataFrame:
    """The papers with a ``column`` grouped by the period of their first listing: their number
    (``papers``) and ``figures`` of each period."""
    frame = read(
        conn,
        f"select first_seen as date, {column} from papers where first_seen is not null and {column} is not null",
        {"date": pl.Date, column: dtype},
    )
    return frame.group_by(_truncate("date", period)).agg(pl.len().cast(pl.Int64).alias("papers"), *figures)


def code_share(conn: sqlite3.Connection, period: Period = "month") -> pl.DataFrame:
    """Papers per period of first listing, how many have a code link, and the share."""
    with_code = pl.col("has_code").sum().cast(pl.Int64).alias("with_code")
    return (_by_first_listing(conn, "has_code", pl.Boolean, period, with_code)
            .with_columns((pl.col("with_code") / pl.col("papers")).alias("share")).sort("period"))


def code_share_total(conn: sqlite3.Connection) -> float | None:
    """The share of all papers that have a code link (None for an empty database)."""
    papers_count, with_code = conn.execute("select count(*), coalesce(sum(has_code), 0) from papers").fetchone()
    return with_code / papers_count if papers_count else None


def top_code_hosts(conn: sqlite3.Connection, n: int = 10) -> pl.DataFrame:
    """Hosts of code links by the number of papers that link there."""
    return read(
        conn,
        """select host, count(distinct paper_id) as papers, count(*) as links from links where kind = 'code'
           group by host order by papers desc, host limit :n""",
        {"host": pl.String, "papers": pl.Int64, "links": pl.Int64},
        {"n": n},
    )


def top_repos(conn: sqlite3.Connection, n: int = 20) -> pl.DataFrame:
    """Code repositories by the number of papers linking them, with their latest star count."""
    return read(
        conn,
        """select links.repo, min(links.url) as url, count(distinct links.paper_id) as papers,
                  max(papers.github_stars) as github_stars, max(papers.upvotes) as upvotes
           from links join papers on papers.id = links.paper_id
           where links.kind = 'code' and links.repo is not null
           group by links.repo order by papers desc, github_stars desc nulls last, links.repo limit :n""",
        {"repo": pl.String, "url": pl.String, "papers": pl.Int64, "github_stars": pl.Int64, "upvotes": pl.Int64},
        {"n": n},
    )


UPVOTE_BINS = (0, 1, 2, 5, 10, 20, 50, 100, 200, 500)


def upvote_distribution(conn: sqlite3.Connection, bins: tuple[int, ...] = UPVOTE_BINS) -> pl.DataFrame:
    """How many papers fall in each upvote range ([lower, upper)), the last range open-ended."""
    upvotes = read(conn, "select upvotes from papers where upvotes is not null", {"upvotes": pl.Int64})
    uppers = [*bins[1:], None]
    rows = []
    for lower, upper in zip(bins, uppers):
        condition = pl.col("upvotes") >= lower
        if upper is not None:
            condition &= pl.col("upvotes") < upper
        label = f"{lower}-{upper - 1}" if upper is not None and upper - 1 > lower else (
            str(lower) if upper is not None else f"{lower}+")
        rows.append({"range": label, "lower": lower, "upper": upper, "papers": upvotes.filter(condition).height})
    return pl.DataFrame(rows, schema={"range": pl.String, "lower": pl.Int64, "upper": pl.Int64, "papers": pl.Int64})


def upvotes_by_period(conn: sqlite3.Connection, period: Period = "month") -> pl.DataFrame:
    """Upvote statistics of the papers first listed in each period."""
    upvotes = pl.col("upvotes")
    return _by_first_listing(conn, "upvotes", pl.Int64, period, upvotes.median().alias("median"),
                             upvotes.quantile(0.9, "nearest").cast(pl.Float64).alias("p90"),
                             upvotes.max().alias("max")).sort("period")
