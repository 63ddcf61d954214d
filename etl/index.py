"""Index stage: table creation from the schema, the FTS5 index, its triggers, views and statistics."""

from __future__ import annotations

import sqlite3

from .schema import FTS_DDL, FTS_TABLE, FTS_TRIGGERS, VIEWS, table_ddl

# Titles say more about a paper than any abstract sentence: bm25 weights title, abstract.
RANK_FUNCTION = "bm25(10.0, 1.0)"


def create_tables(conn: sqlite3.Connection) -> None:
    """Create every table and index of etl/schema.py in an empty database."""
    for statement in table_ddl():
        conn.execute(statement)


def has_table(conn: sqlite3.Connection, name: str) -> bool:
    return conn.execute("select 1 from sqlite_master where name = ?", (name,)).fetchone() is not None


def rebuild_fts(conn: sqlite3.Connection) -> None:
    """(Re)create the FTS index from papers in one pass, then the triggers that keep it in sync.

    One 'rebuild' after a bulk load is much cheaper than triggers firing per row (STYLE.md, pitfall 11).
    """
    drop_fts(conn)
    conn.execute(FTS_DDL)
    conn.execute(f"insert into {FTS_TABLE}({FTS_TABLE}, rank) values ('rank', '{RANK_FUNCTION}')")
    conn.execute(f"insert into {FTS_TABLE}({FTS_TABLE}) values ('rebuild')")
    _run_script(conn, FTS_TRIGGERS)


def drop_fts(conn: sqlite3.Connection) -> None:
    for trigger in ("papers_ai", "papers_ad", "papers_au"):
        conn.execute(f'drop trigger if exists "{trigger}"')
    conn.execute(f'drop table if exists "{FTS_TABLE}"')


def _run_script(conn: sqlite3.Connection, script: str) -> None:
    # executescript() would COMMIT the open transaction; triggers are split on their END.
    for statement in script.split("END;"):
        if statement.strip():
            conn.execute(statement.strip() + "\nEND;")


def ensure_views(conn: sqlite3.Connection) -> None:
    for name, sql in VIEWS.items():
        conn.execute(f'drop view if exists "{name}"')
        conn.execute(f'create view "{name}" as {sql}')


def ensure_db_shape(conn: sqlite3.Connection) -> None:
    """Idempotent: the FTS index, its triggers and the views exist and are current."""
    if not has_table(conn, FTS_TABLE):
        rebuild_fts(conn)
    ensure_views(conn)
