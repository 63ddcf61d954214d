"""A replica starts at once: the build stores Datasette's inspect data in the database (build_info),
every add stores it again with its file, and `papershelf serve --immutable` hands it to Datasette
without counting; the counts are true."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

from etl.pipeline.build import add, build
from etl.publish.serving import (
    INSPECT_KEY,
    VIEWS,
    inspect_data,
    inspect_file_for,
    inspect_path,
    stored_inspect,
)

from .conftest import LISTINGS, SEED, api_day


def real_counts(db: Path) -> dict[str, dict[str, int]]:
    conn = sqlite3.connect(f"file:{db}?mode=ro", uri=True)
    out: dict[str, dict[str, int]] = {"table": {}, "view": {}}
    for kind, name in conn.execute("select type, name from sqlite_master where type in ('table', 'view')").fetchall():
        try:
            out[kind][name] = conn.execute(f'select count(*) from "{name}"').fetchone()[0]
        except sqlite3.OperationalError:  # the contentless title index cannot be counted
            out[kind][name] = 0
    conn.close()
    return out


def stored_counts(db: Path) -> dict[str, dict[str, int]]:
    data = stored_inspect(db)
    assert data is not None
    entry = data[db.stem]
    return {"table": {k: v["count"] for k, v in entry["tables"].items()},
            "view": {k: v["count"] for k, v in entry[VIEWS].items()}}


def test_the_build_and_adds_store_true_inspect_data(tmp_path: Path, api_sample_db: Path) -> None:
    assert stored_counts(api_sample_db) == real_counts(api_sample_db)  # a parallel build's too
    db = tmp_path / "papershelf.db"
    report = build([SEED], db)
    assert "inspect" in report.timings
    assert sorted(p.name for p in tmp_path.iterdir()) == ["papershelf.db"]  # nothing beside it
    assert stored_counts(db) == real_counts(db)
    before = stored_inspect(db)["papershelf"]  # type: ignore[index]
    assert before["size"] == db.stat().st_size and len(before["hash"]) == 64

    add([api_day("2025-03-14.json"), LISTINGS / "2024-06-20.pagecopy.txt"], db)
    assert stored_counts(db) == real_counts(db)
    after = stored_inspect(db)["papershelf"]  # type: ignore[index]
    assert after["tables"]["papers"]["count"] > before["tables"]["papers"]["count"]
    assert after["hash"] != before["hash"]
    # The same counts as computing them afresh (the slow way, for a database built without them).
    assert {k: v for k, v in inspect_data(db)["papershelf"].items() if k not in ("papershelf_stamp",)} == after


def test_serving_hands_the_stored_data_to_datasette(tmp_path: Path) -> None:
    db = tmp_path / "papershelf.db"
    build([SEED], db)
    conn = sqlite3.connect(db)
    value = json.loads(conn.execute("select value from build_info where key = ?", (INSPECT_KEY,)).fetchone()[0])
    value["tables"]["papers"]["count"] = 123_456  # made up: shows that serving read it instead of counting
    conn.execute("update build_info set value = ? where key = ?", (json.dumps(value), INSPECT_KEY))
    conn.commit()
    conn.close()
    folder = tmp_path / "serve"
    folder.mkdir()
    path = inspect_file_for(db, folder)
    assert path.parent == folder and not inspect_path(db).exists()
    assert json.loads(path.read_text())["papershelf"]["tables"]["papers"]["count"] == 123_456


def test_a_database_without_stored_data_gets_an_inspect_file_beside_it(tmp_path: Path) -> None:
    db = tmp_path / "papershelf.db"
    build([SEED], db)
    conn = sqlite3.connect(db)
    conn.execute("delete from build_info where key = ?", (INSPECT_KEY,))
    conn.commit()
    conn.close()
    path = inspect_file_for(db, tmp_path)
    assert path == inspect_path(db)
    assert json.loads(path.read_text())["papershelf"]["tables"]["papers"]["count"] == 63
