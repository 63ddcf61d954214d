"""Exports: one Parquet or CSV file per table, and a Frictionless ``datapackage.json`` describing them.

The data package is generated from ``etl/db/schema.py`` (types, descriptions, primary and foreign keys,
required and unique columns) and ``etl/metadata_base.yml`` (title, license, sources), so it cannot
drift from the database. Parquet keeps real types (dates as dates, flags as booleans, a timestamp as
a UTC datetime); CSV keeps them as text the descriptor declares (``date``, ``boolean``, ``datetime``).
JSON lists (links.source) stay JSON text in both, declared as ``array``.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import os
import shutil
import sqlite3
import tempfile
from pathlib import Path
from typing import Any, Literal

import polars as pl
from sqlalchemy import Float, Integer, Table

from etl import version
from etl.db import index
from .analysis import connect, read
from etl.publish.metadata import base_metadata
from etl.db.schema import metadata as schema_metadata

Format = Literal["parquet", "csv"]
FORMATS: tuple[Format, ...] = ("parquet", "csv")

# SQLite keeps these as text (ISO dates, a UTC timestamp, 0/1 flags, JSON lists); the exports give
# them their real type. A test checks the lists against the data, so a new date column is not missed.
DATE_COLUMNS = {
    "listings": {"date"},
    "papers": {"published", "updated", "first_seen", "last_seen"},
    "listing_papers": {"listing_date"},
}
DATETIME_COLUMNS = {"listings": {"ingested_at"}}
BOOLEAN_COLUMNS = {"papers": {"has_code"}, "paper_categories": {"is_primary"}}
LIST_COLUMNS = {"links": {"source"}}

MEDIATYPES = {"parquet": "application/vnd.apache.parquet", "csv": "text/csv"}

# The tables that grow with the corpus are Parquet *folders* (``papers.parquet/month=2025-03/part-0.parquet``):
# Hive partitions by the month of the paper's first listing (papers.first_seen), for the paper's own
# row and every row that belongs to it. DuckDB, Spark, polars and pyarrow read the folder as one
# table with a ``month`` column and skip the folders a filter on it excludes; the questions asked of
# the dataset are per month of first listing (papers per month, a month's keywords, code share by
# month), and the rows of one paper stay in the same month in every table, so a join of one month
# reads one folder per table. Months are coarse enough (a few hundred files for all of arXiv) and fine
# enough (1/12 of a year read for a month's question). Papers without a listing date go to Hive's
# folder for null, month=__HIVE_DEFAULT_PARTITION__.
PARTITIONED = ("papers", "listing_papers", "links", "paper_keywords", "paper_authors")
PARTITION_COLUMN = "month"
NULL_PARTITION = "__HIVE_DEFAULT_PARTITION__"
# Row groups of up to 256k rows (a few to tens of MB): large enough for engines to scan fast, with
# min/max statistics per group for the filters on other columns.
ROW_GROUP_ROWS = 256 * 1024
PARTITION_FIELD = {
    "name": PARTITION_COLUMN,
    "type": "string",
    "description": "Hive partition key (the folder month=YYYY-MM): the month of the paper's first listing;"
                   " empty when the paper has no listing date",
}


def tables() -> list[Table]:
    """Every table of the schema, in dependency order (a table after those it refers to)."""
    return list(schema_metadata.sorted_tables)


def resource_name(table: str) -> str:
    # Data package names are lower case with -, ., _ allowed; table names already are.
    return table


def column_kind(table: str, column: str) -> str:
    """date, datetime, boolean, list or the SQL type's kind (integer, number, string)."""
    for kind, columns in (("date", DATE_COLUMNS), ("datetime", DATETIME_COLUMNS),
                          ("boolean", BOOLEAN_COLUMNS), ("list", LIST_COLUMNS)):
        if column in columns.get(table, set()):
            return kind
    sql_type = schema_metadata.tables[table].c[column].type
    if isinstance(sql_type, Integer):
        return "integer"
    if isinstance(sql_type, Float):
        return "number"
    return "string"


# JSON lists stay JSON text in both formats: the Table Schema "array" type, which Frictionless can
# check in either (it reads Parquet lists as numpy arrays, which it rejects); decode with
# pl.col("source").str.json_decode().
POLARS_TYPES: dict[str, Any] = {
    "date": pl.Date, "datetime": pl.String, "boolean": pl.Boolean, "list": pl.String,
    "integer": pl.Int64, "number": pl.Float64, "string": pl.String,
}


def table_frame(conn: sqlite3.Connection, table: Table) -> pl.DataFrame:
    """A table's rows with their real types (see the module docstring), in primary key order."""
    name = str(table.name)
    schema = {str(c.name): POLARS_TYPES[column_kind(name, str(c.name))] for c in table.columns}
    order = ", ".join(f'"{c.name}"' for c in table.primary_key.columns) or "rowid"
    frame = read(conn, f'select * from "{name}" order by {order}', schema)
    timestamps = [c for c in schema if column_kind(name, c) == "datetime"]
    return frame.with_columns(pl.col(c).str.to_datetime(time_zone="UTC", strict=False) for c in timestamps)


def _field(table: Table, column: Any, fmt: Format) -> dict[str, Any]:
    name = str(column.name)
    kind = column_kind(str(table.name), name)
    field: dict[str, Any] = {"name": name, "description": column.comment or ""}
    field["type"] = {"list": "array", "datetime": "datetime"}.get(kind, kind)
    if kind == "boolean" and fmt == "csv":
        field["trueValues"], field["falseValues"] = ["true"], ["false"]
    if kind == "datetime" and fmt == "csv":
        field["format"] = "%Y-%m-%dT%H:%M:%S.%f%z"
    constraints: dict[str, Any] = {}
    # An empty string the database allows (abstract defaults to '') reads as missing in CSV.
    if not column.nullable and not column.primary_key and column.server_default is None:
        constraints["required"] = True
    if column.unique:
        constraints["unique"] = True
    if constraints:
        field["constraints"] = constraints
    return field


def table_schema(table: Table, fmt: Format, partitioned: bool = False) -> dict[str, Any]:
    """The Frictionless Table Schema of one table: fields, primary key, foreign keys."""
    schema: dict[str, Any] = {"fields": [_field(table, column, fmt) for column in table.columns]}
    primary_key = [str(c.name) for c in table.primary_key.columns]
    if primary_key:
        schema["primaryKey"] = primary_key
    foreign_keys = []
    for constraint in sorted(table.foreign_key_constraints, key=lambda c: [str(x.name) for x in c.columns]):
        foreign_keys.append({
            "fields": [str(c.name) for c in constraint.columns],
            "reference": {"resource": resource_name(str(constraint.referred_table.name)),
                          "fields": [str(element.column.name) for element in constraint.elements]},
        })
    if foreign_keys:
        schema["foreignKeys"] = foreign_keys
    if partitioned:
        schema["fields"].append(dict(PARTITION_FIELD))  # read from the folder names, after the columns
    # Frictionless reads Parquet through pandas, which turns a missing integer into NaN.
    schema["missingValues"] = [""] if fmt == "csv" else ["", "nan"]
    return schema


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def datapackage(files: dict[str, Path], fmt: Format, rows: dict[str, int],
                partitioned: frozenset[str] | set[str] = frozenset()) -> dict[str, Any]:
    """The descriptor of an export: the package's metadata and one resource per written file (or
    partitioned folder: ``partitioned`` names them)."""
    base = base_metadata()
    resources = []
    for table in tables():
        name = str(table.name)
        path = files[name]
        resource: dict[str, Any] = {
            "name": resource_name(name),
            "path": path.name,
            "title": name,
            "description": table.comment or "",
            "profile": "tabular-data-resource",
            "format": fmt,
            "mediatype": MEDIATYPES[fmt],
            "schema": table_schema(table, fmt, name in partitioned),
        }
        if name in partitioned:
            resource["papershelf:partitioning"] = {"style": "hive", "columns": [PARTITION_COLUMN]}
        if fmt == "csv":
            # Frictionless checks these while it reads a text file (it reads Parquet through pyarrow).
            resource["bytes"] = path.stat().st_size
            resource["hash"] = "sha256:" + _sha256(path)
            resource["encoding"] = "utf-8"
            resource["dialect"] = {"delimiter": ",", "quoteChar": '"', "header": True}
        resource["papershelf:rows"] = rows[name]
        resources.append(resource)
    return {
        "profile": "tabular-data-package",
        "name": "papershelf",
        "title": base.get("title", "papershelf"),
        "description": (
            "Machine-learning papers collected from Hugging Face Daily Papers listings and arXiv feeds:"
            " papers, the listings that showed them, their links, keywords and authors."
            " Generated by `papershelf export` from etl/db/schema.py."
        ),
        "homepage": base.get("about_url"),
        "version": version(),
        "created": dt.datetime.now(dt.UTC).replace(microsecond=0).isoformat(),
        "keywords": ["machine learning", "papers", "arXiv", "Hugging Face Daily Papers"],
        # Credits as in metadata.yml: the archive's licence, and where the papers come from.
        "licenses": [{"name": "Apache-2.0", "path": base["license_url"], "title": base["license"]}],
        "sources": [{"title": base["source"], "path": base["source_url"]},
                    {"title": "Hugging Face Daily Papers API", "path": "https://huggingface.co/api/daily_papers"},
                    {"title": "arXiv", "path": "https://arxiv.org"}],
        "resources": resources,
    }



def export(db_path: Path, out: Path, fmt: Format) -> dict[str, Any]:
    """Write every table of ``db_path`` to ``out`` as ``fmt`` files, then ``datapackage.json``.

    Files are written under temporary names and renamed, so a failed export leaves no half file.
    Returns the descriptor.
    """
    if fmt not in FORMATS:
        raise ValueError(f"unknown export format {fmt!r}: choose one of {', '.join(FORMATS)}")
    out.mkdir(parents=True, exist_ok=True)
    conn = connect(db_path)
    files: dict[str, Path] = {}
    rows: dict[str, int] = {}
    months: pl.DataFrame | None = None  # paper id -> partition, from papers (exported first)
    partitioned: set[str] = set()
    try:
        index.check_shape(conn)
        for table in tables():
            name = str(table.name)
            frame = table_frame(conn, table)
            path = out / f"{name}.{fmt}"
            if fmt == "parquet" and name in PARTITIONED:
                if name == "papers":
                    months = frame.select(pl.col("id").alias("paper_id"), _month(pl.col("first_seen")))
                assert months is not None
                if write_partitioned(frame, months, path):
                    partitioned.add(name)
            else:
                _write_file(frame, path, fmt)
            files[name] = path
            rows[name] = frame.height
            del frame
    finally:
        conn.close()
    descriptor = datapackage(files, fmt, rows, partitioned)
    (out / "datapackage.json").write_text(json.dumps(descriptor, indent=2, ensure_ascii=False) + "\n",
                                          encoding="utf-8")
    return descriptor


def _month(date: pl.Expr) -> pl.Expr:
    return date.dt.strftime("%Y-%m").alias(PARTITION_COLUMN)


def _write_file(frame: pl.DataFrame, path: Path, fmt: Format) -> None:
    """One file, written under a temporary name and renamed (no half file after a failure)."""
    temporary = Path(tempfile.mkstemp(dir=path.parent, prefix=f".{path.stem}.", suffix=f".{fmt}")[1])
    try:
        if fmt == "parquet":
            frame.write_parquet(temporary, compression="zstd", statistics=True, row_group_size=ROW_GROUP_ROWS)
        else:
            frame.write_csv(temporary, datetime_format="%Y-%m-%dT%H:%M:%S.%6f%z")
        _replace(temporary, path)
    finally:
        temporary.unlink(missing_ok=True)


def write_partitioned(frame: pl.DataFrame, months: pl.DataFrame, path: Path) -> bool:
    """``frame`` as a Hive-partitioned folder ``path``: ``month=YYYY-MM/part-0.parquet``, one per month
    of its papers' first listing (``months``: paper_id, month), rows in primary key order within.
    Written into a temporary folder that replaces ``path`` when complete.

    When none of its rows has a month (the seed has no dates) there is nothing to partition by, and
    readers could not tell the type of an all-null partition column: one file, as for the small
    tables. Returns whether it was partitioned."""
    key = "id" if "paper_id" not in frame.columns else "paper_id"
    with_month = frame.join(months.rename({"paper_id": key}), on=key, how="left", maintain_order="left")
    if with_month.get_column(PARTITION_COLUMN).null_count() == with_month.height:
        _write_file(frame, path, "parquet")
        return False
    temporary = Path(tempfile.mkdtemp(dir=path.parent, prefix=f".{path.name}."))
    try:
        for (month,), part in with_month.partition_by(PARTITION_COLUMN, as_dict=True, maintain_order=True).items():
            folder = temporary / f"{PARTITION_COLUMN}={month if month is not None else NULL_PARTITION}"
            folder.mkdir()
            part.drop(PARTITION_COLUMN).write_parquet(folder / "part-0.parquet", compression="zstd", statistics=True,
                                                      row_group_size=ROW_GROUP_ROWS)
        _replace(temporary, path)
    finally:
        shutil.rmtree(temporary, ignore_errors=True)
    return True


def _replace(new: Path, path: Path) -> None:
    """Put ``new`` (a file or a folder) in ``path``'s place, whichever of the two ``path`` was, readable
    as a file the user wrote normally is (mkstemp and mkdtemp make them private to the user)."""
    umask = os.umask(0)
    os.umask(umask)
    os.chmod(new, (0o777 if new.is_dir() else 0o666) & ~umask)
    if path.is_dir() and not path.is_symlink():
        old = path.with_name(f".{path.name}.old-{os.getpid()}")
        os.replace(path, old)
        os.replace(new, path)
        shutil.rmtree(old, ignore_errors=True)
    else:
        os.replace(new, path)
