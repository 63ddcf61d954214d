-- Generated from etl/db/schema.py by `papershelf schema`; do not edit.

CREATE TABLE authors (
	id INTEGER NOT NULL, 
	name TEXT NOT NULL, 
	PRIMARY KEY (id), 
	UNIQUE (name)
);

CREATE TABLE build_info (
	"key" TEXT NOT NULL, 
	value TEXT, 
	PRIMARY KEY ("key")
);

CREATE TABLE keyword_df (
	"key" TEXT NOT NULL, 
	df INTEGER NOT NULL, 
	PRIMARY KEY ("key")
);

CREATE TABLE keywords (
	id INTEGER NOT NULL, 
	"key" TEXT NOT NULL, 
	display TEXT NOT NULL, 
	paper_count INTEGER DEFAULT '0' NOT NULL, 
	PRIMARY KEY (id), 
	UNIQUE ("key")
);

CREATE INDEX idx_keywords_display ON keywords (display);

CREATE INDEX idx_keywords_paper_count ON keywords (paper_count);

CREATE TABLE listings (
	id INTEGER NOT NULL, 
	name TEXT NOT NULL, 
	path TEXT NOT NULL, 
	source TEXT NOT NULL, 
	shape TEXT, 
	kind TEXT, 
	date TEXT, 
	date_text TEXT, 
	sha256 TEXT NOT NULL, 
	encoding TEXT, 
	notes TEXT, 
	ingested_at TEXT NOT NULL, 
	records_read INTEGER DEFAULT '0' NOT NULL, 
	papers_loaded INTEGER DEFAULT '0' NOT NULL, 
	papers_merged INTEGER DEFAULT '0' NOT NULL, 
	rejected INTEGER DEFAULT '0' NOT NULL, 
	PRIMARY KEY (id), 
	UNIQUE (sha256)
);

CREATE TABLE papers (
	id TEXT NOT NULL, 
	arxiv_id TEXT, 
	title TEXT NOT NULL, 
	abstract TEXT DEFAULT '' NOT NULL, 
	title_key TEXT NOT NULL, 
	published TEXT, 
	updated TEXT, 
	arxiv_version INTEGER, 
	primary_category TEXT, 
	doi TEXT, 
	journal_ref TEXT, 
	arxiv_comment TEXT, 
	github_repo TEXT, 
	project_page TEXT, 
	ai_summary TEXT, 
	organization TEXT, 
	author_count INTEGER, 
	upvotes INTEGER, 
	github_stars INTEGER, 
	comments_count INTEGER, 
	has_code INTEGER DEFAULT '0' NOT NULL, 
	first_seen TEXT, 
	last_seen TEXT, 
	listing_count INTEGER DEFAULT '0' NOT NULL, 
	PRIMARY KEY (id), 
	UNIQUE (arxiv_id)
);

CREATE INDEX idx_papers_first_seen ON papers (first_seen);

CREATE INDEX idx_papers_has_code ON papers (has_code, last_seen DESC, id);

CREATE INDEX idx_papers_id_seen ON papers (id, first_seen, last_seen);

CREATE INDEX idx_papers_last_seen ON papers (last_seen DESC, id);

CREATE INDEX idx_papers_organization ON papers (organization);

CREATE INDEX idx_papers_title_key ON papers (title_key);

CREATE INDEX idx_papers_upvotes ON papers (upvotes);

CREATE TABLE keyword_aliases (
	keyword_id INTEGER NOT NULL, 
	alias TEXT NOT NULL, 
	source TEXT NOT NULL, 
	"key" TEXT NOT NULL, 
	uses INTEGER DEFAULT '0' NOT NULL, 
	PRIMARY KEY (keyword_id, alias, source), 
	FOREIGN KEY(keyword_id) REFERENCES keywords (id)
);

CREATE INDEX idx_keyword_aliases_key ON keyword_aliases ("key");

CREATE TABLE keyword_sources (
	keyword_id INTEGER NOT NULL, 
	source TEXT NOT NULL, 
	paper_count INTEGER NOT NULL, 
	PRIMARY KEY (keyword_id, source), 
	FOREIGN KEY(keyword_id) REFERENCES keywords (id)
);

CREATE INDEX idx_keyword_sources_source ON keyword_sources (source, paper_count);

CREATE TABLE links (
	id INTEGER NOT NULL, 
	paper_id TEXT NOT NULL, 
	url TEXT NOT NULL, 
	raw TEXT NOT NULL, 
	host TEXT NOT NULL, 
	kind TEXT NOT NULL, 
	repo TEXT, 
	source TEXT NOT NULL, 
	PRIMARY KEY (id), 
	UNIQUE (paper_id, url), 
	FOREIGN KEY(paper_id) REFERENCES papers (id)
);

CREATE INDEX idx_links_host ON links (host);

CREATE INDEX idx_links_kind ON links (kind);

CREATE INDEX idx_links_repo ON links (repo);

CREATE TABLE listing_papers (
	listing_id INTEGER NOT NULL, 
	paper_id TEXT NOT NULL, 
	position INTEGER NOT NULL, 
	line INTEGER, 
	listing_date TEXT, 
	upvotes INTEGER, 
	github_stars INTEGER, 
	comments_count INTEGER, 
	PRIMARY KEY (listing_id, paper_id), 
	FOREIGN KEY(listing_id) REFERENCES listings (id), 
	FOREIGN KEY(paper_id) REFERENCES papers (id)
);

CREATE INDEX idx_listing_papers_listing_date ON listing_papers (listing_date);

CREATE INDEX idx_listing_papers_paper_id ON listing_papers (paper_id);

CREATE TABLE paper_authors (
	paper_id TEXT NOT NULL, 
	position INTEGER NOT NULL, 
	author_id INTEGER NOT NULL, 
	PRIMARY KEY (paper_id, position), 
	FOREIGN KEY(paper_id) REFERENCES papers (id), 
	FOREIGN KEY(author_id) REFERENCES authors (id)
);

CREATE INDEX idx_paper_authors_author_id ON paper_authors (author_id);

CREATE TABLE paper_categories (
	paper_id TEXT NOT NULL, 
	category TEXT NOT NULL, 
	is_primary INTEGER DEFAULT '0' NOT NULL, 
	PRIMARY KEY (paper_id, category), 
	FOREIGN KEY(paper_id) REFERENCES papers (id)
);

CREATE INDEX idx_paper_categories_category ON paper_categories (category);

CREATE TABLE paper_keywords (
	paper_id TEXT NOT NULL, 
	keyword_id INTEGER NOT NULL, 
	source TEXT NOT NULL, 
	rank INTEGER NOT NULL, 
	score FLOAT, 
	PRIMARY KEY (paper_id, keyword_id, source), 
	FOREIGN KEY(paper_id) REFERENCES papers (id), 
	FOREIGN KEY(keyword_id) REFERENCES keywords (id)
);

CREATE INDEX idx_paper_keywords_keyword_id ON paper_keywords (keyword_id, source, paper_id);

CREATE TABLE rejects (
	id INTEGER NOT NULL, 
	listing_id INTEGER, 
	file TEXT NOT NULL, 
	line INTEGER, 
	position INTEGER, 
	reason TEXT NOT NULL, 
	raw TEXT NOT NULL, 
	PRIMARY KEY (id), 
	FOREIGN KEY(listing_id) REFERENCES listings (id)
);

CREATE VIRTUAL TABLE "papers_fts" USING fts5(
    title, abstract, ai_summary, content="papers", content_rowid="rowid", tokenize='porter unicode61'
);

INSERT INTO "papers_fts"("papers_fts", rank) VALUES ('rank', 'bm25(10.0, 1.0)');

CREATE TRIGGER "papers_ai" AFTER INSERT ON "papers" BEGIN
  INSERT INTO "papers_fts"(rowid, title, abstract, ai_summary) VALUES (new.rowid, new.title, new.abstract, new.ai_summary);
END;
CREATE TRIGGER "papers_ad" AFTER DELETE ON "papers" BEGIN
  INSERT INTO "papers_fts"("papers_fts", rowid, title, abstract, ai_summary) VALUES('delete', old.rowid, old.title, old.abstract, old.ai_summary);
END;
CREATE TRIGGER "papers_au" AFTER UPDATE OF title, abstract, ai_summary ON "papers"
WHEN old.title IS NOT new.title OR old.abstract IS NOT new.abstract OR old.ai_summary IS NOT new.ai_summary BEGIN
  INSERT INTO "papers_fts"("papers_fts", rowid, title, abstract, ai_summary) VALUES('delete', old.rowid, old.title, old.abstract, old.ai_summary);
  INSERT INTO "papers_fts"(rowid, title, abstract, ai_summary) VALUES (new.rowid, new.title, new.abstract, new.ai_summary);
END;

CREATE VIRTUAL TABLE "papers_fts_title" USING fts5(
    title, content='', tokenize='porter unicode61'
);

CREATE TRIGGER "papers_title_ad" AFTER DELETE ON "papers" BEGIN
  INSERT INTO "papers_fts_title"("papers_fts_title", rowid, title) VALUES('delete', (min(length(old.title) - length(replace(old.title, ' ', '')) + 1, 255) << 32) | (4294967295 - old.rowid), old.title);
END;
CREATE TRIGGER "papers_title_au" AFTER UPDATE OF title ON "papers" BEGIN
  INSERT INTO "papers_fts_title"("papers_fts_title", rowid, title) VALUES('delete', (min(length(old.title) - length(replace(old.title, ' ', '')) + 1, 255) << 32) | (4294967295 - old.rowid), old.title);
  INSERT INTO "papers_fts_title"(rowid, title) VALUES ((min(length(new.title) - length(replace(new.title, ' ', '')) + 1, 255) << 32) | (4294967295 - new.rowid), new.title);
END;

CREATE VIEW "keyword_papers" as select
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
where pk.source = (select min(s.source) from paper_keywords s where s.paper_id = pk.paper_id and s.keyword_id = pk.keyword_id);

CREATE VIEW "paper_list" as select
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
from papers p;
