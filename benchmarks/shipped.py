"""The build of the shipped dataset (listings/: the seed and the Daily Papers API archive), as
`make serve` runs it on a fresh clone: `papershelf build` of the bundled listings into a new file.

    .venv/bin/python -m benchmarks.shipped [--runs 3]

Prints each run's wall time (the whole command, interpreter start included), what it built, and the
sizes of the shipped files (the .gz files and the whole listings/ folder).
"""

from __future__ import annotations

import argparse
import sqlite3
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
LISTINGS = ROOT / "listings"


def build_once(db: Path) -> float:
    started = time.perf_counter()
    subprocess.run([sys.executable, "-m", "etl", "build", "--silent", "--db", str(db)], cwd=ROOT, check=True,
                   stdout=subprocess.DEVNULL)
    return time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    gz = [p for p in LISTINGS.rglob("*.gz")]
    every = [p for p in LISTINGS.rglob("*") if p.is_file()]
    print(f"shipped: {len(every)} files, {sum(p.stat().st_size for p in every) / 2**20:.1f} MiB"
          f" ({len(gz)} .gz files, {sum(p.stat().st_size for p in gz) / 2**20:.1f} MiB)")
    with tempfile.TemporaryDirectory(prefix="papershelf-shipped-") as folder:
        db = Path(folder) / "papershelf.db"
        times = [build_once(db) for _ in range(args.runs)]
        conn = sqlite3.connect(db)
        papers, dated, first, last = conn.execute(
            "select count(*), count(last_seen), min(last_seen), max(last_seen) from papers").fetchone()
        listings, rejects = conn.execute("select (select count(*) from listings), (select count(*) from rejects)").fetchone()
        with_code, keywords = conn.execute(
            "select (select count(*) from papers where has_code), (select count(*) from keywords)").fetchone()
        conn.close()
        size = db.stat().st_size
    print(f"built: {papers:,} papers ({dated:,} dated, {first} to {last}), {listings} listings, {with_code:,} with code,"
          f" {keywords:,} keywords, {rejects} rejected records; database {size / 2**20:.1f} MiB")
    print("build wall time (s): " + ", ".join(f"{t:.1f}" for t in times) + f"; best {min(times):.1f}")


if __name__ == "__main__":
    main()
