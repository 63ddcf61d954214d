"""papershelf: turn listings of machine-learning papers into a searchable SQLite dataset."""

from __future__ import annotations

import datetime as dt
import signal
import sqlite3
import sys
import threading
from pathlib import Path

import click

from etl.pipeline import build as build_module
from etl.cli.options import db_option, existing_db
from etl.db.search import HIGHLIGHT_END, HIGHLIGHT_START, search as run_search

PROJECT_ROOT = Path(__file__).resolve().parents[2]  # etl/cli/__init__.py -> the clone
# The shipped listings (the seed and the Daily Papers API archive): the copy an installed package
# carries as package data (etl/listings, see pyproject.toml), else listings/ of the clone.
PACKAGED_LISTINGS = Path(__file__).resolve().parents[1] / "listings"
BUNDLED_LISTINGS = PACKAGED_LISTINGS if PACKAGED_LISTINGS.is_dir() else PROJECT_ROOT / "listings"
# Downloads go beside the bundled listings in a clone, never into an installed package.
FETCH_OUT = Path("listings") if BUNDLED_LISTINGS == PACKAGED_LISTINGS else BUNDLED_LISTINGS
METADATA = PROJECT_ROOT / "metadata.yml"

def iso_date(ctx: click.Context, param: click.Parameter, value: str | None) -> str | None:
    if value is None:
        return None
    try:
        return dt.date.fromisoformat(value).isoformat()
    except ValueError:
        raise click.BadParameter(f"{value!r} is not an ISO date (YYYY-MM-DD)")


date_option = click.option(
    "--date", callback=iso_date, help="The listings' date (YYYY-MM-DD), when the file name does not say it"
)
strict_option = click.option("--strict", is_flag=True, help="Stop with an error at the first rejected record")
silent_option = click.option("--silent", is_flag=True, help="No progress output")


@click.group()
@click.version_option(package_name="papershelf")
def cli() -> None:
    """papershelf: turn listings of machine-learning papers into a searchable SQLite dataset."""


def _stop_cleanly_on_sigterm() -> None:
    """`kill` stops a build or an add as Ctrl-C does: SystemExit runs their clean-up (the temporary
    database and the workers' files removed, an add's transaction rolled back)."""
    if threading.current_thread() is threading.main_thread():
        signal.signal(signal.SIGTERM, lambda signum, frame: sys.exit(128 + signum))


def _run(action, inputs, db_path: Path, date, strict: bool, silent: bool) -> None:  # type: ignore[no-untyped-def]
    _stop_cleanly_on_sigterm()
    try:
        paths = build_module.resolve_inputs(inputs)
        if silent or len(paths) < 2:
            report = action(paths, db_path, date=date, strict=strict)
        else:
            with click.progressbar(length=len(paths), label="Reading listings", file=sys.stderr) as bar:
                report = action(paths, db_path, date=date, strict=strict, progress=lambda name: bar.update(1))
    except (build_module.BuildError, build_module.SourceError) as error:
        raise click.ClickException(str(error))
    click.echo(report.summary())


@cli.command()
@click.argument("listings", nargs=-1, type=click.Path(exists=True, path_type=Path))
@db_option
@date_option
@strict_option
@silent_option
def build(listings: tuple[Path, ...], db_path: Path, date: str | None, strict: bool, silent: bool) -> None:
    """Build the database from LISTINGS (files, folders or globs; default: the bundled listings/).

    The new database replaces the old one only when the build succeeds.
    """
    if not listings and not BUNDLED_LISTINGS.is_dir():
        raise click.ClickException(
            f"no listings given and no bundled listings at {BUNDLED_LISTINGS}: give files or folders, or use a"
            " clone of the papershelf repository (its listings/ folder) or the installed package"
        )
    _run(build_module.build, listings or (BUNDLED_LISTINGS,), db_path, date, strict, silent)


@cli.command()
@click.argument("listings", nargs=-1, required=True, type=click.Path(exists=True, path_type=Path))
@db_option
@date_option
@strict_option
@silent_option
def add(listings: tuple[Path, ...], db_path: Path, date: str | None, strict: bool, silent: bool) -> None:
    """Add LISTINGS to an existing database in place, one transaction per file.

    A file already ingested (same SHA-256) changes nothing.
    """
    _run(build_module.add, listings, db_path, date, strict, silent)


@cli.command()
@click.argument("query")
@click.option("--db", "db_path", default=str(build_module.DEFAULT_DB), show_default=True,
              help="SQLite database file, or a postgresql://USER@HOST:PORT/DB URL (papershelf export --format postgres)")
@click.option("--limit", default=10, show_default=True, help="Number of results")
def search(query: str, db_path: str, limit: int) -> None:
    """Ranked full-text search of titles and abstracts, best match first."""
    from etl.publish.postgres import is_url

    if is_url(db_path):
        from etl.publish import postgres

        try:
            import psycopg
        except ImportError:
            raise click.ClickException("PostgreSQL needs psycopg: pip install -e '.[engines]'")
        try:
            with postgres.connect(db_path) as pg:
                hits = postgres.search(pg, query, limit)
        except psycopg.Error as error:  # connection refused, no papershelf schema loaded, ...
            raise click.ClickException(f"PostgreSQL: {error}".strip())
    else:
        conn = sqlite3.connect(f"file:{existing_db(Path(db_path))}?mode=ro", uri=True)
        hits = run_search(conn, query, limit)
    if not hits:
        click.echo(f"No papers match {query!r}.")
    for number, hit in enumerate(hits, 1):
        date = hit.last_seen or "date unknown"
        click.echo(click.style(f"{number}. {hit.title}", bold=True) + f"  [{hit.id}, {date}]")
        snippet = hit.snippet.replace(HIGHLIGHT_START, "\x1b[1;33m").replace(HIGHLIGHT_END, "\x1b[0m")
        if not sys.stdout.isatty():
            snippet = hit.snippet.replace(HIGHLIGHT_START, "**").replace(HIGHLIGHT_END, "**")
        click.echo("   " + snippet)


@cli.group()
def fetch() -> None:
    """Download listings (Daily Papers API, arXiv API), keep them under listings/ and add them."""


def _add_fetched(paths: list[Path], db_path: Path) -> None:
    if not paths:
        click.echo("Nothing downloaded.")
        return
    for path in paths:
        click.echo(f"Saved {path}")
    action = build_module.add if db_path.exists() else build_module.build
    try:
        report = action(paths, db_path)
    except (build_module.BuildError, build_module.SourceError) as error:
        raise click.ClickException(str(error))
    click.echo(report.summary())


fetch_out_option = click.option(
    "--out", type=click.Path(file_okay=False, path_type=Path), default=FETCH_OUT, show_default=True,
    help="Folder that keeps the raw responses",
)
# Tests and mirrors point the fetcher elsewhere; users rarely need it.
base_url_option = click.option("--base-url", default=None, help="API base URL (default: the public API)")


@fetch.command("hf")
@click.option("--date", "day", callback=iso_date, help="One day (YYYY-MM-DD)")
@click.option("--from", "start", callback=iso_date, help="First day of a range")
@click.option("--to", "end", callback=iso_date, help="Last day of a range (default: --from)")
@fetch_out_option
@base_url_option
@db_option
def fetch_hf(day: str | None, start: str | None, end: str | None, out: Path, base_url: str | None,
             db_path: Path) -> None:
    """Fetch Daily Papers API responses for a day or a range of days, then add them."""
    from etl.sources import fetch as fetcher

    if bool(day) == bool(start):
        raise click.UsageError("give either --date or --from (with --to)")
    base = base_url or fetcher.HF_BASE_URL
    try:
        if day:
            paths = [fetcher.fetch_hf_day(day, out, base)]
        else:
            paths = fetcher.fetch_hf_range(start, end or start, out, base, skip_existing=True)
    except (fetcher.FetchError, ValueError) as error:
        raise click.ClickException(str(error))
    _add_fetched(paths, db_path)


@fetch.command("arxiv")
@click.option("--query", required=True, help="arXiv API search_query, e.g. 'cat:cs.CL AND ti:diffusion'")
@click.option("--max", "max_results", default=100, show_default=True, help="Most entries to fetch")
@fetch_out_option
@base_url_option
@db_option
def fetch_arxiv(query: str, max_results: int, out: Path, base_url: str | None, db_path: Path) -> None:
    """Fetch arXiv API results (3 seconds between requests, as arXiv asks), then add them."""
    from etl.sources import fetch as fetcher

    try:
        paths = fetcher.fetch_arxiv(query, max_results, out, base_url or fetcher.ARXIV_API_URL)
    except (fetcher.FetchError, ValueError) as error:
        raise click.ClickException(str(error))
    _add_fetched(paths, db_path)


@cli.command()
def schema() -> None:
    """Print the database schema (the DDL of schema/papershelf.sql), declared in etl/db/schema.py."""
    from etl.db.schema import schema_sql  # SQLAlchemy: imported by the commands that need it only

    click.echo(schema_sql(), nl=False)


@cli.command()
def metadata() -> None:
    """Print the Datasette metadata (metadata.yml) generated from the schema."""
    from etl.publish.metadata import metadata_yaml

    click.echo(metadata_yaml(), nl=False)


# Publication commands (etl/cli/publish.py): serve, export, report.
from etl.cli.publish import export, report, serve

cli.add_command(serve)
cli.add_command(export)
cli.add_command(report)

# Keyphrases of any documents, with corpus statistics computed over the input (etl/cli/keywords.py).
from etl.cli.keywords import keywords_command

cli.add_command(keywords_command)
