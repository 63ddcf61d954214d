"""The hand-off to other engines, measured (issue 18): PostgreSQL and the partitioned Parquet export.

    python -m benchmarks.engines --db benchmarks/out/run-1000000/papershelf.db [--json] [--skip-spark]

On a built database (a ``benchmarks.run --keep`` run's) it measures, one after the other:

1. **PostgreSQL load**: ``etl.publish.postgres.load`` into a throwaway server started on a free loopback port
   (``tests/pg_server.py``: initdb + pg_ctl in a temporary folder, removed at the end), by stage
   (create, COPY, indexes + GIN + foreign keys, analyze, swap).
2. **search**: the 25 queries of ``benchmarks/run.py``, 5 timed runs each after one untimed run,
   SQLite (``etl.db.search``) and PostgreSQL (``etl.publish.postgres.search``): p50 and p95, and how many of
   SQLite's first five are among PostgreSQL's first ten.
3. **Parquet export**: ``papershelf export --format parquet`` (partitioned folders), wall time and size.
4. **analysis queries**: the questions of ``etl/publish/engines.py`` (papers per month, the top keywords of
   the busiest month, the share of papers with code by host) and a count of every table, on SQLite
   and on DuckDB over the export (and Spark, local[1], unless ``--skip-spark``): the median of 3 warm
   runs of each, and whether the answers agree.
"""

from __future__ import annotations

import argparse
import json
import shutil
import sqlite3
import statistics
import time
from pathlib import Path
from typing import Any

from benchmarks.run import QUERIES, REPEATS, percentile


def timed(function: Any, repeats: int = 3) -> tuple[float, Any]:
    """Median seconds of ``repeats`` runs after one untimed run, and the last result."""
    result = function()
    times = []
    for _ in range(repeats):
        started = time.perf_counter()
        result = function()
        times.append(time.perf_counter() - started)
    return statistics.median(times), result


def search_times(run: Any) -> tuple[list[float], dict[str, list[str]]]:
    times, tops = [], {}
    for text in QUERIES:
        tops[text] = [h.id for h in run(text)]
        for _ in range(REPEATS):
            started = time.perf_counter()
            run(text)
            times.append(time.perf_counter() - started)
    return times, tops


def normalize(rows: list[tuple]) -> list[tuple]:
    return sorted((tuple(round(float(v), 9) if isinstance(v, float) or type(v).__name__ == "Decimal" else v
                         for v in row) for row in rows), key=lambda row: tuple((v is None, str(v)) for v in row))


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--db", type=Path, required=True)
    parser.add_argument("--out", type=Path, help="export folder (default: beside the database, removed after)")
    parser.add_argument("--skip-postgres", action="store_true")
    parser.add_argument("--skip-spark", action="store_true")
    parser.add_argument("--skip-parquet", action="store_true", help="no export, DuckDB or Spark")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args(argv)
    db = args.db.resolve()
    say = (lambda text: None) if args.json else (lambda text: print(text, flush=True))
    out: dict[str, Any] = {"db": str(db)}
    lite = sqlite3.connect(f"file:{db}?mode=ro", uri=True)
    out["papers"] = lite.execute("select count(*) from papers").fetchone()[0]

    from etl.publish import engines, postgres
    from etl.publish.export import export
    from etl.db.schema import metadata
    from etl.db.search import search

    sqlite_times, sqlite_tops = search_times(lambda text: search(lite, text, 20))
    out["search_sqlite"] = {"p50_ms": round(percentile(sqlite_times, 0.5) * 1000, 2),
                            "p95_ms": round(percentile(sqlite_times, 0.95) * 1000, 2)}
    say(f"SQLite search: p50 {out['search_sqlite']['p50_ms']} ms, p95 {out['search_sqlite']['p95_ms']} ms")

    if not args.skip_postgres:
        from tests import pg_server

        # Settings of a server made for bulk loads (as a team's server would be tuned for one).
        server = pg_server.start({"maintenance_work_mem": "512MB", "max_wal_size": "8GB",
                                  "shared_buffers": "1GB", "work_mem": "64MB", "wal_level": "minimal",
                                  "max_wal_senders": "0"})
        try:
            started = time.perf_counter()
            report = postgres.load(db, server.url())
            out["postgres_load_s"] = round(time.perf_counter() - started, 1)
            out["postgres_load_stages_s"] = {k: round(v, 1) for k, v in report.timings.items()}
            out["postgres_rows"] = sum(report.rows.values())
            say(f"PostgreSQL load: {out['postgres_load_s']} s for {out['postgres_rows']:,} rows;"
                f" stages {out['postgres_load_stages_s']}")
            with postgres.connect(server.url()) as pg:
                size = pg.execute("select sum(pg_total_relation_size(c.oid)) from pg_class c join pg_namespace n"
                                  " on n.oid = c.relnamespace where n.nspname = 'papershelf' and c.relkind = 'r'"
                                  ).fetchone()[0]
                out["postgres_mib"] = round(int(size) / 2**20)
                pg_times, pg_tops = search_times(lambda text: postgres.search(pg, text, 20))
            agree = [len(set(sqlite_tops[q][:5]) & set(pg_tops[q][:10])) for q in QUERIES]
            out["search_postgres"] = {"p50_ms": round(percentile(pg_times, 0.5) * 1000, 2),
                                      "p95_ms": round(percentile(pg_times, 0.95) * 1000, 2),
                                      "sqlite_top5_in_postgres_top10": f"{sum(agree)}/{5 * len(QUERIES)}"}
            say(f"PostgreSQL search: p50 {out['search_postgres']['p50_ms']} ms,"
                f" p95 {out['search_postgres']['p95_ms']} ms; SQLite's top 5 in its top 10:"
                f" {out['search_postgres']['sqlite_top5_in_postgres_top10']}")
        finally:
            server.stop()

    if args.skip_parquet:
        if args.json:
            print(json.dumps(out))
        return
    folder = args.out or db.parent / "export-parquet"
    shutil.rmtree(folder, ignore_errors=True)
    started = time.perf_counter()
    export(db, folder, "parquet")
    out["parquet_export_s"] = round(time.perf_counter() - started, 1)
    out["parquet_mib"] = round(sum(p.stat().st_size for p in folder.rglob("*") if p.is_file()) / 2**20)
    out["parquet_files"] = sum(1 for p in folder.rglob("*.parquet") if p.is_file())
    say(f"Parquet export: {out['parquet_export_s']} s, {out['parquet_mib']} MiB in {out['parquet_files']} files")

    month = lite.execute(
        "select substr(first_seen, 1, 7) m from papers where first_seen is not null group by m"
        " order by count(*) desc, m desc limit 1").fetchone()[0]
    tables = [str(t.name) for t in metadata.sorted_tables]
    questions = {name: name for name in engines.QUESTIONS}
    questions["count_every_table"] = "count_every_table"

    def sql_of(name: str, flavour: str) -> list[str]:
        if name == "count_every_table":
            return [f"select '{t}', count(*) from {t}" for t in tables]
        return [engines.question_sql(name, flavour, month)]  # type: ignore[arg-type]

    def runner(execute: Any, flavour: str, name: str) -> Any:
        return lambda: [row for sql in sql_of(name, flavour) for row in execute(sql)]

    duck = engines.duckdb_connection(folder)
    runs = {"sqlite": (lambda sql: lite.execute(sql).fetchall(), "sqlite"),
            "duckdb": (lambda sql: duck.execute(sql).fetchall(), "engine")}
    spark = None
    if not args.skip_spark:
        spark = engines.spark_session("papershelf-bench")
        engines.spark_views(spark, folder)
        runs["spark"] = (lambda sql: [tuple(r) for r in spark.sql(sql).collect()], "engine")
    out["analysis_month"] = month
    out["analysis_s"] = {}
    try:
        for name in questions:
            answers, figures = {}, {}
            for engine, (execute, flavour) in runs.items():
                seconds, answers[engine] = timed(runner(execute, flavour, name))
                figures[engine] = round(seconds, 4)
            figures["agree"] = all(normalize(a) == normalize(answers["sqlite"]) for a in answers.values())
            out["analysis_s"][name] = figures
            say(f"{name}: " + ", ".join(f"{k} {v}" + (" s" if k != "agree" else "") for k, v in figures.items()))
    finally:
        if spark is not None:
            spark.stop()
    if not args.out:
        shutil.rmtree(folder, ignore_errors=True)
    if args.json:
        print(json.dumps(out))


if __name__ == "__main__":
    main()
