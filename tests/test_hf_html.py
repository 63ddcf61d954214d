"""Saved huggingface.co/papers pages, built from real API days as browsers save them: the page's
DailyPapers blob gives the same database as the API day; a page without it is read as text."""

from __future__ import annotations

import html
import json
import sqlite3
from pathlib import Path

import pytest

from etl.pipeline.build import build
from etl.sources.records import Paper, Reject
from etl.sources import detect_source, open_listing
from etl.sources.hf_html import parse

from .conftest import api_bytes

# Days from the three eras of the archive: 2024 (no keywords or repos), spring and autumn 2025.
DAYS = ["2024-06-20", "2025-03-14", "2025-10-15"]


def api_items(day: str) -> list[dict]:
    data = json.loads(api_bytes(day))
    items = data["data"] if isinstance(data, dict) else data
    assert all(isinstance(item, dict) for item in items)
    return items


def saved_page(items: list[dict], *, url: str, title: str = "Daily Papers - Hugging Face", blob: bool = True) -> str:
    """A papers page as Ctrl+S saves it: the props JSON escaped into the attribute (&quot; ...)."""
    props = html.escape(json.dumps({"dailyPapers": items}, ensure_ascii=False), quote=True)
    cards = "".join(
        f'<article><a href="/login?next=%2Fpapers%2F{item["paper"]["id"]}">{item["paper"].get("upvotes", 0)}</a>'
        f'<h3><a href="/papers/{item["paper"]["id"]}">{html.escape(item["title"])}</a></h3>'
        f'<p>{html.escape(item["paper"]["summary"])}</p></article>'
        for item in items
    )
    div = f'<div class="SVELTE_HYDRATER contents" data-target="DailyPapers" data-props="{props}">' if blob else "<div>"
    return (f'<!DOCTYPE html><html><head><meta charset="utf-8"><title>{title}</title>'
            f'<link rel="canonical" href="{url}"><script>var x = "</div>";</script></head>'
            f'<body><header><a href="/">Hugging Face</a><nav><a href="/models">Models</a></nav></header>'
            f'<main><h1>Daily Papers</h1>{div}{cards}</div></main><footer>Log In</footer></body></html>')


def rows(db: Path, sql: str) -> list[tuple]:
    return sorted(sqlite3.connect(db).execute(sql).fetchall(), key=repr)


@pytest.mark.parametrize("day", DAYS)
def test_a_saved_daily_page_builds_the_same_database_as_the_api_day(day: str, tmp_path: Path) -> None:
    api = tmp_path / "api" / f"{day}.json"
    api.parent.mkdir()
    api.write_bytes(api_bytes(day))
    page = tmp_path / "page" / f"{day}.html"
    page.parent.mkdir()
    page.write_text(saved_page(api_items(day), url=f"https://huggingface.co/papers/date/{day}"), encoding="utf-8")
    assert detect_source(page.read_text(encoding="utf-8")) == "hf-html"
    build([api], tmp_path / "api.db")
    build([page], tmp_path / "page.db")
    for sql in ("select * from papers", "select paper_id, url, raw, host, kind, repo, source from links",
                "select k.key, pk.source, pk.paper_id, pk.rank from paper_keywords pk join keywords k"
                " on k.id = pk.keyword_id",
                "select paper_id, position, listing_date, upvotes, github_stars, comments_count from listing_papers",
                "select a.name, pa.paper_id, pa.position from paper_authors pa join authors a on a.id = pa.author_id"):
        assert rows(tmp_path / "page.db", sql) == rows(tmp_path / "api.db", sql), sql
    listing = sqlite3.connect(tmp_path / "page.db").execute("select source, shape, kind, date from listings").fetchone()
    assert listing == ("hf-html", "html", "daily", day)


def test_the_page_address_names_its_kind_and_the_blob_its_items() -> None:
    items = api_items("2025-03-14")
    for url, kind in [("https://huggingface.co/papers/week/2025-W11", "weekly"),
                      ("https://huggingface.co/papers/month/2025-03", "monthly"),
                      ("https://huggingface.co/papers/trending", "trending"),
                      ("https://huggingface.co/papers?q=diffusion", "search")]:
        listing = parse(saved_page(items, url=url))
        papers = [item for item in listing.items if isinstance(item, Paper)]
        assert (listing.kind, listing.date, len(papers)) == (kind, None, len(items))


def test_a_page_without_the_blob_is_read_as_cards() -> None:
    items = api_items("2025-03-14")
    listing = parse(saved_page(items, url="https://huggingface.co/papers/date/2025-03-14", blob=False))
    got = list(listing.items)
    papers = [item for item in got if isinstance(item, Paper)]
    assert [item for item in got if isinstance(item, Reject)] == []
    assert listing.shape == "html-text" and listing.kind == "daily"
    assert [(p.title, p.abstract, p.arxiv_id, p.upvotes) for p in papers] == [
        (" ".join(i["title"].split()), " ".join(i["paper"]["summary"].split()), i["paper"]["id"],
         i["paper"]["upvotes"]) for i in items]


def test_a_broken_blob_is_a_reject_not_a_crash(tmp_path: Path) -> None:
    page = tmp_path / "broken.html"
    page.write_text('<html><body><div class="SVELTE_HYDRATER contents" data-target="DailyPapers"'
                    ' data-props="{&quot;dailyPapers&quot;: [1, {&quot;paper&quot;: ">x</div></body></html>',
                    encoding="utf-8")
    items = list(open_listing(page).items)
    assert len(items) == 1 and isinstance(items[0], Reject) and "not JSON" in items[0].reason


def test_preformatted_text_keeps_its_lines() -> None:
    """An exported notebook as HTML (nbconvert): printed output in <pre>, one field a line."""
    from .renders import notebook

    items = api_items("2025-03-14")
    printed = html.escape(notebook(items, "2025-03-14"))
    listing = parse(f"<!DOCTYPE html><html><body><div class='output'><pre>{printed}</pre></div></body></html>")
    got = list(listing.items)
    papers = [item for item in got if isinstance(item, Paper)]
    assert [item for item in got if isinstance(item, Reject)] == []
    assert [(p.arxiv_id, p.github_repo) for p in papers] == [
        (i["paper"]["id"], "".join(i["paper"]["githubRepo"].split()) if i["paper"].get("githubRepo") else None)
        for i in items]


def test_a_notebook_that_is_not_json_is_one_reject(tmp_path: Path) -> None:
    path = tmp_path / "broken.ipynb"
    path.write_text('{"cells": [{"cell_type": "markdown", "source": ["# Daily', encoding="utf-8")
    listing = open_listing(path)
    items = list(listing.items)
    assert listing.source == "ipynb" and len(items) == 1 and isinstance(items[0], Reject)
