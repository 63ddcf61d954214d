"""Keyword identity: one ``keywords`` row per concept, whoever assigned it.

Every place that makes or looks up a keyword goes through this module: the extractor's keywords
(``enrich.rank_chunk``, for builds, their enricher worker and adds alike, from ``Keyword.key``), the
keywords a source gives (``load.Loader.write_source_keywords``, from the text as written), the SQL function
``papershelf_key()`` of the Datasette plugin (canned queries and pages), and ``analysis``.

Two levels:

- **The key of a written form** (``key_of``, ``concept_key``): lower case, singular, hyphens and
  spaces ignored ("multi-modal" = "multimodal", "fine-tuning" = "fine tuning"), possessives dropped
  ("large language models'" = "large language model"). A form "A (B)" where one part is the
  acronym of the other ("large language models (LLMs)", "LLMs (Large Language Models)") is the long
  form's concept, and both parts are its written forms. The key has no spaces: "largelanguagemodel".
- **Acronyms** (``resolve``): an acronym row ("llm") is merged into the concept its written forms
  stand for across the corpus: every written form is kept in ``keyword_aliases`` with its own key and
  how often each source used it, so "LLMs" written for "large language models" by papers that define
  it (or that the corpus expands, see ``keywords.CorpusStats.expansion``) and by a source that writes
  both is evidence that "llm" is that concept. An acronym is merged when its evidence is clear: at
  least ``MIN_USES`` uses, and ``SHARE`` of them for one concept. An acronym with two expansions
  ("SD": speculative decoding and stable diffusion) stays a concept of its own.

``resolve`` also sets what depends on all of a concept's rows: its display (the most used written
form, with its most used acronym: "large language models (LLMs)"), its paper count across sources and
per source (``keyword_sources``). A full build resolves every keyword once its rows are in; an add
resolves the keywords its papers touched (a merge made then is kept: an acronym that a later add
makes ambiguous stays merged until the next full build).
"""

from __future__ import annotations

import re
import sqlite3
from collections.abc import Iterable
from itertools import groupby
from operator import itemgetter

from . import lexicon

MIN_USES = 2  # uses of an acronym for one concept before it is merged into it
SHARE = 2 / 3  # of the acronym's uses, for that concept
# A batch of written forms (keyword_id, alias, source, key, uses) added to those stored.
FORMS_UPSERT = (
    "insert into keyword_aliases (keyword_id, alias, source, key, uses) values (?, ?, ?, ?, ?)"
    " on conflict do update set uses = uses + excluded.uses"
)
_PAIR = re.compile(r"(.+?)\s*\(\s*([^()]+?)\s*\)")


def _concept(word_key: str) -> str:
    if "-" not in word_key and "'" not in word_key and "s " not in word_key + " ":
        return word_key.replace(" ", "")  # its words are singular already
    pieces = []
    for word in word_key.split(" "):
        for part in word.split("-"):
            if part.endswith("'s"):
                part = part[:-2]
            part = part.strip("'")
            # Singular again: the pieces of a hyphenated word ("chains-of-thought"), and words in
            # capitals the extractor keeps as names ("CANON LAYERS").
            pieces.append(lexicon.singular(part) if part.endswith("s") else part)
    return "".join(pieces)


_CONCEPTS = lexicon.TokenCache(_concept)


def concept_key(word_key: str) -> str:
    """The concept key of a phrase's word key (``etl.text.keywords``: lower-case singular words, as
    ``Keyword.key`` and ``keywords.normalize_key`` give it): "multi-modal large language model" ->
    "multimodallargelanguagemodel"."""
    return _CONCEPTS[word_key]


def is_acronym_of(acronym: str, words: list[str]) -> bool:
    """Whether ``acronym``'s letters are spelled by all of ``words`` ("LLMs", "large language models")."""
    if " " in acronym or not words:
        return False
    letters = lexicon.acronym_letters(acronym)
    if 2 <= len(letters) <= 10 and lexicon.long_form_of(letters, words) == words:
        return True
    # A plural s written in capitals, or a lower-case acronym ("LLMS", "llms")
    return letters[-1:] == "s" and 2 <= len(letters) - 1 <= 10 and lexicon.long_form_of(letters[:-1], words) == words


def clean_form(text: str) -> str:
    """A written form as kept: white space normalized, a possessive at its end dropped
    ("large language models'" -> "large language models")."""
    text = " ".join(text.replace("’", "'").split())
    if text.endswith("'s") and len(text) > 2:
        return text[:-2]
    if text.endswith("s'"):
        return text[:-1]
    return text


def read(text: str) -> tuple[str, list[str]]:
    """(concept key, written forms) of a keyword as a source writes it. "LLMs (Large Language
    Models)" -> ("largelanguagemodel", ["Large Language Models", "LLMs"]); a parenthesis that is no
    acronym of the rest is not part of the concept ("Qwen2.5-VL (7B)" -> the key of "Qwen2.5-VL")."""
    return _READ[text]


def _read(text: str) -> tuple[str, list[str]]:
    text = clean_form(text)
    match = _PAIR.fullmatch(text)
    if match:
        outside, inside = clean_form(match.group(1)), clean_form(match.group(2))
        if is_acronym_of(inside, _words(outside)):
            return _key(_case(outside)), [outside, inside]
        if is_acronym_of(outside, _words(inside)):
            return _key(_case(inside)), [inside, outside]
        text = outside
    return _key(_case(text)), [text] if text else []


def _case(text: str) -> str:
    return text.lower() if " " in text and text.isupper() else text  # A PHRASE IN CAPITALS: no acronyms


def _words(text: str) -> list[str]:
    return _case(text).split()


def _key(text: str) -> str:
    if _PLAIN.fullmatch(text) and not _GLUED.search(text):
        # Words, spaces and single hyphens (most forms): what split_alias gives, without its passes.
        return concept_key(" ".join(map(lexicon.SINGULARS.__getitem__, text.split(" "))))
    return concept_key(lexicon.split_alias(text)[0])


_PLAIN = re.compile(r"[A-Za-z0-9]+(?:[ -][A-Za-z0-9]+)*")
_GLUED = re.compile(r"-(?i:with|and|or|for|of|the|from|by|without|via|than)$")  # as etl.text.lexicon.TOKEN_PUNCTUATION


_READ = lexicon.TokenCache(_read)


def key_of(text: str) -> str:
    """The concept key of any written keyword (``papershelf_key()`` in SQL), "" when it has none."""
    return _READ[text][0]


def form_key(form: str) -> str:
    """The key of one written form, read alone (an acronym is its own key: "LLMs" -> "llm")."""
    return _FORM_KEYS[form]


_FORM_KEYS = lexicon.TokenCache(lambda form: _key(_case(form)))


def form_key_for(form: str, key: str) -> str:
    """``form_key(form)`` for a form of the concept ``key``: ``key`` itself when the form is that
    concept as written (lower case, no spaces and hyphens, the words singular already), with no look-up."""
    if form.lower().replace(" ", "").replace("-", "") == key:
        return key
    return _FORM_KEYS[form]


def forms_of(display: str, aliases: tuple[str, ...], key: str) -> Iterable[tuple[str, str]]:
    """The written forms of one extracted keyword of a paper, the concept ``key``, with their own
    keys: how it writes it (white space normalized already) and its acronyms. A keyword without
    acronyms is shown as its phrase is written: that form's key is the keyword's own."""
    form = clean_form(display) if "'" in display or "’" in display else display
    if not aliases:
        return ((form, key),)
    return ((written, form_key_for(written, key)) for written in dict.fromkeys((form, *aliases)))


# The keyword a written form names: the concept with that key, else the one that form (an acronym
# merged into its concept) was most used for. The canned query keyword_over_time does the same in SQL.
# The key of the stored keyword that a written form names (:key is ``key_of(form)``): the keyword of
# that key, else the keyword whose aliases use that key most. Standard SQL (grouped by the primary
# key), so that PostgreSQL answers it too: ``etl.publish.analysis.keyword_key`` runs it on either.
FIND_SQL = """select coalesce(
  (select key from keywords where key = :key),
  (select k.key from keyword_aliases a join keywords k on k.id = a.keyword_id where a.key = :key
   group by k.id order by sum(a.uses) desc, k.id limit 1)) as key"""


# ---- resolving the stored keywords ----------------------------------------------------------------


def choose(evidence: list[tuple[int, int]]) -> int | None:
    """The concept an acronym stands for, from (keyword id, uses) of every concept it was written
    for: one with MIN_USES uses and SHARE of all, else None (ambiguous, or too rare to tell)."""
    total = sum(uses for _, uses in evidence)
    if not evidence:
        return None
    best, uses = max(evidence, key=lambda item: (item[1], -item[0]))
    if uses >= MIN_USES and uses >= SHARE * total:
        return best
    return None


def _fill(conn: sqlite3.Connection, table: str, values: Iterable[tuple]) -> None:
    conn.execute(f"create temp table if not exists {table} (id integer primary key)")
    conn.execute(f"delete from {table}")
    conn.executemany(f"insert or ignore into {table} (id) values (?)", values)


def merges(conn: sqlite3.Connection, touched: set[int] | None) -> dict[int, int]:
    """Keyword id -> the id of the concept it is an acronym of, for the acronym rows among
    ``touched`` (all when None) and those that touched keywords' written forms name."""
    sql = """
        select r.id, k.id, sum(a.uses) from keyword_aliases a
        join keywords k on k.id = a.keyword_id
        join keywords r on r.key = a.key
        where a.key != k.key {filter}
        group by r.id, k.id order by r.id, k.id"""
    if touched is None:
        rows = conn.execute(sql.format(filter="")).fetchall()
    else:
        _fill(conn, "resolve_ids", ((i,) for i in touched))
        conn.execute("create temp table if not exists resolve_keys (key text primary key)")
        conn.execute("delete from resolve_keys")
        conn.execute("insert or ignore into resolve_keys select key from keywords where id in (select id from resolve_ids)")
        conn.execute(
            "insert or ignore into resolve_keys select a.key from keyword_aliases a"
            " where a.keyword_id in (select id from resolve_ids)")
        rows = conn.execute(sql.format(filter="and a.key in (select key from resolve_keys)")).fetchall()
    evidence: dict[int, list[tuple[int, int]]] = {}
    for acronym_id, keyword_id, uses in rows:
        evidence.setdefault(acronym_id, []).append((keyword_id, uses))
    found = {acronym_id: target for acronym_id, listed in evidence.items() if (target := choose(listed)) is not None}
    return {acronym_id: target for acronym_id, target in found.items() if target not in found}  # no chains


def merge(conn: sqlite3.Connection, into: dict[int, int]) -> None:
    """Merge each keyword of ``into`` into its concept: its papers (the better rank when a source
    gave both), its written forms, then the row itself."""
    conn.execute("create temp table if not exists merge_map (src integer primary key, dst integer not null)")
    conn.execute("delete from merge_map")
    conn.executemany("insert into merge_map (src, dst) values (?, ?)", into.items())
    # From the merged keywords' rows (merge_map first: SQLite would otherwise scan all of paper_keywords,
    # 0.6 s an add at a million papers) to the concept's row of the same paper and source.
    conn.execute(
        """with merged as materialized (
             select m.dst as keyword_id, s.paper_id, s.source, s.rank
             from merge_map m cross join paper_keywords s on s.keyword_id = m.src)
           update paper_keywords as d set rank = merged.rank from merged
           where d.keyword_id = merged.keyword_id and d.paper_id = merged.paper_id and d.source = merged.source
             and merged.rank < d.rank""")
    conn.execute(
        "update or ignore paper_keywords set keyword_id = (select dst from merge_map where src = keyword_id)"
        " where keyword_id in (select src from merge_map)")
    conn.execute("delete from paper_keywords where keyword_id in (select src from merge_map)")
    conn.execute(
        """insert into keyword_aliases (keyword_id, alias, source, key, uses)
           select m.dst, a.alias, a.source, a.key, a.uses from keyword_aliases a join merge_map m on m.src = a.keyword_id
           where true
           on conflict do update set uses = uses + excluded.uses""")
    conn.execute("delete from keyword_aliases where keyword_id in (select src from merge_map)")
    conn.execute("delete from keyword_sources where keyword_id in (select src from merge_map)")
    conn.execute("delete from keywords where id in (select src from merge_map)")


_FORMS = """
select a.keyword_id, a.alias, a.key = k.key, sum(a.uses), k.display from keyword_aliases a
join keywords k on k.id = a.keyword_id
{filter} group by a.keyword_id, a.alias order by a.keyword_id, a.alias"""


def _is_acronym_form(form: str) -> bool:
    return " " not in form and len(form) <= 12 and form != form.lower()


def display_of(forms: list[tuple[str, bool, int]]) -> str:
    """The display of a concept from its written forms (form, the concept's own key, uses): its
    most used own form (lower case first on a tie) and its most used acronym in parentheses, "large
    language models (LLMs)"; a concept written only otherwise shows its most used form."""
    def best(candidates: list[tuple[str, bool, int]]) -> str | None:
        if not candidates:
            return None
        return min(candidates, key=lambda form: (-form[2], form[0] != form[0].lower(), form[0]))[0]

    own = best([form for form in forms if form[1]])
    acronym = best([form for form in forms if not form[1] and _is_acronym_form(form[0])])
    if own is None:
        return best(forms) or ""
    return f"{own} ({acronym})" if acronym else own


def _displays(conn: sqlite3.Connection, sql: str) -> None:
    updates = []
    for keyword_id, group in groupby(conn.execute(sql), key=itemgetter(0)):
        rows = list(group)
        shown = rows[0][4]
        if len(rows) == 1:  # most keywords: one paper, one form
            display = rows[0][1]
        else:
            display = display_of([(form, bool(own), uses) for _, form, own, uses, _ in rows])
        if display != shown:
            updates.append((display, keyword_id))
    conn.executemany("update keywords set display = ? where id = ?", updates)


def refresh(conn: sqlite3.Connection, touched: set[int] | None) -> None:
    """Display, paper count (distinct papers, every source) and per-source counts of ``touched``
    keywords (all when None)."""
    if touched is None:
        _displays(conn, _FORMS.format(filter=""))
        conn.execute(
            """update keywords set paper_count = counts.n
               from (select keyword_id, count(distinct paper_id) as n from paper_keywords group by keyword_id) as counts
               where counts.keyword_id = keywords.id""")
        conn.execute("delete from keyword_sources")
        conn.execute(
            "insert into keyword_sources (keyword_id, source, paper_count)"
            " select keyword_id, source, count(*) from paper_keywords group by keyword_id, source")
        return
    _fill(conn, "resolve_ids", ((i,) for i in touched))
    _displays(conn, _FORMS.format(filter="where a.keyword_id in (select id from resolve_ids)"))
    conn.execute(
        "update keywords set paper_count = (select count(distinct paper_id) from paper_keywords pk"
        " where pk.keyword_id = keywords.id) where id in (select id from resolve_ids)")
    conn.execute("delete from keyword_sources where keyword_id in (select id from resolve_ids)")
    conn.execute(
        "insert into keyword_sources (keyword_id, source, paper_count)"
        " select keyword_id, source, count(*) from paper_keywords"
        " where keyword_id in (select id from resolve_ids) group by keyword_id, source")


def resolve(conn: sqlite3.Connection, touched: set[int] | None = None) -> None:
    """Merge acronym rows into their concepts, then refresh the displays and counts, of every
    keyword (None: a full build) or of those whose papers or forms changed (an add)."""
    into = merges(conn, touched)
    if into:
        merge(conn, into)
    if touched is not None:
        touched = (touched - set(into)) | set(into.values())
    refresh(conn, touched)
