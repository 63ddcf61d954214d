"""Publication commands: serve (Datasette with papershelf's plugin), export (Parquet/CSV + datapackage.json)
and report (charts and an HTML page from etl.publish.analysis). Registered on the group in etl/cli/__init__.py."""

from __future__ import annotations

from pathlib import Path

import click

from etl.cli.options import db_option, existing_db
from etl.db.index import ShapeError


def datasette_serve_args(db_path: Path, metadata: Path, port: int, host: str, immutable: bool,
                         inspect_file: Path | None = None) -> list[str]:
    """The `datasette serve` arguments papershelf serves with: its metadata, settings and time limits.

    An immutable database is served with its inspect file (etl/publish/serving.py): table counts known in advance.
    """
    from etl.publish.datasette_plugin import SETTINGS

    args = ["serve", "-i" if immutable else "", str(db_path), "--metadata", str(metadata),
            "--host", host, "--port", str(port)]
    if immutable and inspect_file is not None:
        args += ["--inspect-file", str(inspect_file)]
    for name, value in SETTINGS.items():
        args += ["--setting", name, ("on" if value else "off") if isinstance(value, bool) else str(value)]
    return [arg for arg in args if arg]


@click.command()
@db_option
@click.option("--port", default=8001, show_default=True, help="Port to serve on")
@click.option("--host", default="127.0.0.1", show_default=True, help="Host to bind")
@click.option("--immutable", is_flag=True,
              help="Serve the file as immutable (faster, for publication; do not add to it while serving)")
def serve(db_path: Path, port: int, host: str, immutable: bool) -> None:
    """Serve the database with Datasette: ranked search, paper and keyword pages, canned queries.

    Read-only, with a time limit on every SQL query. Whatever its file is called, the database is
    served as /papershelf (the name its pages and canned queries expect).
    """
    existing_db(db_path)
    from etl.db.ddl import DATABASE

    click.echo(f"Serving {db_path} as the database {DATABASE!r}: http://{host}:{port}/ and /{DATABASE}", err=True)
    import tempfile

    from datasette.cli import cli as datasette_cli

    from etl.publish.datasette_plugin import ensure_registered
    from etl.publish.metadata import metadata_yaml

    ensure_registered()
    with tempfile.TemporaryDirectory(prefix="papershelf-") as folder:
        # The metadata generated from the installed package: the same text as the committed metadata.yml.
        metadata = Path(folder) / "metadata.yml"
        metadata.write_text(metadata_yaml(), encoding="utf-8")
        inspect_file = None
        if immutable:
            from etl.publish.serving import inspect_file_for

            inspect_file = inspect_file_for(db_path, Path(folder))
        datasette_cli.main(args=datasette_serve_args(db_path, metadata, port, host, immutable, inspect_file),
                           prog_name="papershelf serve")


@click.command()
@db_option
@click.option("--format", "fmt", type=click.Choice(["parquet", "csv", "postgres"]), default="parquet",
              show_default=True, help="File format of the tables, or postgres: load a PostgreSQL database")
@click.option("--out", type=click.Path(file_okay=False, path_type=Path), default=Path("export"),
              show_default=True, help="Folder to write the files and datapackage.json into")
@click.option("--to", "url", help="With --format postgres: postgresql://USER@HOST:PORT/DB to load into")
def export(db_path: Path, fmt: str, out: Path, url: str | None) -> None:
    """Export every table as Parquet or CSV, with a Frictionless datapackage.json describing them;
    or load them into PostgreSQL (--format postgres --to URL).

    The descriptor (types, descriptions, primary and foreign keys, license, sources) is generated
    from the schema; check it with `frictionless validate DIR/datapackage.json`. The large tables'
    Parquet files are Hive-partitioned folders (see the README). A PostgreSQL load fills a new schema
    with COPY and swaps it for schema papershelf in one transaction: readers never see half a load.
    """
    if fmt == "postgres":
        from etl.publish.postgres import is_url, load

        if not url or not is_url(url):
            raise click.UsageError("--format postgres needs --to postgresql://USER@HOST:PORT/DB")
        try:
            import psycopg
        except ImportError:
            raise click.ClickException("PostgreSQL needs psycopg: pip install -e '.[engines]'")
        try:
            report = load(existing_db(db_path), url)
        except psycopg.Error as error:
            raise click.ClickException(f"PostgreSQL: {error}".strip())
        except ShapeError as error:
            raise click.ClickException(f"{db_path}: {error}") from None
        for table, rows in report.rows.items():
            click.echo(f"{table}: {rows:,} row{'' if rows == 1 else 's'}")
        timings = ", ".join(f"{stage} {seconds:.1f} s" for stage, seconds in report.timings.items())
        click.echo(f"Loaded into schema papershelf in {report.seconds:.1f} s ({timings})")
        return
    if url:
        raise click.UsageError("--to is for --format postgres; Parquet and CSV go to --out")
    from etl.publish.export import export as run_export

    try:
        descriptor = run_export(existing_db(db_path), out, fmt)  # type: ignore[arg-type]
    except ShapeError as error:
        raise click.ClickException(f"{db_path}: {error}") from None
    for resource in descriptor["resources"]:
        rows = resource["papershelf:rows"]
        click.echo(f"{out / resource['path']}: {rows:,} row{'' if rows == 1 else 's'}")
    click.echo(f"{out / 'datapackage.json'}: {len(descriptor['resources'])} resources")


@click.command()
@db_option
@click.option("--out", type=click.Path(file_okay=False, path_type=Path), default=Path("report"),
              show_default=True, help="Folder to write the charts and index.html into")
def report(db_path: Path, out: Path) -> None:
    """Draw charts (papers per month, keyword trends, code availability, upvotes) and an HTML page.

    Built from the polars functions of etl/publish/analysis.py; open DIR/index.html in a browser.
    """
    from etl.publish.report import make_report

    result = make_report(existing_db(db_path), out)
    for chart in result.charts:
        click.echo(f"{chart.title}: {out / chart.file if chart.file else 'not drawn: ' + chart.missing}")
    click.echo(f"Open {result.index}")
