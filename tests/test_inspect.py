"""A replica starts at once: the build stores Datasette's inspect data in the database (build_info),
every add stores it again with its file, and `papershelf serve --immutable` hands it to Datasette
without counting; the counts are true."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

import pytest
from datasette.app import Datasette

from etl.pipeline.build import BuildError, add, build
from etl.publish.serving import (
    INSPECT_KEY,
    UNCOUNTED,
    VIEWS,
    inspect_data,
    inspect_file_for,
    inspect_path,
    stored_inspect,
)

from .conftest import LISTINGS, SEED, api_day, rows


def real_counts(db: Path) -> dict[str, dict[str, int | None]]:
    """Every table's and view's count, None for the FTS index blocks (left for Datasette to count)."""
    conn = sqlite3.connect(f"file:{db}?mode=ro", uri=True)
    out: dict[str, dict[str, int | None]] = {"table": {}, "view": {}}
    for kind, name in conn.execute("select type, name from sqlite_master where type in ('table', 'view')").fetchall():
        if name in UNCOUNTED:
            out[kind][name] = None
            continue
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
    assert stored_counts(db) == real_counts(db)  # updated by the rows each file changed, not counted
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


def test_the_counts_an_add_updates_stay_true_through_merges_and_failures(tmp_path: Path) -> None:
    """Each add updates the stored counts by the rows it inserted and deleted: through papers merged
    and filled in, keywords merged into their concepts, rejects, and a file that fails and is rolled
    back; the counts are those of counting every table."""
    db = tmp_path / "papershelf.db"
    build([api_day("2025-03-13.json")], db)
    bad = tmp_path / "broken.json"
    bad.write_text('[{"paper": {"id": "2503.99999", "title": "A paper"', encoding="utf-8")
    for inputs in ([LISTINGS / "2025-03-14.paste.txt"], [api_day("2025-03-14.json"), SEED],
                   [LISTINGS / "2025-03-14.pagecopy.txt", api_day("2025-03-17.json"), bad]):
        add(inputs, db)
        assert stored_counts(db) == real_counts(db), inputs
    conn = sqlite3.connect(db)
    merged = conn.execute("select count(*) from listing_papers").fetchone()[0] > conn.execute(
        "select count(*) from papers").fetchone()[0]
    conn.close()
    assert merged
    worse = tmp_path / "worse.json"  # not the same file: an add skips a file it has ingested
    worse.write_text('[{"paper": {"id": "2503.99998", "title": "Another paper"', encoding="utf-8")
    with pytest.raises(BuildError, match="worse.json"):  # after committing the day, rolled back
        add([api_day("2025-03-18.json"), worse], db, strict=True)
    assert stored_counts(db) == real_counts(db)


@pytest.mark.asyncio
async def test_datasette_counts_the_fts_blocks_when_their_page_is_opened(seed_db: Path, tmp_path: Path) -> None:
    data = json.loads(inspect_file_for(seed_db, tmp_path).read_text(encoding="utf-8"))
    assert data["papershelf"]["tables"]["papers_fts_data"] == {"count": None}
    served = Datasette([], immutables=[str(seed_db)], inspect_data=data)
    page = (await served.client.get("/papershelf/papers_fts_data.json?_size=0")).json()
    assert page["filtered_table_rows_count"] == rows(seed_db, "select count(*) from papers_fts_data")[0][0] > 0
