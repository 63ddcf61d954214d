"""The part of the database's shape that is plain SQL: the FTS5 index, its triggers and the views.

Kept apart from the SQLAlchemy tables of ``etl.schema`` (which re-exports these names) so that the
commands that only write rows, such as `papershelf add`, start without importing SQLAlchemy.
"""

from __future__ import annotations

FTS_TABLE = "papers_fts"
FTS_COLUMNS = ("title", "abstract")
# content="papers" in double quotes: Datasette 0.65 only detects the FTS table that way.
FTS_DDL = f"""CREATE VIRTUAL TABLE "{FTS_TABLE}" USING fts5(
    {", ".join(FTS_COLUMNS)}, content="papers", content_rowid="rowid", tokenize='porter unicode61'
)"""
FTS_TRIGGERS = f"""
CREATE TRIGGER "papers_ai" AFTER INSERT ON "papers" BEGIN
  INSERT INTO "{FTS_TABLE}"(rowid, title, abstract) VALUES (new.rowid, new.title, new.abstract);
END;
CREATE TRIGGER "papers_ad" AFTER DELETE ON "papers" BEGIN
  INSERT INTO "{FTS_TABLE}"("{FTS_TABLE}", rowid, title, abstract) VALUES('delete', old.rowid, old.title, old.abstract);
END;
CREATE TRIGGER "papers_au" AFTER UPDATE OF title, abstract ON "papers" BEGIN
  INSERT INTO "{FTS_TABLE}"("{FTS_TABLE}", rowid, title, abstract) VALUES('delete', old.rowid, old.title, old.abstract);
  INSERT INTO "{FTS_TABLE}"(rowid, title, abstract) VALUES (new.rowid, new.title, new.abstract);
END;
"""

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
