"""The one truth about the database's shape: tables (SQLAlchemy Core), the FTS index and views.

``schema/papershelf.sql`` is generated from this module (``papershelf schema``) and committed;
a test fails when the two drift.
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

from .ddl import FTS_COLUMNS, FTS_DDL, FTS_TABLE, FTS_TRIGGERS, VIEWS  # noqa: F401 (re-exported)

metadata = MetaData()

# Dates are ISO text ("2025-03-14") written by one writer, so they sort and compare as text.

listings = Table(
    "listings",
    metadata,
    Column("id", Integer, primary_key=True, comment="Sequence number of the ingested file"),
    Column("name", Text, nullable=False, comment="File name as given"),
    Column("path", Text, nullable=False, comment="Path the file was read from"),
    Column("source", Text, nullable=False, comment="Source format: hf-text, hf-api, arxiv-atom, arxiv-jsonl"),
    Column("shape", Text, comment="For text captures: paste, compact, pagecopy or markdown"),
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
           comment="The concept's key (etl.keyword_identity): lower case, singular, no spaces or hyphens, acronym resolved"),
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
    """The whole DDL as one script: tables, indexes, the FTS index and its triggers, views."""
    parts = [statement + ";" for statement in table_ddl()]
    parts.append(FTS_DDL + ";")
    parts.append(FTS_TRIGGERS.strip())
    parts.extend(f'CREATE VIEW "{name}" AS {sql};' for name, sql in VIEWS.items())
    return "-- Generated from etl/schema.py by `papershelf schema`; do not edit.\n\n" + "\n\n".join(parts) + "\n"
