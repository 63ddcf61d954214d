"""Ranked full-text search for the papers table: ``/papershelf/papers?_search=`` (HTML) and ``.json``.

Datasette 0.65 filters a table by ``?_search=`` but orders the matches by a column, never by relevance.
This view takes over such requests when the user asked for no sort of their own: it keeps the
table's column filters (``has_code=1``, ``last_seen__gte=2025-01-01``: Datasette's own filter syntax),
orders by relevance as ``etl.db.search`` does (every word in the title first, shorter titles first, as
bm25 weighs them; then the other matches, newest first) and adds a snippet with the matching words
in ``<mark>``. Anything else (an explicit ``_sort``, facets, ``_where``, CSV, …)
goes to Datasette's table view unchanged.
"""

from __future__ import annotations

import sqlite3
import urllib.parse
from dataclasses import dataclass, field
from typing import Any, NamedTuple

from datasette.utils.asgi import Response

from etl.db import search as search_module
from .internals import Filters, QueryInterrupted, escape_sqlite, table_view
from etl.db.ddl import COLUMNS, DATABASE, FTS_TABLE

TABLE = "papers"
PAPER_COLUMNS = list(COLUMNS[TABLE])
# Query-string arguments this view understands; any other _argument means "Datasette's table view".
OWN_ARGUMENTS = {"_search", "_searchmode", "_size", "_next", "_shape", "_sort", "_sort_desc"}
SHAPES = ("arrays", "objects", "array", "object")
RANKED_BY = search_module.RANKED_BY
SNIPPET = f"snippet({FTS_TABLE}, -1, '<mark>', '</mark>', '…', 24)"
# Columns a search can be sorted by here, with the index that gives that order and the tie-breaker
# the index holds: a word of half the corpus matches 500,000 papers at a million, and Datasette's
# own sorted search reads and sorts them all (seconds). Other sorts go to Datasette's table view.
class Sort(NamedTuple):
    index: str
    tie: str  # the index's last column
    tie_inverted: bool  # the index holds the tie-breaker ascending under a descending column
    labels: tuple[str, str]  # what the page says, descending and ascending


SORTS = {
    "last_seen": Sort("idx_papers_last_seen", "id", True, ("newest first", "oldest first")),
    "first_seen": Sort("idx_papers_first_seen", "rowid", False, ("newest first", "oldest first")),
    "upvotes": Sort("idx_papers_upvotes", "rowid", False, ("most upvoted first", "least upvoted first")),
}
FEW_MATCHES = 5_000  # up to this many matches are read and sorted; more are found along the index


class SearchError(ValueError):
    """Search text or arguments that cannot run; the message says what to change."""


@dataclass
class RankedSearch:
    """One ranked search: the text, Datasette-style column filters, a page."""

    text: str
    raw: bool = False  # FTS5 query syntax (AND, OR, NOT, NEAR, prefix*, column:) instead of words
    filters: list[tuple[str, str]] = field(default_factory=list)
    size: int = 50
    offset: int = 0
    sort: str | None = None  # a column of SORTS: matches in its order instead of by relevance
    descending: bool = False

    def match_expression(self) -> str:
        return self.text if self.raw else search_module.fts_query(self.text)

    def where(self) -> tuple[str, dict[str, Any]]:
        """The column filters as SQL over the subquery's columns (names validated, values bound)."""
        unknown = sorted({column for column, _, _ in Filters(self.filters).selections()} - set(PAPER_COLUMNS))
        if unknown:
            raise SearchError(f"papers has no column {', '.join(map(repr, unknown))} to filter on")
        clauses, params = Filters(sorted(self.filters)).build_where_clauses(TABLE)
        return (" and ".join(clauses) or "1"), params

    def human_description(self) -> str:
        return Filters(sorted(self.filters)).human_description_en()

    def sql(self) -> tuple[str, str, dict[str, Any]]:
        """(rows SQL, count SQL, params). The filters apply outside the FTS join, where ``title``
        means the paper's column; ORDER BY rank with no tie-breaker lets FTS5 return rows in rank
        order itself, so snippets are made only for the page's rows."""
        where, params = self.where()
        params = {**params, "search": self.match_expression(), "limit": self.size + 1, "offset": self.offset}
        if not self.raw:
            # etl.db.search's ranking: one page read in rank order, the same for any corpus size.
            rows_sql = search_module.ranked_sql(
                ":search", ":limit", SNIPPET, where="" if where == "1" else where, offset=":offset",
                columns="".join(f", papers.{escape_sqlite(c)} as {escape_sqlite(c)}" for c in PAPER_COLUMNS),
            )
            count_sql = (
                f"select count(*) from {FTS_TABLE} where {FTS_TABLE} match :search" if where == "1" else
                f"select count(*) from {FTS_TABLE} join papers on papers.rowid = {FTS_TABLE}.rowid"
                f" where {FTS_TABLE} match :search and ({where})"
            )
            return rows_sql, count_sql, params
        columns = ", ".join(f"papers.{escape_sqlite(c)}" for c in PAPER_COLUMNS)
        inner = (
            f"select {columns}, {SNIPPET} as snippet, {FTS_TABLE}.rank as score"
            f" from {FTS_TABLE} join papers on papers.rowid = {FTS_TABLE}.rowid"
            f" where {FTS_TABLE} match :search"
        )
        rows_sql = f"select * from ({inner}) where {where} order by score limit :limit offset :offset"
        count_inner = (
            f"select {columns} from {FTS_TABLE} join papers on papers.rowid = {FTS_TABLE}.rowid"
            f" where {FTS_TABLE} match :search"
        )
        count_sql = f"select count(*) from ({count_inner}) where {where}"
        return rows_sql, count_sql, params


    def order_by(self) -> str:
        assert self.sort is not None
        sort = SORTS[self.sort]
        tie_descending = self.descending != sort.tie_inverted
        return (f"{escape_sqlite(self.sort)}{' desc' if self.descending else ''},"
                f" {sort.tie}{' desc' if tie_descending else ''}")

    def sorted_sql(self, strategy: str) -> str:
        """The rows SQL of a sorted search (``order_by``), by ``strategy`` (see ``sorted_strategy``):
        ``few``: the matches, sorted; ``along``: the sort's index read in order, each row looked up
        in the set of matches; ``probe``: the index read in order, each row asked of the FTS index."""
        where, _ = self.where()
        columns = ", ".join(f"papers.{escape_sqlite(c)}" for c in PAPER_COLUMNS)
        index = SORTS[self.sort or ""].index
        if strategy == "probe":
            match = (f"exists (select 1 from {FTS_TABLE} where {FTS_TABLE} match :search"
                     f" and {FTS_TABLE}.rowid = papers.rowid)")
        else:
            match = f"papers.rowid in (select rowid from {FTS_TABLE} where {FTS_TABLE} match :search)"
        indexed = "" if strategy == "few" else f" indexed by {index}"
        return (f"select {columns}, papers.rowid as rowid from papers{indexed} where {match} and ({where})"
                f" order by {self.order_by()} limit :limit offset :offset")

    def sorted_by(self) -> str:
        assert self.sort is not None
        return SORTS[self.sort].labels[0 if self.descending else 1]


def sorted_strategy(matches: int | None, papers: int, offset: int) -> str:
    """How to find a page of a sorted search, from the number of matches (None: too many to count
    in time) among ``papers``. Few matches are read and sorted; with many, the sort's index is read
    in order until the page is full: against the set of matches (its cost grows with the matches),
    or, when a fifth of the papers or more match and the page is near the start, asking the FTS
    index about each row (a row in five matches, so few rows are asked)."""
    if matches is not None and matches <= FEW_MATCHES:
        return "few"
    if (matches is None or matches * 5 >= papers) and offset < 500:
        return "probe"
    return "along"


def wants_ranked(request: Any) -> bool:
    """A search on the papers table, ranked or sorted by a column of SORTS, with nothing only the
    table view does."""
    args = request.args
    if "_search" not in args:
        return False
    sort, sort_desc = args.get("_sort"), args.get("_sort_desc")
    requested = sort or sort_desc
    if (sort and sort_desc) or (requested and requested not in SORTS):
        return False
    for key in args:
        if key.startswith("_") and "__" not in key and key not in OWN_ARGUMENTS:
            return False
    return request.url_vars.get("format") in (None, "json")


def parse_request(request: Any, default_size: int, max_size: int) -> RankedSearch:
    args = request.args
    text = (args.get("_search") or "").strip()
    raw = args.get("_searchmode") == "raw"
    filters = [
        (key, value)
        for key in args
        if not (key.startswith("_") and "__" not in key)
        for value in args.getlist(key)
    ]
    try:
        size = int(args.get("_size") or default_size) if args.get("_size") != "max" else max_size
        offset = int(args.get("_next") or 0)
    except ValueError:
        raise SearchError("_size and _next must be whole numbers") from None
    if size < 1 or size > max_size:
        raise SearchError(f"_size must be between 1 and {max_size}")
    if offset < 0:
        raise SearchError("_next must not be negative")
    sort = args.get("_sort_desc") or args.get("_sort") or None
    return RankedSearch(text=text, raw=raw, filters=filters, size=size, offset=offset, sort=sort,
                        descending=bool(args.get("_sort_desc")))


def explain_fts_error(search: RankedSearch, error: Exception) -> str:
    """A message a person can act on, for an FTS5 syntax error."""
    detail = str(error).removeprefix("fts5: ")
    if search.raw:
        return (
            f"The search “{search.text}” is not valid full-text query syntax ({detail}). With"
            " _searchmode=raw, AND, OR, NOT and NEAR are operators, quotes must pair up and a"
            " column filter needs a column name (title: or abstract:). Put words in \"double quotes\""
            " to search for them literally, or drop _searchmode=raw to search for the words as typed."
        )
    return f"The search “{search.text}” could not run ({detail}). Try plain words."


async def run(datasette: Any, search: RankedSearch) -> tuple[list[dict[str, Any]], int | None]:
    """The page's rows (dicts) and the number of matches (None when counting took too long)."""
    db = datasette.get_database(DATABASE)
    rows_sql, count_sql, params = search.sql()
    count: int | None = None
    if search.sort:
        # The number of matches decides how to find the page (and is shown with it).
        count = await _count(db, search, count_sql, params)
        papers = (await db.execute("select coalesce(max(rowid), 0) from papers")).first()[0]
        rows_sql = search.sorted_sql(sorted_strategy(count, papers, search.offset))
    try:
        results = await db.execute(rows_sql, params, log_sql_errors=False)
    except QueryInterrupted:
        raise SearchError(
            f"The search “{search.text}” took too long: add words to narrow it, or a filter"
        ) from None
    except sqlite3.OperationalError as error:
        raise _search_error(search, error) from None
    rows = [dict(zip(results.columns, row)) for row in results.rows]
    if search.sort:
        await _add_snippets(db, rows, params["search"])
        return rows, count
    return rows, await _count(db, search, count_sql, params)


async def _count(db: Any, search: RankedSearch, count_sql: str, params: dict[str, Any]) -> int | None:
    """The number of matches, None when counting takes longer than Datasette allows a query."""
    try:
        return int((await db.execute(count_sql, params, log_sql_errors=False)).first()[0])
    except QueryInterrupted:
        return None
    except sqlite3.OperationalError as error:
        raise _search_error(search, error) from None


def _search_error(search: RankedSearch, error: sqlite3.OperationalError) -> Exception:
    """The error to raise for a failed search query: a SearchError for the search's own syntax.
    Raw FTS5 syntax fails in many ways (syntax error, unterminated string, no such column, unknown
    special query); a locked or broken database is not the search's fault."""
    message = str(error)
    if (search.raw or "fts5" in message) and "locked" not in message and "disk" not in message:
        return SearchError(explain_fts_error(search, error))
    return error


async def _add_snippets(db: Any, rows: list[dict[str, Any]], match: str) -> None:
    """Snippets for a sorted page (the FTS index makes them only for the rows it is asked about)."""
    rowids = [row.pop("rowid") for row in rows]
    params = {"search": match, **{f"r{i}": rowid for i, rowid in enumerate(rowids)}}
    marks = ", ".join(f":r{i}" for i in range(len(rowids)))
    found = {} if not rowids else dict((await db.execute(
        f"select rowid, {SNIPPET} from {FTS_TABLE} where {FTS_TABLE} match :search and rowid in ({marks})", params
    )).rows)
    for row, rowid in zip(rows, rowids):
        row["snippet"], row["score"] = found.get(rowid, ""), None


def _url(request: Any, path: str, changes: dict[str, str | None]) -> str:
    """``path`` with the request's query string, some arguments replaced or (None) removed."""
    pairs = [(k, v) for k, v in urllib.parse.parse_qsl(request.query_string, keep_blank_values=True)
             if k not in changes]
    pairs += [(k, v) for k, v in changes.items() if v is not None]
    query = urllib.parse.urlencode(pairs)
    return path + (f"?{query}" if query else "")


def _json(datasette: Any, request: Any, search: RankedSearch, rows: list[dict[str, Any]],
          count: int | None, next_url: str | None) -> Response:
    shape = request.args.get("_shape") or "arrays"
    if shape not in SHAPES:
        return _json_error(f"_shape must be one of {', '.join(SHAPES)}", 400)
    columns = [*PAPER_COLUMNS, "snippet", "score"]
    if shape == "array":
        return Response.json(rows)
    if shape == "object":
        return Response.json({row["id"]: row for row in rows})
    body = {
        "ok": True,
        "database": DATABASE,
        "table": TABLE,
        "search": search.text,
        **({"sorted_by": search.order_by()} if search.sort else {"ranked_by": RANKED_BY}),
        "human_description_en": _description(search),
        "filtered_table_rows_count": count,
        "columns": columns,
        "primary_keys": ["id"],
        "rows": rows if shape == "objects" else [[row[c] for c in columns] for row in rows],
        "next": str(search.offset + search.size) if next_url else None,
        "next_url": datasette.absolute_url(request, next_url) if next_url else None,
    }
    return Response.json(body)


def _json_error(message: str, status: int) -> Response:
    return Response.json({"ok": False, "error": message, "status": status, "title": "Search error"},
                         status=status)


def _description(search: RankedSearch) -> str:
    filters = search.human_description()
    text = f'search matches "{search.text}"'
    if search.sort:
        text += f", sorted by {search.sort}{' descending' if search.descending else ''}"
    return f"{text} {filters}" if filters else text


async def papers_table(datasette: Any, request: Any, send: Any) -> Response | None:
    """Route for /papershelf/papers[.format]: ranked search, or Datasette's own table view."""
    if not wants_ranked(request) or DATABASE not in datasette.databases:
        return await table_view(datasette, request, send)
    await datasette.ensure_permissions(
        request.actor, [("view-table", (DATABASE, TABLE)), ("view-database", DATABASE), "view-instance"]
    )
    is_json = request.url_vars.get("format") == "json"
    path = request.path
    table_path = datasette.urls.table(DATABASE, TABLE)
    size = datasette.metadata("size", database=DATABASE, table=TABLE, fallback=False)
    try:
        search = parse_request(request, int(size or datasette.setting("default_page_size")),
                               datasette.setting("max_returned_rows"))
    except SearchError as error:
        return _json_error(str(error), 400) if is_json else await _html(
            datasette, request, RankedSearch(text=request.args.get("_search", "")), [], None, None, str(error), 400)
    if not search.text:
        # An empty search box means "no search": the table itself (JSON callers get told).
        if is_json:
            return _json_error("Empty search: give _search some words, e.g. ?_search=diffusion", 400)
        return Response.redirect(_url(request, table_path, {"_search": None, "_searchmode": None}))
    try:
        rows, count = await run(datasette, search)
    except SearchError as error:
        if is_json:
            return _json_error(str(error), 400)
        return await _html(datasette, request, search, [], None, None, str(error), 400)
    next_url = None
    if len(rows) > search.size:
        rows = rows[: search.size]
        next_url = _url(request, path, {"_next": str(search.offset + search.size)})
    if is_json:
        return _json(datasette, request, search, rows, count, next_url)
    return await _html(datasette, request, search, rows, count, next_url, None, 200)


async def _html(datasette: Any, request: Any, search: RankedSearch, rows: list[dict[str, Any]],
                count: int | None, next_url: str | None, error: str | None, status: int) -> Response:
    table_path = datasette.urls.table(DATABASE, TABLE)
    filters = [
        {"description": Filters([(key, value)]).human_description_en().removeprefix("where "),
         "remove_url": _url_without_pair(request, table_path, key, value)}
        for key, value in search.filters
    ]
    has_code_only = ("has_code", "1") in search.filters
    context = {
        "database": DATABASE,
        "table": TABLE,
        "search": search.text,
        "searchmode": "raw" if search.raw else "",
        "rows": rows,
        "count": count,
        "offset": search.offset,
        "next_url": next_url,
        "error": error,
        "filters": filters,
        "hidden_args": [(k, v) for k, v in search.filters] + ([("_searchmode", "raw")] if search.raw else [])
        + ([("_sort_desc" if search.descending else "_sort", search.sort)] if search.sort else []),
        "has_code_only": has_code_only,
        "has_code_url": _url(request, table_path, {"has_code": None if has_code_only else "1", "_next": None}),
        "json_url": _url(request, datasette.urls.table(DATABASE, TABLE, format="json"), {"_shape": "objects"}),
        "newest_first_url": _url(request, table_path, {"_sort_desc": "last_seen", "_sort": None, "_next": None}),
        "best_first_url": _url(request, table_path, {"_sort_desc": None, "_sort": None, "_next": None}),
        "sorted_by": search.sorted_by() if search.sort else None,
        "ranked_by": RANKED_BY,
        "metadata": datasette.metadata(database=DATABASE, table=TABLE, fallback=False),
    }
    html = await datasette.render_template(["papershelf_search.html"], context, request=request,
                                           view_name="papershelf_search")
    return Response.html(html, status=status)


def _url_without_pair(request: Any, path: str, key: str, value: str) -> str:
    pairs = [(k, v) for k, v in urllib.parse.parse_qsl(request.query_string, keep_blank_values=True)
             if (k, v) != (key, value) and k != "_next"]
    query = urllib.parse.urlencode(pairs)
    return path + (f"?{query}" if query else "")
