"""papershelf's Datasette plugin: ranked search wherever a user searches, and pages made for papers.

Registered through the ``datasette`` entry point when papershelf is installed, and by
``papershelf serve`` (and the tests) with :func:`ensure_registered` otherwise. Everything here acts on
the ``papershelf`` database only. Text from the data is never markup: templates rely on Jinja's
autoescaping, :func:`highlight` escapes before it marks, and :func:`http_url` lets only http(s) links
become ``href``.
"""

from __future__ import annotations

import urllib.parse
from typing import Any

import markupsafe
from datasette import hookimpl
from datasette.utils import tilde_encode

from . import internals, pages, ranked

DATABASE = ranked.DATABASE

# Settings for serving: read-only is Datasette's default for a database without write queries; the
# time limits keep one heavy request from holding the server. `papershelf serve` passes these.
SETTINGS: dict[str, Any] = {
    # No page of a million papers may take a second (issue 7): a query, a count or a facet that
    # would is cut short (a count then shows as unknown, a facet as timed out).
    "sql_time_limit_ms": 800,
    "facet_time_limit_ms": 150,
    "default_page_size": 50,
    "suggest_facets": False,
    "allow_facet": True,
    "truncate_cells_html": 300,
}


def ensure_registered() -> None:
    """Register this plugin with Datasette unless its entry point already did."""
    import sys

    internals.register(sys.modules[__name__], name="papershelf")


@hookimpl
def startup(datasette: Any) -> None:
    from ..serving import serve_as_papershelf

    serve_as_papershelf(datasette)  # first: the inspect data's counts are for the name "papershelf"
    internals.add_view_counts(datasette)


@hookimpl
def prepare_connection(conn: Any, database: str, datasette: Any) -> None:
    # papershelf_key('Diffusion Models') = 'diffusionmodel': a keyword's concept key as the build
    # made it (etl.text.keyword_identity), for the canned queries to find a keyword as a user writes it
    # through the keys' indexes (keywords.key, keyword_aliases.key).
    from etl.text.keyword_identity import key_of

    conn.create_function("papershelf_key", 1, lambda text: key_of(text) if isinstance(text, str) else None,
                         deterministic=True)


@hookimpl
def register_routes(datasette: Any) -> list[tuple[str, Any]]:
    return [
        (rf"^/(?P<database>{DATABASE})/(?P<table>papers)(\.(?P<format>\w+))?$", ranked.papers_table),
        (rf"^/{DATABASE}/papers/(?P<arxiv_id>\d{{4}}\.\d{{4,5}}(v\d+)?)(\.(?P<format>json))?$", arxiv_id_url),
    ]


async def arxiv_id_url(datasette: Any, request: Any) -> Any:
    """/papershelf/papers/2506.08007 as typed: Datasette needs the dot tilde-encoded (2506~2E08007)."""
    from datasette.utils.asgi import Response

    path = datasette.urls.row(DATABASE, "papers", tilde_encode(request.url_vars["arxiv_id"]),
                              format=request.url_vars.get("format"))
    return Response.redirect(path + (f"?{request.query_string}" if request.query_string else ""))


def highlight(value: Any) -> markupsafe.Markup:
    """A snippet with its ``<mark>`` markers as markup and everything else escaped."""
    escaped = str(markupsafe.escape("" if value is None else value))
    escaped = escaped.replace("&lt;mark&gt;", "<mark>").replace("&lt;/mark&gt;", "</mark>")
    # A marker the text itself contained must not leave a <mark> open past the snippet.
    opened = escaped.count("<mark>") - escaped.count("</mark>")
    return markupsafe.Markup(escaped + "</mark>" * max(opened, 0))


def http_url(value: Any) -> str | None:
    """The URL when it is http(s), else None: a javascript: or data: URL never becomes a link."""
    if not isinstance(value, str):
        return None
    url = value.strip()
    return url if urllib.parse.urlsplit(url).scheme.lower() in ("http", "https") else None


@hookimpl
def prepare_jinja2_environment(env: Any, datasette: Any) -> None:
    def paper_url(paper_id: str) -> str:
        return datasette.urls.row(DATABASE, "papers", tilde_encode(str(paper_id)))

    def keyword_url(display: str) -> str:
        return datasette.urls.table(DATABASE, "keyword_papers") + "?" + urllib.parse.urlencode({"keyword": display})

    def query_url(name: str, **params: Any) -> str:
        query = urllib.parse.urlencode({k: v for k, v in params.items() if v is not None})
        return datasette.urls.query(DATABASE, name) + (f"?{query}" if query else "")

    env.filters["highlight"] = highlight
    env.filters["http_url"] = http_url
    env.filters["paper_url"] = paper_url
    env.filters["keyword_url"] = keyword_url
    env.globals["papershelf_query_url"] = query_url


@hookimpl
def render_cell(row: Any, value: Any, column: str, table: str | None, database: str, datasette: Any) -> Any:
    """In the views (which have no foreign keys), titles link to papers, keywords to their facet."""
    if database != DATABASE or table not in ("keyword_papers", "paper_list") or value is None:
        return None
    if column in ("paper_id", "title"):
        paper_id = row["paper_id"]
        href = datasette.urls.row(DATABASE, "papers", tilde_encode(str(paper_id)))
        return markupsafe.Markup('<a href="{}">{}</a>').format(href, value)
    if column == "keyword":
        href = datasette.urls.table(DATABASE, "keyword_papers") + "?" + urllib.parse.urlencode({"keyword": value})
        return markupsafe.Markup('<a href="{}">{}</a>').format(href, value)
    return None


@hookimpl
def extra_template_vars(template: str, database: str | None, table: str | None, view_name: str,
                        request: Any, datasette: Any) -> Any:
    if DATABASE not in datasette.databases:
        return None

    async def inner() -> dict[str, Any]:
        db = datasette.get_database(DATABASE)
        if view_name == "index":
            return {"papershelf_stats": await pages.site_stats(db)}
        if view_name == "row" and database == DATABASE and request is not None:
            key = internals.urlsafe_components(request.url_vars["pks"])[0]
            if table == "papers":
                return {"paper": await pages.paper_details(db, key)}
            if table == "keywords" and key.isdigit():
                return {"keyword": await pages.keyword_details(db, int(key), request.args.get("source", ""))}
        return {}

    return inner
