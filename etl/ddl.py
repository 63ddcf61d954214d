"""The part of the database's shape that is plain SQL: the FTS5 index, its triggers and the views.

Kept apart from the SQLAlchemy tables of ``etl.schema`` (which re-exports these names) so that the
commands that only write rows, such as `papershelf add`, start without importing SQLAlchemy.
"""

from __future__ import annotations

FTS_TABLE = "papers_fts"
# ai_summary too: a paper known only from a trending page has its AI summary and no abstract yet.
FTS_COLUMNS = ("title", "abstract", "ai_summary")
# content="papers" in double quotes: Datasette 0.65 only detects the FTS table that way.
FTS_DDL = f"""CREATE VIRTUAL TABLE "{FTS_TABLE}" USING fts5(
    {", ".join(FTS_COLUMNS)}, content="papers", content_rowid="rowid", tokenize='porter unicode61'
)"""
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

# Views for browsing in Datasette, each made for faceting (their descriptions are in etl/metadata_base.yml).
VIEWS: dict[str, str] = {
    # One row per (paper, keyword): facet by keyword, source, month or has_code; the keyword links on a
    # paper's page select this view's keyword facet.
    "keyword_papers": """select
  p.title as title,
  k.display as keyword,
  pk.source as source,
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
join papers p on p.id = pk.paper_id""",
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
