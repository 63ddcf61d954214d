"""The fetcher, and `papershelf fetch` end to end, against a local HTTP server on 127.0.0.1 serving the
shipped files: nothing leaves the host."""

from __future__ import annotations

import json
import re
import sqlite3
import threading
import time
from collections import Counter
from collections.abc import Iterator
from datetime import UTC, datetime
from email.utils import format_datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import ClassVar
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest
from click.testing import CliRunner

from etl.cli import cli
from etl.sources.fetch import (
    ARXIV_PAUSE,
    Fetcher,
    FetchError,
    RetryPolicy,
    fetch_arxiv,
    fetch_hf_day,
    fetch_hf_range,
)
from etl.sources.records import Paper
from etl.sources import open_listing

from .conftest import api_bytes, api_day

FIXTURES = Path(__file__).resolve().parent / "fixtures"
ATOM = (FIXTURES / "arxiv_query.atom.xml").read_text(encoding="utf-8")
ENTRIES = re.findall(r"  <entry>.*?</entry>\n", ATOM, flags=re.DOTALL)
FEED_HEAD = ATOM[: ATOM.index("  <entry>")]


def atom_page(start: int, count: int, total: int = len(ENTRIES)) -> bytes:
    head = re.sub(r"(<opensearch:totalResults[^>]*>)\d+", rf"\g<1>{total}", FEED_HEAD)
    head = re.sub(r"(<opensearch:startIndex[^>]*>)\d+", rf"\g<1>{start}", head)
    head = re.sub(r"(<opensearch:itemsPerPage[^>]*>)\d+", rf"\g<1>{count}", head)
    return (head + "".join(ENTRIES[start : start + count]) + "</feed>\n").encode()


class Handler(BaseHTTPRequestHandler):
    """Routes: /api/daily_papers, /api/query, and under /flaky, /limited, /slow, /throttled,
    /empty-once (and more) the same with a failure first. Counts requests per route."""

    hits: ClassVar[Counter[str]] = Counter()
    seen: ClassVar[list[str]] = []
    emptied: ClassVar[bool] = False

    def log_message(self, *args: object) -> None:  # keep pytest output clean
        pass

    def send(
        self, status: int, body: bytes, content_type: str = "application/json", headers: dict | None = None
    ) -> None:
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        for name, value in (headers or {}).items():
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(body)

    def do_GET(self) -> None:
        url = urlsplit(self.path)
        query = {key: values[0] for key, values in parse_qs(url.query).items()}
        prefix, _, endpoint = url.path.rpartition("/api/")
        route = prefix.strip("/") or "plain"
        self.hits[route] += 1
        self.seen.append(self.path)
        count = self.hits[route]
        if route == "flaky" and count <= 2:
            return self.send(503, b"Service Unavailable", "text/plain")
        if route == "limited" and count == 1:
            return self.send(429, b"Too Many Requests", "text/plain", {"Retry-After": "7"})
        if route == "limited-date" and count == 1:
            later = format_datetime(datetime(2025, 3, 14, 12, 0, 30, tzinfo=UTC), usegmt=True)
            return self.send(429, b"Too Many Requests", "text/plain", {"Retry-After": later})
        if route == "limited-long":
            return self.send(429, b"Too Many Requests", "text/plain", {"Retry-After": "3600"})
        if route == "slow" and count == 1:
            time.sleep(0.6)
        if route == "down":
            return self.send(500, b"Internal Server Error", "text/plain")
        if route == "throttled" and count == 1:
            return self.send(200, b"Rate exceeded.", "text/plain")
        if route == "cut" and count == 1:
            body = api_bytes("2024-06-17.json")
            return self.send(200, body[: len(body) // 2])
        if route == "html":
            return self.send(200, b"<html><body>Maintenance</body></html>", "text/html")
        if endpoint == "daily_papers":
            date = query.get("date", "")
            if not api_day(date).is_file():
                return self.send(404, b'{"error": "no such day"}')
            return self.send(200, api_bytes(date))
        if endpoint == "query":
            if route == "arxiv-error":
                return self.send(
                    200, (FIXTURES / "arxiv_error.atom.xml").read_bytes(), "application/atom+xml"
                )
            start, count_wanted = int(query.get("start", 0)), int(query.get("max_results", 10))
            if route == "empty-once" and start == 2 and not Handler.emptied:
                Handler.emptied = True
                return self.send(200, atom_page(start, 0), "application/atom+xml")
            return self.send(200, atom_page(start, count_wanted), "application/atom+xml")
        return self.send(404, b"not found", "text/plain")


@pytest.fixture
def server() -> Iterator[str]:
    Handler.hits = Counter()
    Handler.seen = []
    Handler.emptied = False
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=httpd.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{httpd.server_address[1]}"
    finally:
        httpd.shutdown()
        httpd.server_close()
        while CLIENTS:
            CLIENTS.pop().close()


class FakeTime:
    """A clock that only moves when the code under test sleeps."""

    def __init__(self) -> None:
        self.now = 1000.0
        self.sleeps: list[float] = []

    def clock(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(round(seconds, 3))
        self.now += seconds


CLIENTS: list[httpx.Client] = []


def fetcher(fake: FakeTime, min_interval: float = 0.0, **kwargs) -> Fetcher:
    # trust_env=False: no proxy from the environment may sit between the test and 127.0.0.1.
    client = httpx.Client(timeout=httpx.Timeout(kwargs.pop("timeout", 5.0)), trust_env=False)
    CLIENTS.append(client)
    return Fetcher(
        client=client,
        min_interval=min_interval,
        sleep=fake.sleep,
        clock=fake.clock,
        now=lambda: datetime(2025, 3, 14, 12, 0, 0, tzinfo=UTC),
        **kwargs,
    )


def test_fetch_hf_day_saves_the_raw_response(server: str, tmp_path: Path) -> None:
    fake = FakeTime()
    path = fetch_hf_day("2025-03-14", tmp_path / "listings", server, fetcher=fetcher(fake))
    assert path == tmp_path / "listings" / "hf-2025-03-14.json"
    assert path.read_bytes() == api_bytes("2025-03-14.json")
    assert Handler.seen == ["/api/daily_papers?date=2025-03-14"] and fake.sleeps == []
    listing = open_listing(path)
    assert listing.source == "hf-api" and listing.date == "2025-03-14"
    assert all(isinstance(item, Paper) for item in listing.items)
    assert not list((tmp_path / "listings").glob(".*"))  # no temporary file left behind


def test_retries_two_503_with_exponential_backoff(server: str, tmp_path: Path) -> None:
    fake = FakeTime()
    path = fetch_hf_day("2024-06-17", tmp_path, f"{server}/flaky", fetcher=fetcher(fake))
    assert path.read_bytes() == api_bytes("2024-06-17.json")
    assert Handler.hits["flaky"] == 3 and fake.sleeps == [1.0, 2.0]


def test_a_body_cut_off_in_transit_is_asked_for_again(server: str, tmp_path: Path) -> None:
    fake = FakeTime()
    path = fetch_hf_day("2024-06-17", tmp_path, f"{server}/cut", fetcher=fetcher(fake))
    assert path.read_bytes() == api_bytes("2024-06-17.json")
    assert Handler.hits["cut"] == 2 and fake.sleeps == [1.0]


def test_honours_retry_after_seconds_and_http_date(server: str, tmp_path: Path) -> None:
    fake = FakeTime()
    fetch_hf_day("2024-06-17", tmp_path, f"{server}/limited", fetcher=fetcher(fake))
    assert Handler.hits["limited"] == 2 and fake.sleeps == [7.0]
    fake = FakeTime()
    fetch_hf_day("2024-06-17", tmp_path, f"{server}/limited-date", fetcher=fetcher(fake))
    assert fake.sleeps == [30.0]  # Retry-After 12:00:30 GMT, now 12:00:00


def test_a_retry_after_longer_than_the_policy_allows_fails_at_once(server: str, tmp_path: Path) -> None:
    fake = FakeTime()
    with pytest.raises(FetchError, match="asks to wait 3600 s"):
        fetch_hf_day("2024-06-17", tmp_path, f"{server}/limited-long", fetcher=fetcher(fake))
    assert Handler.hits["limited-long"] == 1 and fake.sleeps == []


def test_gives_up_after_the_policy_attempts(server: str, tmp_path: Path) -> None:
    fake = FakeTime()
    with pytest.raises(FetchError, match="HTTP 500, 4 tries"):
        fetch_hf_day(
            "2024-06-17", tmp_path, f"{server}/down", fetcher=fetcher(fake, retry=RetryPolicy(attempts=4))
        )
    assert Handler.hits["down"] == 4 and fake.sleeps == [1.0, 2.0, 4.0]
    assert not (tmp_path / "hf-2024-06-17.json").exists()


def test_timeout_is_retried(server: str, tmp_path: Path) -> None:
    fake = FakeTime()
    path = fetch_hf_day("2024-06-17", tmp_path, f"{server}/slow", fetcher=fetcher(fake, timeout=0.2))
    assert path.is_file() and Handler.hits["slow"] == 2 and fake.sleeps == [1.0]


def test_client_errors_and_non_json_bodies_are_not_retried(server: str, tmp_path: Path) -> None:
    fake = FakeTime()
    with pytest.raises(FetchError, match="HTTP 404") as caught:
        fetch_hf_day("1999-01-01", tmp_path, server, fetcher=fetcher(fake))
    assert caught.value.status == 404 and Handler.hits["plain"] == 1
    with pytest.raises(FetchError, match="not a Daily Papers API response"):
        fetch_hf_day("2024-06-17", tmp_path, f"{server}/html", fetcher=fetcher(fake))
    assert Handler.hits["html"] == 1 and fake.sleeps == []
    with pytest.raises(ValueError, match="not a date"):
        fetch_hf_day("14/03/2025", tmp_path, server, fetcher=fetcher(fake))


def test_connection_refused_is_retried_then_fails(tmp_path: Path) -> None:
    fake = FakeTime()
    with pytest.raises(FetchError, match="connection failed"):
        fetch_hf_day(
            "2024-06-17", tmp_path, "http://127.0.0.1:9", fetcher=fetcher(fake, retry=RetryPolicy(attempts=2))
        )
    assert fake.sleeps == [1.0]


def test_fetch_hf_range(server: str, tmp_path: Path) -> None:
    fake = FakeTime()
    paths = fetch_hf_range(
        "2025-03-13", "2025-03-14", tmp_path, server, fetcher=fetcher(fake, min_interval=0.5)
    )
    assert [p.name for p in paths] == ["hf-2025-03-13.json", "hf-2025-03-14.json"]
    assert fake.sleeps == [0.5]
    again = fetch_hf_range(
        "2025-03-13", "2025-03-14", tmp_path, server, fetcher=fetcher(fake), skip_existing=True
    )
    assert again == paths and Handler.hits["plain"] == 2
    with pytest.raises(ValueError, match="ends"):
        fetch_hf_range("2025-03-14", "2025-03-13", tmp_path, server, fetcher=fetcher(fake))


def test_fetch_arxiv_pages_three_seconds_apart(server: str, tmp_path: Path) -> None:
    fake = FakeTime()
    paths = fetch_arxiv(
        "all:transformer", 5, tmp_path, f"{server}/api/query", page_size=2, fetcher=fetcher(fake, ARXIV_PAUSE)
    )
    assert len(paths) == 3 and fake.sleeps == [3.0, 3.0]
    assert [p.name for p in paths] == [
        "arxiv-20250314T120000Z-all-transformer-000000.atom.xml",
        "arxiv-20250314T120000Z-all-transformer-000002.atom.xml",
        "arxiv-20250314T120000Z-all-transformer-000004.atom.xml",
    ]
    starts = [parse_qs(urlsplit(seen).query) for seen in Handler.seen]
    assert [(q["start"], q["max_results"], q["search_query"]) for q in starts] == [
        (["0"], ["2"], ["all:transformer"]),
        (["2"], ["2"], ["all:transformer"]),
        (["4"], ["1"], ["all:transformer"]),
    ]
    ids = [item.arxiv_id for path in paths for item in open_listing(path).items]
    assert ids == ["1706.03762", "hep-th/9711200", "0710.2073", "math/0211159", "2501.12948"]


def test_fetch_arxiv_stops_at_the_end_of_the_results(server: str, tmp_path: Path) -> None:
    fake = FakeTime()
    paths = fetch_arxiv(
        "all:transformer",
        100,
        tmp_path,
        f"{server}/api/query",
        page_size=4,
        fetcher=fetcher(fake, ARXIV_PAUSE),
    )
    assert len(paths) == 2 and Handler.hits["plain"] == 2  # 4 + 1 of totalResults 5


def test_fetch_arxiv_error_entry_is_a_fetch_error(server: str, tmp_path: Path) -> None:
    fake = FakeTime()
    with pytest.raises(
        FetchError, match="rejected the query: the arXiv API answered with an error: incorrect id format"
    ):
        fetch_arxiv(
            "id:1234.12345v1234", 10, tmp_path, f"{server}/arxiv-error/api/query", fetcher=fetcher(fake)
        )
    assert list(tmp_path.iterdir()) == []


def test_fetch_arxiv_retries_rate_exceeded_text_and_an_empty_page(server: str, tmp_path: Path) -> None:
    fake = FakeTime()
    paths = fetch_arxiv(
        "all:x", 5, tmp_path, f"{server}/throttled/api/query", page_size=5, fetcher=fetcher(fake, ARXIV_PAUSE)
    )
    # A back-off of 1 s, then the pacer completes arXiv's 3 s between requests.
    assert len(paths) == 1 and Handler.hits["throttled"] == 2 and fake.sleeps == [1.0, 2.0]
    fake = FakeTime()
    paths = fetch_arxiv(
        "all:x",
        5,
        tmp_path,
        f"{server}/empty-once/api/query",
        page_size=2,
        fetcher=fetcher(fake, ARXIV_PAUSE),
    )
    assert Handler.hits["empty-once"] == 4 and len(paths) == 3  # page at 2 asked twice
    assert fake.sleeps == [3.0, 1.0, 2.0, 3.0]


def test_fetch_arxiv_argument_checks(tmp_path: Path) -> None:
    for args, message in (((" ", 5), "empty"), (("all:x", 0), "at least 1")):
        with pytest.raises(ValueError, match=message):
            fetch_arxiv(*args, tmp_path)
    with pytest.raises(ValueError, match="page_size"):
        fetch_arxiv("all:x", 5, tmp_path, page_size=5000)


def test_default_fetcher_pauses_for_arxiv_with_the_real_clock(server: str, tmp_path: Path) -> None:
    # The one test on real time: a default Fetcher with a short interval really waits between pages.
    client = httpx.Client(trust_env=False)
    CLIENTS.append(client)
    started = time.monotonic()
    fetch_arxiv(
        "all:x",
        3,
        tmp_path,
        f"{server}/api/query",
        page_size=1,
        fetcher=Fetcher(client=client, min_interval=0.2),
    )
    assert time.monotonic() - started >= 0.4


# ---- `papershelf fetch` ------------------------------------------------------------------------------


def test_fetch_hf_day_keeps_the_response_and_builds_the_database(server: str, tmp_path: Path) -> None:
    out, db = tmp_path / "listings", tmp_path / "p.db"
    args = ["fetch", "hf", "--date", "2025-03-14", "--out", str(out), "--db", str(db), "--base-url", server]
    result = CliRunner().invoke(cli, args, catch_exceptions=False)
    assert result.exit_code == 0, result.output
    saved = out / "hf-2025-03-14.json"
    assert saved.read_bytes() == api_bytes("2025-03-14.json")
    conn = sqlite3.connect(db)
    expected = len(json.loads(saved.read_text()))
    assert conn.execute("select count(*) from papers").fetchone() == (expected,)
    assert conn.execute("select date, source from listings").fetchall() == [("2025-03-14", "hf-api")]


def test_fetch_hf_range_adds_to_an_existing_database(server: str, tmp_path: Path) -> None:
    out, db = tmp_path / "listings", tmp_path / "p.db"
    runner = CliRunner()
    runner.invoke(cli, ["fetch", "hf", "--date", "2025-03-13", "--out", str(out), "--db", str(db),
                        "--base-url", server], catch_exceptions=False)
    result = runner.invoke(cli, ["fetch", "hf", "--from", "2025-03-13", "--to", "2025-03-14", "--out", str(out),
                                 "--db", str(db), "--base-url", server], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    assert "already ingested" in result.output  # the 13th was kept and not read twice
    conn = sqlite3.connect(db)
    assert conn.execute("select group_concat(date) from (select date from listings order by date)").fetchone() == (
        "2025-03-13,2025-03-14",)


def test_fetch_arxiv_saves_pages_and_adds_them(server: str, tmp_path: Path) -> None:
    out, db = tmp_path / "listings", tmp_path / "p.db"
    result = CliRunner().invoke(
        cli, ["fetch", "arxiv", "--query", "cat:cs.CL", "--max", "2", "--out", str(out), "--db", str(db),
              "--base-url", f"{server}/api/query"], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    [page] = list(out.iterdir())
    assert page.name.endswith("-000000.atom.xml")
    conn = sqlite3.connect(db)
    assert conn.execute("select count(*) from papers").fetchone() == (2,)
    assert conn.execute("select source from listings").fetchall() == [("arxiv-atom",)]


def test_fetch_needs_a_day(tmp_path: Path) -> None:
    result = CliRunner().invoke(cli, ["fetch", "hf", "--out", str(tmp_path)])
    assert result.exit_code == 2
    assert "give either --date or --from" in result.output


def test_fetch_failure_is_a_clear_error(server: str, tmp_path: Path) -> None:
    result = CliRunner().invoke(cli, ["fetch", "hf", "--date", "2020-01-01", "--out", str(tmp_path / "l"),
                                      "--db", str(tmp_path / "p.db"), "--base-url", server])
    assert result.exit_code == 1
    assert "404" in result.output
    assert not (tmp_path / "p.db").exists()
