"""The Datasette site with papershelf's plugin: ranked search everywhere, canned queries, custom pages,
helpful search errors, hostile text shown as text, read-only with a time limit.

Run against a sample of the Daily Papers API archive (keywords, links, upvotes, dates) and the seed.
"""

from __future__ import annotations

import json
import re
import shutil
import sqlite3
import urllib.parse
from pathlib import Path
from typing import Any

import markupsafe
import pytest
from datasette.app import Datasette
from datasette.utils import escape_fts

from etl.cli.publish import datasette_serve_args
from etl.publish.datasette_plugin import SETTINGS, highlight, http_url
from etl.publish.datasette_plugin.ranked import RankedSearch, sorted_strategy
from etl.publish.metadata import render_metadata
from etl.db.schema import FTS_TABLE
from etl.db.search import search as cli_search

from .conftest import HOSTILE_IMG, rows

METADATA = render_metadata()
QUERIES = METADATA["databases"]["papershelf"]["queries"]


# The served settings, with time limits a busy test machine cannot hit: these tests check what pages
# show; the limits themselves are checked below and their effect measured by benchmarks/run.py.
TEST_SETTINGS = {**SETTINGS, "sql_time_limit_ms": 20_000, "facet_time_limit_ms": 20_000}


def site(db: Path) -> Datasette:
    return Datasette([str(db)], metadata=METADATA, settings=TEST_SETTINGS)


async def get_json(ds: Datasette, path: str, status: int = 200) -> Any:
    response = await ds.client.get(path)
    assert response.status_code == status, (path, response.status_code, response.text[:500])
    return response.json()


async def get_html(ds: Datasette, path: str, status: int = 200) -> str:
    response = await ds.client.get(path)
    assert response.status_code == status, (path, response.status_code, response.text[:500])
    return response.text


def q(**params: Any) -> str:
    return urllib.parse.urlencode(params)


@pytest.fixture(scope="module")
def api(api_sample_db: Path) -> Datasette:
    return site(api_sample_db)


@pytest.fixture(scope="module")
def seed(seed_db: Path) -> Datasette:
    return site(seed_db)


def paper_with(db: Path, condition: str) -> str:
    """A paper id meeting an SQL condition on papers (p), with keywords and a code link where asked."""
    found = rows(db, f"select p.id from papers p where {condition} order by p.id limit 1")
    assert found, condition
    return found[0][0]


# ---- ranked search on the papers table ----------------------------------------------------------------


@pytest.mark.asyncio
@pytest.mark.parametrize("text", ["video generation", "diffusion", "reinforcement learning reasoning"])
async def test_table_search_json_is_ranked_like_the_cli(api: Datasette, api_sample_db: Path, text: str) -> None:
    data = await get_json(api, f"/papershelf/papers.json?{q(_search=text, _shape='objects', _size=20)}")
    ids = [row["id"] for row in data["rows"]]
    conn = sqlite3.connect(api_sample_db)
    expected = [hit.id for hit in cli_search(conn, text, limit=20)]
    assert ids == expected and ids, text
    scores = [row["score"] for row in data["rows"]]
    assert scores == sorted(scores)  # the rank score: lower is better
    assert all("<mark>" in row["snippet"] for row in data["rows"])
    matches = conn.execute(f"select count(*) from {FTS_TABLE} where {FTS_TABLE} match ?",
                           (" ".join(f'"{w}"' for w in text.split()),)).fetchone()[0]
    assert data["filtered_table_rows_count"] == matches
    assert data["ranked_by"].startswith("relevance")


@pytest.mark.asyncio
async def test_table_search_on_the_seed_puts_its_two_papers_first(seed: Datasette) -> None:
    data = await get_json(seed, f"/papershelf/papers.json?{q(_search='speculative decoding', _shape='array')}")
    assert {row["title"].split(":")[0] for row in data[:2]} == {
        "SpecTr", "Speculative Decoding with Big Little Decoder"}
    html = await get_html(seed, f"/papershelf/papers?{q(_search='speculative decoding')}")
    first = html.index("SpecTr") if "SpecTr" in html else -1
    assert 0 <= first < html.index("<mark>", first + 1) or "<mark>" in html
    titles = re.findall(r'class="result-title" href="[^"]+">([^<]+)<', html)
    assert {t.split(":")[0] for t in titles[:2]} == {"SpecTr", "Speculative Decoding with Big Little Decoder"}


@pytest.mark.asyncio
async def test_ranked_search_keeps_column_filters(api: Datasette, api_sample_db: Path) -> None:
    data = await get_json(api, f"/papershelf/papers.json?{q(_search='model', has_code=1, _shape='objects', _size=100)}")
    assert data["rows"] and all(row["has_code"] == 1 for row in data["rows"])
    scores = [row["score"] for row in data["rows"]]
    assert scores == sorted(scores)
    expected = rows(api_sample_db, f"""select count(*) from {FTS_TABLE} join papers on papers.rowid = {FTS_TABLE}.rowid
                                      where {FTS_TABLE} match '"model"' and papers.has_code = 1""")[0][0]
    assert data["filtered_table_rows_count"] == expected
    ranged = await get_json(api, f"/papershelf/papers.json?{q(_search='model', last_seen__gte='2025-06-01', _shape='array')}")
    assert ranged and all(row["last_seen"] >= "2025-06-01" for row in ranged)


@pytest.mark.asyncio
async def test_ranked_search_pages_follow_each_other(api: Datasette) -> None:
    whole = await get_json(api, f"/papershelf/papers.json?{q(_search='language', _shape='objects', _size=10)}")
    first = await get_json(api, f"/papershelf/papers.json?{q(_search='language', _shape='objects', _size=5)}")
    assert first["next"] == "5"
    second = await get_json(api, first["next_url"].replace("http://localhost", ""))
    assert [r["id"] for r in first["rows"] + second["rows"]] == [r["id"] for r in whole["rows"]]


def sorted_reference(db: Path, text: str, order: str, condition: str = "1") -> list[str]:
    """Every match of a search in ``order``, in plain SQL (what Datasette's own sorted search reads)."""
    return [r[0] for r in rows(
        db, f"select id from papers where rowid in (select rowid from {FTS_TABLE} where {FTS_TABLE} match ?)"
            f" and {condition} order by {order}", (escape_fts(text),))]


@pytest.mark.parametrize("strategy", ["few", "along", "probe"])
@pytest.mark.parametrize(("sort", "descending"), [("last_seen", True), ("last_seen", False), ("first_seen", True),
                                                  ("upvotes", True), ("upvotes", False)])
def test_every_way_of_finding_a_sorted_page_gives_the_same_rows(api_sample_db: Path, strategy: str, sort: str,
                                                              descending: bool) -> None:
    conn = sqlite3.connect(api_sample_db)
    try:
        for filters, condition in (([], "1"), ([("has_code", "0")], "has_code = 0")):
            search = RankedSearch(text="language", filters=filters, sort=sort, descending=descending, size=7)
            expected = sorted_reference(api_sample_db, "language", search.order_by(), condition)
            assert len(expected) > 30
            _, params = search.where()
            for offset in (0, 7, 21):
                search.offset = offset
                found = conn.execute(search.sorted_sql(strategy), {**params, "search": search.match_expression(),
                                                                   "limit": 8, "offset": offset}).fetchall()
                assert [row[0] for row in found] == expected[offset : offset + 8], (strategy, offset, filters)
    finally:
        conn.close()


def test_a_sorted_page_is_found_the_cheap_way_for_its_number_of_matches() -> None:
    assert sorted_strategy(40, 1_000_000, 0) == "few"
    assert sorted_strategy(60_000, 1_000_000, 0) == "along"
    assert sorted_strategy(500_000, 1_000_000, 0) == "probe"
    assert sorted_strategy(None, 1_000_000, 0) == "probe"  # too many to count in time
    assert sorted_strategy(500_000, 1_000_000, 5_000) == "along"  # deep pages: each probe costs


@pytest.mark.asyncio
async def test_a_search_sorted_by_date_or_upvotes_lists_every_match_in_that_order(api: Datasette,
                                                                                api_sample_db: Path) -> None:
    expected = sorted_reference(api_sample_db, "diffusion", "last_seen desc, id")
    data = await get_json(api, f"/papershelf/papers.json?{q(_search='diffusion', _sort_desc='last_seen', _shape='objects', _size=10)}")
    assert "ranked_by" not in data and data["sorted_by"] == "last_seen desc, id"
    assert data["human_description_en"].endswith("sorted by last_seen descending")
    assert data["filtered_table_rows_count"] == len(expected)
    ids = [row["id"] for row in data["rows"]]
    while data["next_url"]:
        data = await get_json(api, data["next_url"].replace("http://localhost", ""))
        ids += [row["id"] for row in data["rows"]]
    assert ids == expected
    assert all("<mark>" in row["snippet"].lower() or "diffusion" in row["title"].lower() for row in data["rows"])
    html = await get_html(api, f"/papershelf/papers?{q(_search='diffusion', _sort_desc='last_seen')}")
    assert "newest first" in html and "Best match first" in html
    assert '<input type="hidden" name="_sort_desc" value="last_seen">' in html  # a new search keeps the order
    oldest = await get_json(api, f"/papershelf/papers.json?{q(_search='diffusion', _sort='upvotes', _shape='objects')}")
    assert [r["id"] for r in oldest["rows"]] == sorted_reference(api_sample_db, "diffusion", "upvotes, rowid")[:50]


@pytest.mark.asyncio
async def test_a_search_sorted_by_another_column_gets_datasettes_table_view(api: Datasette) -> None:
    data = await get_json(api, f"/papershelf/papers.json?{q(_search='diffusion', _sort='title', _shape='objects')}")
    assert "ranked_by" not in data and "sorted_by" not in data
    assert data["human_description_en"].endswith("sorted by title")
    titles = [row["title"] for row in data["rows"]]
    assert titles == sorted(titles)
    html = await get_html(api, f"/papershelf/papers?{q(_search='diffusion', _sort='title')}")
    assert "Rank them by relevance instead" in html


@pytest.mark.asyncio
async def test_the_table_pages_search_form_sends_no_sort(api: Datasette) -> None:
    """Datasette's own form carries the sort in hidden fields, which would make every search unranked."""
    html = await get_html(api, "/papershelf/papers?has_code=1")
    form = html[html.index('<form class="papershelf-search"'):]
    form = form[: form.index("</form>")]
    names = set(re.findall(r'name="([^"]+)"', form))
    assert names == {"_search", "has_code"}


@pytest.mark.asyncio
async def test_ranked_results_page_shows_filters_and_ways_on(api: Datasette) -> None:
    html = await get_html(api, f"/papershelf/papers?{q(_search='diffusion', has_code=1)}")
    assert "best match first" in html and "has_code = 1" in html
    assert "Newest first" in html and "_sort_desc=last_seen" in html
    assert re.search(r'<mark>[Dd]iffusion</mark>', html)


# ---- search text that FTS cannot run --------------------------------------------------------------------


@pytest.mark.asyncio
@pytest.mark.parametrize("text", ['"unbalanced', "AND OR", "NOT", "diffusion AND", "-", "title:", "a*b(c"])
async def test_plain_searches_never_fail(api: Datasette, text: str) -> None:
    await get_json(api, f"/papershelf/papers.json?{q(_search=text)}")
    await get_html(api, f"/papershelf/papers?{q(_search=text)}")
    data = await get_json(api, f"/papershelf/search.json?{q(q=text, _shape='objects')}")
    assert data["ok"] is True


@pytest.mark.asyncio
@pytest.mark.parametrize("text, hint", [('"unbalanced', "quotes must pair up"), ("AND OR", "operators"),
                                        ("nosuchcolumn: x", "column")])
async def test_raw_search_syntax_errors_are_explained(api: Datasette, text: str, hint: str) -> None:
    data = await get_json(api, f"/papershelf/papers.json?{q(_search=text, _searchmode='raw')}", status=400)
    assert data["ok"] is False and hint in data["error"] and "_searchmode=raw" in data["error"]
    html = await get_html(api, f"/papershelf/papers?{q(_search=text, _searchmode='raw')}", status=400)
    assert 'class="error" role="alert"' in html and "not valid full-text query syntax" in html


@pytest.mark.asyncio
async def test_raw_search_syntax_works_when_valid(api: Datasette) -> None:
    data = await get_json(api, f"/papershelf/papers.json?{q(_search='title:diffus*', _searchmode='raw', _shape='array')}")
    assert data and all("diffus" in row["title"].lower() for row in data)


@pytest.mark.asyncio
async def test_empty_search(api: Datasette) -> None:
    response = await api.client.get("/papershelf/papers?_search=+&has_code=1")
    assert response.status_code == 302 and response.headers["location"] == "/papershelf/papers?has_code=1"
    data = await get_json(api, "/papershelf/papers.json?_search=", status=400)
    assert "Empty search" in data["error"]
    canned = await get_json(api, "/papershelf/search.json?q=&_shape=objects")
    assert canned["ok"] is True and canned["rows"] == []
    html = await get_html(api, "/papershelf/search?q=")
    assert "Type words to look for" in html and "syntax error" not in html


@pytest.mark.asyncio
async def test_bad_arguments_are_400_not_500(api: Datasette) -> None:
    for path in ["/papershelf/papers.json?_search=x&nosuchcolumn=1", "/papershelf/papers.json?_search=x&_size=0",
                 "/papershelf/papers.json?_search=x&_next=abc", "/papershelf/papers.json?_search=x&_shape=nope"]:
        data = await get_json(api, path, status=400)
        assert data["ok"] is False and data["error"]


# ---- canned queries ---------------------------------------------------------------------------------------


def test_canned_queries_take_parameters_never_sql() -> None:
    for name, query in QUERIES.items():
        declared = set(query.get("params", []))
        used = set(re.findall(r"(?<!:):(\w+)", query["sql"]))
        assert used == declared, name
        assert not query.get("write"), name
        assert query.get("title") and query.get("description"), name


@pytest.mark.asyncio
async def test_search_query_ranks_like_the_cli(api: Datasette, api_sample_db: Path) -> None:
    data = await get_json(api, f"/papershelf/search.json?{q(q='video generation', _shape='objects')}")
    conn = sqlite3.connect(api_sample_db)
    assert [r["id"] for r in data["rows"]] == [hit.id for hit in cli_search(conn, "video generation", 50)]
    assert data["rows"] and list(data["rows"][0])[:5] == ["id", "title", "snippet", "last_seen", "upvotes"]
    html = await get_html(api, f"/papershelf/search?{q(q='video generation')}")
    assert re.search(r"<mark>[Vv]ideo</mark>", html)


@pytest.mark.asyncio
async def test_papers_with_code(api: Datasette, api_sample_db: Path) -> None:
    data = await get_json(api, "/papershelf/papers_with_code.json?_shape=objects")
    expected = rows(api_sample_db, "select count(*) from papers where has_code = 1")[0][0]
    assert len(data["rows"]) == min(expected, 200)
    code_urls = {u for (u,) in rows(api_sample_db, "select url from links where kind = 'code'")}
    assert all(row["code"] in code_urls for row in data["rows"])
    dates = [row["last_seen"] for row in data["rows"]]
    assert dates == sorted(dates, reverse=True)
    github = await get_json(api, "/papershelf/papers_with_code.json?host=GitHub.com&_shape=objects")
    assert github["rows"] and all(row["host"] == "github.com" for row in github["rows"])
    about = await get_json(api, f"/papershelf/papers_with_code.json?{q(q='diffusion', _shape='array')}")
    texts = dict(rows(api_sample_db, "select id, lower(title || ' ' || abstract) from papers"))
    assert about and all("diffus" in texts[r["id"]] for r in about)  # the word, stemmed: diffusion, diffuse
    ids = {r["id"] for r in about}
    matching = {i for (i,) in rows(api_sample_db, f"""select papers.id from {FTS_TABLE} join papers
        on papers.rowid = {FTS_TABLE}.rowid where {FTS_TABLE} match '"diffusion"' and has_code = 1""")}
    assert ids == matching


@pytest.mark.asyncio
async def test_top_keywords(api: Datasette, api_sample_db: Path) -> None:
    data = await get_json(api, "/papershelf/top_keywords.json?_shape=objects")
    # One row per keyword whichever sources assigned it: its papers across sources.
    counts = rows(api_sample_db, """select k.id, count(distinct pk.paper_id) from paper_keywords pk
                                    join keywords k on k.id = pk.keyword_id group by k.id order by 2 desc, 1""")
    assert len(data["rows"]) == 100
    assert [(r["keyword_id"], r["papers"]) for r in data["rows"]][:5] == counts[:5]
    assert [r["papers"] for r in data["rows"]] == sorted((r["papers"] for r in data["rows"]), reverse=True)
    assert any(r["by_source"].startswith("hf-ai ") and ", papershelf " in r["by_source"] for r in data["rows"])
    ranged = await get_json(api, f"/papershelf/top_keywords.json?{q(since='2025-06-01', until='2025-06-30', _shape='objects')}")
    expected = rows(api_sample_db, """select count(distinct p.id) from paper_keywords pk join papers p on p.id = pk.paper_id
        where pk.keyword_id = ? and p.first_seen between '2025-06-01' and '2025-06-30'""", (ranged["rows"][0]["keyword_id"],))
    assert ranged["rows"][0]["papers"] == expected[0][0] < data["rows"][0]["papers"]
    assert ranged["rows"][0]["papers"] == max(
        n for (n,) in rows(api_sample_db, """select count(distinct p.id) from paper_keywords pk join papers p on p.id = pk.paper_id
            where p.first_seen between '2025-06-01' and '2025-06-30' group by pk.keyword_id"""))
    since_only = await get_json(api, f"/papershelf/top_keywords.json?{q(since='2025-06-01', _shape='objects')}")
    assert since_only["rows"][0]["papers"] >= ranged["rows"][0]["papers"]
    # Narrowed to one source: the papers that source gave each keyword.
    hf = await get_json(api, "/papershelf/top_keywords.json?source=hf-ai&_shape=objects")
    by_hf = rows(api_sample_db, """select keyword_id, count(*) from paper_keywords where source = 'hf-ai'
                                   group by keyword_id order by 2 desc, 1 limit 5""")
    assert [(r["keyword_id"], r["papers"]) for r in hf["rows"]][:5] == by_hf
    extracted = await get_json(api, "/papershelf/top_keywords.json?source=papershelf&_shape=objects")
    assert extracted["rows"][0]["papers"] < data["rows"][0]["papers"]
    hf_june = await get_json(api, f"/papershelf/top_keywords.json?{q(since='2025-06-01', source='hf-ai', _shape='objects')}")
    assert hf_june["rows"][0]["papers"] <= since_only["rows"][0]["papers"]


@pytest.mark.asyncio
async def test_keyword_over_time(api: Datasette, api_sample_db: Path, tmp_path: Path) -> None:
    key, display = rows(api_sample_db, "select key, display from keywords order by paper_count desc limit 1")[0]
    data = await get_json(api, f"/papershelf/keyword_over_time.json?{q(keyword=display.upper(), _shape='objects')}")
    months = rows(api_sample_db, "select distinct substr(first_seen, 1, 7) from papers where first_seen is not null order by 1")
    assert [r["month"] for r in data["rows"]] == [m for (m,) in months]
    with_keyword = rows(api_sample_db, """select count(distinct p.id) from paper_keywords pk join keywords k
        on k.id = pk.keyword_id join papers p on p.id = pk.paper_id where k.key = ? and p.first_seen is not null""",
                        (key,))[0][0]
    assert sum(r["papers_with_keyword"] for r in data["rows"]) == with_keyword > 0
    assert all(0 <= r["percent"] <= 100 for r in data["rows"])
    unknown = await get_json(api, "/papershelf/keyword_over_time.json?keyword=no+such+keyword&_shape=objects")
    assert unknown["rows"] == []
    # Any written form recorded for it (as the keyword stage records acronyms) finds the keyword too.
    copy = tmp_path / "papershelf.db"
    shutil.copy(api_sample_db, copy)
    conn = sqlite3.connect(copy)
    conn.execute("insert into keyword_aliases (keyword_id, alias, source, key, uses)"
                 " select id, 'XYZ-ALIAS', 'papershelf', 'xyzalias', 1 from keywords where key = ?", (key,))
    conn.commit()
    conn.close()
    aliased = await get_json(site(copy), "/papershelf/keyword_over_time.json?keyword=xyz-alias&_shape=objects")
    assert aliased["rows"] == data["rows"]
    html = await get_html(api, f"/papershelf/keyword_over_time?{q(keyword=display)}")
    assert 'class="bar"' in html


@pytest.mark.asyncio
async def test_top_upvoted_in_a_date_range(api: Datasette, api_sample_db: Path) -> None:
    data = await get_json(api, f"/papershelf/top_upvoted.json?{q(since='2025-03-01', until='2025-05-31', _shape='objects')}")
    expected = rows(api_sample_db, """select paper_id, max(upvotes) from listing_papers where upvotes is not null
        and listing_date between '2025-03-01' and '2025-05-31' group by paper_id order by 2 desc, paper_id limit 5""")
    assert [r["upvotes"] for r in data["rows"][:5]] == [n for _, n in expected]
    assert all("2025-03-01" <= r["listed"] <= "2025-05-31" for r in data["rows"])
    everything = await get_json(api, "/papershelf/top_upvoted.json?_shape=objects")
    top = rows(api_sample_db, "select max(upvotes) from papers")[0][0]
    assert everything["rows"][0]["upvotes"] == top
    # Without a range the papers' own upvotes answer: the same rows as grouping every sighting.
    grouped = rows(api_sample_db, """select paper_id, max(upvotes) as upvotes, min(listing_date) as listed
        from listing_papers where upvotes is not null group by paper_id
        order by upvotes desc, listed desc, paper_id limit 100""")
    assert len(grouped) == 100
    assert [(r["id"], r["upvotes"], r["listed"]) for r in everything["rows"]] == grouped
    since = await get_json(api, f"/papershelf/top_upvoted.json?{q(since='2025-06-01', _shape='objects')}")
    assert since["rows"] and all(r["listed"] >= "2025-06-01" for r in since["rows"])


@pytest.mark.asyncio
async def test_similar_papers_share_keywords(api: Datasette, api_sample_db: Path) -> None:
    paper_id = paper_with(api_sample_db, "(select count(*) from paper_keywords where paper_id = p.id) >= 6")
    data = await get_json(api, f"/papershelf/similar_papers.json?{q(id=paper_id, _shape='objects')}")
    assert data["rows"] and paper_id not in {r["id"] for r in data["rows"]}
    mine = {k for (k,) in rows(api_sample_db, """select k.key from paper_keywords pk join keywords k
        on k.id = pk.keyword_id where pk.paper_id = ?""", (paper_id,))}
    for row in data["rows"]:
        theirs = {k for (k,) in rows(api_sample_db, """select k.key from paper_keywords pk join keywords k
            on k.id = pk.keyword_id where pk.paper_id = ?""", (row["id"],))}
        assert len(mine & theirs) == row["shared_keywords"] >= 1
    shared = [r["shared_keywords"] for r in data["rows"]]
    assert shared == sorted(shared, reverse=True)


@pytest.mark.asyncio
@pytest.mark.parametrize("name", sorted(QUERIES))
async def test_every_canned_query_answers_on_the_seed(seed: Datasette, name: str) -> None:
    params = {"q": "decoding", "host": "github.com", "since": "", "until": "", "source": "",
              "keyword": "diffusion", "id": "semi-parametric-neural-image-synthesis"}
    query = {p: params[p] for p in QUERIES[name].get("params", [])}
    data = await get_json(seed, f"/papershelf/{name}.json?{q(**query, _shape='objects')}")
    assert data["ok"] is True
    await get_html(seed, f"/papershelf/{name}?{q(**query)}")


# ---- the paper, keyword and home pages ----------------------------------------------------------------------


@pytest.mark.asyncio
async def test_paper_page(api: Datasette, api_sample_db: Path) -> None:
    paper_id = paper_with(api_sample_db, """p.has_code and p.upvotes is not null and
        (select count(*) from paper_keywords where paper_id = p.id) >= 3 and exists (
          select 1 from paper_keywords mine join keywords k on k.id = mine.keyword_id
          where mine.paper_id = p.id and k.paper_count > 1)""")
    (title, abstract), = rows(api_sample_db, "select title, abstract from papers where id = ?", (paper_id,))
    redirect = await api.client.get(f"/papershelf/papers/{paper_id}")
    assert redirect.status_code == 302
    html = await get_html(api, redirect.headers["location"])
    assert f"<h1>{escape(title)}</h1>" in html
    assert escape(abstract) in html
    for (display,) in rows(api_sample_db, """select k.display from paper_keywords pk join keywords k
            on k.id = pk.keyword_id where pk.paper_id = ?""", (paper_id,)):
        assert f'href="/papershelf/keyword_papers?{escape(q(keyword=display))}"' in html
    code_urls = [u for (u,) in rows(api_sample_db, "select url from links where paper_id = ? and kind = 'code'", (paper_id,))]
    code_section = html[html.index("<h3>Code</h3>"):]
    assert f'href="{escape(code_urls[0])}"' in code_section[: code_section.index("</ul>")]
    listing_name, upvotes = rows(api_sample_db, """select l.name, lp.upvotes from listing_papers lp
        join listings l on l.id = lp.listing_id where lp.paper_id = ?""", (paper_id,))[0]
    assert escape(listing_name) in html and "Upvotes over time" in html and f"</span> {upvotes}</td>" in html
    assert "Similar papers (shared keywords)" in html


@pytest.mark.asyncio
async def test_keyword_links_lead_to_the_papers_with_it(api: Datasette, api_sample_db: Path) -> None:
    paper_id, display, keyword_id = rows(api_sample_db, """select pk.paper_id, k.display, k.id from paper_keywords pk
        join keywords k on k.id = pk.keyword_id where k.paper_count >= 3 order by k.paper_count desc limit 1""")[0]
    data = await get_json(api, f"/papershelf/keyword_papers.json?{q(keyword=display, _shape='objects', _size=1000)}")
    # One row per paper, whichever sources gave it the keyword (they are listed in "sources").
    expected = rows(api_sample_db, """select count(distinct pk.paper_id) from paper_keywords pk
                                     join keywords k on k.id = pk.keyword_id where k.display = ?""", (display,))[0][0]
    assert len(data["rows"]) == expected and paper_id in {r["paper_id"] for r in data["rows"]}
    both = [r for r in data["rows"] if json.loads(r["sources"]) == ["hf-ai", "papershelf"]]
    narrowed = await get_json(api, f"/papershelf/keyword_papers.json?{q(keyword=display, sources__arraycontains='hf-ai', _shape='objects', _size=1000)}")
    assert both and len(narrowed["rows"]) == rows(api_sample_db, """select count(*) from paper_keywords pk
        join keywords k on k.id = pk.keyword_id where k.display = ? and pk.source = 'hf-ai'""", (display,))[0][0]
    html = await get_html(api, f"/papershelf/keyword_papers?{q(keyword=display)}")
    assert f"Papers with the keyword “{escape(display)}”" in html
    assert '<a href="/papershelf/papers/' in html  # titles link to paper pages
    keyword_page = await get_html(api, f"/papershelf/keywords/{keyword_id}")
    assert f"<h1>{escape(display)}</h1>" in keyword_page and "Papers per month" in keyword_page


@pytest.mark.asyncio
async def test_home_page_figures(api: Datasette, api_sample_db: Path) -> None:
    html = await get_html(api, "/")
    papers, listings = rows(api_sample_db, "select (select count(*) from papers), (select count(*) from listings)")[0]
    assert f"<strong>{papers:,}</strong> papers" in html and f"<strong>{listings:,}</strong> listings" in html
    assert 'action="/papershelf/papers"' in html and 'name="_search"' in html


@pytest.mark.asyncio
async def test_seed_pages(seed: Datasette, seed_db: Path) -> None:
    html = await get_html(seed, "/papershelf/papers/semi-parametric-neural-image-synthesis")
    assert "<h1>Semi-Parametric Neural Image Synthesis</h1>" in html
    # The seed gives no keywords of its own: the page shows those papershelf extracted.
    extracted = rows(seed_db, """select k.display from paper_keywords pk join keywords k on k.id = pk.keyword_id
                                 where pk.paper_id = 'semi-parametric-neural-image-synthesis' order by pk.rank""")
    assert extracted and all(str(markupsafe.escape(display)) in html for (display,) in extracted)
    assert "Mar 14" in html  # the listing's own date line, its year unknown
    home = await get_html(seed, "/")
    assert "<strong>63</strong> papers" in home and "undated" in home


@pytest.mark.asyncio
async def test_facets_fit_the_data(api: Datasette) -> None:
    listing = await get_json(api, "/papershelf/paper_list.json?_size=1")
    assert {"month", "has_code", "link_kinds", "link_hosts"} <= set(listing["facet_results"])
    kinds = {r["value"] for r in listing["facet_results"]["link_kinds"]["results"]}
    assert "code" in kinds
    by_keyword = await get_json(api, "/papershelf/keyword_papers.json?_size=1")
    assert {"keyword", "sources", "month", "has_code"} <= set(by_keyword["facet_results"])
    links = await get_json(api, "/papershelf/links.json?_size=1")
    assert {"kind", "host"} <= set(links["facet_results"])
    papers = await get_json(api, "/papershelf/papers.json?_size=20&_shape=objects")
    assert papers["human_description_en"] == "sorted by last_seen descending"
    dates = [row["last_seen"] for row in papers["rows"]]
    assert dates == sorted(dates, reverse=True)


def test_every_table_and_view_column_is_described(api_sample_db: Path) -> None:
    tables = METADATA["databases"]["papershelf"]["tables"]
    conn = sqlite3.connect(api_sample_db)
    names = [n for (n,) in conn.execute(
        "select name from sqlite_master where type in ('table', 'view') and name not like 'papers_fts%'"
        " and name not like 'sqlite_%'")]
    for name in names:
        columns = [c[1] for c in conn.execute(f'pragma table_info("{name}")')]
        assert tables[name].get("description"), name
        assert set(tables[name]["columns"]) == set(columns), name
        assert all(tables[name]["columns"].values()), name
    for key in ("title", "description_html", "license", "license_url", "source", "source_url", "about", "about_url"):
        assert METADATA[key], key


# ---- text in the data is never markup; the site is read-only with a time limit ------------------------


def escape(text: str) -> str:
    import markupsafe

    return str(markupsafe.escape(text))


# Datasette's pages have scripts of their own: look for the data's.
HOSTILE_MARKUP = ["<script>alert(", "<img src=x", "<svg onload", "<iframe src", "<b onmouseover", "<i onclick",
                  'href="javascript:', "href='javascript:"]


def hostile_pages(db: Path) -> list[str]:
    keyword_ids = [i for (i,) in rows(db, "select id from keywords")]
    listing_ids = [i for (i,) in rows(db, "select id from listings")]
    return [
        "/", "/papershelf", "/papershelf/papers", "/papershelf/papers?_search=diffusion",
        "/papershelf/papers?_search=diffusion&_sort_desc=last_seen", "/papershelf/papers?_search=hostile&has_code=0",
        "/papershelf/papers/2506~2E99001", "/papershelf/papers/2506~2E99002",
        *[f"/papershelf/keywords/{i}" for i in keyword_ids], *[f"/papershelf/listings/{i}" for i in listing_ids],
        "/papershelf/keyword_papers", "/papershelf/keyword_papers?" + q(keyword=HOSTILE_IMG),
        "/papershelf/paper_list", "/papershelf/links", "/papershelf/listings", "/papershelf/authors",
        "/papershelf/keywords", "/papershelf/paper_keywords", "/papershelf/listing_papers",
        "/papershelf/search?q=diffusion", "/papershelf/search?q=%3Cscript%3E", "/papershelf/papers_with_code",
        "/papershelf/top_keywords", "/papershelf/keyword_over_time?keyword=diffusion+models",
        f"/papershelf/keyword_over_time?{q(keyword='<img src=x onerror=alert(1)>')}",
        "/papershelf/top_upvoted", "/papershelf/similar_papers?id=2506.99001",
    ]


@pytest.mark.asyncio
async def test_hostile_text_is_shown_as_text_on_every_page(hostile_db: Path) -> None:
    ds = site(hostile_db)
    pages = hostile_pages(hostile_db)
    for path in pages:
        response = await ds.client.get(path)
        assert response.status_code == 200, (path, response.status_code)
        for needle in HOSTILE_MARKUP:
            assert needle not in response.text.lower(), (path, needle)
    paper = await get_html(ds, "/papershelf/papers/2506~2E99001")
    assert escape("<script>alert('title')</script> Diffusion with hostile titles") in paper
    assert escape("<img src=x onerror=alert('img')>") in paper  # the keyword, as text
    assert "javascript:alert(&#39;repo&#39;)" not in paper or 'href="javascript' not in paper
    search = await get_html(ds, "/papershelf/papers?_search=speculative")
    assert "&lt;/mark&gt;&lt;script&gt;" in search or "&lt;script&gt;" in search


def test_highlight_escapes_everything_but_its_own_marks() -> None:
    assert str(highlight("a <mark>b</mark> <script>x</script>")) == "a <mark>b</mark> &lt;script&gt;x&lt;/script&gt;"
    assert str(highlight("<mark>open")) == "<mark>open</mark>"  # never left open
    assert str(highlight(None)) == ""
    assert http_url("javascript:alert(1)") is None and http_url(" data:text/html,x") is None
    assert http_url("https://github.com/a/b") == "https://github.com/a/b"


@pytest.mark.asyncio
async def test_the_site_is_read_only_with_a_time_limit(api_sample_db: Path) -> None:
    api = Datasette([str(api_sample_db)], metadata=METADATA, settings=SETTINGS)  # as served
    # (Datasette prints each refusal's traceback, slowly: two statements make the point.)
    for sql in ["delete from papers", "insert into keywords (key, display, source) values ('a', 'a', 'a')"]:
        response = await api.client.get(f"/papershelf.json?{q(sql=sql)}")
        assert response.status_code == 400, sql
    settings = await get_json(api, "/-/settings.json")
    assert settings["sql_time_limit_ms"] == SETTINGS["sql_time_limit_ms"] <= 5000
    runaway = "with recursive n(i) as (select 1 union all select i + 1 from n) select count(*) from n"
    response = await api.client.get(f"/papershelf.json?{q(sql=runaway, _timelimit=200)}")
    assert response.status_code == 400 and "interrupted" in response.text.lower()
    args = datasette_serve_args(Path("db/papershelf.db"), Path("m.yml"), 8001, "127.0.0.1", immutable=True)
    assert args[:3] == ["serve", "-i", "db/papershelf.db"]
    assert ["--setting", "sql_time_limit_ms", str(SETTINGS["sql_time_limit_ms"])] == args[
        args.index("sql_time_limit_ms") - 1: args.index("sql_time_limit_ms") + 2]
