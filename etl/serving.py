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

What makes it cheap: the views' counts are the counts of the tables they follow (``VIEW_COUNTS``),
and the "hash" Datasette shows (and sends as the ETag of the database download) is a fingerprint of
the database's contents: the papershelf version and the SHA-256 of every listing ingested, in order
(a build is a function of its inputs; an add changes the listings). Reading gigabytes to hash the
file would cost more than the start it saves.
"""

from __future__ import annotations

import hashlib
import json
import sqlite3
from pathlib import Path
from typing import Any

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


# Views with one row per row of a table: keyword_papers joins each paper_keywords row to its keyword
# and its paper (foreign keys the build and adds keep), paper_list is one row per paper. A test checks
# these against counting.
VIEW_COUNTS = {"keyword_papers": "paper_keywords", "paper_list": "papers"}


INSPECT_KEY = "datasette_inspect"  # the build_info row that holds the inspect data (JSON)
# Tables with one row per paper: the FTS index over papers' own rows (external content), the title
# index and the documents' sizes of both. A test checks them against counting.
PER_PAPER = ("papers_fts", "papers_fts_docsize", "papers_fts_title", "papers_fts_title_docsize")


def fingerprint(conn: sqlite3.Connection) -> str:
    """A SHA-256 that changes with the database's contents (see the module docstring)."""
    from .export import _version

    digest = hashlib.sha256(f"papershelf {_version()}".encode())
    for (sha256,) in conn.execute("select sha256 from listings order by id"):
        digest.update(sha256.encode())
    return digest.hexdigest()


def counts(conn: sqlite3.Connection) -> tuple[dict[str, dict[str, int]], dict[str, dict[str, int]]]:
    """Row counts of every table and view, as Datasette's inspect data gives them: (tables, views)."""
    tables: dict[str, dict[str, int]] = {}
    views = []
    names = conn.execute("select type, name from sqlite_master where type in ('table', 'view') order by name").fetchall()
    for kind, name in names:
        if kind == "view":
            views.append(name)
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
        if VIEW_COUNTS.get(name) in tables:
            view_counts[name] = dict(tables[VIEW_COUNTS[name]])
        else:
            view_counts[name] = {"count": conn.execute(f'select count(*) from "{name}"').fetchone()[0]}
    return dict(sorted(tables.items())), view_counts


def store_inspect(conn: sqlite3.Connection) -> None:
    """Store the inspect data in build_info, inside the caller's transaction (its own row first, so
    that build_info's count includes it)."""
    conn.execute("insert or ignore into build_info (key, value) values (?, '{}')", (INSPECT_KEY,))
    tables, views = counts(conn)
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
    return {db_path.stem: {"hash": data["hash"], "size": db_path.stat().st_size, "file": str(db_path),
                           "tables": data["tables"], VIEWS: data[VIEWS]}}


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
    return {
        db_path.stem: {
            "hash": digest,
            "size": db_path.stat().st_size,
            "file": str(db_path),
            # Tables under "tables", as `datasette inspect` writes them: Datasette's database page
            # looks every name there up among its tables (a view there is a server error). The
            # views' counts go under VIEWS, for the plugin.
            "tables": tables,
            VIEWS: views,
            STAMP: _stamp(db_path),
        }
    }


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
        if current[db_path.stem][STAMP] == _stamp(db_path):
            return path
    except (OSError, ValueError, KeyError, TypeError):
        pass
    temp = path.with_name(path.name + ".tmp")
    temp.write_text(json.dumps(inspect_data(db_path), indent=2), encoding="utf-8")
    temp.replace(path)
    return path
