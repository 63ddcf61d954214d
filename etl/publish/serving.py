"""Serving a large database fast: Datasette's inspect data, kept in the database by the build and adds.

With ``--immutable`` Datasette trusts that the file never changes and can take every table's row
count from an inspect file instead of counting on each page (``select count(*)`` of a million-row
table costs half a second and is not interrupted by the SQL time limit, STYLE.md pitfall 13).
Without one, Datasette reads the whole file to hash it and counts every table when it starts (21 s
at a million papers).

The build knows the counts: it stores the inspect data in ``build_info`` (key ``datasette_inspect``)
in its last transaction, and every add stores it again in the transaction of each file, so that it
is true whenever the file is. ``papershelf serve --immutable`` writes it to the inspect file it
hands Datasette, at once: a replica needs the database file and nothing else. (A database without
it, built before, gets the inspect file computed beside it, ``<db>.inspect.json``, as before.)

What makes it cheap: the views' counts are the counts of the tables they follow (``VIEW_COUNTS``);
an add does not count again but adds to the stored counts the rows it inserted and deleted, which
temp triggers note (``track_row_changes``); the FTS index blocks are left for Datasette to count
when their page is opened (``UNCOUNTED``); and the "hash" Datasette shows (and sends as the ETag of the database download) is a fingerprint of
the database's contents: the papershelf version and the SHA-256 of every listing ingested, in order
(a build is a function of its inputs; an add changes the listings). Reading gigabytes to hash the
file would cost more than the start it saves.

Whatever its file is called, the database is served as ``papershelf`` (:func:`serve_as_papershelf`):
the pages, canned queries and plugin expect that name, and Datasette names a database after its file.
"""

from __future__ import annotations

import hashlib
import json
import sqlite3
from pathlib import Path
from typing import Any

from etl import version
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


# The views' counts without their joins: keyword_papers has one row per (paper, keyword) of paper_keywords
# (foreign keys the build and adds keep), paper_list one row per paper. tests/test_inspect.py checks
# these against counting.
VIEW_COUNTS = {
    # one row per (paper, keyword) whatever the sources: the sum of the keywords' paper counts (each
    # keyword's distinct papers, kept by keyword_identity.resolve), read from their index instead of
    # grouping the 11M rows of paper_keywords at a million papers (2.6 s, and each add recounts)
    "keyword_papers": "select coalesce(sum(paper_count), 0) from keywords",
    "paper_list": "select count(*) from papers",
}


INSPECT_KEY = "datasette_inspect"  # the build_info row that holds the inspect data (JSON)
# Tables with one row per paper: the FTS index over papers' own rows (external content), the title
# index and the documents' sizes of both. A test checks them against counting.
PER_PAPER = ("papers_fts", "papers_fts_docsize", "papers_fts_title", "papers_fts_title_docsize")
# The FTS indexes' blocks, not counted (None: Datasette shows "Many rows" and counts a table when its
# own page is opened): counting them reads the whole full-text index, 0.3 to 0.9 s at a million
# papers that every add would pay, and no trigger can follow FTS5's writes to them.
UNCOUNTED = ("papers_fts_data", "papers_fts_title_data")
CHANGES = "inspect_row_changes"  # the temp table of rows inserted and deleted since the counts were stored
VIEW_PREFIX = "view "  # a view's changes in CHANGES
FOLLOWED_VIEW = VIEW_PREFIX + "keyword_papers"  # its rows follow the keywords' paper counts


def fingerprint(conn: sqlite3.Connection) -> str:
    """A SHA-256 that changes with the database's contents (see the module docstring)."""
    digest = hashlib.sha256(f"papershelf {version()}".encode())
    for (sha256,) in conn.execute("select sha256 from listings order by id"):
        digest.update(sha256.encode())
    return digest.hexdigest()


def counts(conn: sqlite3.Connection, known: dict[str, int] | None = None
           ) -> tuple[dict[str, dict[str, int | None]], dict[str, dict[str, int]]]:
    """Row counts of every table and view, as Datasette's inspect data gives them: (tables, views).
    ``known``: counts of tables that need no counting (``track_row_changes``)."""
    known = known or {}
    tables: dict[str, dict[str, int | None]] = {}
    views = []
    names = conn.execute("select type, name from sqlite_master where type in ('table', 'view') order by name").fetchall()
    for kind, name in names:
        if kind == "view":
            views.append(name)
        elif name in UNCOUNTED:
            tables[name] = {"count": None}
        elif name in known:
            tables[name] = {"count": known[name]}
        elif name not in PER_PAPER:
            try:
                tables[name] = {"count": conn.execute(f'select count(*) from "{name}"').fetchone()[0]}
            except sqlite3.OperationalError:  # a contentless FTS table cannot be counted
                tables[name] = {"count": 0}
    for kind, name in names:
        if name in PER_PAPER:
            tables[name] = dict(tables["papers"])
    view_counts = {}
    for name in views:
        if VIEW_PREFIX + name in known:
            view_counts[name] = {"count": known[VIEW_PREFIX + name]}
        elif name in VIEW_COUNTS:
            view_counts[name] = {"count": conn.execute(VIEW_COUNTS[name]).fetchone()[0]}
        else:
            view_counts[name] = {"count": conn.execute(f'select count(*) from "{name}"').fetchone()[0]}
    return dict(sorted(tables.items())), view_counts


def track_row_changes(conn: sqlite3.Connection) -> None:
    """From now on, note in a temp table the rows inserted into and deleted from every ordinary table
    through ``conn``, so that ``store_inspect`` updates the stored counts instead of counting (an add:
    counting again costs seconds at a million papers). Temp triggers: nothing is written to the file."""
    conn.execute("pragma recursive_triggers = on")  # the rows an INSERT OR REPLACE deletes are counted too
    conn.execute(f"create temp table if not exists {CHANGES} (name text primary key, n integer not null)")
    for name in _ordinary_tables(conn):
        for event, sign in (("insert", "+ 1"), ("delete", "- 1")):
            quoted = name.replace("'", "''")
            conn.execute(
                f'create temp trigger if not exists "{CHANGES}_{event}_{name}" after {event} on main."{name}"'
                f" begin insert into {CHANGES} (name, n) values ('{quoted}', 0{sign})"
                f" on conflict (name) do update set n = n {sign}; end")
    # keyword_papers has a row per (paper, keyword): the sum of the keywords' paper counts (VIEW_COUNTS).
    view = FOLLOWED_VIEW
    for event, change in (("insert", "new.paper_count"), ("delete", "- old.paper_count"),
                          ("update of paper_count", "new.paper_count - old.paper_count")):
        conn.execute(
            f'create temp trigger if not exists "{CHANGES}_{event.split()[0]}_{view}" after {event} on main.keywords'
            f" begin insert into {CHANGES} (name, n) values ('{view}', {change})"
            f" on conflict (name) do update set n = n + excluded.n; end")


def _ordinary_tables(conn: sqlite3.Connection) -> list[str]:
    """The tables whose rows only SQL statements write: not SQLite's own, not the FTS5 tables and
    their shadow tables (FTS5 writes those itself, where no trigger follows)."""
    tables = conn.execute("select name, sql from sqlite_master where type = 'table' and name not like 'sqlite%'").fetchall()
    virtual = [name for name, sql in tables if sql.lower().startswith("create virtual table")]
    return [name for name, _ in tables if not any(name == v or name.startswith(v + "_") for v in virtual)]


def _tracked_counts(conn: sqlite3.Connection) -> dict[str, int]:
    """The counts of the tables ``track_row_changes`` follows: the stored counts plus the changes
    since they were stored, which are then forgotten (in the caller's transaction: a rollback brings
    both back). Empty when nothing is tracked or stored."""
    tracked = conn.execute(f"select 1 from temp.sqlite_master where name = '{CHANGES}'").fetchone()
    row = conn.execute("select value from build_info where key = ?", (INSPECT_KEY,)).fetchone()
    if tracked is None or row is None or row[0] == "{}":
        return {}
    data = json.loads(row[0])
    stored = {name: entry["count"] for name, entry in data["tables"].items()}
    stored.update((VIEW_PREFIX + name, entry["count"]) for name, entry in data.get(VIEWS, {}).items())
    changes = dict(conn.execute(f"select name, n from {CHANGES}").fetchall())
    conn.execute(f"delete from {CHANGES}")
    return {name: stored[name] + changes.get(name, 0) for name in [*_ordinary_tables(conn), FOLLOWED_VIEW]
            if isinstance(stored.get(name), int)}


def store_inspect(conn: sqlite3.Connection) -> None:
    """Store the inspect data in build_info, inside the caller's transaction (its own row first, so
    that build_info's count includes it)."""
    conn.execute("insert or ignore into build_info (key, value) values (?, '{}')", (INSPECT_KEY,))
    tables, views = counts(conn, _tracked_counts(conn))
    value = json.dumps({"hash": fingerprint(conn), "tables": tables, VIEWS: views}, separators=(",", ":"))
    conn.execute("update build_info set value = ? where key = ?", (value, INSPECT_KEY))


def stored_inspect(db_path: Path) -> dict[str, Any] | None:
    """The inspect data the build stored in ``db_path``, in Datasette's form (None when it has none)."""
    conn = sqlite3.connect(f"file:{db_path}?mode=ro", uri=True)
    try:
        row = conn.execute("select value from build_info where key = ?", (INSPECT_KEY,)).fetchone()
    except sqlite3.OperationalError:  # not a papershelf database
        row = None
    finally:
        conn.close()
    if row is None:
        return None
    data = json.loads(row[0])
    return _entry(db_path, data["hash"], data["tables"], data[VIEWS])


def _entry(db_path: Path, digest: str, tables: dict[str, Any], views: dict[str, Any],
           **extra: Any) -> dict[str, Any]:
    """One database's inspect data in Datasette's form, under the name it is served as. Tables under
    "tables", as `datasette inspect` writes them: Datasette's database page looks every name there
    up among its tables (a view there is a server error); the views' counts go under VIEWS, for the
    plugin."""
    return {DATABASE: {"hash": digest, "size": db_path.stat().st_size, "file": str(db_path),
                       "tables": tables, VIEWS: views, **extra}}


def inspect_file_for(db_path: Path, folder: Path) -> Path:
    """An inspect file for serving ``db_path`` as immutable: the stored data written into ``folder``
    (at once), else the file computed beside the database (``ensure_inspect_file``)."""
    data = stored_inspect(db_path)
    if data is None:
        return ensure_inspect_file(db_path)
    path = folder / inspect_path(db_path).name
    path.write_text(json.dumps(data), encoding="utf-8")
    return path


def inspect_data(db_path: Path) -> dict[str, Any]:
    """What ``datasette inspect`` writes for one database: hash, size, file and table counts."""
    conn = sqlite3.connect(f"file:{db_path}?mode=ro", uri=True)
    try:
        tables, views = counts(conn)
        digest = fingerprint(conn)
    finally:
        conn.close()
    return _entry(db_path, digest, tables, views, **{STAMP: _stamp(db_path)})


def has_papershelf_tables(db_path: str | Path, immutable: bool = False) -> bool:
    """True when the file is a papershelf database (its papers, listings and rejects tables)."""
    try:
        uri = Path(db_path).resolve().as_uri() + ("?mode=ro&immutable=1" if immutable else "?mode=ro")
        conn = sqlite3.connect(uri, uri=True)
    except sqlite3.Error:
        return False
    import sqlite_utils  # on the serve path, which imports Datasette: its cost does not show

    try:
        names = set(sqlite_utils.Database(conn).table_names())
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
