"""The dataset in PostgreSQL: the tables of ``etl/db/schema.py``, loaded with COPY, swapped in at once.

``load(db_path, url)`` copies every table of a papershelf SQLite database into PostgreSQL:

1. a new schema ``papershelf_load_<pid>`` gets the tables of ``etl.db.schema.metadata`` (SQLAlchemy
   compiles the same Core tables for the PostgreSQL dialect: the one truth for both), with their
   primary keys and unique constraints, plus ``papers.search``, a generated ``tsvector`` over title
   (weight A) and abstract (weight B), and ``papers.title_search`` over the title alone;
2. every row is copied with ``COPY ... FROM STDIN`` (psycopg 3), then the secondary indexes, the
   GIN index of ``search`` and the foreign keys are made (faster than keeping them during the copy);
3. one transaction locks the tables of the current ``papershelf`` schema (waiting for the readers
   that are reading them), renames it away, renames the new schema to ``papershelf`` and drops the
   old one. A reader's statement sees the old tables or the new ones, never some of each; readers
   find the tables through ``search_path`` (``connect``).

SQLite-only pieces (the FTS5 indexes, their triggers, the views made for Datasette) stay in SQLite.

``search(conn, text)`` ranks with ``ts_rank_cd`` in the same two tiers as ``etl.db.search``: papers
with every word in the title first, then the others (see ``SEARCH_SQL``).
"""

from __future__ import annotations

import os
import re
import sqlite3
import time
from collections.abc import Iterator
from contextlib import closing
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from etl.db.search import HIGHLIGHT_END, HIGHLIGHT_START, Hit, fts_query

SCHEMA = "papershelf"  # where readers find the tables (connect() puts it on the search_path)
STAGING_PREFIX = "papershelf_load_"
TEXT_SEARCH_CONFIG = "english"  # Snowball English stemmer: PostgreSQL's closest to FTS5's porter
# The generated column: title words weigh A, abstract words B (ts_rank_cd weighs A 1.0, B 0.4).
SEARCH_COLUMN = "search"
SEARCH_EXPRESSION = (
    f"setweight(to_tsvector('{TEXT_SEARCH_CONFIG}', coalesce(title, '')), 'A')"
    f" || setweight(to_tsvector('{TEXT_SEARCH_CONFIG}', coalesce(abstract, '')), 'B')"
)
# The title's words alone, for the first tier of the search (small vectors, ranked fast).
TITLE_SEARCH_COLUMN = "title_search"
TITLE_SEARCH_EXPRESSION = f"to_tsvector('{TEXT_SEARCH_CONFIG}', coalesce(title, ''))"
COPY_BATCH = 10_000
SWAP_FIRST_LOCK_TIMEOUT = "5s"  # an attempt's wait for papers, holding nothing yet
SWAP_LOCK_TIMEOUT = "40ms"  # each further wait: a dozen tables' waits stay under deadlock_timeout (1 s)
SWAP_PATIENCE_S = 300.0  # attempts for this long, then the load fails (the old dataset stays)


def is_url(target: str | Path) -> bool:
    return str(target).startswith(("postgresql://", "postgres://", "postgresql+psycopg://"))


def _libpq_url(url: str) -> str:
    return re.sub(r"^postgres(ql)?(\+psycopg)?://", "postgresql://", url)


def connect(url: str, *, autocommit: bool = True) -> Any:
    """A psycopg connection whose unqualified table names are papershelf's.

    Autocommit by default: each statement is its own transaction, so a reader holds no lock between
    statements and a load's swap waits only for the statements running. Client-side parameter
    binding (``ClientCursor``), so that SQL written for SQLite (``:x is null``) runs unchanged
    once its parameters are renamed (``adapt_sql``).
    """
    import psycopg

    return psycopg.connect(_libpq_url(url), autocommit=autocommit, cursor_factory=psycopg.ClientCursor,
                           options=f"-c search_path={SCHEMA}")


def is_postgres(conn: Any) -> bool:
    return type(conn).__module__.startswith("psycopg")


_PARAMETER = re.compile(r"(?<![:\w]):([A-Za-z_]\w*)")


def adapt_sql(sql: str) -> str:
    """SQLite's ``:name`` parameters to psycopg's ``%(name)s`` (a literal % doubled)."""
    return _PARAMETER.sub(r"%(\1)s", sql.replace("%", "%%"))


# ---- DDL -------------------------------------------------------------------------------------------


@dataclass
class Ddl:
    """The statements of one schema: tables first, then what is cheaper to make after the copy."""

    tables: list[str] = field(default_factory=list)
    after_copy: list[str] = field(default_factory=list)  # secondary indexes, GIN, foreign keys


def ddl(schema: str) -> Ddl:
    """The DDL of etl/db/schema.py for PostgreSQL, in ``schema``."""
    from sqlalchemy import MetaData
    from sqlalchemy.dialects import postgresql
    from sqlalchemy.schema import AddConstraint, CreateIndex, CreateTable, SetColumnComment, SetTableComment

    from etl.db.schema import metadata

    dialect = postgresql.dialect()
    quoted = f'"{schema}"'
    # The same Core tables, placed in ``schema`` (foreign keys follow them there).
    placed = MetaData()
    for table in metadata.sorted_tables:
        table.to_metadata(placed, schema=schema)

    def compile_(element: Any) -> str:
        return str(element.compile(dialect=dialect)).strip()

    out = Ddl()
    for table in placed.sorted_tables:
        out.tables.append(compile_(CreateTable(table, include_foreign_key_constraints=[])))
        if table.comment:
            out.after_copy.append(compile_(SetTableComment(table)))
        for column in table.columns:
            if column.comment:
                out.after_copy.append(compile_(SetColumnComment(column)))
        for index in sorted(table.indexes, key=lambda i: i.name or ""):
            out.after_copy.append(compile_(CreateIndex(index)))
        for constraint in sorted(table.foreign_key_constraints, key=lambda c: c.name or str(c.column_keys)):
            out.after_copy.append(compile_(AddConstraint(constraint)))
        serial = [c for c in table.primary_key.columns if c.autoincrement is True or (
            c.autoincrement == "auto" and len(table.primary_key.columns) == 1 and c.type.python_type is int)]
        for column in serial:  # the copied ids are explicit: the sequence goes on after the largest
            out.after_copy.append(
                f"SELECT setval(pg_get_serial_sequence('{quoted}.\"{table.name}\"', '{column.name}'),"
                f' coalesce((SELECT max("{column.name}") FROM {quoted}."{table.name}"), 0) + 1, false)')
    out.tables.append(
        f'ALTER TABLE {quoted}."papers" ADD COLUMN "{SEARCH_COLUMN}" tsvector'
        f" GENERATED ALWAYS AS ({SEARCH_EXPRESSION}) STORED"
    )
    out.tables.append(
        f'ALTER TABLE {quoted}."papers" ADD COLUMN "{TITLE_SEARCH_COLUMN}" tsvector'
        f" GENERATED ALWAYS AS ({TITLE_SEARCH_EXPRESSION}) STORED"
    )
    out.after_copy.insert(0, f'CREATE INDEX "idx_papers_search" ON {quoted}."papers" USING gin ("{SEARCH_COLUMN}")')
    out.after_copy.insert(1, f'CREATE INDEX "idx_papers_title_search" ON {quoted}."papers"'
                             f' USING gin ("{TITLE_SEARCH_COLUMN}")')
    out.after_copy.append(f"COMMENT ON COLUMN {quoted}.\"papers\".\"{TITLE_SEARCH_COLUMN}\" IS"
                          " 'Full-text search vector of the title alone (the first tier of the ranked search)'")
    out.after_copy.append(f"COMMENT ON COLUMN {quoted}.\"papers\".\"{SEARCH_COLUMN}\" IS"
                          " 'Full-text search vector: title (weight A) and abstract (weight B), English stemming'")
    return out


# ---- load ------------------------------------------------------------------------------------------


@dataclass
class LoadReport:
    rows: dict[str, int] = field(default_factory=dict)
    timings: dict[str, float] = field(default_factory=dict)

    @property
    def seconds(self) -> float:
        return sum(self.timings.values())


def _rows(source: sqlite3.Connection, table: str, columns: list[str]) -> Iterator[list[tuple]]:
    names = ", ".join(f'"{c}"' for c in columns)
    cursor = source.execute(f'select {names} from "{table}" order by rowid')
    while batch := cursor.fetchmany(COPY_BATCH):
        yield batch


def load(db_path: Path, url: str, *, progress: Any = None) -> LoadReport:
    """Copy the SQLite database ``db_path`` into the PostgreSQL database at ``url`` (schema ``papershelf``),
    replacing what was there in one transaction. A failed load drops its staging schema and leaves
    the published one as it was."""
    from etl.db.index import check_shape
    from etl.db.schema import metadata

    if not db_path.exists():
        raise FileNotFoundError(f"{db_path} does not exist: run `papershelf build` first")
    staging = f"{STAGING_PREFIX}{os.getpid()}"
    report = LoadReport()
    uri = f"file:{db_path.resolve()}?mode=ro"
    with closing(sqlite3.connect(uri, uri=True)) as checked:
        check_shape(checked)  # before anything is written to PostgreSQL
    source = sqlite3.connect(uri, uri=True)
    conn = connect(url, autocommit=True)
    try:
        started = time.perf_counter()
        statements = ddl(staging)
        conn.execute(f'DROP SCHEMA IF EXISTS "{staging}" CASCADE')
        with conn.transaction():
            conn.execute(f'CREATE SCHEMA "{staging}"')
            for statement in statements.tables:
                conn.execute(statement)
        report.timings["create"] = time.perf_counter() - started
        try:
            started = time.perf_counter()
            with conn.transaction():
                for table in metadata.sorted_tables:
                    columns = [str(c.name) for c in table.columns]
                    names = ", ".join(f'"{c}"' for c in columns)
                    count = 0
                    with conn.cursor().copy(f'COPY "{staging}"."{table.name}" ({names}) FROM STDIN') as copy:
                        for batch in _rows(source, str(table.name), columns):
                            for row in batch:
                                copy.write_row(row)
                            count += len(batch)
                    report.rows[str(table.name)] = count
                    if progress:
                        progress(str(table.name), count)
            report.timings["copy"] = time.perf_counter() - started
            started = time.perf_counter()
            with conn.transaction():
                for statement in statements.after_copy:
                    conn.execute(statement)
            report.timings["indexes"] = time.perf_counter() - started
            started = time.perf_counter()
            for table in metadata.sorted_tables:
                conn.execute(f'ANALYZE "{staging}"."{table.name}"')
            report.timings["analyze"] = time.perf_counter() - started
            started = time.perf_counter()
            swap(conn, staging)
            report.timings["swap"] = time.perf_counter() - started
        except BaseException:
            conn.rollback()
            conn.execute(f'DROP SCHEMA IF EXISTS "{staging}" CASCADE')
            raise
    finally:
        conn.close()
        source.close()
    return report


def swap(conn: Any, staging: str) -> None:
    """Publish ``staging`` as ``papershelf`` in one transaction.

    The transaction first locks every old table, waiting for the statements that read them (later
    readers queue behind it and then find the new tables). ``papers``, which readers read first, is
    locked first, while the swap holds nothing that a reader could wait for. A reader may then hold
    another table and wait for one the swap took: each further wait is cut at SWAP_LOCK_TIMEOUT, so
    that the swap's waits add up to less than PostgreSQL's deadlock_timeout (1 s by default) and the
    reader is never the one aborted; the swap lets go and tries again."""
    import psycopg.errors

    old = f"{SCHEMA}_old_{os.getpid()}"
    deadline = time.monotonic() + SWAP_PATIENCE_S
    while True:
        try:
            with conn.transaction():
                existing = [r[0] for r in conn.execute(
                    "select tablename from pg_tables where schemaname = %s order by tablename = 'papers' desc,"
                    " tablename", (SCHEMA,))]
                if existing:
                    first, rest = existing[0], existing[1:]
                    conn.execute(f"SET LOCAL lock_timeout = '{SWAP_FIRST_LOCK_TIMEOUT}'")
                    conn.execute(f'LOCK TABLE "{SCHEMA}"."{first}" IN ACCESS EXCLUSIVE MODE')
                    if rest:
                        conn.execute(f"SET LOCAL lock_timeout = '{SWAP_LOCK_TIMEOUT}'")
                        tables = ", ".join(f'"{SCHEMA}"."{name}"' for name in rest)
                        conn.execute(f"LOCK TABLE {tables} IN ACCESS EXCLUSIVE MODE")
                exists = conn.execute("select 1 from pg_namespace where nspname = %s", (SCHEMA,)).fetchone()
                if exists:
                    conn.execute(f'ALTER SCHEMA "{SCHEMA}" RENAME TO "{old}"')
                conn.execute(f'ALTER SCHEMA "{staging}" RENAME TO "{SCHEMA}"')
                if exists:
                    conn.execute(f'DROP SCHEMA "{old}" CASCADE')
            return
        except (psycopg.errors.DeadlockDetected, psycopg.errors.LockNotAvailable):
            if time.monotonic() > deadline:
                raise
            time.sleep(0.01)


# ---- search ----------------------------------------------------------------------------------------

# Tier 1: every word in the title (``title_search``), ranked by ts_rank_cd over the title per word of
# the title (words counted by spaces, as etl.db.search counts them): shorter titles first, as FTS5's
# bm25 and etl.db.search weigh them. Tier 2, only when the title matches do not fill the page: the
# words anywhere, by ts_rank_cd over title and abstract (A 1.0, B 0.4; normalization 1 divides by
# 1 + log of the length). Newest first among equals. ts_rank_cd looks at every match of its tier:
# the small title vectors for a common word, the large ones only for words that few titles have.
_ORDER = "rank desc, first_seen desc nulls last, id desc"
SEARCH_SQL = f"""with q as (select {{query}} as q),
in_title as (
  select p.id, p.first_seen,
         ts_rank_cd(p.{TITLE_SEARCH_COLUMN}, q.q) / least(length(p.title) - length(replace(p.title, ' ', '')) + 1, 255)
           as rank
  from papers p, q
  where p.{TITLE_SEARCH_COLUMN} @@ q.q
  order by {_ORDER}
  limit %(limit)s
),
in_text as (
  select p.id, p.first_seen, ts_rank_cd(p.{SEARCH_COLUMN}, q.q, 1) as rank
  from papers p, q
  where (select count(*) from in_title) < %(limit)s
    and p.{SEARCH_COLUMN} @@ q.q and not (p.{TITLE_SEARCH_COLUMN} @@ q.q)
  order by {_ORDER}
  limit %(limit)s
),
hits as (
  select id, first_seen, rank, true as in_title from in_title
  union all
  select id, first_seen, rank, false from in_text
  order by in_title desc, {_ORDER}
  limit %(limit)s
)
select p.id, p.title,
       ts_headline('{TEXT_SEARCH_CONFIG}', p.title || ' — ' || p.abstract, q.q,
                   'StartSel={HIGHLIGHT_START}, StopSel={HIGHLIGHT_END}, MaxWords=24, MinWords=12, MaxFragments=1')
         as snippet,
       p.first_seen, p.last_seen, hits.in_title, hits.rank
from hits join papers p on p.id = hits.id, q
order by hits.in_title desc, hits.rank desc, hits.first_seen desc nulls last, hits.id desc"""

_QUOTED = re.compile(r'"((?:[^"]|"")*)"')


def tsquery(text: str) -> tuple[str, dict[str, str]]:
    """SQL for the tsquery of user text, and its parameters: the same reading as ``etl.db.search.fts_query``
    (every word required, "quoted phrases" kept), each word or phrase through ``phraseto_tsquery``."""
    parts = [m.group(1).replace('""', '"') for m in _QUOTED.finditer(fts_query(text))]
    parts = [p for p in parts if p.strip()]
    if not parts:
        return "", {}
    params = {f"w{i}": part for i, part in enumerate(parts)}
    sql = " && ".join(f"phraseto_tsquery('{TEXT_SEARCH_CONFIG}', %({name})s)" for name in params)
    return sql, params


def search(conn: Any, text: str, limit: int = 10) -> list[Hit]:
    """Ranked search in PostgreSQL, answering as ``etl.db.search.search`` does in SQLite."""
    query, params = tsquery(text)
    if not query:
        return []
    rows = conn.execute(SEARCH_SQL.replace("{query}", query), {**params, "limit": limit}).fetchall()
    return [Hit(id=paper_id, title=title, first_seen=first_seen, last_seen=last_seen, snippet=snippet,
                in_title=bool(in_title))
            for paper_id, title, snippet, first_seen, last_seen, in_title, _rank in rows]
