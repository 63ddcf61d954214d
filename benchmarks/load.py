"""Serving under load (issue 18): `papershelf serve --immutable` with concurrent clients, on loopback.

    python -m benchmarks.load --db benchmarks/out/run-1000000/papershelf.db [--clients 16]
                              [--seconds 60] [--max-requests 20000] [--processes 1,2] [--json]

For each number of processes (default: 1, then one per core) it starts that many `papershelf serve
--immutable` processes on the same file (free 127.0.0.1 ports), reports how long each took to
answer its first request (the inspect file is the build's: no counting at start), then runs
``--clients`` concurrent clients for ``--seconds`` (or ``--max-requests``, whichever comes first)
on a fixed mix of requests, spread over the processes in turn as a round-robin load balancer
would, and prints requests per second, p50/p95/p99 latency and errors per kind of request.

The mix (weights): ranked searches 40 (the `search` canned query and ``papers?_search=``, 25
queries), paper pages 30 (random papers), facet pages 15 (papers, links and paper_list faceted),
canned queries 15 (top_keywords, papers_with_code, top_upvoted, keyword_over_time, similar_papers).
The clients run in this process (asyncio + httpx); on a small machine they take CPU from the
servers, which the figures include.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import sqlite3
import subprocess
import sys
import time
import urllib.parse
from pathlib import Path
from typing import Any

from benchmarks.run import QUERIES, ROOT, percentile
from etl.publish.local import ServerDidNotStart, free_port, wait_until_up

WEIGHTS = {"search": 40, "paper": 30, "facet": 15, "canned": 15}


def request_mix(db: Path, seed: int = 7, size: int = 4000) -> list[tuple[str, str]]:
    """(kind, path) requests in a fixed random order, drawn with WEIGHTS from the database's contents."""
    conn = sqlite3.connect(f"file:{db}?mode=ro", uri=True)
    rng = random.Random(seed)
    count = conn.execute("select max(rowid) from papers").fetchone()[0]
    paper_ids = [r[0] for r in conn.execute(
        "select id from papers where rowid in (%s)" % ",".join(str(rng.randint(1, count)) for _ in range(500)))]
    keywords = [r[0] for r in conn.execute("select key from keywords order by paper_count desc limit 50")]
    months = [r[0] for r in conn.execute(
        "select distinct substr(listing_date, 1, 7) from listing_papers indexed by idx_listing_papers_listing_date"
        " where listing_date is not null")] or [""]
    conn.close()
    quote = urllib.parse.quote

    def search() -> str:
        q = rng.choice(QUERIES)
        if rng.random() < 0.5:
            return "/papershelf/search.json?" + urllib.parse.urlencode({"q": q, "_shape": "array"})
        return "/papershelf/papers?" + urllib.parse.urlencode({"_search": q})

    def paper() -> str:
        return "/papershelf/papers/" + quote(rng.choice(paper_ids).replace(".", "~2E"))

    def facet() -> str:
        return rng.choice([
            "/papershelf/papers?_facet=has_code&_facet=organization",
            "/papershelf/links?_facet=kind&_facet=host",
            "/papershelf/paper_list?_facet=month&_facet=has_code",
            "/papershelf/papers?has_code=1&_facet=has_code",
        ])

    def canned() -> str:
        month = rng.choice(months)
        return rng.choice([
            f"/papershelf/top_keywords?since={month}-01&until={month}-31" if month else "/papershelf/top_keywords",
            "/papershelf/papers_with_code?host=github.com",
            f"/papershelf/top_upvoted?since={month}-01&until={month}-31" if month else "/papershelf/top_upvoted",
            "/papershelf/keyword_over_time?keyword=" + quote(rng.choice(keywords)) if keywords else "/papershelf",
            "/papershelf/similar_papers?id=" + quote(rng.choice(paper_ids)),
        ])

    makers = {"search": search, "paper": paper, "facet": facet, "canned": canned}
    kinds = rng.choices(list(WEIGHTS), weights=list(WEIGHTS.values()), k=size)
    return [(kind, makers[kind]()) for kind in kinds]


def start_servers(db: Path, processes: int) -> tuple[list[subprocess.Popen], list[int], list[float]]:
    """``processes`` `papershelf serve --immutable` processes; their ports and seconds to first answer."""

    servers, ports, startup = [], [], []
    for _ in range(processes):
        port = free_port()
        started = time.perf_counter()
        servers.append(subprocess.Popen(
            [sys.executable, "-m", "etl", "serve", "--db", str(db), "--port", str(port), "--immutable"],
            cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL))
        ports.append(port)
        try:
            wait_until_up(f"http://127.0.0.1:{port}/papershelf.json", servers[-1], timeout=600, interval=0.05)
        except ServerDidNotStart as error:
            stop(servers)
            raise SystemExit(f"papershelf serve did not start: {error}") from None
        startup.append(time.perf_counter() - started)
    return servers, ports, startup


def stop(servers: list[subprocess.Popen]) -> None:
    for server in servers:
        server.terminate()
    for server in servers:
        try:
            server.wait(10)
        except subprocess.TimeoutExpired:
            server.kill()


async def drive(ports: list[int], mix: list[tuple[str, str]], clients: int, seconds: float,
                max_requests: int) -> dict[str, Any]:
    import httpx

    results: list[tuple[str, float, int]] = []
    next_index = 0
    deadline = time.perf_counter() + seconds
    limits = httpx.Limits(max_connections=clients * 2, max_keepalive_connections=clients * 2)
    async with httpx.AsyncClient(timeout=60, limits=limits) as client:

        async def worker() -> None:
            nonlocal next_index
            while time.perf_counter() < deadline and next_index < max_requests:
                index = next_index
                next_index += 1
                kind, path = mix[index % len(mix)]
                port = ports[index % len(ports)]  # round robin over the replicas
                started = time.perf_counter()
                try:
                    status = (await client.get(f"http://127.0.0.1:{port}{path}")).status_code
                except httpx.HTTPError:
                    status = 0
                results.append((kind, time.perf_counter() - started, status))

        started = time.perf_counter()
        await asyncio.gather(*(worker() for _ in range(clients)))
        wall = time.perf_counter() - started
    times = [t for _, t, _ in results]
    by_kind = {}
    for kind in WEIGHTS:
        mine = [t for k, t, _ in results if k == kind]
        by_kind[kind] = {"requests": len(mine), "p50_ms": round(percentile(mine, 0.5) * 1000, 1),
                         "p95_ms": round(percentile(mine, 0.95) * 1000, 1),
                         "errors": sum(1 for k, _, s in results if k == kind and s != 200),
                         "statuses": {str(code): sum(1 for k, _, s in results if k == kind and s == code)
                                      for code in sorted({s for k, _, s in results if k == kind})}}
    return {"requests": len(results), "seconds": round(wall, 1), "req_per_s": round(len(results) / wall, 1),
            "p50_ms": round(percentile(times, 0.5) * 1000, 1), "p95_ms": round(percentile(times, 0.95) * 1000, 1),
            "p99_ms": round(percentile(times, 0.99) * 1000, 1),
            "errors": sum(1 for _, _, s in results if s != 200), "by_kind": by_kind}


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--db", type=Path, required=True, help="a built database (a benchmarks.run --keep run's)")
    parser.add_argument("--clients", type=int, default=16)
    parser.add_argument("--seconds", type=float, default=60.0, help="longest run of each configuration")
    parser.add_argument("--max-requests", type=int, default=20_000, help="most requests of each configuration")
    parser.add_argument("--processes", default=f"1,{os.cpu_count() or 1}",
                        help="comma-separated numbers of server processes to measure")
    parser.add_argument("--warm", type=int, default=200, help="requests sent first to each setup, not measured")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args(argv)
    db = args.db.resolve()
    mix = request_mix(db)
    out: dict[str, Any] = {"db": str(db), "clients": args.clients, "cores": os.cpu_count(), "runs": []}
    for processes in dict.fromkeys(int(p) for p in args.processes.split(",")):
        servers, ports, startup = start_servers(db, processes)
        try:
            asyncio.run(drive(ports, mix[-args.warm:], args.clients, args.seconds, args.warm))
            measured = asyncio.run(drive(ports, mix, args.clients, args.seconds, args.max_requests))
        finally:
            stop(servers)
        run = {"processes": processes, "startup_s": [round(s, 2) for s in startup], **measured}
        out["runs"].append(run)
        if not args.json:
            print(f"{processes} process(es): first answer after {', '.join(f'{s:.2f} s' for s in startup)};"
                  f" {run['requests']} requests in {run['seconds']} s = {run['req_per_s']} req/s,"
                  f" p50 {run['p50_ms']} ms, p95 {run['p95_ms']} ms, p99 {run['p99_ms']} ms, errors {run['errors']}",
                  flush=True)
            for kind, figures in run["by_kind"].items():
                print(f"  {kind:7} {figures['requests']:6} requests  p50 {figures['p50_ms']:8} ms"
                      f"  p95 {figures['p95_ms']:8} ms  HTTP statuses {figures['statuses']}", flush=True)
    if args.json:
        print(json.dumps(out))


if __name__ == "__main__":
    main()
