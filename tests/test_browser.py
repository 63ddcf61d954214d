"""The site in a real headless browser: Debian's chromium driven by Playwright.

`papershelf serve` runs on a free local port over a build of the API archive sample plus a listing of
hostile titles, in a file not called papershelf.db (`mine.v2.db`: it is served as /papershelf anyway). The test opens the home page, searches, follows a paper, clicks a keyword, visits the
hostile pages, and checks that no dialog ever opens (text in the data is never markup). Screenshots
go to test-artifacts/browser/ (git-ignored). `.ci/run` installs chromium; without it the test skips.
"""

from __future__ import annotations

import json
import os
import sqlite3
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from etl.db.search import search as cli_search
from etl.pipeline.build import build
from etl.publish.local import ServerDidNotStart, free_port, wait_until_up

from .conftest import HOSTILE_PAPERS, HOSTILE_TITLE, api_sample_files

ROOT = Path(__file__).resolve().parents[1]
CHROMIUM = Path("/usr/bin/chromium")
ARTIFACTS = ROOT / "test-artifacts" / "browser"
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync"]

pytestmark = pytest.mark.skipif(not CHROMIUM.exists(), reason=f"{CHROMIUM} is not installed (apt-get install chromium)")


@pytest.fixture(scope="module")
def site_db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("browser")
    hostile = folder / "2025-06-10-hostile.json"
    hostile.write_text(json.dumps(HOSTILE_PAPERS), encoding="utf-8")
    path = folder / "mine.v2.db"  # any file name: served as /papershelf
    build([*api_sample_files(), hostile], path)
    return path


server_logs: list[Path] = []


@pytest.fixture(scope="module")
def server(site_db: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    port = free_port()
    log = (tmp_path_factory.mktemp("serve") / "serve.log").open("w")
    process = subprocess.Popen(
        [sys.executable, "-m", "etl", "serve", "--db", str(site_db), "--port", str(port), "--host", "127.0.0.1"],
        cwd=ROOT, stdout=log, stderr=subprocess.STDOUT, env={**os.environ, "PYTHONUNBUFFERED": "1"},
    )
    base = f"http://127.0.0.1:{port}"
    try:
        try:
            wait_until_up(f"{base}/-/versions.json", process, timeout=30, request_timeout=1)
        except ServerDidNotStart as error:
            log.flush()
            raise RuntimeError(f"papershelf serve did not start ({error}): " + Path(log.name).read_text()[-2000:])
        server_logs.append(Path(log.name))
        yield base
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        log.close()


@pytest.fixture(scope="module")
def browser_page(tmp_path_factory: pytest.TempPathFactory):  # type: ignore[no-untyped-def]
    from playwright.sync_api import sync_playwright

    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    with sync_playwright() as playwright:
        context = playwright.chromium.launch_persistent_context(
            str(tmp_path_factory.mktemp("chromium-profile")), executable_path=str(CHROMIUM), headless=True,
            args=CHROMIUM_ARGS, viewport={"width": 1280, "height": 900},
        )
        page = context.new_page()
        page.dialogs = []  # type: ignore[attr-defined]
        page.errors = []  # type: ignore[attr-defined]

        def on_dialog(dialog) -> None:  # type: ignore[no-untyped-def]
            page.dialogs.append(dialog.message)  # type: ignore[attr-defined]
            dialog.dismiss()

        page.on("dialog", on_dialog)
        page.on("pageerror", lambda error: page.errors.append(str(error)))  # type: ignore[attr-defined]
        try:
            yield page
        finally:
            context.close()


def shot(page, name: str) -> None:  # type: ignore[no-untyped-def]
    page.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=True)


def test_home_search_paper_keyword(server: str, site_db: Path, browser_page) -> None:  # type: ignore[no-untyped-def]
    page = browser_page
    page.goto(server + "/")
    assert page.locator("h1").first.inner_text() == "papershelf"
    shot(page, "01-home")

    page.locator("input[name=_search]").first.fill("video generation")
    with page.expect_navigation():
        page.locator("input[name=_search]").first.press("Enter")
    assert "/papershelf/papers?_search=video+generation" in page.url
    titles = page.locator("a.result-title").all_inner_texts()
    expected = [hit.title for hit in cli_search(sqlite3.connect(site_db), "video generation", limit=10)]
    assert titles[:10] == expected  # ranked by relevance, as the CLI ranks
    assert page.locator(".snippet mark").count() > 0
    shot(page, "02-search")

    first = titles[0]
    with page.expect_navigation():
        page.locator("a.result-title").first.click()
    assert page.locator("h1").inner_text() == first
    keyword_links = page.locator("ul.keywords a")
    assert keyword_links.count() > 0
    shot(page, "03-paper")

    keyword = keyword_links.first.evaluate("link => link.firstChild.textContent").strip()
    with page.expect_navigation():
        keyword_links.first.click()
    assert "/papershelf/keyword_papers?keyword=" in page.url
    assert keyword in page.locator("h2.keyword-heading").inner_text()
    assert first in page.locator("table.rows-and-columns").inner_text()
    shot(page, "04-keyword")

    page.goto(server + "/papershelf/keyword_over_time?keyword=" + keyword)
    assert page.locator("table.months tbody tr").count() > 0
    shot(page, "05-keyword-over-time")
    assert page.dialogs == [] and page.errors == []


def test_home_page_of_a_database_of_another_file_name(server: str, site_db: Path, browser_page) -> None:  # type: ignore[no-untyped-def]
    page = browser_page
    page.goto(server + "/")
    conn = sqlite3.connect(site_db)
    papers, keywords = conn.execute("select (select count(*) from papers), (select count(*) from keywords)").fetchone()
    figures = page.locator("div.figures").inner_text()
    assert f"{papers:,}" in figures and f"{keywords:,}" in figures
    latest = conn.execute("select title from papers where last_seen = (select max(last_seen) from papers)").fetchall()
    assert page.locator("div.home ol.results a.result-title").first.inner_text() in {title for (title,) in latest}
    assert page.locator("ul.chips.keywords li").count() == min(15, keywords)
    with page.expect_navigation():  # the home page's search box lands on results, not "Database not found"
        page.locator("input[name=_search]").first.fill("diffusion")
        page.locator("input[name=_search]").first.press("Enter")
    assert page.locator("a.result-title").count() > 0
    assert "Serving" in server_logs[-1].read_text() and f"{site_db} as the database 'papershelf'" in server_logs[-1].read_text()
    assert page.dialogs == [] and page.errors == []


def test_search_errors_are_messages(server: str, browser_page) -> None:  # type: ignore[no-untyped-def]
    page = browser_page
    response = page.goto(server + '/papershelf/papers?_search=%22unbalanced+AND&_searchmode=raw')
    assert response is not None and response.status == 400
    assert "not valid full-text query syntax" in page.locator("p.error").inner_text()
    shot(page, "06-search-error")
    response = page.goto(server + '/papershelf/papers?_search=%22unbalanced')
    assert response is not None and response.status == 200


def test_hostile_text_never_runs(server: str, browser_page) -> None:  # type: ignore[no-untyped-def]
    page = browser_page
    visited = []
    for path in ["/papershelf/papers?_search=hostile", "/papershelf/papers/2506~2E99001",
                 "/papershelf/papers/2506~2E99002", "/papershelf/search?q=hostile",
                 "/papershelf/keyword_papers?keyword=diffusion+models", "/papershelf/paper_list?month=2025-06",
                 "/papershelf/similar_papers?id=2506.99001", "/papershelf/listings", "/papershelf/authors"]:
        page.goto(server + path)
        visited.append(path)
        assert page.locator("img[src='x']").count() == 0, path
        assert page.locator("svg[onload]").count() == 0, path
    page.goto(server + "/papershelf/papers/2506~2E99001")
    assert page.locator("h1").inner_text() == HOSTILE_TITLE  # shown as text, exactly
    shot(page, "07-hostile-paper")
    page.locator("ul.keywords a").first.click()
    page.wait_for_load_state()
    shot(page, "08-hostile-keyword")
    assert page.dialogs == [], page.dialogs
    assert page.errors == [], page.errors
