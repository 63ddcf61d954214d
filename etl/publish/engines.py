"""The Parquet export read by other engines: DuckDB and Spark see every table of ``datapackage.json`` as
a view, the partitioned folders with their ``month`` column (etl/publish/export.py says why by month).

    >>> from etl.publish.engines import duckdb_connection, question_sql
    >>> con = duckdb_connection("export/")
    >>> con.sql(question_sql("papers_per_month", "engine")).fetchall()

The questions below are written once, for SQLite (the database) and for the engines (the export),
so that tests and benchmarks ask both the same thing; only the month differs: SQLite computes it
from ``first_seen``, the engines read the partition column (and so skip the other months' files).
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any, Literal

from .export import PARTITION_COLUMN

Flavour = Literal["sqlite", "engine"]

QUESTIONS: dict[str, str] = {
    # Papers by the month of their first listing.
    "papers_per_month": "select {p_month} as month, count(*) as papers from papers p group by {p_month}",
    # The ten keywords (normalized key) on most papers first listed in one month.
    "top_keywords_of_month": """select k.key as keyword, count(distinct pk.paper_id) as papers
        from paper_keywords pk join keywords k on k.id = pk.keyword_id join papers p on p.id = pk.paper_id
        where {p_month} = '{month}' and {pk_month} = '{month}'
        group by k.key order by papers desc, keyword limit 10""",
    # For each host of code links: the papers linking code there and their share of all papers.
    "code_share_by_host": """select l.host, count(distinct l.paper_id) as papers,
               cast(count(distinct l.paper_id) as double) / (select count(*) from papers) as share
        from links l where l.kind = 'code' group by l.host""",
}


def question_sql(name: str, flavour: Flavour, month: str = "") -> str:
    """The SQL of question ``name`` for SQLite or for DuckDB/Spark over the export."""
    if month and not re.fullmatch(r"\d{4}-\d{2}", month):
        raise ValueError(f"{month!r} is not a month (YYYY-MM)")
    if flavour == "sqlite":
        months = {"p_month": "substr(p.first_seen, 1, 7)", "pk_month": "substr(p.first_seen, 1, 7)"}
    else:
        months = {"p_month": f"p.{PARTITION_COLUMN}", "pk_month": f"pk.{PARTITION_COLUMN}"}
    return QUESTIONS[name].format(month=month, **months)


def resources(export_dir: str | Path) -> dict[str, Path]:
    """Each resource of the export's datapackage.json and its file or partitioned folder."""
    folder = Path(export_dir)
    descriptor = json.loads((folder / "datapackage.json").read_text(encoding="utf-8"))
    if {r["format"] for r in descriptor["resources"]} != {"parquet"}:
        raise ValueError(f"{folder} is not a Parquet export (papershelf export --format parquet)")
    return {r["name"]: folder / r["path"] for r in descriptor["resources"]}


def duckdb_connection(export_dir: str | Path, database: str = ":memory:") -> Any:
    """A DuckDB connection with one view per table of the export (Hive partitions read as ``month``)."""
    import duckdb

    con = duckdb.connect(database)
    for name, path in resources(export_dir).items():
        source = f"'{path}/*/*.parquet', hive_partitioning = true" if path.is_dir() else f"'{path}'"
        con.execute(f'create or replace view "{name}" as select * from read_parquet({source})')
    return con


def spark_views(spark: Any, export_dir: str | Path) -> None:
    """Register every table of the export as a temporary view of the Spark session ``spark``.

    Partition values stay text (``2025-03``): set ``spark.sql.sources.partitionColumnTypeInference.enabled``
    to false on the session, as ``spark_session`` does."""
    for name, path in resources(export_dir).items():
        spark.read.parquet(str(path)).createOrReplaceTempView(name)


def spark_session(app: str = "papershelf") -> Any:
    """A local Spark session (one core, no UI) for reading the export."""
    from pyspark.sql import SparkSession

    return (SparkSession.builder.master("local[1]").appName(app)
            .config("spark.ui.enabled", "false")
            .config("spark.ui.showConsoleProgress", "false")
            .config("spark.sql.shuffle.partitions", "4")
            .config("spark.sql.sources.partitionColumnTypeInference.enabled", "false")
            .config("spark.sql.session.timeZone", "UTC")
            .config("spark.driver.memory", "1g")
            .getOrCreate())
