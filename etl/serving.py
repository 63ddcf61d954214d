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

DATABASE = "papershelf"  # the name the site, its metadata and its canned queries expect
STAMP = "papershelf_stamp"  # extra keys in the database's entry: Datasette ignores them
VIEWS = "papershelf_views"  # the views' counts, given to Datasette by the plugin (``add_view_counts``)


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
    conn = sqlite3.connect(f"file:{db_path}?mode=ro", uri=True)
    try:
        counts: dict[str, dict[str, dict[str, int]]] = {"table": {}, "view": {}}
        # Tables under "tables", as `datasette inspect` writes them: Datasette's database page looks
        # every name there up among its tables (a view there is a server error). The views' counts
        # (a join of ten million rows at a million papers) go under VIEWS, for the plugin.
        for kind, name in conn.execute(
            "select type, name from sqlite_master where type in ('table', 'view') order by name"
        ):
            try:
                count = conn.execute(f'select count(*) from "{name}"').fetchone()[0]
            except sqlite3.OperationalError:  # a contentless FTS table cannot be counted
                count = 0
            counts[kind][name] = {"count": count}
    finally:
        conn.close()
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


def add_view_counts(datasette: Any) -> None:
    """Give Datasette the views' counts of the inspect data, so that a view's page does not count a
    join of millions of rows: its table view takes an unfiltered count from the inspect data's
    "tables". The database page's counts are taken first, from the tables alone (a view among
    them is a server error there)."""
    for name, data in (datasette.inspect_data or {}).items():
        if not data.get(VIEWS) or name not in datasette.databases:
            continue
        datasette.databases[name].cached_table_counts  # noqa: B018 - made now, from the tables only
        data["tables"] = {**data["tables"], **data[VIEWS]}


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
