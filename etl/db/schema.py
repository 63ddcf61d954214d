"""The one truth about the database's shape: every table (SQLAlchemy Core), the two FTS5 indexes,
their triggers and the views.

Generated from this module by ``make schema`` and committed (tests fail when they drift):
``schema/papershelf.sql`` (the whole DDL, ``papershelf schema``), ``metadata.yml`` (``etl.publish.metadata``)
and ``etl/db/ddl.py``, the same DDL as Python constants, which the build, ``add`` and the search import
instead of this module: SQLAlchemy takes 0.2 s to import, and the commands that only write rows
need none of it.
"""

from __future__ import annotations

from sqlalchemy import (
    Column,
    Float,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    Table,
    Text,
    UniqueConstraint,
    create_mock_engine,
    func,
)
from sqlalchemy.schema import CreateIndex, CreateTable

# The database's name: Datasette names a database after its file (db/papershelf.db), and the plugin,
# the metadata and the canned queries address it by this name.
DATABASE = "papershelf"

metadata = MetaData()

# Dates are ISO text ("2025-03-14") written by one writer, so they sort and compare as text.

listings = Table(
    "listings",
    metadata,
    Column("id", Integer, primary_key=True, comment="Sequence number of the ingested file"),
    Column("name", Text, nullable=False, comment="File name as given"),
    Column("path", Text, nullable=False, comment="Path the file was read from"),
    Column("source", Text, nullable=False, comment="Source format: hf-text, hf-html, hf-api, arxiv-atom, arxiv-jsonl"),
    Column("shape", Text, comment="For text captures: the shape recognised (paste, compact, pagecopy, markdown, ...)"),
    Column("kind", Text, comment="The page a capture was: daily, weekly, monthly, trending or search"),
    Column("date", Text, comment="ISO date of the listing, when known (--date, file name or the listing)"),
    Column("date_text", Text, comment="The listing's own date line as shown, e.g. 'Mar 14' (no year)"),
    Column("sha256", Text, nullable=False, unique=True, comment="SHA-256 of the file's bytes"),
    Column("encoding", Text, comment="How the bytes were decoded, e.g. UTF-8, UTF-16 (BOM), cp1252"),
    Column("notes", Text, comment="What reading had to do to the file (JSON list), e.g. NUL bytes removed"),
    Column("ingested_at", Text, nullable=False, comment="When papershelf read the file (UTC, ISO)"),
    Column("records_read", Integer, nullable=False, server_default="0", comment="Records found in the file"),
    Column("papers_loaded", Integer, nullable=False, server_default="0", comment="Records that became new papers"),
    Column("papers_merged", Integer, nullable=False, server_default="0", comment="Records merged into a paper already known"),
    Column("rejected", Integer, nullable=False, server_default="0", comment="Records rejected (see rejects)"),
    comment="One row per ingested file: where it came from, its date, its fingerprint and what it contributed",
)

papers = Table(
    "papers",
    metadata,
    Column("id", Text, primary_key=True, comment="Stable readable key: the arXiv id, else a slug of the title"),
    Column("arxiv_id", Text, unique=True, comment="arXiv id without version, when known"),
    Column("title", Text, nullable=False, comment="Title as the authors wrote it (normalized white space)"),
    Column("abstract", Text, nullable=False, server_default="", comment="Abstract (hard wraps joined)"),
    Column("title_key", Text, nullable=False, comment="Case- and punctuation-free title used to match captures"),
    Column("published", Text, comment="ISO date of first arXiv publication"),
    Column("updated", Text, comment="ISO date of the latest arXiv version"),
    Column("arxiv_version", Integer, comment="Latest arXiv version seen"),
    Column("primary_category", Text, comment="arXiv primary category"),
    Column("doi", Text, comment="DOI"),
    Column("journal_ref", Text, comment="Journal reference"),
    Column("arxiv_comment", Text, comment="The authors' arXiv comment (pages, venue)"),
    Column("github_repo", Text, comment="Code repository the Daily Papers page gives (githubRepo)"),
    Column("project_page", Text, comment="Project page the Daily Papers page gives (projectPage)"),
    Column("ai_summary", Text, comment="Daily Papers' AI summary"),
    Column("organization", Text, comment="Organization the Daily Papers page credits"),
    Column("author_count", Integer, comment="Number of authors"),
    Column("upvotes", Integer, comment="Highest upvote count any listing showed"),
    Column("github_stars", Integer, comment="Latest GitHub star count a listing showed"),
    Column("comments_count", Integer, comment="Latest Daily Papers comment count"),
    Column("has_code", Integer, nullable=False, server_default="0", comment="1 when a code link is known"),
    Column("first_seen", Text, comment="Earliest listing date that showed the paper"),
    Column("last_seen", Text, comment="Latest listing date that showed the paper"),
    Column("listing_count", Integer, nullable=False, server_default="0", comment="Number of listings that showed it"),
    # papers_fts is external-content FTS5 joined on rowid, so papers must keep its rowid.
    comment="One row per distinct paper, whichever listings showed it",
)
Index("idx_papers_title_key", papers.c.title_key)
# Datasette orders the papers page by last_seen desc, then the primary key (its keyset pagination,
# `_next`): an index in exactly that order answers a page, its next pages and a has_code filter
# without sorting a million rows.
Index("idx_papers_last_seen", papers.c.last_seen.desc(), papers.c.id)
Index("idx_papers_first_seen", papers.c.first_seen)  # date ranges of the canned queries
# Datasette's default facets, filters and sorts of the papers page: an index answers them without
# reading a million rows of abstracts (a full scan of papers reads the whole table).
Index("idx_papers_has_code", papers.c.has_code, papers.c.last_seen.desc(), papers.c.id)
Index("idx_papers_organization", papers.c.organization)
Index("idx_papers_upvotes", papers.c.upvotes)
# A paper's dates by its id from the index alone: a keyword's pages join its papers by id, and a
# row of papers (abstract and all) is ten times the reading.
Index("idx_papers_id_seen", papers.c.id, papers.c.first_seen, papers.c.last_seen)

listing_papers = Table(
    "listing_papers",
    metadata,
    Column("listing_id", Integer, ForeignKey("listings.id"), primary_key=True, comment="The listing"),
    Column("paper_id", Text, ForeignKey("papers.id"), primary_key=True, comment="The paper it showed"),
    Column("position", Integer, nullable=False, comment="1-based order of the paper in the listing"),
    Column("line", Integer, comment="Line of the file where the paper's record starts"),
    Column("listing_date", Text, comment="The listing's ISO date, copied for charts over time"),
    Column("upvotes", Integer, comment="Upvotes shown in this listing"),
    Column("github_stars", Integer, comment="GitHub stars shown in this listing"),
    Column("comments_count", Integer, comment="Comments shown in this listing"),
    comment="Sightings: which listing showed which paper, where, and the upvotes it had then",
)
Index("idx_listing_papers_paper_id", listing_papers.c.paper_id)
Index("idx_listing_papers_listing_date", listing_papers.c.listing_date)  # the page's sort, date ranges

authors = Table(
    "authors",
    metadata,
    Column("id", Integer, primary_key=True, comment="Author number"),
    Column("name", Text, nullable=False, unique=True, comment="Author name as the source gives it"),
    comment="One row per distinct author name",
)

paper_authors = Table(
    "paper_authors",
    metadata,
    Column("paper_id", Text, ForeignKey("papers.id"), primary_key=True, comment="The paper"),
    Column("position", Integer, primary_key=True, comment="1-based author order"),
    Column("author_id", Integer, ForeignKey("authors.id"), nullable=False, comment="The author"),
    comment="Authors of each paper, in order",
)
Index("idx_paper_authors_author_id", paper_authors.c.author_id)

paper_categories = Table(
    "paper_categories",
    metadata,
    Column("paper_id", Text, ForeignKey("papers.id"), primary_key=True, comment="The paper"),
    Column("category", Text, primary_key=True, comment="arXiv category, e.g. cs.CL"),
    Column("is_primary", Integer, nullable=False, server_default="0", comment="1 for the primary category"),
    comment="arXiv categories of each paper",
)
Index("idx_paper_categories_category", paper_categories.c.category)

links = Table(
    "links",
    metadata,
    Column("id", Integer, primary_key=True, comment="Link number"),
    Column("paper_id", Text, ForeignKey("papers.id"), nullable=False, comment="The paper"),
    Column("url", Text, nullable=False, comment="Canonical URL (https, lower-case host, no tracking)"),
    Column("raw", Text, nullable=False, comment="The URL as first found"),
    Column("host", Text, nullable=False, comment="Host without www."),
    Column("kind", Text, nullable=False, comment="code, model, dataset, project, paper, video or other"),
    Column("repo", Text, comment="owner/name for code hosts"),
    Column("source", Text, nullable=False, comment="Where it was found, JSON list: abstract, githubRepo, projectPage"),
    UniqueConstraint("paper_id", "url"),
    comment="URLs found in abstracts and given by sources, repaired, canonicalized and classified",
)
Index("idx_links_kind", links.c.kind)
Index("idx_links_host", links.c.host)
Index("idx_links_repo", links.c.repo)

keywords = Table(
    "keywords",
    metadata,
    Column("id", Integer, primary_key=True, comment="Keyword number"),
    Column("key", Text, nullable=False, unique=True,
           comment="The concept's key (etl.text.keyword_identity): lower case, singular, no spaces or hyphens, acronym resolved"),
    Column("display", Text, nullable=False, comment="Its most used written form, with its acronym: large language models (LLMs)"),
    Column("paper_count", Integer, nullable=False, server_default="0", comment="Papers with this keyword, from any source"),
    comment="One row per keyword concept, whichever sources assigned it (extracted by papershelf, Daily Papers' ai_keywords)",
)
Index("idx_keywords_paper_count", keywords.c.paper_count)
# A keyword by the name it shows: the keyword links of the paper pages and the view's keyword facet
# filter keyword_papers by display.
Index("idx_keywords_display", keywords.c.display)

keyword_aliases = Table(
    "keyword_aliases",
    metadata,
    Column("keyword_id", Integer, ForeignKey("keywords.id"), primary_key=True, comment="The keyword"),
    Column("alias", Text, primary_key=True, comment="A written form: spelling, plural, acronym, expansion"),
    Column("source", Text, primary_key=True, comment="Who wrote it so: papershelf (a paper's text) or hf-ai"),
    Column("key", Text, nullable=False, comment="The form's own key (an acronym's is itself: llm)"),
    Column("uses", Integer, nullable=False, server_default="0", comment="Times that source wrote it so"),
    comment="Every written form of a keyword seen, and which source used it how often",
)
Index("idx_keyword_aliases_key", keyword_aliases.c.key)  # a keyword asked for by a written form

keyword_sources = Table(
    "keyword_sources",
    metadata,
    Column("keyword_id", Integer, ForeignKey("keywords.id"), primary_key=True, comment="The keyword"),
    Column("source", Text, primary_key=True, comment="papershelf or hf-ai"),
    Column("paper_count", Integer, nullable=False, comment="Papers that source gave the keyword"),
    comment="Each keyword's papers by source",
)
Index("idx_keyword_sources_source", keyword_sources.c.source, keyword_sources.c.paper_count)

paper_keywords = Table(
    "paper_keywords",
    metadata,
    Column("paper_id", Text, ForeignKey("papers.id"), primary_key=True, comment="The paper"),
    Column("keyword_id", Integer, ForeignKey("keywords.id"), primary_key=True, comment="The keyword"),
    Column("source", Text, primary_key=True, comment="Who assigned it: papershelf (extracted) or hf-ai"),
    Column("rank", Integer, nullable=False, comment="1 = best, among the paper's keywords from that source"),
    Column("score", Float, comment="Extraction score (None for keywords a source gave)"),
    comment="Ranked keywords of each paper, with their score and the source that assigned them",
)
# A keyword's papers, and each source's, from the index alone (with the paper id, not only the row's place).
Index("idx_paper_keywords_keyword_id", paper_keywords.c.keyword_id, paper_keywords.c.source, paper_keywords.c.paper_id)

keyword_df = Table(
    "keyword_df",
    metadata,
    Column("key", Text, primary_key=True, comment="Candidate phrase key"),
    Column("df", Integer, nullable=False, comment="Documents containing it"),
    comment="Corpus document frequencies, so that later adds score new papers consistently",
)

rejects = Table(
    "rejects",
    metadata,
    Column("id", Integer, primary_key=True, comment="Reject number"),
    Column("listing_id", Integer, ForeignKey("listings.id"), comment="The listing (file) it came from"),
    Column("file", Text, nullable=False, comment="File the record came from"),
    Column("line", Integer, comment="1-based line in the file"),
    Column("position", Integer, comment="1-based item index in the file"),
    Column("reason", Text, nullable=False, comment="Why it was rejected"),
    Column("raw", Text, nullable=False, comment="The record's text, cut to 2,000 characters"),
    comment="Records that could not become papers, with their file, line and reason: nothing is lost silently",
)

build_info = Table(
    "build_info",
    metadata,
    Column("key", Text, primary_key=True, comment="Name of the fact"),
    Column("value", Text, comment="Its value"),
    comment="Build facts: papershelf version, corpus size for keyword statistics",
)

# ---- full-text search: plain SQL (SQLAlchemy has no FTS5 construct) --------------------------------

# Titles, abstracts and AI summaries (a paper known only from a trending page has its summary and
# no abstract yet), external content: the rows are papers', joined on rowid (so papers keeps its
# rowid). content="papers" in double quotes: Datasette 0.65 only detects the FTS table that way.
FTS_TABLE = "papers_fts"
FTS_COLUMNS = ("title", "abstract", "ai_summary")
FTS_DDL = f"""CREATE VIRTUAL TABLE "{FTS_TABLE}" USING fts5(
    {", ".join(FTS_COLUMNS)}, content="papers", content_rowid="rowid", tokenize='porter unicode61'
)"""
# Titles say more about a paper than any abstract sentence: bm25 weights title, abstract (and the
# summary as much as the abstract).
FTS_RANK = "bm25(10.0, 1.0)"
# A merge names ai_summary in every update (the latest summary wins): the update trigger re-indexes
# only when an indexed value changed.
FTS_TRIGGERS = f"""
CREATE TRIGGER "papers_ai" AFTER INSERT ON "papers" BEGIN
  INSERT INTO "{FTS_TABLE}"(rowid, title, abstract, ai_summary) VALUES (new.rowid, new.title, new.abstract, new.ai_summary);
END;
CREATE TRIGGER "papers_ad" AFTER DELETE ON "papers" BEGIN
  INSERT INTO "{FTS_TABLE}"("{FTS_TABLE}", rowid, title, abstract, ai_summary) VALUES('delete', old.rowid, old.title, old.abstract, old.ai_summary);
END;
CREATE TRIGGER "papers_au" AFTER UPDATE OF title, abstract, ai_summary ON "papers"
WHEN old.title IS NOT new.title OR old.abstract IS NOT new.abstract OR old.ai_summary IS NOT new.ai_summary BEGIN
  INSERT INTO "{FTS_TABLE}"("{FTS_TABLE}", rowid, title, abstract, ai_summary) VALUES('delete', old.rowid, old.title, old.abstract, old.ai_summary);
  INSERT INTO "{FTS_TABLE}"(rowid, title, abstract, ai_summary) VALUES (new.rowid, new.title, new.abstract, new.ai_summary);
END;
"""

# The title index of ranked search (etl.db.search). Contentless: the titles are in papers; this index
# only orders them. rowid = words << 32 | (2^32 - 1 - the paper's rowid), so that FTS5's rowid order
# is "fewest title words first, then newest".
TITLE_FTS_TABLE = "papers_fts_title"
TITLE_FTS_DDL = f"""CREATE VIRTUAL TABLE "{TITLE_FTS_TABLE}" USING fts5(
    title, content='', tokenize='porter unicode61'
)"""
PAPER_ROWID_BITS = 0xFFFFFFFF


def title_rowid(alias: str) -> str:
    """SQL for the title index's rowid of the papers row ``alias`` (words counted by spaces, capped)."""
    return (
        f"(min(length({alias}.title) - length(replace({alias}.title, ' ', '')) + 1, 255) << 32)"
        f" | ({PAPER_ROWID_BITS} - {alias}.rowid)"
    )


# Titles are indexed by the loader's callers (``etl.db.index.index_titles``) in batches sorted by the
# index's rowid: FTS5 flushes its pending terms at every rowid lower than the one before, so one
# insert trigger per paper (rowids all over the index) would write one segment per paper. Deletes
# and title changes (neither happens in papershelf's own writes) are kept in sync by triggers.
TITLE_FTS_TRIGGERS = f"""
CREATE TRIGGER "papers_title_ad" AFTER DELETE ON "papers" BEGIN
  INSERT INTO "{TITLE_FTS_TABLE}"("{TITLE_FTS_TABLE}", rowid, title) VALUES('delete', {title_rowid("old")}, old.title);
END;
CREATE TRIGGER "papers_title_au" AFTER UPDATE OF title ON "papers" BEGIN
  INSERT INTO "{TITLE_FTS_TABLE}"("{TITLE_FTS_TABLE}", rowid, title) VALUES('delete', {title_rowid("old")}, old.title);
  INSERT INTO "{TITLE_FTS_TABLE}"(rowid, title) VALUES ({title_rowid("new")}, new.title);
END;
"""
# papers_title_ai existed in earlier databases: dropped with the others when the index is rebuilt.
TITLE_FTS_TRIGGER_NAMES = ("papers_title_ai", "papers_title_ad", "papers_title_au")
# Index the titles of the papers after rowid :since, in the index's rowid order.
TITLE_FTS_FILL = (
    f'INSERT INTO "{TITLE_FTS_TABLE}"(rowid, title)'
    f" SELECT {title_rowid('p')} AS k, p.title FROM papers p WHERE p.rowid > :since ORDER BY k"
)

# ---- views -----------------------------------------------------------------------------------------

# Views for browsing in Datasette, each made for faceting (their descriptions are in etl/metadata_base.yml).
VIEWS: dict[str, str] = {
    # One row per (paper, keyword), whichever sources assigned it (``sources``, a JSON list: an array
    # facet, and ?sources__arraycontains=hf-ai narrows to one source): facet by keyword, source, month
    # or has_code; the keyword links on a paper's page select this view's keyword facet. A paper's
    # keyword is its row of the first source (others: looked up by the primary key).
    "keyword_papers": """select
  p.title as title,
  k.display as keyword,
  (select json_group_array(source) from (select s.source from paper_keywords s
    where s.paper_id = pk.paper_id and s.keyword_id = pk.keyword_id order by s.source)) as sources,
  p.last_seen as last_seen,
  p.upvotes as upvotes,
  p.has_code as has_code,
  substr(p.first_seen, 1, 7) as month,
  p.first_seen as first_seen,
  pk.rank as rank,
  p.id as paper_id,
  k.key as keyword_key,
  k.id as keyword_id
from paper_keywords pk
join keywords k on k.id = pk.keyword_id
join papers p on p.id = pk.paper_id
where pk.source = (select min(s.source) from paper_keywords s where s.paper_id = pk.paper_id and s.keyword_id = pk.keyword_id)""",
    # One row per paper with its keywords, link kinds and hosts as JSON arrays (Datasette's array
    # facets), the month of its first listing and has_code: the papers table made for faceting.
    "paper_list": """select
  p.title as title,
  p.last_seen as last_seen,
  substr(p.first_seen, 1, 7) as month,
  p.upvotes as upvotes,
  p.has_code as has_code,
  (select json_group_array(display) from (
    select distinct k.display from paper_keywords pk join keywords k on k.id = pk.keyword_id
    where pk.paper_id = p.id order by pk.source, pk.rank)) as keywords,
  (select json_group_array(kind) from (
    select distinct kind from links where links.paper_id = p.id order by kind)) as link_kinds,
  (select json_group_array(host) from (
    select distinct host from links where links.paper_id = p.id order by host)) as link_hosts,
  p.organization as organization,
  p.first_seen as first_seen,
  p.id as paper_id
from papers p""",
}


FTS_RANK_SQL = f"""INSERT INTO "{FTS_TABLE}"("{FTS_TABLE}", rank) VALUES ('rank', '{FTS_RANK}')"""


def view_ddl(name: str) -> str:
    """The CREATE VIEW statement of ``VIEWS[name]``, as SQLite keeps it in sqlite_master."""
    return f'CREATE VIEW "{name}" as {VIEWS[name]}'


# ---- renderings -------------------------------------------------------------------------------------


def table_ddl() -> list[str]:
    """CREATE TABLE and CREATE INDEX statements for the SQLite dialect, in dependency order."""
    statements: list[str] = []

    def collect(sql, *multiparams, **params):  # type: ignore[no-untyped-def]
        statements.append(str(sql.compile(dialect=engine.dialect)).strip())

    engine = create_mock_engine("sqlite://", collect)
    for table in metadata.sorted_tables:
        collect(CreateTable(table))
        for index in sorted(table.indexes, key=lambda index: index.name or ""):
            collect(CreateIndex(index))
    return statements


def schema_sql() -> str:
    """The whole DDL as one script: tables, indexes, both FTS indexes (the rank function of the
    first) and their triggers, views. Run on an empty file, it gives the schema a build gives."""
    parts = [statement + ";" for statement in table_ddl()]
    parts += [FTS_DDL + ";", FTS_RANK_SQL + ";", FTS_TRIGGERS.strip()]
    parts += [TITLE_FTS_DDL + ";", TITLE_FTS_TRIGGERS.strip()]
    parts += [view_ddl(name) + ";" for name in VIEWS]
    return "-- Generated from etl/db/schema.py by `papershelf schema`; do not edit.\n\n" + "\n\n".join(parts) + "\n"


def ddl_values() -> dict[str, object]:
    """What etl/db/ddl.py holds: the DDL of this module for the code that runs without SQLAlchemy."""
    return {
        "DATABASE": DATABASE,
        "TABLES": table_ddl(),
        "COLUMNS": {str(table.name): tuple(str(c.name) for c in table.columns) for table in metadata.sorted_tables},
        "FTS_TABLE": FTS_TABLE,
        "FTS_COLUMNS": FTS_COLUMNS,
        "FTS_DDL": FTS_DDL,
        "FTS_RANK_SQL": FTS_RANK_SQL,
        "FTS_TRIGGERS": FTS_TRIGGERS,
        "TITLE_FTS_TABLE": TITLE_FTS_TABLE,
        "TITLE_FTS_DDL": TITLE_FTS_DDL,
        "TITLE_FTS_TRIGGERS": TITLE_FTS_TRIGGERS,
        "TITLE_FTS_TRIGGER_NAMES": TITLE_FTS_TRIGGER_NAMES,
        "TITLE_FTS_FILL": TITLE_FTS_FILL,
        "PAPER_ROWID_BITS": PAPER_ROWID_BITS,
        "VIEWS": {name: view_ddl(name) for name in VIEWS},
    }


def _python(value: object) -> str:
    """``value`` as Python source, a list item or dict entry a line (strings on one line: the readable
    rendering is schema/papershelf.sql)."""
    if isinstance(value, list):
        return "[\n" + "".join(f"    {item!r},\n" for item in value) + "]"
    if isinstance(value, dict):
        return "{\n" + "".join(f"    {key!r}: {item!r},\n" for key, item in value.items()) + "}"
    return repr(value)


def ddl_module() -> str:
    """The text of etl/db/ddl.py (``make schema`` writes it; a test fails when it drifts)."""
    header = (
        '"""The DDL of etl/db/schema.py as plain constants, for the commands that need no SQLAlchemy\n'
        "(build, add, search, the Datasette plugin). Generated by `make schema`; do not edit.\n"
        '"""\n\n'
        "# fmt: off\n# ruff: noqa: E501\n"
    )
    return header + "".join(f"\n{name} = {_python(value)}\n" for name, value in ddl_values().items())
