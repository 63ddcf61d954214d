"""Serving a large database fast: Datasette's inspect data, made once per database file.

With ``--immutable`` Datasette trusts that the file never changes and can take every table's row
count from an inspect file instead of counting on each page (``select count(*)`` of a million-row
table costs half a second and is not interrupted by the SQL time limit, STYLE.md pitfall 13).
``papershelf serve --immutable`` writes that file beside the database the first time
(``<db>.inspect.json``) and reuses it until the database changes (size or modification time).

Whatever its file is called, the database is served as ``papershelf`` (:func:`serve_as_papershelf`):
the pages, canned queries and plugin expect that name, and Datasette names a database after its file.
"""

from __future__ import annotations

import hashlib
import json
import sqlite3
from pathlib import Path
from typing import Any

from etl.db.ddl import DATABASE  # the name the site, its metadata and its canned queries expect

STAMP = "papershelf_stamp"  # extra keys in the database's entry: Datasette ignores them
VIEWS = "papershelf_views"  # the views' counts, given to Datasette by the plugin (``internals.add_view_counts``)


def inspect_path(db_path: Path) -> Path:
    return db_path.with_name(db_path.name + ".inspect.json")


def _stamp(db_path: Path) -> list[int]:
    """The database file's size and modification time, and its write-ahead log's (not checkpointed
    yet, it holds changes too)."""
    stamp = []
    for path in (db_path, db_path.with_name(db_path.name + "-wal")):
        try:
            stat = path.stat()
            stamp += [stat.st_size, stat.st_mtime_ns]
        except FileNotFoundError:
            stamp += [0, 0]
    return stamp


def inspect_data(db_path: Path) -> dict[str, Any]:
    """What ``datasette inspect`` writes for one database: hash, size, file and table counts."""
    digest = hashlib.sha256()
    with db_path.open("rb") as handle:
        while chunk := handle.read(1 << 22):
            digest.update(chunk)
    # sqlite-utils' introspection, imported here: it takes 0.3 s or more to import (numpy, pandas when
    # installed), and only `papershelf serve --immutable` and the plugin's tests write inspect data.
    import sqlite_utils

    db = sqlite_utils.Database(sqlite3.connect(f"file:{db_path}?mode=ro", uri=True))
    try:
        # Tables under "tables", as `datasette inspect` writes them: Datasette's database page looks
        # every name there up among its tables (a view there is a server error). The views' counts
        # (a join of ten million rows at a million papers) go under VIEWS, for the plugin.
        counts = {
            "table": {name: {"count": _count(db.table(name))} for name in sorted(db.table_names())},
            "view": {name: {"count": _count(db.view(name))} for name in sorted(db.view_names())},
        }
    finally:
        db.close()
    return {
        DATABASE: {
            "hash": digest.hexdigest(),
            "size": db_path.stat().st_size,
            "file": str(db_path),
            "tables": counts["table"],
            VIEWS: counts["view"],
            STAMP: _stamp(db_path),
        }
    }


def _count(table: Any) -> int:
    """A table's or view's row count (sqlite-utils ``Queryable``)."""
    try:
        return table.count
    except sqlite3.OperationalError:  # an FTS table that cannot be counted
        return 0


def has_papershelf_tables(db_path: str | Path, immutable: bool = False) -> bool:
    """True when the file is a papershelf database (its papers, listings and rejects tables)."""
    try:
        uri = Path(db_path).resolve().as_uri() + ("?mode=ro&immutable=1" if immutable else "?mode=ro")
        conn = sqlite3.connect(uri, uri=True)
    except sqlite3.Error:
        return False
    try:
        names = {row[0] for row in conn.execute("select name from sqlite_master where type = 'table'")}
    except sqlite3.Error:
        return False
    finally:
        conn.close()
    return {"papers", "listings", "rejects"} <= names


def serve_as_papershelf(datasette: Any) -> str | None:
    """Serve the papershelf database as ``papershelf`` whatever its file is called (``mine.db``,
    ``papers.1m.db``: a dot in the name would make every page a 404). Done when no database has that
    name yet and exactly one file served holds papershelf's tables; returns the name it had."""
    if DATABASE in datasette.databases:
        return None
    found = [db for db in datasette.databases.values()
             if db.path and not db.is_memory and has_papershelf_tables(db.path, immutable=not db.is_mutable)]
    if len(found) != 1:
        return None
    db = found[0]
    old_name = db.name
    datasette.remove_database(old_name)
    datasette.add_database(db, name=DATABASE)
    return old_name


def ensure_inspect_file(db_path: Path) -> Path:
    """The inspect file of ``db_path``, written or rewritten when the database changed since."""
    path = inspect_path(db_path)
    try:
        current = json.loads(path.read_text(encoding="utf-8"))
        if current[DATABASE][STAMP] == _stamp(db_path):
            return path
    except (OSError, ValueError, KeyError, TypeError):
        pass
    temp = path.with_name(path.name + ".tmp")
    temp.write_text(json.dumps(inspect_data(db_path), indent=2), encoding="utf-8")
    temp.replace(path)
    return path
