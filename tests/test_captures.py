"""Real captures of huggingface.co/papers pages made by other tools (tests/fixtures/captures): each gives
exactly its hand-checked .expected.json, and a database built from it holds those papers and nothing else."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

import pytest

from etl.pipeline.build import build
from etl.text.links import find_urls
from etl.text.normalize import parse_int
from etl.sources.records import Paper, Reject
from etl.sources.hf_text import parse

from .conftest import CAPTURES

FILES = sorted(CAPTURES.glob("*.txt"))


def expected_of(path: Path) -> dict:
    return json.loads(path.with_name(path.stem + ".expected.json").read_text(encoding="utf-8"))


def run(path: Path) -> tuple[list[Paper], list[Reject], object]:
    listing = parse(path.read_text(encoding="utf-8"))
    items = list(listing.items)
    return ([i for i in items if isinstance(i, Paper)], [i for i in items if isinstance(i, Reject)], listing)


def test_the_three_captures_are_there() -> None:
    assert [path.name for path in FILES] == [
        "firecrawl-markdown-search.txt", "trending-markdown.txt", "trending-structured-html.txt"]


@pytest.mark.parametrize("path", FILES, ids=lambda path: path.stem)
def test_capture_gives_exactly_its_expected_papers(path: Path) -> None:
    papers, rejects, listing = run(path)
    expected = expected_of(path)
    assert rejects == []
    assert listing.kind == expected["kind"]
    assert listing.page == expected["page"]
    want = expected["papers"]
    assert [p.title for p in papers] == [w["title"] for w in want]
    assert [p.ai_summary or p.abstract for p in papers] == [w["abstract"] for w in want]
    assert [p.ai_summary is not None for p in papers] == [w["summary_only"] for w in want]
    for paper in papers:  # a summary is never stored as the abstract
        assert not (paper.abstract and paper.ai_summary)
    assert [p.arxiv_id for p in papers] == [w["arxiv_id"] for w in want]
    assert [p.github_repo for p in papers] == [w["github_repo"] for w in want]
    assert [p.github_stars for p in papers] == [parse_int(w["github_stars_shown"]) for w in want]
    links = [[url.rstrip(".,)") for _, url in find_urls(p.ai_summary or p.abstract)] for p in papers]
    assert links == [w["links"] for w in want]
    assert [p.position for p in papers] == list(range(1, len(papers) + 1))


def test_search_page_cards_keep_their_upvotes_comments_organization_and_dated_years() -> None:
    papers, _, listing = run(CAPTURES / "firecrawl-markdown-search.txt")
    first, third = papers[0], papers[2]
    assert (first.arxiv_id, first.upvotes, first.comments_count, first.organization) == ("2606.00683", 101, 6, "OCC")
    assert first.published is None  # "May 29": no year shown, none invented
    assert (third.upvotes, third.author_count, third.published) == (None, 3, "2025-02-27")
    assert listing.date is None and listing.date_text == "Oct 2"


def test_trending_cards_shown_twice_are_one_paper_with_upvotes_and_dates() -> None:
    papers, _, listing = run(CAPTURES / "trending-structured-html.txt")
    assert len({p.arxiv_id for p in papers}) == len(papers) == 12
    kandinsky = papers[0]
    assert (kandinsky.upvotes, kandinsky.organization, kandinsky.published) == (117, "Kandinsky Lab", "2026-10-04")
    assert papers[2].author_count == 4
    assert listing.date is None  # a trending page has no day of its own


def test_trending_markdown_wrapped_titles_and_authors() -> None:
    papers, _, _ = run(CAPTURES / "trending-markdown.txt")
    assert papers[8].title.endswith("multi-modal document conversion")
    assert [p.author_count for p in papers[:4]] == [8, 28, 39, None]


@pytest.fixture(scope="module")
def capture_db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("captures") / "papershelf.db"
    build(FILES, path)
    return path


def test_a_build_stores_the_papers_and_nothing_else(capture_db: Path) -> None:
    conn = sqlite3.connect(capture_db)
    want = [paper for path in FILES for paper in expected_of(path)["papers"]]
    # Two captures show the same vLLM paper (one without its id): it is one paper, merged by title.
    titles = {w["title"] for w in want}
    stored = dict(conn.execute("select title, abstract from papers"))
    assert set(stored) == titles
    assert conn.execute("select count(*) from rejects").fetchone()[0] == 0
    for w in want:
        if not w["summary_only"]:
            assert stored[w["title"]] == w["abstract"]
    summaries = dict(conn.execute("select title, ai_summary from papers where abstract = ''"))
    assert set(summaries) <= {w["title"] for w in want if w["summary_only"]}
    kinds = dict(conn.execute("select name, kind from listings"))
    assert kinds == {path.name: expected_of(path)["kind"] for path in FILES}
    # The GitHub button is a code link of the paper, and its star count a sighting of the capture.
    code = conn.execute(
        "select l.url, lp.github_stars from links l join papers p on p.id = l.paper_id"
        " join listing_papers lp on lp.paper_id = p.id join listings s on s.id = lp.listing_id"
        " where p.arxiv_id = '2610.05608' and l.kind = 'code'").fetchall()
    assert code == [("https://github.com/kandinskylab/kandinsky-6", 131)]
    # Every URL in a card's text, and every GitHub button, is a link of its paper.
    from etl.text.links import canonicalize

    for w in want:
        stored_links = {url for (url,) in conn.execute(
            "select l.url from links l join papers p on p.id = l.paper_id where p.title = ?", (w["title"],))}
        for url in w["links"]:
            assert canonicalize(url) in stored_links, (w["title"], url)
        if w["github_repo"]:
            kinds = dict(conn.execute(
                "select l.repo, l.kind from links l join papers p on p.id = l.paper_id where p.title = ?"
                " and l.kind = 'code'", (w["title"],)))
            assert kinds, w["title"]
    sightings = conn.execute(
        "select count(*) from listing_papers lp join listings s on s.id = lp.listing_id"
        " where s.name = 'trending-structured-html.txt'").fetchone()[0]
    assert sightings == 12


def test_a_later_abstract_fills_a_summary_only_paper(tmp_path: Path) -> None:
    """The trending capture gives MemOS's summary; the paper's abstract arriving later fills it."""
    papers, _, _ = run(CAPTURES / "trending-markdown.txt")
    memos = papers[2]
    assert memos.ai_summary and not memos.abstract
    abstract = ("Large Language Models have become essential infrastructure. We propose MemOS, a memory"
                " operating system that unifies plaintext, activation-based and parameter-level memories.")
    later = tmp_path / "2025-07-04.txt"
    later.write_text(f"Daily Papers\n\nJul 4\n\n{memos.title}\n\n{abstract}\n", encoding="utf-8")
    db = tmp_path / "papershelf.db"
    build([CAPTURES / "trending-markdown.txt", later], db)
    row = sqlite3.connect(db).execute(
        "select abstract, ai_summary from papers where title = ?", (memos.title,)).fetchone()
    assert row == (abstract, memos.ai_summary)


def test_the_build_summary_names_each_capture_its_shape_and_rejects(tmp_path: Path) -> None:
    junk = tmp_path / "junk.txt"
    # A capture the reader cannot place: prose lines that read as running text, not cards.
    junk.write_text("### and then we show that the model\n\nshort text.\n\n"
                    "### https://example.org/page\n\nAnother short text.\n\n"
                    "### A Real Title With Words\n\nThis is the abstract of a real paper, long enough to be one,"
                    " it says what the paper does and how.\n", encoding="utf-8")
    report = build(FILES + [junk], tmp_path / "papershelf.db")
    summary = report.summary()
    assert "firecrawl-markdown-search.txt: markdown-inline capture of a search page: 17 papers, 0 rejected." in summary
    assert "trending-markdown.txt: markdown-plain capture of a trending page: 20 papers, 0 rejected." in summary
    line = next(line for line in summary.splitlines() if line.startswith("junk.txt"))
    assert line.startswith("junk.txt: capture not understood (guessed shape: markdown-plain")
    assert "2 of 3 candidate cards rejected (first: line 1: the title" in line


def test_search_finds_a_paper_by_its_ai_summary(capture_db: Path) -> None:
    from etl.db.search import search

    conn = sqlite3.connect(capture_db)
    # "hierarchical RL algorithm" is in Agent Lightning's AI summary only (the capture shows no abstract).
    hits = search(conn, "hierarchical decoupling execution")
    assert [hit.title for hit in hits] == ["Agent Lightning: Train ANY AI Agents with Reinforcement Learning"]


@pytest.mark.asyncio
async def test_the_paper_page_says_it_shows_the_ai_summary(capture_db: Path) -> None:
    from .test_site import get_html, site

    conn = sqlite3.connect(capture_db)
    paper_id, summary = conn.execute(
        "select id, ai_summary from papers where title like 'Agent Lightning%'").fetchone()
    html = await get_html(site(capture_db), f"/papershelf/papers/{paper_id}")
    assert "<h2>AI summary</h2>" in html and "not the authors' abstract" in html
    assert summary.split(",")[0] in html and "<h2>Abstract</h2>" not in html
    paper_id, = conn.execute("select id from papers where arxiv_id = '2610.05608'").fetchone()
    html = await get_html(site(capture_db), f"/papershelf/papers/{paper_id.replace('.', '~2E')}")
    assert "<h2>Abstract</h2>" in html and "<h2>AI summary</h2>" not in html


def test_junk_candidates_are_rejects_with_a_reason_and_chrome_is_skipped() -> None:
    abstract = ("We study how captures of paper pages break parsers, and we show that reading cards by"
                " their parts keeps every real paper while rejecting the fragments around them.")
    text = "\n\n".join([
        "Daily Papers", "Log In", "Sign Up", "Oct 2",
        "### and the results show that the model", abstract,             # running text as a title
        "### https://huggingface.co/papers/trending", abstract,          # a URL as a title
        "### " + "Long Title Words " * 25, abstract,                     # longer than any title
        "### A Study of Generalization in the", abstract,                # ends mid-sentence
        "### A Real Paper About Card Readers", "Too short.",             # text too short
        "### Card Readers for Paper Pages", abstract,
    ])
    listing = parse(text)
    items = list(listing.items)
    papers = [i for i in items if isinstance(i, Paper)]
    rejects = [i for i in items if isinstance(i, Reject)]
    assert [p.title for p in papers] == ["Card Readers for Paper Pages"]
    reasons = [r.reason.split(": ", 2)[1] for r in rejects]
    assert reasons == [
        "the title starts in lower case like running text", "the title is a URL",
        "a title of 424 characters is running text, not a title", "the title ends mid-sentence",
        "its text has 10 characters, too short for an abstract or a summary"]
    assert all(r.line is not None and "### " in text.split("\n")[r.line - 1] for r in rejects)


def test_upvotes_and_stars_are_sightings_of_the_capture(capture_db: Path) -> None:
    conn = sqlite3.connect(capture_db)
    shown = conn.execute(
        "select p.arxiv_id, lp.upvotes, lp.github_stars, lp.comments_count from listing_papers lp"
        " join papers p on p.id = lp.paper_id join listings l on l.id = lp.listing_id"
        " where l.name = ? order by lp.position limit 3", ("firecrawl-markdown-search.txt",)).fetchall()
    assert shown == [("2606.00683", 101, None, 6), ("2609.11115", 173, None, 9), ("2502.20581", None, None, None)]
    stars = conn.execute(
        "select lp.github_stars from listing_papers lp join listings l on l.id = lp.listing_id"
        " where l.name = 'trending-markdown.txt' order by lp.position limit 3").fetchall()
    assert stars == [(11300,), (1320,), (4510,)]


def test_a_dated_line_on_a_page_that_is_not_daily_is_not_the_listing_date() -> None:
    text = (CAPTURES / "firecrawl-markdown-search.txt").read_text(encoding="utf-8").replace("\nOct 2\n", "\nOct 2, 2026\n", 1)
    listing = parse(text)
    assert (listing.kind, listing.date_text, listing.date) == ("search", "Oct 2, 2026", None)
    daily = text.replace("https://huggingface.co/papers?q=source%20citations", "https://huggingface.co/papers", 1)
    assert (parse(daily).kind, parse(daily).date) == ("daily", "2026-10-02")


def test_the_sites_menus_and_footer_are_skipped_silently() -> None:
    """A capture of the whole page has the site's navigation above the cards and its footer below."""
    text = (CAPTURES / "trending-markdown.txt").read_text(encoding="utf-8")
    nav = "Hugging Face\n\nModels\n\nDatasets\n\nSpaces\n\nCommunity\n\nDocs\n\nPricing\n\nLog In\n\nSign Up\n\n"
    footer = ("\n\nSystem theme\n\nCompany\n\nTOS\n\nPrivacy\n\nAbout\n\nJobs\n\nWebsite\n\nModels\n\nDatasets\n\n"
              "Spaces\n\nPricing\n\nDocs\n")
    head, rest = text.split("--------------------\n", 1)
    papers, rejects = [], []
    for item in parse(head + "--------------------\n" + nav + rest + footer).items:
        (papers if isinstance(item, Paper) else rejects).append(item)
    assert rejects == [] and len(papers) == 20
