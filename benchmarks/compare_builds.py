"""Do two versions of papershelf build the same tables? (issue 17: "no behaviour change")

    python -m benchmarks.compare_builds                  # main's code against this checkout's
    python -m benchmarks.compare_builds --base REV --other PATH --keep OUT

Each version is a source tree: ``--base`` a git revision of this repository (default ``main``, taken
with ``git archive`` into a temporary folder) and ``--other`` a folder (default: this checkout). Each
builds the same input files (this checkout's: the seed, the listing renders, the captures and the
Daily Papers API archive, also through the parallel build) in a child process whose ``PYTHONPATH``
is that tree, and the databases are compared table by table: every row of every table (FTS shadow
tables included), in primary-key order, with ``listings.ingested_at`` (the clock) left out; and the
schema (``sqlite_master``). Prints one line per table and exits 1 when a table differs.

``--add-time N``: also the wall time of a whole ``python -m etl add`` command (the archive's last day
added to a build of the other days), N runs of each version taken in turn, and their medians.
"""

from __future__ import annotations

import argparse
import hashlib
import os
import shutil
import statistics
import sqlite3
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

# name: (inputs relative to ROOT, parse workers: 0 = in-process)
BUILDS: dict[str, tuple[list[str], int]] = {
    "seed": (["listings/000_2585ca8243d12f53.txt"], 0),
    "listings": (["tests/fixtures/listings/*.txt"], 0),
    "captures": (["tests/fixtures/captures/*.txt"], 0),
    "api": (["listings/hf-daily-api"], 0),
    "api-parallel": (["listings/hf-daily-api"], 1),
    "everything": (["listings", "tests/fixtures/listings/*.txt", "tests/fixtures/captures/*.txt"], 0),
}
IGNORED_COLUMNS = {("listings", "ingested_at")}  # when the file was read: the clock, not the data

_BUILD = """
import sys
from pathlib import Path
from etl.pipeline.build import build
import etl
assert Path(etl.__file__).resolve().is_relative_to(Path(sys.argv[1]).resolve()), etl.__file__
build(sys.argv[4:], Path(sys.argv[2]), workers=int(sys.argv[3]))
"""


def checkout(revision: str, folder: Path) -> Path:
    """The source tree of ``revision`` (``git archive``) in ``folder``."""
    archive = subprocess.run(["git", "-C", str(ROOT), "archive", revision], check=True,
                             capture_output=True).stdout
    subprocess.run(["tar", "-x", "-C", str(folder)], input=archive, check=True)
    return folder


def build_with(tree: Path, db: Path, inputs: list[str], workers: int) -> None:
    args = [str(ROOT / pattern) for pattern in inputs]
    subprocess.run([sys.executable, "-c", _BUILD, str(tree), str(db), str(workers), *args], check=True,
                   env={"PYTHONPATH": str(tree), "PATH": "/usr/bin:/bin"}, cwd=tree)


def add_times(trees: dict[str, Path], work: Path, runs: int) -> dict[str, list[float]]:
    """Seconds of ``python -m etl add`` of the archive's last day onto a build of the others, per tree."""
    days = sorted((ROOT / "listings" / "hf-daily-api").glob("*.json.gz"))
    built = work / "add-base.db"
    build_with(trees["other"], built, [str(day.relative_to(ROOT)) for day in days[:-1]], 0)
    times: dict[str, list[float]] = {label: [] for label in trees}
    for _ in range(runs):
        for label, tree in trees.items():
            copy = work / "add-copy.db"
            for suffix in ("", "-wal", "-shm"):
                Path(f"{copy}{suffix}").unlink(missing_ok=True)
            shutil.copy(built, copy)
            started = time.perf_counter()
            subprocess.run([sys.executable, "-m", "etl", "add", str(days[-1]), "--db", str(copy), "--silent"],
                           check=True, capture_output=True, cwd=work, env={**os.environ, "PYTHONPATH": str(tree)})
            times[label].append(time.perf_counter() - started)
    return times


def table_digests(db: Path) -> dict[str, tuple[int, str]]:
    """Each table's row count and a digest of its rows in primary-key (or rowid) order; the schema
    as the table "sqlite_master"."""
    conn = sqlite3.connect(f"file:{db}?mode=ro", uri=True)
    try:
        out = {}
        schema = conn.execute(
            "select type, name, tbl_name, sql from sqlite_master order by type, name").fetchall()
        out["sqlite_master"] = (len(schema), hashlib.sha256(repr(schema).encode()).hexdigest())
        tables = [name for (name,) in conn.execute(
            "select name from sqlite_master where type = 'table' and name not like 'sqlite_%' order by name")]
        for table in tables:
            info = conn.execute(f'pragma table_info("{table}")').fetchall()
            columns = [row[1] for row in info if (table, row[1]) not in IGNORED_COLUMNS]
            keys = [row[1] for row in sorted(info, key=lambda row: row[5]) if row[5]]
            if not columns:  # a contentless FTS table has no readable columns
                columns = ["rowid"]
            order = ", ".join(f'"{k}"' for k in keys) if keys else "rowid"
            try:
                rows = conn.execute(
                    f'select {", ".join(f"{c!r}".replace(chr(39), chr(34)) for c in columns)}'
                    f' from "{table}" order by {order}').fetchall()
            except sqlite3.OperationalError:  # an FTS5 table read without its column values
                rows = conn.execute(f'select rowid from "{table}" order by rowid').fetchall()
            out[table] = (len(rows), hashlib.sha256(repr(rows).encode()).hexdigest())
        return out
    finally:
        conn.close()


def compare(base: dict[str, tuple[int, str]], other: dict[str, tuple[int, str]]) -> list[str]:
    """One line per table; those that differ start with "DIFFERS"."""
    lines = []
    for table in sorted(set(base) | set(other)):
        a, b = base.get(table), other.get(table)
        if a == b:
            lines.append(f"  same     {table}: {a[0]:,} rows" if a else f"  same     {table}")
        else:
            lines.append(f"  DIFFERS  {table}: base {a[0] if a else 'missing'} rows,"
                         f" other {b[0] if b else 'missing'} rows")
    return lines


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--base", default="main", help="git revision of the base code (default: main)")
    parser.add_argument("--other", type=Path, default=ROOT,
                        help="source tree of the other code (default: here)")
    parser.add_argument("--only", action="append", choices=sorted(BUILDS),
                        help="builds to compare (default: all)")
    parser.add_argument("--keep", type=Path, help="keep the databases in this folder")
    parser.add_argument("--add-time", type=int, default=0, metavar="N",
                        help="also time a whole `add` command N times with each version")
    args = parser.parse_args(argv)
    differ = 0
    with tempfile.TemporaryDirectory(prefix="papershelf-compare-") as temp:
        work = args.keep or Path(temp)
        work.mkdir(parents=True, exist_ok=True)
        base_tree = Path(temp) / "base-tree"
        base_tree.mkdir()
        checkout(args.base, base_tree)
        for name in args.only or list(BUILDS):
            inputs, workers = BUILDS[name]
            digests = []
            for label, tree in (("base", base_tree), ("other", args.other.resolve())):
                db = work / f"{name}-{label}.db"
                db.unlink(missing_ok=True)
                build_with(tree, db, inputs, workers)
                digests.append(table_digests(db))
            lines = compare(*digests)
            changed = sum(line.startswith("  DIFFERS") for line in lines)
            differ += changed
            print(f"{name} ({' '.join(inputs)}, workers={workers}): "
                  f"{'the same tables' if not changed else f'{changed} table(s) differ'}")
            print("\n".join(lines))
        if args.add_time:
            trees = {"base": base_tree, "other": args.other.resolve()}
            for label, times in add_times(trees, work, args.add_time).items():
                print(f"add of the archive's last day, {label}: median {statistics.median(times):.3f} s"
                      f" ({', '.join(f'{t:.2f}' for t in times)})")
    return 1 if differ else 0


if __name__ == "__main__":
    sys.exit(main())
