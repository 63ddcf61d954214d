"""Enrich stage: links and keywords derived from each paper's text, then the per-paper aggregates.

The ``refresh_links`` and ``refresh_keywords`` functions take the set of paper ids to refresh, or
None for all papers (a full build). The per-paper work is in pure functions (``paper_link_rows``,
``candidates``, ``rank_columns``) and in ``KeywordWriter``, so that a full build can run it in a
worker process (``etl.pipeline.parallel``) and get the same rows as this module gives in-process.

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
from typing import TYPE_CHECKING, Any

from etl.text import keyword_identity
from etl.text import links as links_module

if TYPE_CHECKING:  # etl.text.keywords brings numpy in: imported where keywords are extracted, not at `add`'s start
    from etl.text.keywords import BatchCandidates, CorpusStats, Keyword

# Structured link fields a source gives, by the name the source uses (kept as the link's source).
LINK_FIELDS = {"githubRepo": "github_repo", "projectPage": "project_page"}
BATCH = 2000
PAPERSHELF = "papershelf"  # the source of extracted keywords
TOP_KEYWORDS = 10
N_DOCS_KEY = "keyword_docs"  # build_info key: papers counted in keyword_df
KEYWORD_CACHE = 200_000  # keyword ids kept in memory by a writer (the unique index answers the rest)
KEYWORD_CHUNK = 2048  # papers per batch of keyword extraction (etl.text.keyword_batch.CHUNK_DOCS)

LINK_INSERT = "insert into links (paper_id, url, raw, host, kind, repo, source) values (?, ?, ?, ?, ?, ?, ?)"


def _chunks(ids: list[str], size: int = 500) -> Iterator[list[str]]:
    for start in range(0, len(ids), size):
        yield ids[start : start + size]


def _select_papers(conn: sqlite3.Connection, columns: str, paper_ids: set[str] | None) -> Iterator[tuple]:
    if paper_ids is None:
        yield from conn.execute(f"select {columns} from papers order by rowid")
        return
    rows: list[tuple] = []
    for chunk in _chunks(sorted(paper_ids)):
        marks = ", ".join("?" * len(chunk))
        rows += conn.execute(f"select rowid, {columns} from papers where id in ({marks})", chunk).fetchall()
    yield from (row[1:] for row in sorted(rows))  # rowid order, as for a full build


def _delete_for(conn: sqlite3.Connection, table: str, paper_ids: set[str] | None, extra: str = "") -> None:
    if paper_ids is None:
        conn.execute(f"delete from {table} where 1 {extra}")
        return
    for chunk in _chunks(sorted(paper_ids)):
        marks = ", ".join("?" * len(chunk))
        conn.execute(f"delete from {table} where paper_id in ({marks}) {extra}", chunk)


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


def rank(batch: BatchCandidates, stats: CorpusStats) -> list[list[Keyword]]:
    """The ranked keywords of each paper of ``batch`` (best first, with their displays)."""
    from etl.text.keywords import rank_batch

    return rank_batch(batch, stats, top=TOP_KEYWORDS)


def rank_columns(batch: BatchCandidates, stats: CorpusStats) -> Any:
    """``rank`` as columns (``etl.text.keywords.RankedColumns``), for a writer of rows."""
    from etl.text.keywords import rank_columns as ranked_columns

    return ranked_columns(batch, stats, top=TOP_KEYWORDS)


def new_stats(n_docs: int = 0, df: Iterable[tuple[str, int]] = ()) -> CorpusStats:
    """Corpus statistics for keyword ranking (``etl.text.keywords.CorpusStats``)."""
    from etl.text.keywords import CorpusStats

    return CorpusStats(n_docs, df)


def chunked(rows: Iterable[tuple], size: int | None = None) -> Iterator[list[tuple]]:
    """``rows`` in lists of ``size`` (KEYWORD_CHUNK): the batches keywords are extracted by."""
    size = size or KEYWORD_CHUNK
    chunk: list[tuple] = []
    for row in rows:
        chunk.append(row)
        if len(chunk) >= size:
            yield chunk
            chunk = []
    if chunk:
        yield chunk


class KeywordWriter:
    """Writes ranked keywords into ``keywords``, ``keyword_aliases`` and ``paper_keywords`` of ``conn``.

    A keyword is its concept (``keyword_identity.concept_key``), shared with every source: ids are
    given in order of first appearance to the concepts no source gave before; each paper's written
    forms are counted in ``keyword_aliases`` (``keyword_identity.resolve`` sets the displays from
    them). Papers must come in rowid order for a build to be deterministic. Rows are written in
    batches: call ``flush`` at the end. ``touched`` holds the ids of keywords whose papers changed.
    """

    def __init__(self, conn: sqlite3.Connection, *, replace: bool = False) -> None:
        self.conn = conn
        self.replace = replace  # papers may already have extracted keywords (an add)
        self._ids: dict[str, int] = {}
        self._rows: list[tuple] = []
        self._forms: Counter[tuple[int, str, str]] = Counter()
        self.touched: set[int] = set()
        self.count = 0

    def _lookup(self, keys: list[str]) -> None:
        """Cache the ids of the stored keywords among ``keys`` (one query for a paper's keywords)."""
        if len(self._ids) + len(keys) > KEYWORD_CACHE:
            self._ids.clear()
        marks = ", ".join("?" * len(keys))
        self._ids.update(self.conn.execute(f"select key, id from keywords where key in ({marks})", keys))

    def _new_keyword(self, key: str, display: str) -> int:
        keyword_id = int(self.conn.execute(
            "insert into keywords (key, display) values (?, ?)", (key, display)
        ).lastrowid or 0)
        self._ids[key] = keyword_id
        return keyword_id

    def add(self, paper_id: str, ranked: list[Any]) -> None:
        """The ranked keywords of one paper."""
        if self.replace:
            self.flush()
            self.touched.update(
                r[0] for r in self.conn.execute(
                    "select keyword_id from paper_keywords where paper_id = ? and source = ?", (paper_id, PAPERSHELF)
                )
            )
            self.conn.execute(
                "delete from paper_keywords where paper_id = ? and source = ?", (paper_id, PAPERSHELF)
            )
        ids = self._ids
        keys = [keyword_identity.concept_key(keyword.key) for keyword in ranked]
        unknown = [key for key in keys if key not in ids]
        if unknown:
            self._lookup(unknown)
        seen: set[int] = set()
        position = 0
        for key, keyword in zip(keys, ranked):
            keyword_id = ids.get(key) or self._new_keyword(key, keyword.display)
            if keyword_id in seen:
                continue
            seen.add(keyword_id)
            position += 1
            self._rows.append((paper_id, keyword_id, PAPERSHELF, position, round(float(keyword.score), 4)))
            for form, form_key in keyword_identity.forms_of(keyword.display, keyword.aliases, key):
                self._forms[(keyword_id, form, form_key)] += 1
        if self.replace:
            self.touched.update(seen)
        self.count += 1
        if len(self._rows) >= BATCH:
            self.flush()

    def flush(self) -> None:
        self.conn.executemany(
            "insert into paper_keywords (paper_id, keyword_id, source, rank, score) values (?, ?, ?, ?, ?)",
            self._rows,
        )
        self.conn.executemany(keyword_identity.FORMS_UPSERT, form_rows(self._forms))
        self._rows, self._forms = [], Counter()


def form_rows(forms: Counter[tuple[int, str, str]]) -> list[tuple]:
    """Rows for ``keyword_identity.FORMS_UPSERT`` of extracted keywords' written forms, from
    (keyword id, form, its key) and their uses."""
    return [(keyword_id, form, PAPERSHELF, key, uses) for (keyword_id, form, key), uses in forms.items()]


def store_stats(conn: sqlite3.Connection, stats: Any) -> None:
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
    conn: sqlite3.Connection, paper_ids: set[str] | None, *, filled: Iterable[str] = ()
) -> set[int]:
    """Extract and rank the keywords of ``paper_ids`` (new papers, or papers whose abstract was
    ``filled`` in), or of every paper (None). Returns the ids of keywords whose papers changed."""
    if paper_ids is None:
        _refresh_all_keywords(conn)
        return set()
    if not paper_ids:
        return set()
    return _refresh_some_keywords(conn, paper_ids, set(filled))


def _refresh_all_keywords(conn: sqlite3.Connection) -> None:
    """Every paper counted, then every paper ranked (the batch path: candidates computed twice
    rather than kept, a few kB a paper)."""
    stats = new_stats()
    for chunk in chunked(conn.execute("select title, abstract from papers order by rowid")):
        stats.add_batch(candidates(chunk))
    _delete_extracted(conn)
    writer = KeywordWriter(conn)
    for chunk in chunked(conn.execute("select id, title, abstract from papers order by rowid")):
        ranked = rank(candidates([(title, abstract) for _, title, abstract in chunk]), stats)
        for (paper_id, _, _), keywords in zip(chunk, ranked):
            writer.add(paper_id, keywords)
    writer.flush()
    store_stats(conn, stats)


def _refresh_some_keywords(conn: sqlite3.Connection, paper_ids: set[str], filled: set[str]) -> set[int]:
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
    writer = KeywordWriter(conn, replace=True)
    for (paper_id, _, _), keywords in zip(papers, rank(batch, stats)):
        writer.add(paper_id, keywords)
    writer.flush()
    return writer.touched


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
    for chunk in _chunks(sorted(paper_ids)):
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
