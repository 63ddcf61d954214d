"""A replica starts at once: the build writes Datasette's inspect data beside the database, adds keep
it true, and `papershelf serve --immutable` (or a copy of both files) uses it without counting."""

from __future__ import annotations

import json
import os
import shutil
import sqlite3
from pathlib import Path

from etl.build import add, build
from etl.serving import VIEWS, ensure_inspect_file, inspect_path

from .conftest import SEED, api_day


def real_counts(db: Path) -> dict[str, dict[str, int]]:
    conn = sqlite3.connect(db)
    out: dict[str, dict[str, int]] = {"table": {}, "view": {}}
    for kind, name in conn.execute("select type, name from sqlite_master where type in ('table', 'view')").fetchall():
        try:
            out[kind][name] = conn.execute(f'select count(*) from "{name}"').fetchone()[0]
        except sqlite3.OperationalError:  # contentless FTS
            out[kind][name] = 0
    return out


def written_counts(db: Path) -> dict[str, dict[str, int]]:
    data = json.loads(inspect_path(db).read_text())[db.stem]
    return {"table": {k: v["count"] for k, v in data["tables"].items()},
            "view": {k: v["count"] for k, v in data[VIEWS].items()}}


def test_the_build_and_adds_write_true_inspect_data(tmp_path: Path) -> None:
    db = tmp_path / "papershelf.db"
    report = build([SEED], db)
    assert "inspect" in report.timings
    assert sorted(p.name for p in tmp_path.iterdir()) == ["papershelf.db", "papershelf.db.inspect.json"]
    assert written_counts(db) == real_counts(db)
    before = json.loads(inspect_path(db).read_text())["papershelf"]
    written = inspect_path(db).stat().st_mtime_ns
    assert ensure_inspect_file(db).stat().st_mtime_ns == written  # serve uses the build's as it is

    add([api_day("2025-03-14.json")], db)
    after = json.loads(inspect_path(db).read_text())["papershelf"]
    assert written_counts(db) == real_counts(db)
    assert after["tables"]["papers"]["count"] > before["tables"]["papers"]["count"]
    assert after["hash"] != before["hash"] and after["size"] == db.stat().st_size


def test_a_copy_of_both_files_serves_without_counting(tmp_path: Path) -> None:
    db = tmp_path / "papershelf.db"
    build([SEED], db)
    replica = tmp_path / "replica" / "papershelf.db"
    replica.parent.mkdir()
    shutil.copyfile(db, replica)  # new modification times, as a plain cp or a download gives
    shutil.copyfile(inspect_path(db), inspect_path(replica))
    os.utime(replica, ns=(1, 1))
    written = inspect_path(replica).stat().st_mtime_ns
    assert ensure_inspect_file(replica).stat().st_mtime_ns == written  # the same contents: reused
    # A different file of the same name is not taken for it.
    conn = sqlite3.connect(replica)
    conn.execute("update listings set sha256 = 'x' || sha256")
    conn.commit()
    conn.close()
    os.utime(replica, ns=(1, 1))
    ensure_inspect_file(replica)
    assert json.loads(inspect_path(replica).read_text())["papershelf"]["hash"] != \
        json.loads(inspect_path(db).read_text())["papershelf"]["hash"]
