"""Index stage: the tables, the FTS5 indexes, their triggers and the views of etl/db/schema.py created in a
database (from its rendering etl/db/ddl.py), and the FTS indexes filled."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager

from .ddl import (
    FTS_DDL,
    FTS_RANK_SQL,
    FTS_TABLE,
    FTS_TRIGGERS,
    TABLES,
    TITLE_FTS_DDL,
    TITLE_FTS_FILL,
    TITLE_FTS_TABLE,
    TITLE_FTS_TRIGGER_NAMES,
    TITLE_FTS_TRIGGERS,
    VIEWS,
)

# Indexes the loader never reads while it loads: a full build creates them after the bulk load,
# sorting each once instead of inserting millions of keys at random places.
LOAD_INDEXES = frozenset({"idx_papers_title_key"})

# FTS5 settings for one bulk 'rebuild' (STYLE.md pitfall 11): a 16 MB hash of pending terms and no
# merging while segments are written. 16 MB rebuilds 1M papers as fast as 64 MB (62 s against 66 s,
# optimize included) with 100 MB less resident memory. Afterwards the defaults come back for the
# small writes of `add`.
BULK_FTS_SETTINGS = {"hashsize": 16 * 2**20, "automerge": 0, "crisismerge": 64}
DEFAULT_FTS_SETTINGS = {"hashsize": 1024 * 1024, "automerge": 4, "crisismerge": 16}


def create_tables(conn: sqlite3.Connection, *, defer_indexes: bool = False) -> list[str]:
    """Create every table and index of etl/db/schema.py in an empty database.

    With ``defer_indexes`` the secondary indexes the loader does not need are not created: they are
    returned, for ``create_indexes`` once the tables are loaded.
    """
    deferred = []
    for statement in TABLES:
        if defer_indexes and statement.startswith("CREATE INDEX") and _index_name(statement) not in LOAD_INDEXES:
            deferred.append(statement)
            continue
        conn.execute(statement)
    return deferred


def _index_name(statement: str) -> str:
    return statement.split()[2].strip('"')


def create_indexes(conn: sqlite3.Connection, statements: list[str], *, tables: set[str] | None = None) -> list[str]:
    """Create the deferred indexes (those on ``tables`` only, when given); return the others."""
    left = []
    for statement in statements:
        if tables is None or _index_table(statement) in tables:
            conn.execute(statement)
        else:
            left.append(statement)
    return left


def _index_table(statement: str) -> str:
    return statement.split(" ON ")[1].split()[0].strip('"')


def has_table(conn: sqlite3.Connection, name: str) -> bool:
    return conn.execute("select 1 from sqlite_master where name = ?", (name,)).fetchone() is not None


def rebuild_fts(conn: sqlite3.Connection) -> None:
    """(Re)create the FTS indexes from papers in one pass each, then the triggers that keep them in sync.

    One 'rebuild' after a bulk load is much cheaper than triggers firing per row (STYLE.md, pitfall 11).
    The title index (``etl.db.search``) orders titles for ranked search.
    """
    drop_fts(conn)
    conn.execute(FTS_DDL)
    conn.execute(FTS_RANK_SQL)
    _configure(conn, FTS_TABLE, BULK_FTS_SETTINGS)
    conn.execute(f"insert into {FTS_TABLE}({FTS_TABLE}) values ('rebuild')")
    # One segment: queries read one b-tree per word, and the first add after the build does not
    # start a merge of the whole index (dozens of segments and crisismerge 16: 50 s at 1M papers).
    conn.execute(f"insert into {FTS_TABLE}({FTS_TABLE}) values ('optimize')")
    _configure(conn, FTS_TABLE, DEFAULT_FTS_SETTINGS)
    _run_script(conn, FTS_TRIGGERS)
    rebuild_title_fts(conn)


def rebuild_title_fts(conn: sqlite3.Connection) -> None:
    for trigger in TITLE_FTS_TRIGGER_NAMES:
        conn.execute(f'drop trigger if exists "{trigger}"')
    conn.execute(f'drop table if exists "{TITLE_FTS_TABLE}"')
    conn.execute(TITLE_FTS_DDL)
    _configure(conn, TITLE_FTS_TABLE, BULK_FTS_SETTINGS)
    index_titles(conn, 0)
    conn.execute(f'insert into "{TITLE_FTS_TABLE}"("{TITLE_FTS_TABLE}") values (\'optimize\')')
    _configure(conn, TITLE_FTS_TABLE, DEFAULT_FTS_SETTINGS)
    _run_script(conn, TITLE_FTS_TRIGGERS)


def index_titles(conn: sqlite3.Connection, since_rowid: int) -> None:
    """Add the titles of the papers stored after ``since_rowid`` to the title index (an add calls it
    once per listing: one sorted batch, one FTS5 segment)."""
    conn.execute(TITLE_FTS_FILL, {"since": since_rowid})


@contextmanager
def papers_indexed_at_the_end(conn: sqlite3.Connection) -> Iterator[None]:
    """Inside the caller's transaction: papers stored in the block reach the FTS indexes in one
    statement at its end, instead of through the insert trigger.

    FTS5 writes its pending terms out at every statement savepoint, and a trigger runs inside one:
    through the trigger each new paper costs a segment write (and merges), 5-100 ms a paper on a
    large index. The trigger is dropped for the block and created again before it ends, so the
    transaction never commits without it; on an error the caller's rollback restores it.
    """
    before = max_rowid(conn)
    conn.execute('drop trigger if exists "papers_ai"')
    yield
    conn.execute(
        f"insert into {FTS_TABLE}(rowid, title, abstract, ai_summary) select rowid, title, abstract, ai_summary"
        " from papers"
        " where rowid > ? order by rowid", (before,)
    )
    index_titles(conn, before)
    conn.execute(_INSERT_TRIGGER)


def _insert_trigger() -> str:
    for statement in FTS_TRIGGERS.split("END;"):
        if '"papers_ai"' in statement:
            return statement.strip() + "\nEND;"
    raise ValueError("schema.FTS_TRIGGERS has no papers_ai trigger")


_INSERT_TRIGGER = _insert_trigger()


def max_rowid(conn: sqlite3.Connection) -> int:
    return int(conn.execute("select coalesce(max(rowid), 0) from papers").fetchone()[0])


def _configure(conn: sqlite3.Connection, table: str, settings: dict[str, int]) -> None:
    for name, value in settings.items():
        conn.execute(f'insert into "{table}"("{table}", rank) values (?, ?)', (name, value))


def drop_fts(conn: sqlite3.Connection) -> None:
    for trigger in ("papers_ai", "papers_ad", "papers_au", *TITLE_FTS_TRIGGER_NAMES):
        conn.execute(f'drop trigger if exists "{trigger}"')
    conn.execute(f'drop table if exists "{FTS_TABLE}"')
    conn.execute(f'drop table if exists "{TITLE_FTS_TABLE}"')


def _run_script(conn: sqlite3.Connection, script: str) -> None:
    # executescript() would COMMIT the open transaction; triggers are split on their END.
    for statement in script.split("END;"):
        if statement.strip():
            conn.execute(statement.strip() + "\nEND;")


def ensure_views(conn: sqlite3.Connection) -> None:
    """Create the views, or re-create those whose definition changed (a schema write costs a commit)."""
    for name, statement in VIEWS.items():
        row = conn.execute("select sql from sqlite_master where type = 'view' and name = ?", (name,)).fetchone()
        if row is not None and row[0] == statement:
            continue
        conn.execute(f'drop view if exists "{name}"')
        conn.execute(statement)


def ensure_db_shape(conn: sqlite3.Connection) -> None:
    """Idempotent: the FTS index, its triggers and the views exist and are current."""
    if not has_table(conn, FTS_TABLE):
        rebuild_fts(conn)
    elif not has_table(conn, TITLE_FTS_TABLE):  # a database built before the title index existed
        rebuild_title_fts(conn)
    ensure_views(conn)



def next_id(conn: sqlite3.Connection, table: str) -> int:
    """The id the next row of ``table`` gets (SQLite's own choice for an integer primary key)."""
    return int(conn.execute(f"select coalesce(max(id), 0) + 1 from {table}").fetchone()[0])

class ShapeError(ValueError):
    """The database is not the shape this papershelf declares (built by an earlier version)."""


def check_shape(conn: sqlite3.Connection) -> None:
    """Every declared table is in the database with every declared column, or ShapeError naming what
    is missing: the exports read the declared tables, and a database built by an earlier papershelf
    would give wrong files (sqlite-utils reads the database's own tables and columns)."""
    import sqlite_utils

    from .schema import metadata  # SQLAlchemy: imported by the exports, never on add's path

    db = sqlite_utils.Database(conn)
    present = set(db.table_names())
    missing = []
    for table in metadata.sorted_tables:
        name = str(table.name)
        if name not in present:
            missing.append(f"table {name}")
            continue
        columns = set(db.table(name).columns_dict)
        missing += [f"column {name}.{column.name}" for column in table.columns if column.name not in columns]
    if missing:
        raise ShapeError(f"{', '.join(missing)} not in the database: rebuild it with `papershelf build`")
