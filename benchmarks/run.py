"""papershelf at scale, measured against SQLite's own floor (issues 5 and 7).

    python -m benchmarks.run --papers 100000 [--json] [--check-add]
    python -m benchmarks.run --papers 1000000 --json

Steps, each printed with its figures (``--json``: one JSON object instead):

1. **corpus**: ``benchmarks/generate.py`` listings for N papers (one file per day), generated once
   into ``--work`` (default ``benchmarks/out``, or $PAPERSHELF_BENCH) and reused; plus "the next day", for step 6.
2. **build**: ``etl.pipeline.build.build`` in a child process; wall time, papers per second, the time of each
   stage, and the peak memory of the whole process tree (the build and its workers), sampled: RSS added up
   (``peak_rss_mib``, counting pages the forked workers share once per process) and PSS added up
   (``peak_pss_mib``, each shared page shared out: what the tree occupies).
3. **floor**: the same rows (every table of the built database, read back in rowid order) inserted
   with plain ``executemany`` into an empty database of the same schema in one transaction, then
   one FTS5 ``'rebuild'`` with SQLite's default settings: what SQLite itself needs to write this
   database. ``build_over_floor`` is build / floor.
4. **size**: bytes per 1,000 papers and what each index costs (SQLite's dbstat).
5. **search**: a fixed set of queries, in SQL (``etl.db.search``) and through Datasette's JSON API
   (``papershelf serve --immutable`` with an inspect file, on a local port): p50 and p95. Every
   Datasette page of the database is then fetched (tables, views, facets, pagination, rows, canned
   queries, searches) and the slowest is reported.
6. **add one day**: the next day's listing added to a copy of the built database (``etl.pipeline.build.add``),
   timed in-process; with ``--check-add``, a full build of all inputs is compared with it (papers,
   links, authors, sightings).
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import sqlite3
import statistics
import subprocess
import sys
import threading
import time
import urllib.parse
from pathlib import Path
from typing import Any, NamedTuple

from etl.publish.local import ServerDidNotStart, free_port, wait_until_up

ROOT = Path(__file__).resolve().parents[1]
QUERIES = [
    "model", "language model", "large language model", "diffusion", "video generation",
    "reinforcement learning", "speculative decoding", "benchmark", "agent", "vision transformer",
    "mixture of experts", "quantization", "reward model", "chain of thought", "gaussian splatting",
    "code generation", "image editing", "text to speech", "robot manipulation",
    "retrieval augmented generation", "multimodal reasoning", "efficient inference",
    "preference optimization", "3d reconstruction", "hallucination",
]
REPEATS = 5  # timed runs of each query (after one untimed run)


# ---- helpers -------------------------------------------------------------------------------------


def say(args: argparse.Namespace, text: str) -> None:
    if not args.json:
        print(text, flush=True)


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    if not ordered:
        return float("nan")
    index = min(len(ordered) - 1, max(0, round(share * (len(ordered) - 1))))
    return ordered[index]


def tree_memory(pid: int, pss: bool = True, each: dict[int, int] | None = None) -> tuple[int, int]:
    """(RSS, PSS) in bytes of a process and all its descendants (``each``, when given, gets the RSS
    of every one of them by pid).

    RSS added up counts a page shared by forked workers once per process; PSS (Linux's proportional
    set size, smaps_rollup) shares it out among them: the sum of PSS is what the tree occupies."""
    children: dict[int, list[int]] = {}
    rss: dict[int, int] = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat") as handle:
                fields = handle.read().rsplit(")", 1)[1].split()
            children.setdefault(int(fields[1]), []).append(int(entry))
            rss[int(entry)] = int(fields[21]) * os.sysconf("SC_PAGE_SIZE")
        except (OSError, IndexError, ValueError):
            continue
    total_rss, total_pss, stack = 0, 0, [pid]
    while stack:
        current = stack.pop()
        total_rss += rss.get(current, 0)
        if each is not None:
            each[current] = rss.get(current, 0)
        total_pss += _pss(current) if pss else 0
        stack.extend(children.get(current, []))
    return total_rss, total_pss


class Peak(NamedTuple):
    """Peak memory of a child process tree, in bytes: the tree's RSS and PSS, the child's own RSS
    (a build's loader) and the largest RSS of any one of its workers; ``timeline`` samples
    (seconds, loader MiB, workers MiB) every five seconds, to see which stage needs what."""

    rss: int
    pss: int
    main_rss: int = 0
    worker_rss: int = 0
    timeline: tuple = ()


def _pss(pid: int) -> int:
    try:
        with open(f"/proc/{pid}/smaps_rollup") as handle:
            for line in handle:
                if line.startswith("Pss:"):
                    return int(line.split()[1]) * 1024
    except (OSError, ValueError, IndexError):
        pass
    return 0


def run_child(args: list[str], timeout: float | None = None) -> tuple[dict[str, Any], float, Peak]:
    """Run ``python -m benchmarks.run --child ...``; (its JSON output, wall seconds, peak memory)."""
    command = [sys.executable, "-m", "benchmarks.run", "--child", *args]
    started = time.perf_counter()
    process = subprocess.Popen(command, cwd=ROOT, stdout=subprocess.PIPE, text=True)
    peak_rss = peak_pss = peak_main = peak_worker = 0
    timeline: list[tuple[float, int, int]] = []
    done = threading.Event()

    def sample() -> None:
        nonlocal peak_rss, peak_pss, peak_main, peak_worker
        # Reading PSS walks each process's page tables (tens of ms for a GiB): every second, so that
        # the sampler does not take CPU from the build; RSS is cheap, every tenth of a second.
        tick = 0
        while not done.is_set():
            each: dict[int, int] = {}
            rss, pss = tree_memory(process.pid, pss=tick % 10 == 0, each=each)
            main = each.pop(process.pid, 0)
            peak_rss, peak_pss, peak_main = max(peak_rss, rss), max(peak_pss, pss), max(peak_main, main)
            peak_worker = max([peak_worker, *each.values()])
            if tick % 50 == 0:
                timeline.append((round(time.perf_counter() - started), main >> 20, sum(each.values()) >> 20))
            tick += 1
            done.wait(0.1)

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    output, _ = process.communicate(timeout=timeout)
    wall = time.perf_counter() - started
    done.set()
    sampler.join()
    if process.returncode != 0:
        raise SystemExit(f"child {' '.join(args)} failed with exit code {process.returncode}")
    return json.loads(output.strip().splitlines()[-1]), wall, Peak(peak_rss, peak_pss, peak_main, peak_worker,
                                                                   tuple(timeline))


def fresh_copy(db: Path, copy: Path) -> None:
    """A copy of ``db`` whose pages are on disk, as a user's database is: otherwise the first
    checkpoint of an add would pay for writing out the whole copy."""
    remove_db(copy)
    shutil.copy(db, copy)
    descriptor = os.open(copy, os.O_RDONLY)
    try:
        os.fsync(descriptor)
    finally:
        os.close(descriptor)


def timed_command(command: list[str]) -> float:
    """Wall seconds of a command, as a user runs it (interpreter start and imports included)."""
    started = time.perf_counter()
    subprocess.run(command, cwd=ROOT, check=True, stdout=subprocess.DEVNULL)
    return time.perf_counter() - started


def remove_db(path: Path) -> None:
    for name in (path.name, path.name + "-wal", path.name + "-shm", path.name + ".inspect.json"):
        path.with_name(name).unlink(missing_ok=True)


# ---- corpus --------------------------------------------------------------------------------------


def corpus(args: argparse.Namespace) -> tuple[Path, Path]:
    """The corpus folder and the next day's file, generated when missing."""
    from benchmarks import generate

    folder = args.work / f"gen-{args.papers}"
    wanted = generate.options(args.papers, args.per_day, args.seed, "mixed", 0.15)
    marker = folder / generate.MARKER
    vocabulary = None
    if not marker.exists() or json.loads(marker.read_text()) != wanted:
        say(args, f"generating {args.papers:,} papers into {folder} ...")
        shutil.rmtree(folder, ignore_errors=True)
        vocabulary = generate.learn()
        generate.generate(args.papers, folder, per_day=args.per_day, seed=args.seed, vocabulary=vocabulary,
                          jobs=os.cpu_count() or 1)
    next_folder = args.work / f"gen-{args.papers}-next"
    if not next_folder.exists() or not any(next_folder.iterdir()):
        calendar = generate.generate(args.papers, next_folder, per_day=args.per_day, seed=args.seed,
                                     vocabulary=vocabulary or generate.learn(), days=slice(-1, None),
                                     extra_days=1)
        say(args, f"next day: {calendar[-1].file_name}, {calendar[-1].new} new papers,"
                  f" {len(calendar[-1].repeats)} listed again")
    [next_day] = sorted(p for p in next_folder.iterdir() if not p.name.startswith("."))
    return folder, next_day


# ---- children (each runs in its own process, prints one JSON line) ------------------------------


def cpu_seconds() -> float:
    """CPU time (user + system) of this process and of its children that ended (the workers)."""
    import resource

    return sum(getattr(resource.getrusage(who), field) for who in (resource.RUSAGE_SELF, resource.RUSAGE_CHILDREN)
               for field in ("ru_utime", "ru_stime"))


def child_build(inputs: list[str], db: str, workers: str) -> dict[str, Any]:
    from etl.pipeline.build import build

    started = time.perf_counter()
    report = build(inputs, Path(db), workers=None if workers == "auto" else int(workers))
    return {"seconds": time.perf_counter() - started, "timings": report.timings, "papers": report.papers,
            "read": report.read, "links": report.links, "keywords": report.keywords, "rejects": report.rejects,
            "cpu_s": cpu_seconds()}


def child_floor(source: str, target: str, tuned: bool) -> dict[str, Any]:
    """Every row of ``source`` into an empty database of the same schema: plain executemany in one
    transaction, then the FTS5 rebuild."""
    from etl.db import index
    from etl.db.schema import FTS_DDL, FTS_TABLE, metadata

    Path(target).unlink(missing_ok=True)
    read = sqlite3.connect(f"file:{source}?mode=ro", uri=True)
    conn = sqlite3.connect(target, isolation_level=None)
    conn.execute("pragma journal_mode = off")
    conn.execute("pragma synchronous = off")
    index.create_tables(conn)
    started = time.perf_counter()
    conn.execute("begin")
    rows = 0
    table_s = {}
    for table in metadata.sorted_tables:
        columns = [str(c.name) for c in table.columns]
        names = ", ".join(columns)
        cursor = read.execute(f"select {names} from {table.name} order by rowid")
        table_started = time.perf_counter()
        conn.executemany(f"insert into {table.name} ({names}) values ({', '.join('?' * len(columns))})", cursor)
        table_s[table.name] = round(time.perf_counter() - table_started, 1)
        rows += conn.execute(f"select count(*) from {table.name}").fetchone()[0]
    inserted = time.perf_counter() - started
    conn.execute(FTS_DDL)
    if tuned:
        for name, value in index.BULK_FTS_SETTINGS.items():
            conn.execute(f"insert into {FTS_TABLE}({FTS_TABLE}, rank) values (?, ?)", (name, value))
    conn.execute(f"insert into {FTS_TABLE}({FTS_TABLE}) values ('rebuild')")
    conn.execute("commit")
    total = time.perf_counter() - started
    conn.close()
    Path(target).unlink()
    return {"seconds": total, "insert_s": inserted, "fts_s": total - inserted, "rows": rows, "cpu_s": cpu_seconds(),
            "table_s": table_s}


def child_add(db: str, listing: str) -> dict[str, Any]:
    from etl.pipeline.build import add

    started = time.perf_counter()
    report = add([listing], Path(db))
    return {"seconds": time.perf_counter() - started, "timings": report.timings, "read": report.read,
            "loaded": report.loaded, "merged": report.merged}


# ---- measurements --------------------------------------------------------------------------------


def sizes(db: Path, papers: int) -> dict[str, Any]:
    conn = sqlite3.connect(f"file:{db}?mode=ro", uri=True)
    pages = dict(conn.execute("select name, sum(pgsize) from dbstat group by name"))
    total = db.stat().st_size
    fts = sum(size for name, size in pages.items() if name.startswith("papers_fts"))
    title_fts = sum(size for name, size in pages.items() if name.startswith("papers_fts_title"))
    top = sorted(pages.items(), key=lambda item: -item[1])[:12]
    return {
        "db_bytes": total,
        "db_mib": round(total / 2**20, 1),
        "kib_per_1000_papers": round(total / 1024 / papers * 1000, 1),
        "fts_bytes": fts,
        "fts_share": round(fts / total, 3),
        "title_fts_bytes": title_fts,
        "largest": {name: round(size / 2**20, 1) for name, size in top},
    }


def search_sql(db: Path) -> dict[str, Any]:
    from etl.db.search import fts_query, search

    conn = sqlite3.connect(f"file:{db}?mode=ro", uri=True)
    times: list[float] = []
    per_query = {}
    for text in QUERIES:
        search(conn, text, 20)
        mine = []
        for _ in range(REPEATS):
            started = time.perf_counter()
            search(conn, text, 20)
            mine.append(time.perf_counter() - started)
        times += mine
        per_query[text] = round(statistics.median(mine) * 1000, 2)
    # For comparison: plain bm25 over all matches, as before (one run per query, warm).
    bm25 = []
    for text in QUERIES:
        query = fts_query(text)
        sql = ("select papers.id, snippet(papers_fts, -1, '[', ']', '…', 24) from papers_fts"
               " join papers on papers.rowid = papers_fts.rowid where papers_fts match ?"
               " order by papers_fts.rank limit 20")
        conn.execute(sql, (query,)).fetchall()
        started = time.perf_counter()
        conn.execute(sql, (query,)).fetchall()
        bm25.append(time.perf_counter() - started)
    return {
        "p50_ms": round(percentile(times, 0.5) * 1000, 2),
        "p95_ms": round(percentile(times, 0.95) * 1000, 2),
        "per_query_median_ms": per_query,
        "bm25_p50_ms": round(percentile(bm25, 0.5) * 1000, 1),
        "bm25_p95_ms": round(percentile(bm25, 0.95) * 1000, 1),
    }


def datasette(db: Path, args: argparse.Namespace) -> dict[str, Any]:
    import httpx

    port = free_port()
    started = time.perf_counter()
    server = subprocess.Popen(
        [sys.executable, "-m", "etl", "serve", "--db", str(db), "--port", str(port), "--immutable"],
        cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        with httpx.Client(base_url=base, timeout=60) as client:
            try:
                wait_until_up(f"{base}/-/versions.json", server, timeout=600, request_timeout=60)
            except ServerDidNotStart as error:
                raise SystemExit(f"papershelf serve did not start: {error}") from None
            startup = time.perf_counter() - started
            times: list[float] = []
            per_query = {}
            for text in QUERIES:
                path = "/papershelf/search.json?" + urllib.parse.urlencode({"q": text, "_shape": "array"})
                client.get(path)
                mine = []
                for _ in range(REPEATS):
                    t0 = time.perf_counter()
                    response = client.get(path)
                    mine.append(time.perf_counter() - t0)
                    if response.status_code != 200:
                        raise SystemExit(f"{path}: HTTP {response.status_code}: {response.text[:300]}")
                times += mine
                per_query[text] = round(statistics.median(mine) * 1000, 1)
            pages = page_times(client, db)
    finally:
        server.terminate()
        server.wait()
    slowest = max(pages.items(), key=lambda item: item[1]["seconds"])
    return {
        "startup_s": round(startup, 1),
        "p50_ms": round(percentile(times, 0.5) * 1000, 1),
        "p95_ms": round(percentile(times, 0.95) * 1000, 1),
        "per_query_median_ms": per_query,
        "pages": pages,
        "slowest_page": slowest[0],
        "slowest_page_s": slowest[1]["seconds"],
    }


def page_times(client: Any, db: Path) -> dict[str, dict[str, Any]]:
    """Every kind of page once warm: the worst of two fetches of each."""
    conn = sqlite3.connect(f"file:{db}?mode=ro", uri=True)
    paper_id = conn.execute("select id from papers order by rowid desc limit 1").fetchone()[0]
    keyword = conn.execute("select id, key from keywords order by paper_count desc limit 1").fetchone()
    tables = [r[0] for r in conn.execute(
        "select name from sqlite_master where type in ('table', 'view') and name not like 'papers_fts%'"
        " and name not like 'sqlite_%' order by name")]
    paths = ["/", "/papershelf", "/papershelf.json"]
    for table in tables:
        paths += [f"/papershelf/{table}", f"/papershelf/{table}.json?_shape=objects"]
    paths += [
        "/papershelf/papers?_search=model", "/papershelf/papers.json?_search=model&_shape=objects",
        "/papershelf/papers?_search=model&_sort_desc=last_seen",
        "/papershelf/papers?_search=speculative+decoding",
        "/papershelf/papers?_facet=has_code&_facet=last_seen",
        "/papershelf/papers?has_code=1", "/papershelf/links?_facet=kind&_facet=host",
        "/papershelf/papers?_sort=upvotes", "/papershelf/papers?_sort_desc=upvotes&_size=100",
        f"/papershelf/papers/{urllib.parse.quote(paper_id.replace('.', '~2E'))}",
        "/papershelf/search?q=model", "/papershelf/search?q=speculative+decoding",
        "/papershelf/papers_with_code", "/papershelf/papers_with_code?q=diffusion",
        "/papershelf/top_keywords", "/papershelf/top_upvoted",
        f"/papershelf/keyword_over_time?keyword={urllib.parse.quote(keyword[1])}" if keyword else "/papershelf",
        f"/papershelf/similar_papers?id={urllib.parse.quote(paper_id)}",
        f"/papershelf/keywords/{keyword[0]}" if keyword else "/papershelf",
    ]
    # Pagination: the page after the first, deep into the table.
    first = client.get("/papershelf/papers.json?_shape=objects").json()
    if first.get("next"):
        paths.append("/papershelf/papers?_next=" + urllib.parse.quote(str(first["next"])))
    results = {}
    for path in dict.fromkeys(paths):
        worst, status = 0.0, 0
        for _ in range(2):
            t0 = time.perf_counter()
            response = client.get(path)
            worst = max(worst, time.perf_counter() - t0)
            status = response.status_code
        results[path] = {"seconds": round(worst, 3), "status": status}
    return results


def compare_with_full_build(added: Path, full: Path) -> dict[str, Any]:
    """Issue 5: the added database has the same papers, links, authors and sightings as a full build."""
    queries = {
        "papers": "select id, arxiv_id, title, abstract, published, author_count, upvotes, github_repo,"
                  " project_page, first_seen, last_seen, listing_count, has_code from papers order by id",
        "links": "select paper_id, url, raw, host, kind, repo, source from links order by paper_id, url",
        "authors": "select pa.paper_id, pa.position, a.name from paper_authors pa"
                   " join authors a on a.id = pa.author_id order by 1, 2",
        "sightings": "select l.name, lp.paper_id, lp.position, lp.upvotes from listing_papers lp"
                     " join listings l on l.id = lp.listing_id order by 1, 2",
    }
    result = {}
    one, two = sqlite3.connect(added), sqlite3.connect(full)
    for name, sql in queries.items():
        a, b = one.execute(sql), two.execute(sql)
        same, rows = True, 0
        while True:
            x, y = a.fetchmany(10000), b.fetchmany(10000)
            rows += len(x)
            if x != y:
                same = False
                break
            if not x:
                break
        result[name] = {"same": same, "rows": rows}
    return result


# ---- main ----------------------------------------------------------------------------------------


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--papers", type=int, default=100_000)
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    parser.add_argument("--work", type=Path, default=Path(os.environ.get("PAPERSHELF_BENCH", Path(__file__).parent / "out")))
    parser.add_argument("--per-day", type=int, default=1000)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--workers", default="auto", help="parse workers of the build (auto, 0 = in-process)")
    parser.add_argument("--check-add", action="store_true", help="also build all inputs and compare with the add")
    parser.add_argument("--skip-floor", action="store_true")
    parser.add_argument("--skip-datasette", action="store_true")
    parser.add_argument("--skip-add", action="store_true")
    parser.add_argument("--tuned-floor", action="store_true", help="also measure the floor with the tuned FTS settings")
    parser.add_argument("--keep", action="store_true", help="keep the built database")
    parser.add_argument("--measure", type=Path, metavar="DB",
                        help="no build: measure size, search, pages and the add on DB (a --keep run's papershelf.db)")
    parser.add_argument("--child", nargs="+", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child:
        kind, *rest = args.child
        result = {"build": lambda: child_build(rest[2:], rest[0], rest[1]),
                  "floor": lambda: child_floor(rest[0], rest[1], rest[2] == "tuned"),
                  "add": lambda: child_add(rest[0], rest[1])}[kind]()
        print(json.dumps(result))
        return

    args.work.mkdir(parents=True, exist_ok=True)
    folder, next_day = corpus(args)
    out: dict[str, Any] = {"papers": args.papers, "cores": os.cpu_count()}
    run_dir = args.work / f"run-{args.papers}"
    if args.measure:  # a kept database: measured in place, never removed
        db = args.measure.resolve()
        args.keep = True
        conn = sqlite3.connect(f"file:{db}?mode=ro", uri=True)
        papers = conn.execute("select count(*) from papers").fetchone()[0]
        conn.close()
        measure_built(args, {**out, "measured": str(db)}, db, db.parent, folder, next_day, papers)
        return
    shutil.rmtree(run_dir, ignore_errors=True)
    run_dir.mkdir()
    db = run_dir / "papershelf.db"  # Datasette names the database after the file: "papershelf"

    say(args, f"build: {args.papers:,} papers from {folder} ...")
    built, wall, peak = run_child(["build", str(db), args.workers, str(folder)])
    out.update({
        "build_s": round(built["seconds"], 1),
        "build_wall_s": round(wall, 1),
        "papers_per_s": round(built["papers"] / built["seconds"]),
        "peak_rss_mib": round(peak.rss / 2**20),
        "peak_pss_mib": round(peak.pss / 2**20),
        "peak_loader_rss_mib": round(peak.main_rss / 2**20),
        "peak_worker_rss_mib": round(peak.worker_rss / 2**20),
        "memory_timeline": peak.timeline,
        "build_cpu_s": round(built.get("cpu_s", 0), 1),
        "records_read": built["read"],
        "stages_s": {k: round(v, 1) for k, v in built["timings"].items()},
        "rows": {"papers": built["papers"], "links": built["links"], "keywords": built["keywords"]},
    })
    say(args, f"  {out['build_s']} s, {out['papers_per_s']:,} papers/s, peak {out['peak_rss_mib']} MiB RSS"
              f" ({out['peak_pss_mib']} MiB PSS; loader {out['peak_loader_rss_mib']} MiB,"
              f" largest worker {out['peak_worker_rss_mib']} MiB),"
              f" {out['build_cpu_s']} s of CPU; stages {out['stages_s']}")

    if not args.skip_floor:
        say(args, "floor: the same rows with executemany, then an FTS5 rebuild ...")
        floor, _, _ = run_child(["floor", str(db), str(run_dir / "floor.db"), "plain"])
        out.update({"floor_s": round(floor["seconds"], 1), "floor_insert_s": round(floor["insert_s"], 1),
                    "floor_cpu_s": round(floor.get("cpu_s", 0), 1),
                    "floor_fts_s": round(floor["fts_s"], 1), "floor_rows": floor["rows"],
                    "build_over_floor": round(built["seconds"] / floor["seconds"], 2),
                    # Each table's share of the inserts (reading it back included); papers and the FTS
                    # index alone are the floor of a database without links, authors or keywords.
                    "floor_tables_s": floor["table_s"],
                    "floor_papers_fts_s": round(floor["table_s"]["papers"] + floor["fts_s"], 1)})
        say(args, f"  {out['floor_s']} s ({out['floor_insert_s']} s insert of {floor['rows']:,} rows +"
                  f" {out['floor_fts_s']} s FTS); build / floor = {out['build_over_floor']}")
        if args.tuned_floor:
            tuned, _, _ = run_child(["floor", str(db), str(run_dir / "floor.db"), "tuned"])
            out.update({"floor_tuned_s": round(tuned["seconds"], 1),
                        "build_over_tuned_floor": round(built["seconds"] / tuned["seconds"], 2)})
            say(args, f"  tuned FTS settings: {out['floor_tuned_s']} s; build / floor = {out['build_over_tuned_floor']}")

    measure_built(args, out, db, run_dir, folder, next_day, built["papers"])


def measure_built(args: argparse.Namespace, out: dict[str, Any], db: Path, run_dir: Path, folder: Path,
                  next_day: Path, papers: int) -> None:
    """Size, search, pages and the add, on the database ``db``."""
    out["size"] = sizes(db, papers)
    say(args, f"size: {out['size']['db_mib']} MiB, {out['size']['kib_per_1000_papers']} KiB per 1,000 papers;"
              f" FTS indexes {out['size']['fts_share']:.0%} ({out['size']['fts_bytes'] / 2**20:.0f} MiB)")

    sql = search_sql(db)
    out.update({"search_p50_ms_sql": sql["p50_ms"], "search_p95_ms_sql": sql["p95_ms"], "search_sql": sql})
    say(args, f"search (SQL, {len(QUERIES)} queries x {REPEATS}): p50 {sql['p50_ms']} ms, p95 {sql['p95_ms']} ms"
              f" (plain bm25 over all matches: p50 {sql['bm25_p50_ms']} ms, p95 {sql['bm25_p95_ms']} ms)")

    if not args.skip_datasette:
        served = datasette(db, args)
        out.update({"search_p50_ms_datasette": served["p50_ms"], "search_p95_ms_datasette": served["p95_ms"],
                    "slowest_page_s": served["slowest_page_s"], "datasette": served})
        say(args, f"search (Datasette JSON API): p50 {served['p50_ms']} ms, p95 {served['p95_ms']} ms;"
                  f" startup {served['startup_s']} s")
        say(args, f"pages: {len(served['pages'])} fetched, slowest {served['slowest_page']}"
                  f" {served['slowest_page_s']} s")
        for path, page in sorted(served["pages"].items(), key=lambda item: -item[1]["seconds"])[:8]:
            say(args, f"  {page['seconds']:6.3f} s  {page['status']}  {path}")

    if args.skip_add:
        if not args.keep:
            remove_db(db)
        if args.json:
            print(json.dumps(out))
        return
    # A Daily Papers day shows at most 50 papers (the largest day of the shared API archive): the
    # first 50 records of the next day; then the whole generated day (1,000 papers, an arXiv-sized day).
    small_day = run_dir / "small-day" / next_day.name
    small_day.parent.mkdir(exist_ok=True)
    small_day.write_text(json.dumps(json.loads(next_day.read_text(encoding="utf-8"))[:50]), encoding="utf-8")
    copy = run_dir / "added.db"
    for key, day in (("add_small_day", small_day), ("add_day", next_day)):
        fresh_copy(db, copy)
        added, _, _ = run_child(["add", str(copy), str(day)])
        fresh_copy(db, copy)
        cli_s = timed_command([sys.executable, "-m", "etl", "add", "--silent", "--db", str(copy), str(day)])
        out.update({f"{key}_s": round(added["seconds"], 3), f"{key}_cli_s": round(cli_s, 3),
                    key: {"file": day.name, "read": added["read"], "loaded": added["loaded"], "merged": added["merged"],
                          "stages_s": {k: round(v, 3) for k, v in added["timings"].items()}}})
        say(args, f"add {day.name} ({added['read']} records, {added['loaded']} new): {out[key + '_s']} s in add(),"
                  f" {out[key + '_cli_s']} s for the whole `papershelf add` command; stages {out[key]['stages_s']}")
    shutil.rmtree(small_day.parent)
    if args.check_add:
        full = run_dir / "full.db"
        run_child(["build", str(full), args.workers, str(folder), str(next_day)])
        out["add_equals_build"] = compare_with_full_build(copy, full)
        say(args, f"add = full build of all inputs: {out['add_equals_build']}")
        remove_db(full)
    remove_db(copy)
    if not args.keep:
        remove_db(db)
    if args.json:
        print(json.dumps(out))


if __name__ == "__main__":
    main()
