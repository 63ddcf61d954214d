"""Serving a large database fast: Datasette's inspect data, written by the build (and every add).

With ``--immutable`` Datasette trusts that the file never changes and can take every table's row
count from an inspect file instead of counting on each page (``select count(*)`` of a million-row
table costs half a second and is not interrupted by the SQL time limit, STYLE.md pitfall 13).
Without one, Datasette reads the whole file to hash it and counts every table when it starts (21 s
at a million papers). ``papershelf build`` and ``papershelf add`` write that file beside the
database (``<db>.inspect.json``), so that a server, or a replica given a copy of both files, answers
at once; ``papershelf serve --immutable`` reuses it while it is true and writes it otherwise.

What makes it cheap: the views' counts are the counts of the tables they follow (``VIEW_COUNTS``),
and the "hash" Datasette shows (and sends as the ETag of the database download) is a fingerprint of
the database's contents: the papershelf version, the file's size and the SHA-256 of every listing
ingested, in order (a build is a function of its inputs; an add changes the listings). Reading
gigabytes to hash the file would cost more than the start it saves.
"""

from __future__ import annotations

import hashlib
import json
import sqlite3
import time
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


def fingerprint(conn: sqlite3.Connection, size: int) -> str:
    """A SHA-256 that changes with the database's contents (see the module docstring)."""
    from .export import _version

    digest = hashlib.sha256(f"papershelf {_version()} {size}".encode())
    for (sha256,) in conn.execute("select sha256 from listings order by id"):
        digest.update(sha256.encode())
    return digest.hexdigest()


def inspect_data(db_path: Path, *, alone: bool = False) -> dict[str, Any]:
    """What ``datasette inspect`` writes for one database: hash, size, file and table counts.

    ``alone``: no other connection has the file (a build's new file): read it as immutable, which
    leaves no -wal and -shm files behind."""
    conn = sqlite3.connect(f"file:{db_path}?{'immutable=1' if alone else 'mode=ro'}", uri=True)
    try:
        size = db_path.stat().st_size
        counts: dict[str, dict[str, dict[str, int]]] = {"table": {}, "view": {}}
        # Tables under "tables", as `datasette inspect` writes them: Datasette's database page looks
        # every name there up among its tables (a view there is a server error). The views' counts
        # go under VIEWS, for the plugin.
        views = []
        for kind, name in conn.execute(
            "select type, name from sqlite_master where type in ('table', 'view') order by name"
        ).fetchall():
            if kind == "view":
                views.append(name)
                continue
            try:
                count = conn.execute(f'select count(*) from "{name}"').fetchone()[0]
            except sqlite3.OperationalError:  # a contentless FTS table cannot be counted
                count = 0
            counts["table"][name] = {"count": count}
        for name in views:
            if VIEW_COUNTS.get(name) in counts["table"]:
                counts["view"][name] = dict(counts["table"][VIEW_COUNTS[name]])
            else:
                counts["view"][name] = {"count": conn.execute(f'select count(*) from "{name}"').fetchone()[0]}
        digest = fingerprint(conn, size)
    finally:
        conn.close()
    return {
        db_path.stem: {
            "hash": digest,
            "size": size,
            "file": str(db_path),
            "tables": counts["table"],
            VIEWS: counts["view"],
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


def write_inspect_file(db_path: Path, *, alone: bool = False) -> Path:
    """Write the inspect file of ``db_path`` (the build and adds call this once the file is final)."""
    path = inspect_path(db_path)
    temp = path.with_name(path.name + ".tmp")
    temp.write_text(json.dumps(inspect_data(db_path, alone=alone), indent=2), encoding="utf-8")
    temp.replace(path)
    return path


def _still_true(db_path: Path, data: dict[str, Any]) -> bool:
    """The inspect data describes the database as it is: same size and time stamps, or, for a copy
    (whose times differ), the same size and fingerprint with nothing pending in a write-ahead log."""
    stamp = _stamp(db_path)
    if data[STAMP] == stamp:
        return True
    if stamp[0] != data["size"] or stamp[2] != 0:
        return False
    conn = sqlite3.connect(f"file:{db_path}?mode=ro", uri=True)
    try:
        return bool(fingerprint(conn, stamp[0]) == data["hash"])
    finally:
        conn.close()


def ensure_inspect_file(db_path: Path) -> Path:
    """The inspect file of ``db_path``, written or rewritten when the database changed since."""
    path = inspect_path(db_path)
    try:
        current = json.loads(path.read_text(encoding="utf-8"))
        if _still_true(db_path, current[db_path.stem]):
            return path
    except (OSError, ValueError, KeyError, TypeError, IndexError, sqlite3.Error):
        pass
    return write_inspect_file(db_path)


def timed_write(db_path: Path, timings: dict[str, float], *, alone: bool = False) -> None:
    """``write_inspect_file``, its time added to ``timings["inspect"]`` (a build's or an add's report)."""
    started = time.perf_counter()
    write_inspect_file(db_path, alone=alone)
    timings["inspect"] = timings.get("inspect", 0) + time.perf_counter() - started
