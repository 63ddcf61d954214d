"""Ranked full-text search over titles and abstracts, in time that does not grow with the corpus.

FTS5's bm25 must look at every match of every word to rank (and to count the documents each word
occurs in): a word such as "model" matches most of a million abstracts, and ``ORDER BY bm25`` then
costs hundreds of milliseconds. papershelf ranks with two indexes that FTS5 reads in rank order and
stops after one page:

1. **Every word in the title** (``papers_fts_title``, a small title-only index whose rowids sort by
   the title's number of words, then newest first): the papers whose title has every query word,
   shortest titles first. Among title matches that is bm25's own order (a word weighs more in a
   shorter title), and bm25 with titles weighted 10 to 1 puts such papers above all others.
2. **The words anywhere** (``papers_fts``, newest first): papers with every word in the title or
   abstract, filling the page when fewer titles match.

Both stop after ``limit`` rows, so a search costs about the same for "model" as for a rare word;
``snippet()`` marks the words in the page's rows only. The Datasette ``search`` canned query runs the
same SQL (``CANNED_SEARCH_SQL``, written into metadata.yml by ``etl.publish.metadata``). Both indexes are
declared in ``etl.db.schema``.
"""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass

from .ddl import FTS_TABLE, PAPER_ROWID_BITS, TITLE_FTS_TABLE

# Markers that cannot occur in cleaned text; the caller turns them into ANSI bold, <mark>, etc.
HIGHLIGHT_START, HIGHLIGHT_END = "\x02", "\x03"

RANKED_BY = (
    "relevance: papers with every word in the title first, shorter titles first (as bm25 weighs them),"
    " then papers with the words in the abstract; newest first among equals"
)
TEXT_ONLY_SCORE = 1000  # the score column of papers that match in the abstract only


def ranked_sql(query: str, limit: str, snippet: str, *, where: str = "", offset: str = "0",
               columns: str = "") -> str:
    """The ranked search as SQL.

    ``query`` is SQL giving the FTS5 query text, ``limit`` and ``offset`` SQL for the page,
    ``snippet`` the snippet() call. ``where``: an extra condition on the papers columns (unqualified
    names; Datasette's column filters), checked before a row counts towards the page. Columns: id,
    title, snippet, last_seen, upvotes, has_code, first_seen, in_title (1 when every word is in the
    title), score (the title's number of words; TEXT_ONLY_SCORE for abstract matches: lower is
    better), then ``columns`` (a list of ``papers.<column>``, with its leading comma).
    """
    condition = f"\n    and exists (select 1 from papers where papers.rowid = {{rowid}} and ({where}))" if where else ""
    return f"""with query as (select {query} as text),
in_title as (
  select {PAPER_ROWID_BITS} - (t.rowid & {PAPER_ROWID_BITS}) as paper_rowid, t.rowid as sort_key
  from {TITLE_FTS_TABLE} t
  where {TITLE_FTS_TABLE} match (select text from query){condition.format(rowid=f"{PAPER_ROWID_BITS} - (t.rowid & {PAPER_ROWID_BITS})")}
  order by t.rowid
  limit {limit} + {offset}
),
in_text as (
  select f.rowid as paper_rowid
  from {FTS_TABLE} f
  where {FTS_TABLE} match (select text from query)
    and f.rowid not in (select paper_rowid from in_title){condition.format(rowid="f.rowid")}
  order by f.rowid desc
  limit {limit} + {offset}
),
hits as (
  select paper_rowid, 1 as in_title, sort_key from in_title
  union all
  select paper_rowid, 0, -paper_rowid from in_text
  order by in_title desc, sort_key
  limit {limit} offset {offset}
)
select
  papers.id,
  papers.title,
  {snippet} as snippet,
  papers.last_seen,
  papers.upvotes,
  papers.has_code,
  papers.first_seen,
  hits.in_title,
  case when hits.in_title then hits.sort_key >> 32 else {TEXT_ONLY_SCORE} end as score{columns}
from hits
join papers on papers.rowid = hits.paper_rowid
join {FTS_TABLE} on {FTS_TABLE}.rowid = hits.paper_rowid and {FTS_TABLE} match (select text from query)
order by hits.in_title desc, hits.sort_key"""


SEARCH_SQL = ranked_sql(":query", ":limit", f"snippet({FTS_TABLE}, -1, char(2), char(3), '…', 24)")
# The Datasette canned query: the same search, for the text a user typed (an empty search matches
# nothing: '""' is a valid FTS5 query for the empty phrase).
CANNED_SEARCH_SQL = ranked_sql(
    "coalesce(nullif(escape_fts(:q), ''), '\"\"')", "50", f"snippet({FTS_TABLE}, -1, '<mark>', '</mark>', '…', 24)"
)


@dataclass(frozen=True)
class Hit:
    id: str
    title: str
    first_seen: str | None
    last_seen: str | None
    snippet: str
    in_title: bool  # every word of the search is in the title


def fts_query(text: str) -> str:
    """User text to an FTS5 query that is never a syntax error: every word quoted, all required,
    "quoted phrases" kept. The same escape_fts() Datasette's canned queries call, so both rank alike.
    """
    # Datasette's own escape (undocumented: tests/test_datasette_internals.py checks it), imported here
    # from datasette.utils alone: Datasette takes 0.15 s to import, its plugin package 0.8 s.
    from datasette.utils import escape_fts

    return escape_fts(text.strip())


def search(conn: sqlite3.Connection, text: str, limit: int = 10) -> list[Hit]:
    query = fts_query(text)
    if not query:
        return []
    return [
        Hit(id=paper_id, title=title, first_seen=first_seen, last_seen=last_seen, snippet=snippet,
            in_title=bool(in_title))
        for paper_id, title, snippet, last_seen, _upvotes, _has_code, first_seen, in_title, _score
        in conn.execute(SEARCH_SQL, {"query": query, "limit": limit})
    ]
