"""``papershelf report``: a few PNG charts and an HTML page that shows them, from etl.publish.analysis.

Charts are drawn with matplotlib's object API on the Agg canvas (no display, no global pyplot state).
A chart whose data is missing (the seed has no dates, no keywords, no upvotes) is not drawn: the page
says why instead. Every text from the data is HTML-escaped.
"""

from __future__ import annotations

import datetime as dt
import html
from dataclasses import dataclass, field
from pathlib import Path

import polars as pl
from matplotlib.figure import Figure

from . import analysis

COLORS = ["#1d3557", "#e63946", "#2a9d8f", "#f4a261", "#6c8ebf", "#8d6a9f", "#e9c46a", "#a0522d"]
PNG_METADATA = {"Software": None}  # no matplotlib version in the file: the same data, the same bytes


@dataclass
class Chart:
    name: str
    title: str
    caption: str
    file: str | None = None  # None: not drawn, ``missing`` says why
    missing: str = ""
    table: pl.DataFrame | None = None


@dataclass
class Report:
    out: Path
    charts: list[Chart] = field(default_factory=list)

    @property
    def index(self) -> Path:
        return self.out / "index.html"

    @property
    def pngs(self) -> list[Path]:
        return [self.out / chart.file for chart in self.charts if chart.file]


def _save(figure: Figure, path: Path) -> None:
    figure.tight_layout()
    figure.savefig(path, dpi=110, metadata=PNG_METADATA)


def _months(frame: pl.DataFrame) -> list[str]:
    return [d.strftime("%Y-%m") for d in frame.get_column("period").to_list()]


def papers_per_month_chart(conn, out: Path) -> Chart:  # type: ignore[no-untyped-def]
    chart = Chart("papers", "Papers per month", "Papers by the month of their first listing.")
    frame = analysis.papers_per_period(conn, "month")
    chart.table = frame.with_columns(pl.col("period").dt.strftime("%Y-%m").alias("month")).select("month", "papers")
    if frame.is_empty():
        chart.missing = "No listing in this database has a date, so there is nothing to draw over time."
        return chart
    figure = Figure(figsize=(9, 3.6))
    axes = figure.subplots()
    axes.bar(_months(frame), frame.get_column("papers").to_list(), color=COLORS[0])
    axes.set_ylabel("papers")
    axes.tick_params(axis="x", labelrotation=60, labelsize=8)
    axes.set_title("Papers per month of first listing")
    chart.file = "papers_per_month.png"
    _save(figure, out / chart.file)
    return chart


def keyword_trends_chart(conn, out: Path, top: int = 8) -> Chart:  # type: ignore[no-untyped-def]
    chart = Chart("keywords", "Keyword trends",
                  f"The {top} most frequent keywords: the share of each month's papers with keywords that carry"
                  " them (months before any source gave keywords are left out).")
    frame = analysis.keyword_trends(conn, top=top)
    if frame.is_empty():
        chart.missing = ("No dated paper has keywords yet (keywords come from the Daily Papers API's"
                         " ai_keywords or papershelf's extraction, dates from the listings).")
        return chart
    chart.table = (frame.with_columns(pl.col("period").dt.strftime("%Y-%m").alias("month"))
                   .group_by("keyword").agg(pl.col("papers").sum())
                   .sort(["papers", "keyword"], descending=[True, False]))
    figure = Figure(figsize=(11, 4.2))
    axes = figure.subplots()
    for color, keyword in zip(COLORS, chart.table.get_column("keyword").to_list()):
        series = frame.filter(pl.col("keyword") == keyword).sort("period")
        axes.plot(_months(series), (series.get_column("share") * 100).to_list(),
                  marker="o", markersize=3, label=keyword, color=color)
    axes.set_ylabel("% of the month's papers with keywords")
    axes.legend(fontsize=8, loc="upper left", bbox_to_anchor=(1.01, 1.0))
    axes.tick_params(axis="x", labelrotation=60, labelsize=8)
    axes.set_title("Keyword trends")
    chart.file = "keyword_trends.png"
    _save(figure, out / chart.file)
    return chart


def code_chart(conn, out: Path) -> Chart:  # type: ignore[no-untyped-def]
    total = analysis.code_share_total(conn)
    share = f" Over the whole database: {total:.0%} of papers link to code." if total is not None else ""
    chart = Chart("code", "Code availability by month",
                  "Papers per month of first listing, how many link to a code repository, and the share." + share)
    frame = analysis.code_share(conn, "month")
    chart.table = analysis.top_code_hosts(conn, 10)
    if frame.is_empty():
        chart.missing = "No listing in this database has a date, so there is nothing to draw over time."
        return chart
    figure = Figure(figsize=(9, 3.8))
    axes = figure.subplots()
    months = _months(frame)
    axes.bar(months, frame.get_column("papers").to_list(), color="#c9d3e3", label="papers")
    axes.bar(months, frame.get_column("with_code").to_list(), color=COLORS[2], label="with code")
    axes.set_ylabel("papers")
    axes.tick_params(axis="x", labelrotation=60, labelsize=8)
    share_axes = axes.twinx()
    share_axes.plot(months, (frame.get_column("share") * 100).to_list(), color=COLORS[1], marker="o",
                    markersize=3, label="% with code")
    share_axes.set_ylim(0, 100)
    share_axes.set_ylabel("% with code")
    axes.legend(loc="upper left", fontsize=8)
    share_axes.legend(loc="upper right", fontsize=8)
    axes.set_title("Code availability by month")
    chart.file = "code_by_month.png"
    _save(figure, out / chart.file)
    return chart


def upvotes_chart(conn, out: Path) -> Chart:  # type: ignore[no-untyped-def]
    chart = Chart("upvotes", "Upvotes", "How many papers got how many upvotes (the highest a listing showed),"
                  " and the median and 90th percentile by month of first listing.")
    distribution = analysis.upvote_distribution(conn)
    by_month = analysis.upvotes_by_period(conn, "month")
    chart.table = distribution.select("range", "papers")
    if distribution.get_column("papers").sum() == 0:
        chart.missing = "No listing in this database showed upvotes (text captures pasted without them, say)."
        return chart
    figure = Figure(figsize=(10, 3.8))
    left, right = figure.subplots(1, 2, gridspec_kw={"width_ratios": [1, 1.3]})
    left.bar(distribution.get_column("range").to_list(), distribution.get_column("papers").to_list(), color=COLORS[4])
    left.set_xlabel("upvotes")
    left.set_ylabel("papers")
    left.tick_params(axis="x", labelrotation=45, labelsize=8)
    left.set_title("Upvote distribution")
    if not by_month.is_empty():
        months = _months(by_month)
        right.plot(months, by_month.get_column("median").to_list(), marker="o", markersize=3, color=COLORS[0],
                   label="median")
        right.plot(months, by_month.get_column("p90").to_list(), marker="o", markersize=3, color=COLORS[1],
                   label="90th percentile")
        right.legend(fontsize=8)
        right.tick_params(axis="x", labelrotation=60, labelsize=8)
        right.set_title("Upvotes by month")
    else:
        right.set_axis_off()
    chart.file = "upvotes.png"
    _save(figure, out / chart.file)
    return chart


def _table_html(frame: pl.DataFrame | None, limit: int = 12) -> str:
    if frame is None or frame.is_empty():
        return ""
    head = "".join(f"<th>{html.escape(str(c))}</th>" for c in frame.columns)
    body = "".join(
        "<tr>" + "".join(f"<td>{html.escape('' if v is None else str(v))}</td>" for v in row) + "</tr>"
        for row in frame.head(limit).iter_rows()
    )
    return f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


def write_html(report: Report, db_path: Path, figures: dict[str, str], repos: pl.DataFrame) -> None:
    sections = []
    for chart in report.charts:
        image = (f'<img src="{html.escape(chart.file)}" alt="{html.escape(chart.title)}">' if chart.file
                 else f'<p class="missing">{html.escape(chart.missing)}</p>')
        sections.append(
            f'<section id="{chart.name}"><h2>{html.escape(chart.title)}</h2>'
            f"<p>{html.escape(chart.caption)}</p>{image}{_table_html(chart.table)}</section>"
        )
    if not repos.is_empty():
        sections.append("<section id=\"repos\"><h2>Most linked code repositories</h2>"
                        + _table_html(repos.select("repo", "papers", "github_stars", "upvotes"), 20) + "</section>")
    facts = "".join(f"<li><strong>{html.escape(v)}</strong> {html.escape(k)}</li>" for k, v in figures.items())
    generated = dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M UTC")
    page = f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>papershelf report</title>
<meta name="viewport" content="width=device-width, initial-scale=1">
<style>
body {{ font-family: system-ui, sans-serif; max-width: 62rem; margin: 2rem auto; padding: 0 1rem; color: #1d2433; }}
h1 {{ margin-bottom: 0.2rem; }} h2 {{ border-bottom: 1px solid #ddd; padding-bottom: 0.2rem; margin-top: 2rem; }}
img {{ max-width: 100%; border: 1px solid #eee; }}
ul.facts {{ display: flex; flex-wrap: wrap; gap: 1.5rem; list-style: none; padding: 0; }}
ul.facts strong {{ display: block; font-size: 1.5rem; }}
table {{ border-collapse: collapse; margin-top: 0.6rem; font-size: 0.9rem; }}
td, th {{ border-bottom: 1px solid #eee; padding: 0.2rem 0.6rem; text-align: left; }}
.missing {{ background: #fff8e1; padding: 0.6rem; border-left: 4px solid #e6cf8b; }}
.meta {{ color: #666; }}
</style></head>
<body>
<h1>papershelf report</h1>
<p class="meta">From {html.escape(db_path.name)}, generated {generated} by <code>papershelf report</code>.</p>
<ul class="facts">{facts}</ul>
{"".join(sections)}
</body></html>
"""
    report.index.write_text(page, encoding="utf-8")


def make_report(db_path: Path, out: Path) -> Report:
    """Draw the charts of ``db_path`` into ``out`` and write ``out/index.html``."""
    conn = analysis.connect(db_path)
    try:
        out.mkdir(parents=True, exist_ok=True)
        report = Report(out)
        report.charts = [papers_per_month_chart(conn, out), keyword_trends_chart(conn, out),
                         code_chart(conn, out), upvotes_chart(conn, out)]
        papers_count, listings, first, last = conn.execute(
            "select (select count(*) from papers), (select count(*) from listings),"
            " (select min(listing_date) from listing_papers), (select max(listing_date) from listing_papers)"
        ).fetchone()
        share = analysis.code_share_total(conn)
        figures = {"papers": f"{papers_count:,}", "listings": f"{listings:,}",
                   "with code": f"{share:.0%}" if share is not None else "n/a",
                   "listing dates": f"{first} to {last}" if first else "none known"}
        write_html(report, db_path, figures, analysis.top_repos(conn, 20))
    finally:
        conn.close()
    return report
