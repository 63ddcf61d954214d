"""The committed files derived from etl/db/schema.py must not drift from it."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import sqlite_utils

from etl.db import ddl
from etl.publish.metadata import DATABASE_NAME, base_metadata, metadata_yaml
from etl.db.schema import ddl_module, ddl_values, metadata, schema_sql

ROOT = Path(__file__).resolve().parents[1]


def test_schema_sql_is_current() -> None:
    committed = (ROOT / "schema" / "papershelf.sql").read_text(encoding="utf-8")
    assert committed == schema_sql(), "schema/papershelf.sql drifted: run `make schema`"


def test_metadata_yml_is_current() -> None:
    committed = (ROOT / "metadata.yml").read_text(encoding="utf-8")
    assert committed == metadata_yaml(), "metadata.yml drifted: run `make schema`"


def test_ddl_module_is_current() -> None:
    committed = (ROOT / "etl" / "db" / "ddl.py").read_text(encoding="utf-8")
    assert committed == ddl_module(), "etl/db/ddl.py drifted: run `make schema`"
    for name, value in ddl_values().items():
        assert getattr(ddl, name) == value, name


def test_the_canned_search_is_not_copied_into_the_hand_written_metadata() -> None:
    assert "sql" not in base_metadata()["databases"][DATABASE_NAME]["queries"]["search"]


def _schema(conn: sqlite3.Connection) -> dict[tuple[str, str], str]:
    rows = conn.execute("select type, name, sql from sqlite_master where name not like 'sqlite_stat%'")
    return {(kind, name): " ".join((sql or "").split()) for kind, name, sql in rows}


def test_schema_sql_creates_the_schema_a_build_creates(seed_db: Path) -> None:
    """Every table, index, both FTS indexes, their triggers and settings, and the views: the committed
    script run on an empty database gives what a build gives, statement for statement."""
    empty = sqlite3.connect(":memory:")
    empty.executescript((ROOT / "schema" / "papershelf.sql").read_text(encoding="utf-8"))
    built = sqlite3.connect(f"file:{seed_db}?mode=ro", uri=True)
    assert _schema(empty) == _schema(built)
    kinds = {kind for kind, _ in _schema(empty)}
    assert kinds == {"table", "index", "trigger", "view"}
    assert {"papers_fts", "papers_fts_title", "papers_title_ad", "papers_title_au"} <= {n for _, n in _schema(empty)}
    rank = "select v from papers_fts_config where k = 'rank'"
    assert empty.execute(rank).fetchall() == built.execute(rank).fetchall() == [("bm25(10.0, 1.0)",)]


def test_every_table_and_column_is_described() -> None:
    for table in metadata.sorted_tables:
        assert table.comment, table.name
        for column in table.columns:
            assert column.comment, f"{table.name}.{column.name}"


def test_built_database_has_the_declared_columns(seed_db: Path) -> None:
    db = sqlite_utils.Database(sqlite3.connect(seed_db))
    for table in metadata.sorted_tables:
        expected = {str(c.name): c.type.python_type for c in table.columns}
        assert db.table(str(table.name)).columns_dict == expected, table.name


def test_fts_table_is_detected_the_way_datasette_detects_it(seed_db: Path) -> None:
    db = sqlite_utils.Database(sqlite3.connect(seed_db))
    assert db.table("papers").detect_fts() == "papers_fts"
    triggers = {t.name for t in db.triggers}
    assert {"papers_ai", "papers_ad", "papers_au"} <= triggers
