"""Property: any real API day rendered in each capture style the project knows (tests/renders.py) and
read back gives the API day's papers: titles, texts (abstract, or the AI summary where the style shows
it), arXiv ids where the style shows them, with no reject and no extra row."""

from __future__ import annotations

import gzip
import json
import re
from functools import lru_cache
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from etl.sources.records import Paper, Reject
from etl.sources import PARSERS, detect_source
from etl.sources.hf_api import paper_from_item
from etl.sources.hf_text import looks_like_summary

from .conftest import api_files
from .renders import STYLES

# A hard wrap right after a dash cannot say whether the dash had a space after it ("object-\nand" is
# "object-and" or "object- and"): texts are compared with the space after a dash taken out.
_DASH_SPACE = re.compile(r"(?<=\w[-\u2010\u2011\u2013\u2014]) ")


def _same(text: str) -> str:
    return _DASH_SPACE.sub("", text)


@lru_cache(maxsize=64)
def day_items(path: Path) -> tuple[list[dict], list[Paper]]:
    """The day's items that are whole papers (the archive's malformed items are the API reader's
    business), with the papers the API reader makes of them."""
    try:
        data = json.loads(gzip.decompress(path.read_bytes()))
    except (ValueError, EOFError, OSError):
        return [], []
    items = data.get("data") if isinstance(data, dict) else data
    kept: list[dict] = []
    papers: list[Paper] = []
    for item in items if isinstance(items, list) else []:
        if not isinstance(item, dict) or not isinstance(item.get("title"), str):
            continue
        paper = paper_from_item(item, "")
        if isinstance(paper, Paper) and paper.abstract and paper.arxiv_id and isinstance(item["paper"].get("summary"), str):
            kept.append(item)
            papers.append(paper)
    return kept, papers


def check(path: Path, style: str) -> None:
    items, want = day_items(path)
    if not items:
        return
    render, shows_ids, shows_summaries, shows_repo = STYLES[style]
    text = render(items, path.name[:10])
    listing = PARSERS[detect_source(text) or "hf-text"](text)
    got = list(listing.items)
    rejects = [item for item in got if isinstance(item, Reject)]
    papers = [item for item in got if isinstance(item, Paper)]
    assert rejects == [], (style, path.name, rejects[:2])
    assert [p.title for p in papers] == [w.title for w in want]
    texts = [(w.ai_summary if shows_summaries and w.ai_summary else w.abstract) for w in want]
    assert [_same(p.abstract or p.ai_summary or "") for p in papers] == [_same(t) for t in texts]
    assert [p.arxiv_id for p in papers] == [w.arxiv_id if shows_ids else None for w in want]
    if shows_repo:  # the GitHub button or URL line is the paper's code repository
        assert ["".join((p.github_repo or "").split()) for p in papers] == [
            "".join((w.github_repo or "").split()) for w in want]
    if shows_summaries:  # a summary is kept as a summary, never as the abstract
        # A card's text says which it is by its form (one sentence of at most 400 characters): the
        # archive's two one-sentence abstracts and one two-sentence summary cannot be told apart.
        clear = [looks_like_summary(text) == bool(w.ai_summary) for text, w in zip(texts, want)]
        assert [bool(p.ai_summary) for p, ok in zip(papers, clear) if ok] == [
            bool(w.ai_summary) for w, ok in zip(want, clear) if ok]
        assert sum(not ok for ok in clear) <= 1


DAYS = api_files()


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(day=st.sampled_from(DAYS), style=st.sampled_from(sorted(STYLES)))
def test_property_any_api_day_in_any_capture_style_reads_back_the_same(day: Path, style: str) -> None:
    check(day, style)


@pytest.mark.parametrize("style", sorted(STYLES))
def test_the_fixture_days_in_every_style(style: str) -> None:
    for day in ("2024-06-20", "2025-03-14", "2025-10-15"):
        check(next(path for path in api_files() if path.name.startswith(day)), style)


def test_renders_look_like_their_styles() -> None:
    """The renders carry the traits the styles are named for (so the property tests what it says)."""
    items, _ = day_items(next(path for path in api_files() if path.name.startswith("2025-03-14")))
    browser = STYLES["text-browser"][0](items, "2025-03-14")
    assert re.search(r"(?m)^\[\d+\]: https://huggingface\.co/papers/", browser) and "\n[\n\n" in browser
    glued = STYLES["text-browser-glued"][0](items, "2025-03-14")
    assert re.search(r"(?m)^\[[A-Z][^\n\]]{40,}$", glued)  # the abstract's first words inside "["
    notebook = STYLES["notebook"][0](items, "2025-03-14")
    assert re.search(r"(?m)^https://huggingface\.co/papers/\d{4}\.\d{5}$", notebook)
    trending = STYLES["trending-twice"][0](items, "2025-03-14")
    assert trending.count(f"### {items[0]['title'][:30]}") == 2
    assert "&quot;dailyPapers&quot;" in STYLES["saved-html"][0](items, "2025-03-14")


def test_every_shape_read_is_in_the_readme() -> None:
    """The README's "Listings it reads" names every shape the readers report, with its examples."""
    from .conftest import CAPTURES, LISTINGS, ROOT
    from .test_hf_html import api_items, saved_page

    items, _ = day_items(next(path for path in api_files() if path.name.startswith("2025-03-14")))
    shapes = {PARSERS[detect_source(render(items, "2025-03-14")) or "hf-text"](render(items, "2025-03-14")).shape
              for render, *_ in STYLES.values()}
    for path in [*LISTINGS.glob("*.txt"), *CAPTURES.glob("*.txt")]:
        shapes.add(PARSERS["hf-text"](path.read_text(encoding="utf-8")).shape)
    shapes.add(PARSERS["hf-html"](saved_page(api_items("2025-03-14"), url="https://huggingface.co/papers",
                                             blob=False)).shape)
    assert shapes == {"paste", "compact", "pagecopy", "markdown", "markdown-inline", "markdown-plain", "notebook",
                      "lynx", "html", "html-text", "ipynb-markdown-inline"}
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    section = readme[readme.index("### Listings it reads"):readme.index("## The database")]
    for shape in shapes:
        shape = "ipynb-…" if shape.startswith("ipynb-") else shape  # a notebook, then what it shows
        assert f"| `{shape}`" in section, shape
    assert "capture not understood" in section
