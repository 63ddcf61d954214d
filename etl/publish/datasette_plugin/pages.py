"""The data behind papershelf's custom pages: a paper, a keyword, the home page's figures.

Each function takes a datasette ``Database`` and returns plain dicts and lists for a template.
"""

from __future__ import annotations

from collections import OrderedDict
from typing import Any

# The order in which a paper's links are shown, most useful first.
LINK_KINDS = ("code", "project", "model", "dataset", "video", "paper", "other")
SIMILAR_LIMIT = 8


async def _rows(db: Any, sql: str, params: dict[str, Any] | tuple = ()) -> list[dict[str, Any]]:
    results = await db.execute(sql, params)
    return [dict(zip(results.columns, row)) for row in results.rows]


async def paper_details(db: Any, paper_id: str) -> dict[str, Any] | None:
    """Everything the paper page shows besides the row itself."""
    found = await _rows(db, "select * from papers where id = :id", {"id": paper_id})
    if not found:
        return None
    paper = found[0]
    params = {"id": paper_id}
    keywords = await _rows(
        db,
        """select keywords.id, keywords.key, keywords.display, paper_keywords.source, paper_keywords.rank,
                  paper_keywords.score, keywords.paper_count
           from paper_keywords join keywords on keywords.id = paper_keywords.keyword_id
           where paper_keywords.paper_id = :id
           order by paper_keywords.source = 'papershelf' desc, paper_keywords.source, paper_keywords.rank""",
        params,
    )
    by_source: OrderedDict[str, list[dict[str, Any]]] = OrderedDict()
    for keyword in keywords:
        by_source.setdefault(keyword["source"], []).append(keyword)
    links = await _rows(
        db, "select kind, url, host, repo, source from links where paper_id = :id order by id", params
    )
    grouped: OrderedDict[str, list[dict[str, Any]]] = OrderedDict()
    for kind in LINK_KINDS:
        grouped[kind] = []
    for link in links:
        grouped.setdefault(link["kind"], []).append(link)
    listings = await _rows(
        db,
        """select listings.id, listings.name, listings.source, listings.shape, listings.date,
                  listings.date_text, listing_papers.position, listing_papers.upvotes,
                  listing_papers.github_stars, listing_papers.comments_count, listing_papers.listing_date
           from listing_papers join listings on listings.id = listing_papers.listing_id
           where listing_papers.paper_id = :id
           order by listing_papers.listing_date is null, listing_papers.listing_date, listings.id""",
        params,
    )
    authors = await _rows(
        db,
        """select authors.id, authors.name from paper_authors join authors on authors.id = paper_authors.author_id
           where paper_authors.paper_id = :id order by paper_authors.position""",
        params,
    )
    categories = await _rows(
        db, "select category, is_primary from paper_categories where paper_id = :id order by is_primary desc, category",
        params,
    )
    upvotes = [row for row in listings if row["upvotes"] is not None]
    top = max((row["upvotes"] for row in upvotes), default=0) or 1
    for row in upvotes:
        row["percent"] = round(100 * row["upvotes"] / top)
    return {
        "row": paper,
        "keywords_by_source": by_source,
        "keyword_count": len(keywords),
        "links_by_kind": OrderedDict((kind, items) for kind, items in grouped.items() if items),
        "listings": listings,
        "upvotes": upvotes,
        "authors": authors,
        "categories": categories,
        "similar": await _unless_slow(similar_papers(db, paper_id, SIMILAR_LIMIT)) if keywords else [],
    }


async def _unless_slow(query: Any) -> list[dict[str, Any]]:
    """A page's optional part: left out (empty) when it runs past the SQL time limit."""
    from .internals import QueryInterrupted

    try:
        return await query  # type: ignore[no-any-return]
    except QueryInterrupted:
        return []


async def similar_papers(db: Any, paper_id: str, limit: int) -> list[dict[str, Any]]:
    """Papers sharing keywords (whatever source assigned them), most shared and rarest first.

    The same ranking as the ``similar_papers`` canned query, cut to ``limit`` rows.
    """
    return await _rows(
        db,
        """with mine as (
             select distinct keyword_id from paper_keywords where paper_id = :id
           ),
           shared as (
             select distinct paper_keywords.paper_id, keywords.id, keywords.display, keywords.paper_count
             from mine join keywords on keywords.id = mine.keyword_id
             join paper_keywords on paper_keywords.keyword_id = keywords.id
             where paper_keywords.paper_id != :id
           )
           select papers.id, papers.title, count(*) as shared_keywords,
                  group_concat(shared.display, '; ') as keywords,
                  round(sum(1.0 / max(shared.paper_count, 1)), 4) as rarity, papers.last_seen
           from shared join papers on papers.id = shared.paper_id
           group by papers.id
           order by shared_keywords desc, rarity desc, papers.last_seen desc, papers.id
           limit :limit""",
        {"id": paper_id, "limit": limit},
    )


async def keyword_details(db: Any, keyword_id: int, source: str = "") -> dict[str, Any] | None:
    """A keyword: its written forms (by source), papers per source and per month (with all papers of
    the month) and latest papers. ``source`` narrows the papers to those one source gave it."""
    found = await _rows(db, "select * from keywords where id = :id", {"id": keyword_id})
    if not found:
        return None
    keyword = found[0]
    params = {"id": keyword_id, "source": source}
    aliases = await _rows(
        db, """select alias, group_concat(source || ' ' || uses, ', ') as sources, sum(uses) as uses from (
                 select alias, source, uses from keyword_aliases where keyword_id = :id order by source)
               group by alias order by uses desc, alias""", params)
    sources = await _rows(
        db, "select source, paper_count from keyword_sources where keyword_id = :id order by paper_count desc, source",
        params)
    months = await _unless_slow(_rows(
        db,
        # A month's papers are counted along the first_seen index ('~' sorts after its every date).
        """with hits as (
             select substr(papers.first_seen, 1, 7) as month, count(*) as papers
             from (select distinct paper_id from paper_keywords
                   where keyword_id = :id and (:source = '' or source = :source)) as mine
             join papers on papers.id = mine.paper_id
             where papers.first_seen is not null
             group by month
           )
           select month, papers,
             (select count(*) from papers where first_seen >= month and first_seen < month || '~') as all_papers
           from hits order by month""",
        params,
    ))
    top = max((row["papers"] for row in months), default=0) or 1
    for row in months:
        row["percent"] = round(100 * row["papers"] / top)
    papers = await _rows(
        db,
        """select papers.id, papers.title, papers.last_seen, papers.upvotes, papers.has_code
           from papers where papers.id in (select paper_id from paper_keywords
             where keyword_id = :id and (:source = '' or source = :source))
           order by papers.last_seen desc, papers.id limit 20""",
        params,
    )
    return {"row": keyword, "aliases": aliases, "sources": sources, "source": source, "months": months,
            "papers": papers}


async def site_stats(db: Any) -> dict[str, Any]:
    """The home page's figures: how much data, from when to when, and where to start."""
    counts = (await _rows(
        db,
        """select (select count(*) from papers) as papers,
                  (select count(*) from listings) as listings,
                  (select count(*) from papers where has_code) as with_code,
                  (select count(*) from keywords) as keywords,
                  (select min(listing_date) from listing_papers) as first_date,
                  (select max(listing_date) from listing_papers) as last_date""",
    ))[0]
    latest = await _rows(
        db,
        """select id, title, last_seen, upvotes, has_code from papers
           where last_seen = (select max(last_seen) from papers)
           order by upvotes desc, id limit 8""",
    )
    if not latest:
        latest = await _rows(db, "select id, title, last_seen, upvotes, has_code from papers order by rowid desc limit 8")
    top_keywords = await _rows(
        db, "select id, display, paper_count from keywords order by paper_count desc, id limit 15"
    )
    return {**counts, "latest": latest, "top_keywords": top_keywords}
