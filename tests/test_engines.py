"""The partitioned Parquet export read by DuckDB and by Spark (local mode) gives SQLite's answers:
rows per table, papers per month, a month's top keywords, the share of papers with code by host.
``make test-engines`` runs them (pyspark needs a Java runtime)."""

from __future__ import annotations

import json
import shutil
import sqlite3
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest
from frictionless import validate

from etl.publish import engines
from etl.publish.export import NULL_PARTITION, PARTITIONED, export
from etl.db.schema import metadata

pytestmark = pytest.mark.engines

TABLES = [str(t.name) for t in metadata.sorted_tables]


@pytest.fixture(scope="module")
def exported(api_sample_db: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("parquet")
    export(api_sample_db, out, "parquet")
    return out


def busiest_month(db: Path) -> str:
    conn = sqlite3.connect(db)
    return conn.execute(
        "select substr(p.first_seen, 1, 7) m from paper_keywords pk join papers p on p.id = pk.paper_id"
        " where p.first_seen is not null group by m order by count(*) desc limit 1").fetchone()[0]


def sqlite_answers(db: Path) -> dict[str, list[tuple]]:
    conn = sqlite3.connect(db)
    month = busiest_month(db)
    answers = {f"rows:{t}": conn.execute(f'select count(*) from "{t}"').fetchall() for t in TABLES}
    for name in engines.QUESTIONS:
        answers[name] = conn.execute(engines.question_sql(name, "sqlite", month)).fetchall()
    return answers


def engine_answers(run, db: Path) -> dict[str, list[tuple]]:  # type: ignore[no-untyped-def]
    month = busiest_month(db)
    answers = {f"rows:{t}": run(f'select count(*) from {t}') for t in TABLES}
    for name in engines.QUESTIONS:
        answers[name] = run(engines.question_sql(name, "engine", month))
    return answers


def same(a: list[tuple], b: list[tuple]) -> bool:
    """Equal rows in any order (floats to 12 digits; months as text or null)."""
    def norm(rows: list[tuple]) -> list[tuple]:
        return sorted((tuple(round(v, 12) if isinstance(v, float) else v for v in row) for row in rows),
                      key=lambda row: tuple((v is None, str(v)) for v in row))
    return norm([tuple(r) for r in a]) == norm([tuple(r) for r in b])


def test_large_tables_are_hive_partitioned_by_month(exported: Path, api_sample_db: Path) -> None:
    descriptor = json.loads((exported / "datapackage.json").read_text())
    assert [r["name"] for r in descriptor["resources"]] == TABLES
    conn = sqlite3.connect(api_sample_db)
    months = {m for (m,) in conn.execute("select distinct substr(first_seen, 1, 7) from papers")}
    for resource in descriptor["resources"]:
        path = exported / resource["path"]
        if resource["name"] in PARTITIONED:  # the sample has dates: every large table is partitioned
            assert path.is_dir(), path
            assert resource["schema"]["fields"][-1]["name"] == "month"
            folders = {p.name.split("=", 1)[1] for p in path.iterdir()}
            assert folders <= {m or NULL_PARTITION for m in months}
        else:
            assert path.is_file(), path
    assert {p.name.split("=", 1)[1] for p in (exported / "papers.parquet").iterdir()} == \
        {m or NULL_PARTITION for m in months}
    report = validate(str(exported / "datapackage.json"))
    assert report.valid, report.flatten(["type", "message"])[:10]
    rows = {t.name: t.stats.get("rows") or 0 for t in report.tasks}
    assert rows["paper_keywords"] == conn.execute("select count(*) from paper_keywords").fetchone()[0]


def test_duckdb_reads_the_export_as_sqlite_answers(exported: Path, api_sample_db: Path) -> None:
    pytest.importorskip("duckdb", reason="duckdb is not installed: pip install -e '.[engines]'")
    con = engines.duckdb_connection(exported)
    got = engine_answers(lambda sql: con.execute(sql).fetchall(), api_sample_db)
    expected = sqlite_answers(api_sample_db)
    assert expected["top_keywords_of_month"] and expected["code_share_by_host"]
    for name, rows in expected.items():
        assert same(got[name], rows), (name, got[name][:5], rows[:5])
    # The month filter prunes: DuckDB reads one folder of papers for a month.
    month = busiest_month(api_sample_db)
    plan = "\n".join(r[1] for r in con.execute(
        f"explain analyze select count(*) from papers where month = '{month}'").fetchall())
    assert "File Filters" in plan or "Total Files Read: 1" in plan, plan


@pytest.fixture(scope="module")
def spark() -> Iterator[object]:
    pytest.importorskip("pyspark", reason="pyspark is not installed: pip install -e '.[engines]'")
    if shutil.which("java") is None or subprocess.run(["java", "-version"], capture_output=True).returncode:
        pytest.skip("no Java runtime: apt-get install default-jre-headless")
    session = engines.spark_session("papershelf-tests")
    try:
        yield session
    finally:
        session.stop()


def test_spark_reads_the_export_as_sqlite_answers(spark, exported: Path, api_sample_db: Path) -> None:  # type: ignore[no-untyped-def]
    engines.spark_views(spark, exported)
    got = engine_answers(lambda sql: [tuple(r) for r in spark.sql(sql).collect()], api_sample_db)
    for name, rows in sqlite_answers(api_sample_db).items():
        assert same(got[name], rows), (name, got[name][:5], rows[:5])
    month = busiest_month(api_sample_db)
    plan = spark.sql(f"select count(*) from papers where month = '{month}'")._jdf.queryExecution().executedPlan().toString()
    assert "PartitionFilters: [isnotnull(month" in plan, plan
