"""Publication commands: serve (Datasette with papershelf's plugin), export (Parquet/CSV + datapackage.json)
and report (charts and an HTML page from etl.analysis). Registered on the group in etl/cli.py."""

from __future__ import annotations

from pathlib import Path

import click

from .build import DEFAULT_DB

db_option = click.option(
    "--db",
    "db_path",
    type=click.Path(file_okay=True, dir_okay=False, path_type=Path),
    default=DEFAULT_DB,
    show_default=True,
    help="SQLite database file",
)


def _existing(db_path: Path) -> Path:
    if not db_path.exists():
        raise click.ClickException(f"{db_path} does not exist: run `papershelf build` first")
    return db_path


def datasette_serve_args(db_path: Path, metadata: Path, port: int, host: str, immutable: bool) -> list[str]:
    """The `datasette serve` arguments papershelf serves with: its metadata, settings and time limits."""
    from .datasette_plugin import SETTINGS

    args = ["serve", "-i" if immutable else "", str(db_path), "--metadata", str(metadata),
            "--host", host, "--port", str(port)]
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

    Read-only, with a time limit on every SQL query.
    """
    _existing(db_path)
    import tempfile

    from datasette.cli import cli as datasette_cli

    from .datasette_plugin import ensure_registered
    from .publish import metadata_yaml

    ensure_registered()
    with tempfile.TemporaryDirectory(prefix="papershelf-") as folder:
        # The metadata generated from the installed package: the same text as the committed metadata.yml.
        metadata = Path(folder) / "metadata.yml"
        metadata.write_text(metadata_yaml(), encoding="utf-8")
        datasette_cli.main(args=datasette_serve_args(db_path, metadata, port, host, immutable),
                           prog_name="papershelf serve")
