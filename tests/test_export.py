"""papershelf export: Parquet and CSV files per table with a Frictionless datapackage.json that validates."""

from __future__ import annotations

import json
import re
import shutil
import sqlite3
from pathlib import Path

import polars as pl
import pytest
from click.testing import CliRunner
from frictionless import validate

from etl.cli import cli
from etl.publish.export import BOOLEAN_COLUMNS, DATE_COLUMNS, DATETIME_COLUMNS, LIST_COLUMNS, export
from etl.db.schema import metadata as schema_metadata

TABLES = [str(t.name) for t in schema_metadata.sorted_tables]


def count(db: Path, table: str) -> int:
    conn = sqlite3.connect(db)
    try:
        return conn.execute(f'select count(*) from "{table}"').fetchone()[0]
    finally:
        conn.close()


def errors(report) -> list:  # type: ignore[no-untyped-def]
    return report.flatten(["type", "message"])[:10]


@pytest.fixture(scope="module")
def api_csv(api_sample_db: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("csv")
    export(api_sample_db, out, "csv")
    return out


def test_csv_export_of_the_api_sample_validates(api_csv: Path, api_sample_db: Path) -> None:
    report = validate(str(api_csv / "datapackage.json"))
    assert report.valid, errors(report)
    descriptor = json.loads((api_csv / "datapackage.json").read_text())
    assert [r["name"] for r in descriptor["resources"]] == TABLES
    for resource in descriptor["resources"]:
        written = pl.read_csv(api_csv / resource["path"], infer_schema=False).height
        assert resource["papershelf:rows"] == count(api_sample_db, resource["name"]) == written
        assert resource["description"] and all(f["description"] for f in resource["schema"]["fields"])
    assert descriptor["licenses"][0]["name"] == "Apache-2.0" and descriptor["sources"]


def test_descriptor_keys_follow_the_schema(api_csv: Path) -> None:
    descriptor = json.loads((api_csv / "datapackage.json").read_text())
    resources = {r["name"]: r for r in descriptor["resources"]}
    assert resources["papers"]["schema"]["primaryKey"] == ["id"]
    assert resources["listing_papers"]["schema"]["primaryKey"] == ["listing_id", "paper_id"]
    assert {json.dumps(fk, sort_keys=True) for fk in resources["paper_keywords"]["schema"]["foreignKeys"]} == {
        json.dumps({"fields": ["keyword_id"], "reference": {"resource": "keywords", "fields": ["id"]}}, sort_keys=True),
        json.dumps({"fields": ["paper_id"], "reference": {"resource": "papers", "fields": ["id"]}}, sort_keys=True),
    }
    fields = {f["name"]: f for f in resources["papers"]["schema"]["fields"]}
    assert fields["first_seen"]["type"] == "date" and fields["has_code"]["type"] == "boolean"
    assert fields["upvotes"]["type"] == "integer" and fields["title"]["constraints"] == {"required": True}
    assert fields["arxiv_id"]["constraints"] == {"unique": True}
    assert {f["name"]: f["type"] for f in resources["links"]["schema"]["fields"]}["source"] == "array"


def test_a_broken_export_does_not_validate(api_csv: Path, tmp_path: Path) -> None:
    """The validation can fail: a link to a paper that is not in papers.csv breaks a foreign key."""
    descriptor = json.loads((api_csv / "datapackage.json").read_text())
    for resource in descriptor["resources"]:
        text = (api_csv / resource["path"]).read_text()
        if resource["name"] == "links":
            lines = text.splitlines()
            lines[1] = re.sub(r"^(\d+),[^,]+,", r"\1,9999.99999,", lines[1])
            text = "\n".join(lines) + "\n"
        (tmp_path / resource["path"]).write_text(text)
        resource.pop("hash"), resource.pop("bytes")
    (tmp_path / "datapackage.json").write_text(json.dumps(descriptor))
    report = validate(str(tmp_path / "datapackage.json"))
    assert not report.valid
    assert {e[0] for e in errors(report)} == {"foreign-key"}


def test_parquet_export_of_the_seed_validates(seed_db: Path, tmp_path: Path) -> None:
    export(seed_db, tmp_path, "parquet")
    report = validate(str(tmp_path / "datapackage.json"))
    assert report.valid, errors(report)


def test_parquet_keeps_real_types(api_sample_db: Path, tmp_path: Path) -> None:
    descriptor = export(api_sample_db, tmp_path, "parquet")
    assert {r["format"] for r in descriptor["resources"]} == {"parquet"}
    # papers.parquet is a Hive-partitioned folder (month=YYYY-MM/part-0.parquet): rows by month, then id.
    papers = pl.read_parquet(tmp_path / "papers.parquet").sort("id")
    assert papers.schema["first_seen"] == pl.Date and papers.schema["has_code"] == pl.Boolean
    assert papers.height == count(api_sample_db, "papers")
    conn = sqlite3.connect(api_sample_db)
    expected = conn.execute("select id, title, first_seen, upvotes from papers order by id").fetchall()
    got = [(r[0], r[1], r[2].isoformat() if r[2] else None, r[3])
           for r in papers.select("id", "title", "first_seen", "upvotes").iter_rows()]
    assert got == expected
    listings = pl.read_parquet(tmp_path / "listings.parquet")
    assert listings.schema["ingested_at"] == pl.Datetime("us", "UTC")
    links = pl.read_parquet(tmp_path / "links.parquet")
    assert links.get_column("source").str.json_decode(pl.List(pl.String)).list.len().min() >= 1


def test_hostile_text_survives_a_csv_round_trip(hostile_db: Path, tmp_path: Path) -> None:
    export(hostile_db, tmp_path, "csv")
    report = validate(str(tmp_path / "datapackage.json"))
    assert report.valid, errors(report)
    titles = set(pl.read_csv(tmp_path / "papers.csv").get_column("title"))
    conn = sqlite3.connect(hostile_db)
    assert titles == {t for (t,) in conn.execute("select title from papers")}


def test_typed_column_lists_match_the_data(api_sample_db: Path) -> None:
    """Every text column whose values are all ISO dates is exported as a date, and the lists name real columns."""
    conn = sqlite3.connect(api_sample_db)
    declared = {(t, c) for lists in (DATE_COLUMNS, DATETIME_COLUMNS, BOOLEAN_COLUMNS, LIST_COLUMNS)
                for t, cs in lists.items() for c in cs}
    for table, column in declared:
        assert column in schema_metadata.tables[table].c, (table, column)
    for table in schema_metadata.sorted_tables:
        for column in table.columns:
            values = [v for (v,) in conn.execute(f'select "{column.name}" from "{table.name}" where "{column.name}" is not null')]
            if values and all(isinstance(v, str) and re.fullmatch(r"\d{4}-\d{2}-\d{2}", v) for v in values):
                assert column.name in DATE_COLUMNS.get(str(table.name), set()), (table.name, column.name)


def test_export_command(seed_db: Path, tmp_path: Path) -> None:
    result = CliRunner().invoke(cli, ["export", "--db", str(seed_db), "--format", "csv", "--out", str(tmp_path)],
                                catch_exceptions=False)
    assert result.exit_code == 0, result.output
    assert f"{tmp_path / 'papers.csv'}: 63 rows" in result.output
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted([*(f"{t}.csv" for t in TABLES), "datapackage.json"])
    bad = CliRunner().invoke(cli, ["export", "--db", str(seed_db), "--format", "xlsx", "--out", str(tmp_path)])
    assert bad.exit_code == 2 and "xlsx" in bad.output


def test_a_database_of_another_shape_is_not_exported(seed_db: Path, tmp_path: Path) -> None:
    """A database built by an earlier papershelf (here: without keyword_sources, and papers without
    its organization column) stops the export with what is missing, before any file is written."""
    old = tmp_path / "old.db"
    shutil.copy(seed_db, old)
    conn = sqlite3.connect(old)
    conn.execute("drop table keyword_sources")
    conn.execute("alter table papers drop column journal_ref")
    conn.commit()
    conn.close()
    out = tmp_path / "out"
    result = CliRunner().invoke(cli, ["export", "--db", str(old), "--format", "csv", "--out", str(out)])
    assert result.exit_code == 1
    assert "table keyword_sources" in result.output and "column papers.journal_ref" in result.output
    assert "not in the database: rebuild it with `papershelf build`" in result.output
    assert not out.exists() or not any(out.iterdir())
