"""Enrich stage: links and keywords derived from each paper's text, then the per-paper aggregates.

The ``refresh_links`` and ``refresh_keywords`` functions take the set of paper ids to refresh, or
None for all papers (a full build). The work itself is in functions that read no table:
``paper_link_rows`` for links and ``rank_chunk`` for keywords (given ids through
``etl.pipeline.keyword_ids``), so that a full build can run them in a worker process
(``etl.pipeline.parallel``) and get the same rows as this module gives in-process and an add gives.

Keywords extracted by papershelf (``etl.text.keywords``) are ranked against corpus statistics: the
document frequencies of every word in ``keyword_df`` and the number of documents in ``build_info``
(``keyword_docs``). A full build counts every paper first, then ranks each one; an add counts the
new papers into the stored statistics and ranks only them (older papers keep their scores).
"""

from __future__ import annotations

import json
import sqlite3
from collections import Counter
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from itertools import compress, repeat
from typing import TYPE_CHECKING, Any, TypeVar

from etl.pipeline.keyword_ids import KeywordIds, StoredKeywordIds
from etl.text import keyword_identity
from etl.text import links as links_module

if TYPE_CHECKING:  # etl.text.keywords brings numpy in: imported where keywords are extracted, not at `add`'s start
    from etl.text.keywords import BatchCandidates, CorpusStats, RankedColumns

# Structured link fields a source gives, by the name the source uses (kept as the link's source).
LINK_FIELDS = {"githubRepo": "github_repo", "projectPage": "project_page"}
BATCH = 2000
PAPERSHELF = "papershelf"  # the source of extracted keywords
TOP_KEYWORDS = 10
N_DOCS_KEY = "keyword_docs"  # build_info key: papers counted in keyword_df
KEYWORD_CHUNK = 2048  # papers per batch of keyword extraction (etl.text.keyword_batch.CHUNK_DOCS)

T = TypeVar("T")
LINK_INSERT = "insert into links (paper_id, url, raw, host, kind, repo, source) values (?, ?, ?, ?, ?, ?, ?)"


ID_CHUNK = 500  # ids per "in (...)" list, under SQLite's limit of bound parameters


def _select_papers(conn: sqlite3.Connection, columns: str, paper_ids: set[str] | None) -> Iterator[tuple]:
    if paper_ids is None:
        yield from conn.execute(f"select {columns} from papers order by rowid")
        return
    rows: list[tuple] = []
    for chunk in chunked(sorted(paper_ids), ID_CHUNK):
        marks = ", ".join("?" * len(chunk))
        rows += conn.execute(f"select rowid, {columns} from papers where id in ({marks})", chunk).fetchall()
    yield from (row[1:] for row in sorted(rows))  # rowid order, as for a full build


def _delete_for(conn: sqlite3.Connection, table: str, paper_ids: set[str] | None, extra: str = "",
                returning: str | None = None) -> set[Any]:
    """Delete the rows of ``paper_ids`` (all when None) from ``table``; the values of the column
    ``returning`` of the deleted rows."""
    tail = f" returning {returning}" if returning else ""
    if paper_ids is None:
        return {row[0] for row in conn.execute(f"delete from {table} where 1 {extra}{tail}")}
    deleted: set[Any] = set()
    for chunk in chunked(sorted(paper_ids), ID_CHUNK):
        marks = ", ".join("?" * len(chunk))
        deleted.update(row[0] for row in conn.execute(
            f"delete from {table} where paper_id in ({marks}) {extra}{tail}", chunk))
    return deleted


# ---- links ---------------------------------------------------------------------------------------


def paper_link_rows(
    paper_id: str, abstract: str | None, github_repo: str | None, project_page: str | None
) -> list[tuple]:
    """The links table's rows for one paper: URLs of its abstract and the fields its sources gave."""
    fields = {"githubRepo": github_repo, "projectPage": project_page}
    return [
        (paper_id, link["url"], link["raw"], link["host"], link["kind"], link["repo"], json.dumps(link["source"]))
        for link in links_module.paper_links(abstract or "", fields)
    ]


def link_rows(rows: Iterable[tuple]) -> Iterator[tuple]:
    """(paper_id, abstract, github_repo, project_page) -> rows for the links table."""
    for paper_id, abstract, github_repo, project_page in rows:
        yield from paper_link_rows(paper_id, abstract, github_repo, project_page)


def refresh_links(conn: sqlite3.Connection, paper_ids: set[str] | None) -> None:
    _delete_for(conn, "links", paper_ids)
    rows = link_rows(_select_papers(conn, "id, abstract, github_repo, project_page", paper_ids))
    batch: list[tuple] = []
    for row in rows:
        batch.append(row)
        if len(batch) >= BATCH:
            conn.executemany(LINK_INSERT, batch)
            batch = []
    conn.executemany(LINK_INSERT, batch)


# ---- keywords ------------------------------------------------------------------------------------


def candidates(papers: Sequence[tuple[str | None, str | None]]) -> BatchCandidates:
    """The keyword candidates of (title, abstract) pairs (``etl.text.keywords``, the one extractor):
    builds, adds and the enrichment worker all extract keywords this way, so that they agree."""
    from etl.text.keywords import candidates_batch

    return candidates_batch(papers)


def rank_columns(batch: BatchCandidates, stats: CorpusStats) -> RankedColumns:
    """The ranked keywords of each paper of ``batch``, best first, as columns."""
    from etl.text.keywords import rank_columns as ranked_columns

    return ranked_columns(batch, stats, top=TOP_KEYWORDS)


def new_stats(n_docs: int = 0, df: Iterable[tuple[str, int]] = ()) -> CorpusStats:
    """Corpus statistics for keyword ranking (``etl.text.keywords.CorpusStats``)."""
    from etl.text.keywords import CorpusStats

    return CorpusStats(n_docs, df)


def chunked(rows: Iterable[T], size: int | None = None) -> Iterator[list[T]]:
    """``rows`` in lists of ``size`` (KEYWORD_CHUNK: the batches keywords are extracted by)."""
    size = size or KEYWORD_CHUNK
    chunk: list[T] = []
    for row in rows:
        chunk.append(row)
        if len(chunk) >= size:
            yield chunk
            chunk = []
    if chunk:
        yield chunk


@dataclass
class KeywordRows:
    """What ranking a chunk of papers writes: the keywords given new ids (id, key, display), each
    paper's keywords (paper id, keyword id, rank, score) and their written forms (rows for
    ``keyword_identity.FORMS_UPSERT``)."""

    keywords: list[tuple[int, str, str]]
    paper_keywords: list[tuple[str, int, int, float]]
    aliases: list[tuple[int, str, str, str, int]]

    def keyword_ids(self) -> set[int]:
        return {keyword_id for _, keyword_id, _, _ in self.paper_keywords}


def rank_chunk(paper_ids: Sequence[str], batch: BatchCandidates, stats: CorpusStats, ids: KeywordIds) -> KeywordRows:
    """The keyword rows of papers ``paper_ids``, whose candidates are ``batch``, ranked against
    ``stats`` with ids from ``ids``: the one enrichment of keywords, for builds in-process, the
    parallel build's enricher and adds alike.

    A keyword is its concept (``keyword_identity.concept_key``): an acronym ranked beside its long form
    is one keyword of the paper, ranked where it first comes; ranks count from 1, scores keep 4 places.
    """
    ranked = rank_columns(batch, stats)
    keys = list(map(keyword_identity.concept_key, ranked.keys))
    ids.start_chunk(keys)
    keyword_ids = list(map(ids.id_of, keys, ranked.displays))
    docs = ranked.docs.tolist()
    scores, displays, aliases = ranked.scores, ranked.displays, ranked.aliases
    pairs = list(zip(docs, keyword_ids))
    if len(set(pairs)) < len(pairs):  # an acronym and its long form, both ranked: one keyword
        seen: set[tuple[int, int]] = set()
        keep = [pair not in seen and not seen.add(pair) for pair in pairs]  # type: ignore[func-returns-value]
        docs, keyword_ids, keys, scores, displays, aliases = (list(compress(column, keep)) for column in (
            docs, keyword_ids, keys, scores, displays, aliases))
    starts: dict[int, int] = {}  # each paper's first row: ranks count from it
    for index, doc in enumerate(docs):
        starts.setdefault(doc, index)
    paper_keywords = list(zip(map(paper_ids.__getitem__, docs), keyword_ids,
                              [index - starts[doc] + 1 for index, doc in enumerate(docs)],
                              map(round, scores, repeat(4))))
    forms: Counter[tuple[int, str, str]] = Counter(
        (keyword_id, form, form_key) for keyword_id, key, display, listed in zip(keyword_ids, keys, displays, aliases)
        for form, form_key in keyword_identity.forms_of(display, listed, key))
    aliases_rows = [(keyword_id, form, PAPERSHELF, key, uses) for (keyword_id, form, key), uses in forms.items()]
    return KeywordRows(ids.end_chunk(), paper_keywords, aliases_rows)


def write_keyword_rows(conn: sqlite3.Connection, rows: KeywordRows) -> None:
    """``rank_chunk``'s rows into the database (the keywords' paper counts are set when they are
    resolved: ``keyword_identity.resolve``)."""
    conn.executemany("insert into keywords (id, key, display) values (?, ?, ?)", rows.keywords)
    conn.executemany(
        f"insert into paper_keywords (paper_id, keyword_id, source, rank, score) values (?, ?, '{PAPERSHELF}', ?, ?)",
        rows.paper_keywords)
    conn.executemany(keyword_identity.FORMS_UPSERT, rows.aliases)


def store_stats(conn: sqlite3.Connection, stats: CorpusStats) -> None:
    """Replace the stored corpus statistics with ``stats`` (a full build)."""
    conn.execute("delete from keyword_df")
    conn.executemany("insert into keyword_df (key, df) values (?, ?)", stats.rows())
    set_info(conn, N_DOCS_KEY, str(stats.n_docs))


def set_info(conn: sqlite3.Connection, key: str, value: str) -> None:
    conn.execute("insert or replace into build_info (key, value) values (?, ?)", (key, value))


def stored_docs(conn: sqlite3.Connection) -> int:
    row = conn.execute("select value from build_info where key = ?", (N_DOCS_KEY,)).fetchone()
    return int(row[0]) if row else 0


def _delete_extracted(conn: sqlite3.Connection) -> None:
    conn.execute("delete from keyword_aliases where source = ?", (PAPERSHELF,))
    conn.execute("delete from paper_keywords where source = ?", (PAPERSHELF,))
    conn.execute("delete from keywords where not exists (select 1 from keyword_aliases a where a.keyword_id = keywords.id)")


def refresh_keywords(
    conn: sqlite3.Connection, paper_ids: set[str] | None, *, filled: Iterable[str] = (), chunk: int = KEYWORD_CHUNK
) -> set[int]:
    """Extract and rank the keywords of ``paper_ids`` (new papers, or papers whose abstract was
    ``filled`` in), or of every paper (None, ``chunk`` papers at a time). Returns the ids of keywords
    whose papers changed (an add's)."""
    if paper_ids is None:
        _refresh_all_keywords(conn, chunk)
        return set()
    if not paper_ids:
        return set()
    return _refresh_some_keywords(conn, paper_ids, set(filled))


def _refresh_all_keywords(conn: sqlite3.Connection, chunk_size: int) -> None:
    """Every paper counted, then every paper ranked (candidates computed twice rather than kept, a
    few kB a paper)."""
    stats = new_stats()
    for chunk in chunked(conn.execute("select title, abstract from papers order by rowid"), chunk_size):
        stats.add_batch(candidates(chunk))
    _delete_extracted(conn)
    ids = StoredKeywordIds(conn)
    for chunk in chunked(conn.execute("select id, title, abstract from papers order by rowid"), chunk_size):
        batch = candidates([(title, abstract) for _, title, abstract in chunk])
        write_keyword_rows(conn, rank_chunk([paper_id for paper_id, _, _ in chunk], batch, stats, ids))
    store_stats(conn, stats)


def _refresh_some_keywords(conn: sqlite3.Connection, paper_ids: set[str], filled: set[str]) -> set[int]:
    """An add's papers, ranked as one chunk against the stored statistics and the new papers'."""
    papers = list(_select_papers(conn, "id, title, abstract", paper_ids))
    batch = candidates([(title, abstract) for _, title, abstract in papers])
    # The stored counts gain the new papers; a paper whose abstract was filled in was counted with
    # its title alone, which is taken back first.
    delta = batch.df_counts()
    titles_alone = [(title, "") for paper_id, title, _ in papers if paper_id in filled]
    if titles_alone:
        delta.subtract(candidates(titles_alone).df_counts())
    _apply_df_delta(conn, delta)
    n_docs = stored_docs(conn) + len(papers) - len(titles_alone)
    set_info(conn, N_DOCS_KEY, str(n_docs))
    stats = new_stats(n_docs, needed_df_rows(conn, batch.words(), batch.single_keys()))
    # Papers whose abstract was filled in had keywords from their title: replaced.
    touched = _delete_for(conn, "paper_keywords", {paper_id for paper_id, _, _ in papers},
                          f"and source = '{PAPERSHELF}'", returning="keyword_id")
    rows = rank_chunk([paper_id for paper_id, _, _ in papers], batch, stats, StoredKeywordIds(conn))
    write_keyword_rows(conn, rows)
    return touched | rows.keyword_ids()


def _apply_df_delta(conn: sqlite3.Connection, delta: Counter[str]) -> None:
    changes = [(key, count) for key, count in delta.items() if count]
    conn.executemany(
        "insert into keyword_df (key, df) values (?, ?) on conflict (key) do update set df = df + excluded.df",
        changes,
    )
    if any(count < 0 for _, count in changes):
        conn.execute("delete from keyword_df where df <= 0")


def needed_df_rows(conn: sqlite3.Connection, words: set[str], single: set[str]) -> list[tuple[str, int]]:
    """The stored document frequencies that ranking a batch reads, without loading the whole table:
    those of ``words`` (every word of its candidate phrases, ``BatchCandidates.words``) and the
    acronym definitions ("acronym=long form" keys) of its one-word phrases (``single_keys``), whose
    long forms can bring words of their own. A test checks that ranking against these rows equals
    ranking against all.
    """
    words = set(words)
    conn.execute("create temp table if not exists needed_keys (key text primary key) without rowid")
    conn.execute("delete from needed_keys")
    conn.executemany("insert or ignore into needed_keys (key) values (?)", ((key,) for key in single))
    # '=' sorts right before '>', so "acronym=..." keys lie between "acronym=" and "acronym>".
    definitions = conn.execute(
        "select d.key, d.df from needed_keys n join keyword_df d on d.key > n.key || '=' and d.key < n.key || '>'"
    ).fetchall()
    for key, _ in definitions:
        words.update(key.partition("=")[2].split(" "))
    conn.execute("delete from needed_keys")
    conn.executemany("insert or ignore into needed_keys (key) values (?)", ((word,) for word in words))
    rows = conn.execute("select d.key, d.df from needed_keys n join keyword_df d on d.key = n.key").fetchall()
    conn.execute("delete from needed_keys")
    return rows + definitions


# ---- aggregates ----------------------------------------------------------------------------------


def refresh_sighting_aggregates(conn: sqlite3.Connection) -> None:
    """Every paper's first and last seen, listing count and upvotes: one grouped pass over the
    sightings, joined to papers (a full build)."""
    conn.execute(
        """
        update papers set first_seen = s.first_seen, last_seen = s.last_seen,
          listing_count = s.listing_count, upvotes = s.upvotes
        from (select paper_id, min(listing_date) as first_seen, max(listing_date) as last_seen,
                     count(*) as listing_count, max(upvotes) as upvotes
              from listing_papers group by paper_id) as s
        where s.paper_id = papers.id
        """
    )


def mark_papers_with_code(conn: sqlite3.Connection) -> None:
    """has_code for the papers with a code link, in a new database (every paper starts without):
    only their rows are written."""
    conn.execute("update papers set has_code = 1 where id in (select paper_id from links where kind = 'code')")


def refresh_aggregates(conn: sqlite3.Connection, paper_ids: set[str]) -> None:
    """Per-paper figures derived from sightings and links (first and last seen, counts, has_code) of
    the papers an add touched (a full build computes every paper's with ``refresh_sighting_aggregates``
    and ``mark_papers_with_code``)."""
    for chunk in chunked(sorted(paper_ids), ID_CHUNK):
        marks = ", ".join("?" * len(chunk))
        conn.execute(
            f"""
            update papers set
              first_seen = (select min(listing_date) from listing_papers lp where lp.paper_id = papers.id),
              last_seen = (select max(listing_date) from listing_papers lp where lp.paper_id = papers.id),
              listing_count = (select count(*) from listing_papers lp where lp.paper_id = papers.id),
              upvotes = (select max(upvotes) from listing_papers lp where lp.paper_id = papers.id),
              has_code = exists(select 1 from links where links.paper_id = papers.id and +links.kind = 'code')
            where id in ({marks})
            """,
            chunk,
        )
