"""Options and checks the commands of etl/cli/__init__.py and etl/cli/publish.py share."""

from __future__ import annotations

from pathlib import Path

import click

from etl.pipeline.build import DEFAULT_DB

db_option = click.option(
    "--db",
    "db_path",
    type=click.Path(file_okay=True, dir_okay=False, path_type=Path),
    default=DEFAULT_DB,
    show_default=True,
    help="SQLite database file",
)


def existing_db(db_path: Path) -> Path:
    """``db_path``, or a usage error when there is no database there yet."""
    if not db_path.exists():
        raise click.ClickException(f"{db_path} does not exist: run `papershelf build` first")
    return db_path
