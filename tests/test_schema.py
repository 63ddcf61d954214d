"""The committed files derived from etl/schema.py must not drift from it."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import sqlite_utils

from etl.publish import metadata_yaml
from etl.schema import metadata, schema_sql

ROOT = Path(__file__).resolve().parents[1]


def test_schema_sql_is_current() -> None:
    committed = (ROOT / "schema" / "papershelf.sql").read_text(encoding="utf-8")
    assert committed == schema_sql(), "schema/papershelf.sql drifted: run `make schema`"


def test_metadata_yml_is_current() -> None:
    committed = (ROOT / "metadata.yml").read_text(encoding="utf-8")
    assert committed == metadata_yaml(), "metadata.yml drifted: run `make schema`"


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
