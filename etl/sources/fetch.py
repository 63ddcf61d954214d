"""Download listings to files: Daily Papers API days and arXiv API query pages, kept raw.

No database here: the CLI calls these, then adds the saved files like any other listing.

Politeness and failure handling, all in ``Fetcher``:

- a time-out on every request (connect 10 s, read 30 s by default);
- retries with exponential back-off (1, 2, 4, 8 s ... capped) on 429, 500, 502, 503, 504, time-outs
  and connection errors, honouring ``Retry-After`` (seconds or an HTTP date); a server that asks
  for a longer wait than ``RetryPolicy.max_wait`` gets a ``FetchError`` rather than a silent hour;
- a minimum interval between requests: 3 seconds for the arXiv API, as its terms of use ask;
- clock and sleep are injectable, so tests run without waiting.
"""

from __future__ import annotations

import logging
import os
import tempfile
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from email.utils import parsedate_to_datetime
from pathlib import Path
from typing import Any, Self

import httpx

from etl.text.identity import slugify
from etl.sources.records import Reject
from etl.sources import arxiv_atom, hf_api
from etl.sources.errors import SourceError

log = logging.getLogger(__name__)

HF_BASE_URL = "https://huggingface.co"
ARXIV_API_URL = "https://export.arxiv.org/api/query"
ARXIV_PAUSE = 3.0  # seconds between arXiv API requests (https://info.arxiv.org/help/api/tou.html)
HF_PAUSE = 0.5
ARXIV_MAX_PAGE = 2000  # the API refuses larger slices
USER_AGENT = "papershelf/0.1 (paper listings to SQLite; httpx)"

RETRY_STATUSES = frozenset({429, 500, 502, 503, 504})


class FetchError(RuntimeError):
    """A download that failed for good: after its retries, or with an answer retrying cannot fix."""

    def __init__(self, url: str, message: str, status: int | None = None) -> None:
        self.url = url
        self.status = status
        self.message = message
        super().__init__(f"{url}: {message}")


@dataclass(frozen=True, slots=True)
class RetryPolicy:
    attempts: int = 5  # tries in all, the first included
    backoff: float = 1.0  # wait before the first retry; doubled each time
    factor: float = 2.0
    max_wait: float = 120.0  # the longest wait accepted, back-off or Retry-After


class Retry(Exception):
    """Raised by a response check to ask for another try (e.g. arXiv's 200 "Rate exceeded.")."""


Check = Callable[[httpx.Response], None]


@dataclass
class Fetcher:
    """GET with time-outs, retries, back-off and a minimum interval between requests."""

    client: httpx.Client | None = None
    retry: RetryPolicy = field(default_factory=RetryPolicy)
    min_interval: float = 0.0
    sleep: Callable[[float], None] = time.sleep
    clock: Callable[[], float] = time.monotonic
    now: Callable[[], datetime] = field(default=lambda: datetime.now(UTC))  # for HTTP-date Retry-After
    timeout: httpx.Timeout = field(default_factory=lambda: httpx.Timeout(30.0, connect=10.0))
    _last_request: float | None = field(default=None, init=False, repr=False)
    _own_client: bool = field(default=False, init=False, repr=False)

    def __post_init__(self) -> None:
        if self.client is None:
            self.client = httpx.Client(
                timeout=self.timeout, headers={"User-Agent": USER_AGENT}, follow_redirects=True
            )
            self._own_client = True

    def _http(self) -> httpx.Client:
        if self.client is None:
            raise RuntimeError("the Fetcher is closed")
        return self.client

    def close(self) -> None:
        if self._own_client and self.client is not None:
            self.client.close()
            self.client = None

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def get(
        self, url: str, params: Mapping[str, Any] | None = None, check: Check | None = None
    ) -> httpx.Response:
        """The response to a GET, once ``check`` (if any) accepts it; raises ``FetchError``."""
        client = self._http()
        problem = ""
        for attempt in range(1, self.retry.attempts + 1):
            self._pace()
            retry_after: float | None = None
            try:
                response = client.get(url, params=params)
            except httpx.TimeoutException as error:
                problem = f"timed out ({type(error).__name__})"
            except httpx.TransportError as error:
                problem = f"connection failed ({error})"
            else:
                if response.status_code in RETRY_STATUSES:
                    problem = f"HTTP {response.status_code}"
                    retry_after = self._retry_after(response)
                elif response.is_error:
                    raise FetchError(
                        str(response.url),
                        f"HTTP {response.status_code}: {response.text[:200]!r}",
                        response.status_code,
                    )
                else:
                    try:
                        if check is not None:
                            check(response)
                        return response
                    except Retry as reason:
                        problem = str(reason)
            if attempt == self.retry.attempts:
                break
            wait = min(self.retry.backoff * self.retry.factor ** (attempt - 1), self.retry.max_wait)
            if retry_after is not None:
                if retry_after > self.retry.max_wait:
                    raise FetchError(
                        url, f"{problem}; the server asks to wait {retry_after:.0f} s, try again later"
                    )
                wait = max(wait, retry_after)
            log.warning(
                "%s: %s; retry %d of %d in %.1f s", url, problem, attempt, self.retry.attempts - 1, wait
            )
            self.sleep(wait)
        raise FetchError(url, f"{problem}, {self.retry.attempts} tries")

    def _pace(self) -> None:
        if self._last_request is not None and self.min_interval > 0:
            remaining = self._last_request + self.min_interval - self.clock()
            if remaining > 0:
                self.sleep(remaining)
        self._last_request = self.clock()

    def _retry_after(self, response: httpx.Response) -> float | None:
        value = response.headers.get("Retry-After", "").strip()
        if not value:
            return None
        if value.isdigit():
            return float(value)
        try:
            moment = parsedate_to_datetime(value)
        except (TypeError, ValueError, IndexError):
            return None
        if moment.tzinfo is None:
            moment = moment.replace(tzinfo=UTC)
        return max((moment - self.now()).total_seconds(), 0.0)


def _iso_day(day: str | date) -> date:
    if isinstance(day, date):
        return day
    try:
        return date.fromisoformat(str(day).strip())
    except ValueError:
        raise ValueError(f"not a date (YYYY-MM-DD): {day!r}") from None


def _save(out_dir: str | os.PathLike[str], name: str, content: bytes) -> Path:
    """Write atomically, so an interrupted download never leaves half a listing to be added."""
    folder = Path(out_dir)
    folder.mkdir(parents=True, exist_ok=True)
    target = folder / name
    handle, temporary = tempfile.mkstemp(dir=folder, prefix=f".{name}.", suffix=".part")
    try:
        with os.fdopen(handle, "wb") as stream:
            stream.write(content)
        os.replace(temporary, target)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
    return target


def _check_hf(response: httpx.Response) -> None:
    text = response.text
    if not hf_api.sniff(text):
        raise FetchError(str(response.url), f"not a Daily Papers API response: {text[:120]!r}")
    try:
        items = hf_api.parse(text).items
    except SourceError as error:
        raise FetchError(str(response.url), error.message) from None
    # Odd items are kept (the build rejects them); a body cut off in transit is asked for again.
    if any(isinstance(item, Reject) and item.reason.startswith(hf_api.BROKEN) for item in items):
        raise Retry("the JSON response is cut off")


def fetch_hf_day(
    day: str | date,
    out_dir: str | os.PathLike[str],
    base_url: str = HF_BASE_URL,
    *,
    fetcher: Fetcher | None = None,
) -> Path:
    """Save the Daily Papers API response for ``day`` as ``out_dir/hf-YYYY-MM-DD.json``, bytes as served."""
    iso = _iso_day(day).isoformat()
    own = fetcher is None
    fetcher = fetcher or Fetcher(min_interval=HF_PAUSE)
    try:
        response = fetcher.get(
            f"{base_url.rstrip('/')}/api/daily_papers", params={"date": iso}, check=_check_hf
        )
    finally:
        if own:
            fetcher.close()
    return _save(out_dir, f"hf-{iso}.json", response.content)


def _existing_day(out_dir: Path, day: date) -> Path | None:
    """The day's response already kept in ``out_dir``, as downloaded (``hf-YYYY-MM-DD.json``) or as
    shipped (``YYYY-MM-DD.json.gz``), compressed or not."""
    for name in (f"hf-{day.isoformat()}.json", f"{day.isoformat()}.json"):
        for candidate in (out_dir / name, out_dir / f"{name}.gz"):
            if candidate.is_file():
                return candidate
    return None


def fetch_hf_range(
    start: str | date,
    end: str | date,
    out_dir: str | os.PathLike[str],
    base_url: str = HF_BASE_URL,
    *,
    fetcher: Fetcher | None = None,
    skip_existing: bool = False,
) -> list[Path]:
    """``fetch_hf_day`` for every day from ``start`` to ``end`` inclusive (weekends too: the API
    answers ``[]`` for a day without papers). ``skip_existing`` keeps files already downloaded or shipped."""
    first, last = _iso_day(start), _iso_day(end)
    if last < first:
        raise ValueError(f"the range ends ({last}) before it starts ({first})")
    own = fetcher is None
    fetcher = fetcher or Fetcher(min_interval=HF_PAUSE)
    paths = []
    try:
        day = first
        while day <= last:
            existing = _existing_day(Path(out_dir), day) if skip_existing else None
            if existing is not None:
                paths.append(existing)
            else:
                paths.append(fetch_hf_day(day, out_dir, base_url, fetcher=fetcher))
            day += timedelta(days=1)
    finally:
        if own:
            fetcher.close()
    return paths


def _arxiv_check(expected: int) -> Check:
    def check(response: httpx.Response) -> None:
        text = response.text
        if not arxiv_atom.sniff(text):
            if text.strip().lower().startswith("rate exceeded"):
                raise Retry("arXiv says: rate exceeded")
            raise FetchError(str(response.url), f"not an Atom feed: {text[:120]!r}")
        try:
            feed = arxiv_atom.read_feed(text)
        except SourceError as error:
            raise FetchError(str(response.url), f"unreadable Atom feed ({error.message})") from None
        if feed.errors:
            raise FetchError(str(response.url), f"the arXiv API rejected the query: {feed.errors[0].reason}")
        if any(isinstance(item, Reject) and item.reason.startswith(arxiv_atom.BROKEN) for item in feed.items):
            raise Retry("the Atom page is cut off")
        start = feed.start_index or 0
        # arXiv sometimes answers an empty page in the middle of a result set; asking again helps.
        if (
            feed.entries == 0
            and expected > 0
            and feed.total_results is not None
            and start < feed.total_results
        ):
            raise Retry(f"an empty page at {start} of {feed.total_results} results")

    return check


def fetch_arxiv(
    query: str,
    max_results: int,
    out_dir: str | os.PathLike[str],
    base_url: str = ARXIV_API_URL,
    page_size: int = 100,
    *,
    sort_by: str = "submittedDate",
    sort_order: str = "descending",
    fetcher: Fetcher | None = None,
) -> list[Path]:
    """Run an arXiv API ``search_query`` and save each raw Atom page, paging with ``start`` and
    ``max_results`` until ``max_results`` entries or the end of the results, 3 s apart.

    Pages are named ``arxiv-<UTC time>-<query slug>-<start>.atom.xml``. Raises ``FetchError`` when
    the API rejects the query (its Error entry) or keeps failing.
    """
    if not query.strip():
        raise ValueError("an empty arXiv query")
    if max_results < 1:
        raise ValueError(f"max_results must be at least 1, not {max_results}")
    if not 1 <= page_size <= ARXIV_MAX_PAGE:
        raise ValueError(f"page_size must be between 1 and {ARXIV_MAX_PAGE}, not {page_size}")
    own = fetcher is None
    fetcher = fetcher or Fetcher(min_interval=ARXIV_PAUSE, retry=RetryPolicy(backoff=ARXIV_PAUSE))
    stamp = fetcher.now().astimezone(UTC).strftime("%Y%m%dT%H%M%SZ")
    slug = slugify(query, max_length=40)
    paths: list[Path] = []
    try:
        start = 0
        while start < max_results:
            wanted = min(page_size, max_results - start)
            params = {
                "search_query": query,
                "start": start,
                "max_results": wanted,
                "sortBy": sort_by,
                "sortOrder": sort_order,
            }
            response = fetcher.get(base_url, params=params, check=_arxiv_check(wanted))
            paths.append(_save(out_dir, f"arxiv-{stamp}-{slug}-{start:06d}.atom.xml", response.content))
            feed = arxiv_atom.read_feed(response.text)
            start += wanted
            if feed.entries < wanted or (feed.total_results is not None and start >= feed.total_results):
                break
    finally:
        if own:
            fetcher.close()
    return paths
