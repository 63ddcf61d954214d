"""One keyword per concept, whoever assigned it (etl.text.keyword_identity), on the shipped archive."""

from __future__ import annotations

import sqlite3
from pathlib import Path
from typing import Any

import pytest
from datasette.app import Datasette

from etl.text import keyword_identity as identity
from etl.text import keywords as kw
from etl.pipeline.build import add, build
from etl.publish import analysis
from etl.publish.metadata import render_metadata

from .conftest import SEED, api_day, rows

METADATA = render_metadata()


@pytest.mark.parametrize("forms", [
    ["large language models", "Large Language Models", "large language model", "LLMs (Large Language Models)",
     "large language models (LLMs)", "large language models'", "large-language models"],
    ["multimodal large language models", "Multi-Modal Large Language Models (MLLMs)",
     "Multi-modal Large Language Models", "multi modal large language model"],
    ["fine-tuning", "fine tuning", "Fine-Tuning", "finetuning"],
    ["single-policy", "single policy"],
    ["synthetic dataset", "synthetic datasets"],
    ["Mathcheck", "MATHCHECK"],
    ["chain-of-thought", "Chain of Thought", "chains-of-thought", "CoT (chain-of-thought)"],
    ["Humanity's Last Exam", "humanity's last exam"],
])
def test_written_forms_of_one_concept_have_one_key(forms: list[str]) -> None:
    assert len({identity.key_of(form) for form in forms}) == 1, {form: identity.key_of(form) for form in forms}


def test_a_pair_gives_both_forms_and_a_parenthesis_that_is_no_acronym_is_not_the_concept() -> None:
    assert identity.read("LLMs (Large Language Models)") == ("largelanguagemodel", ["Large Language Models", "LLMs"])
    assert identity.read("diffusion Transformer (DiT)") == ("diffusiontransformer", ["diffusion Transformer", "DiT"])
    assert identity.read("Qwen2.5-VL (7B)") == (identity.key_of("Qwen2.5-VL"), ["Qwen2.5-VL"])
    # An acronym alone is its own key until the corpus says what it stands for (resolve).
    assert identity.key_of("LLMs") == identity.key_of("LLM") == "llm"
    assert identity.key_of("SD") != identity.key_of("stable diffusion")


def test_a_hyphen_glued_to_the_next_word_is_no_part_of_a_keyword() -> None:
    # Paper 2502.14669: "... DeepSeekR1-with a carefully crafted reward ..."; "--" is a dash.
    text = ("We train DeepSeekR1-with a carefully crafted reward, and compare solutions--with care-"
            "and state-of-the-art plug-and-play in-context methods.")
    keys = {keyword.key for keyword in kw.keywords_of("", text, top=100)}
    assert "deepseekr1" in keys and not any(key.endswith(("-with", "-and")) for key in keys), keys
    assert {"state-of-the-art", "plug-and-play in-context method"} & keys or "in-context method" in keys
    batch = kw.candidates_batch([("", text)])
    ranked = kw.rank_batch(batch, kw.CorpusStats(1, batch.df_counts()))[0]
    assert not any("-with" in k.display or "--" in k.display for k in ranked), ranked


# ---- the shipped archive -----------------------------------------------------------------------


def concept(db: Path, form: str) -> dict[str, Any]:
    conn = sqlite3.connect(db)
    try:
        key = analysis.keyword_key(conn, form)
        [(keyword_id, display, papers)] = conn.execute(
            "select id, display, paper_count from keywords where key = ?", (key,)).fetchall()
        return {
            "id": keyword_id, "key": key, "display": display, "papers": papers,
            "sources": dict(conn.execute(
                "select source, paper_count from keyword_sources where keyword_id = ?", (keyword_id,))),
            "forms": {(alias, source) for alias, source in conn.execute(
                "select alias, source from keyword_aliases where keyword_id = ?", (keyword_id,))},
        }
    finally:
        conn.close()


def test_the_issues_table_is_two_concepts_with_both_sources(archive_db: tuple[Path, Any]) -> None:
    archive_db = archive_db[0]
    llm = [concept(archive_db, form) for form in
           ["large language models", "LLMs (Large Language Models)", "LLM", "Large Language Models"]]
    assert len({c["id"] for c in llm}) == 1
    llm_concept = llm[0]
    assert llm_concept["display"] == "large language models (LLMs)"
    assert {("large language models", "hf-ai"), ("large language models", "papershelf"),
            ("Large Language Models", "hf-ai"), ("LLMs", "hf-ai"), ("LLMs", "papershelf"),
            ("LLM", "papershelf")} <= llm_concept["forms"]
    assert llm_concept["sources"]["hf-ai"] > 590 and llm_concept["sources"]["papershelf"] > 300
    assert max(llm_concept["sources"].values()) < llm_concept["papers"] <= sum(llm_concept["sources"].values())

    mllm = [concept(archive_db, form) for form in
            ["multimodal large language models (MLLMs)", "multimodal large language models",
             "Multi-Modal Large Language Models (MLLMs)", "Multi-modal Large Language Models", "MLLMs"]]
    assert len({c["id"] for c in mllm}) == 1 and mllm[0]["id"] != llm_concept["id"]
    assert mllm[0]["display"] == "multimodal large language models (MLLMs)"
    assert {("Multi-Modal Large Language Models", "hf-ai"), ("Multi-modal Large Language Models", "papershelf"),
            ("MLLMs", "hf-ai"), ("MLLMs", "papershelf")} <= mllm[0]["forms"]
    assert mllm[0]["sources"]["hf-ai"] > 162 and mllm[0]["sources"]["papershelf"] > 113

    # The frequent keywords of the home page: one row per concept.
    top = rows(archive_db, "select key, display from keywords order by paper_count desc, id limit 15")
    assert top[0] == ("largelanguagemodel", "large language models (LLMs)")
    assert len({identity.key_of(display) for _, display in top}) == 15


def test_no_two_keywords_of_the_archive_are_one_concept(archive_db: tuple[Path, Any]) -> None:
    conn = sqlite3.connect(archive_db[0])
    try:
        keys = [key for (key,) in conn.execute("select key from keywords")]
        assert len(keys) == len(set(keys))
        # No acronym row is left whose written forms say clearly which concept it is.
        assert identity.merges(conn, None) == {}
        displays = [identity.key_of(d) for (d,) in conn.execute("select display from keywords")]
        assert len(displays) == len(set(displays))
        # Counts: distinct papers across sources, and each source's own.
        assert conn.execute("""select count(*) from keywords k where paper_count !=
            (select count(distinct paper_id) from paper_keywords pk where pk.keyword_id = k.id)""").fetchone() == (0,)
        assert conn.execute("""select count(*) from keyword_sources s where paper_count != (select count(*)
            from paper_keywords pk where pk.keyword_id = s.keyword_id and pk.source = s.source)""").fetchone() == (0,)
        # The smaller defects: possessive keywords, fragments glued by a missing space.
        assert conn.execute("select count(*) from keywords where display like '%s''' or key like '%''s'").fetchone() == (0,)
        glued = conn.execute("""select k.display from paper_keywords pk join keywords k on k.id = pk.keyword_id
            where pk.paper_id = '2502.14669' and pk.source = 'papershelf'""").fetchall()
        assert glued and not [d for (d,) in glued if d.lower().endswith("-with")], glued
    finally:
        conn.close()


def test_an_acronym_with_two_expansions_stays_apart(archive_db: tuple[Path, Any]) -> None:
    archive_db = archive_db[0]
    # "SD" is speculative decoding in some papers of the archive and stable diffusion in others.
    decoding, diffusion = concept(archive_db, "speculative decoding"), concept(archive_db, "Stable Diffusion")
    assert decoding["id"] != diffusion["id"]
    assert ("SD", "papershelf") in decoding["forms"] and ("SD", "papershelf") in diffusion["forms"]
    assert decoding["display"] == "speculative decoding (SD)" and diffusion["display"] == "Stable Diffusion (SD)"
    assert identity.choose([(decoding["id"], 4), (diffusion["id"], 4)]) is None
    found = rows(archive_db, "select key from keywords where key = 'sd'")
    assert found == [("sd",)]  # the papers that write "SD" alone keep their own keyword
    # One clear expansion is merged: "ViT" is vision transformer (one paper read it otherwise).
    assert concept(archive_db, "ViT")["key"] == "visiontransformer"
    assert rows(archive_db, "select count(*) from keywords where key = 'vit'") == [(0,)]


@pytest.mark.asyncio
async def test_keyword_over_time_finds_a_concept_by_any_written_form(archive_db: tuple[Path, Any]) -> None:
    archive_db = archive_db[0]
    ds = Datasette([str(archive_db)], metadata=METADATA, settings={"sql_time_limit_ms": 20_000})

    async def months(keyword: str, source: str = "") -> list[tuple]:
        response = await ds.client.get("/papershelf/keyword_over_time.json",
                                       params={"keyword": keyword, "source": source, "_shape": "array"})
        assert response.status_code == 200, response.text[:300]
        return [(row["month"], row["papers_with_keyword"]) for row in response.json()]

    llm_id = concept(archive_db, "LLM")["id"]
    dated = """select count(distinct pk.paper_id) from paper_keywords pk join papers p on p.id = pk.paper_id
               where pk.keyword_id = ? and p.first_seen is not null and pk.source like ?"""
    llm = await months("LLM")
    assert sum(n for _, n in llm) == rows(archive_db, dated, (llm_id, "%"))[0][0] > 900
    assert await months("large language models") == llm
    assert await months("LLMs (Large Language Models)") == llm
    assert await months("llms") == llm
    hf = await months("LLM", "hf-ai")
    assert sum(n for _, n in hf) == rows(archive_db, dated, (llm_id, "hf-ai"))[0][0] < sum(n for _, n in llm)
    response = await ds.client.get("/papershelf/top_keywords.json", params={"_shape": "array"})
    first = response.json()[0]
    assert (first["keyword"], first["papers"]) == ("large language models (LLMs)", llm_total(archive_db))
    assert first["by_source"].startswith("hf-ai ") and ", papershelf " in first["by_source"]
    response = await ds.client.get("/papershelf/top_keywords.json", params={"source": "papershelf", "_shape": "array"})
    assert response.json()[0]["papers"] == concept(archive_db, "LLM")["sources"]["papershelf"]


def llm_total(db: Path) -> int:
    return int(concept(db, "LLM")["papers"])


def test_an_add_keeps_the_identity_a_full_build_gives(tmp_path: Path) -> None:
    days = [SEED, *(api_day(f"2025-06-{day:02d}.json") for day in (2, 3, 4, 5, 6))]
    full, grown = tmp_path / "full.db", tmp_path / "grown.db"
    build(days, full, workers=0)
    build(days[:2], grown, workers=0)
    add(days[2:4], grown)  # several files in one add: its loader keeps keyword ids from one to the next
    for day in days[4:]:
        add([day], grown)

    def identity_of(db: Path) -> dict[str, list[tuple]]:
        return {
            # What the source gave, as concepts.
            "hf-ai": rows(db, """select pk.paper_id, k.key, pk.rank from paper_keywords pk
                join keywords k on k.id = pk.keyword_id where pk.source = 'hf-ai' order by 1, 3"""),
            # Every written form of the source's, and the concept it names.
            "forms": rows(db, """select a.alias, k.key from keyword_aliases a join keywords k on k.id = a.keyword_id
                where a.source = 'hf-ai' order by 1, 2"""),
            # The last day's papers are ranked on the same statistics either way.
            "extracted": rows(db, """select pk.paper_id, k.key, pk.rank from paper_keywords pk
                join keywords k on k.id = pk.keyword_id join listing_papers lp on lp.paper_id = pk.paper_id
                join listings l on l.id = lp.listing_id
                where pk.source = 'papershelf' and l.name = '2025-06-06.json.gz'
                  and pk.paper_id not in (select paper_id from listing_papers lp2 join listings l2 on l2.id = lp2.listing_id
                                          where l2.name != '2025-06-06.json.gz')
                order by 1, 3"""),
        }

    assert identity_of(grown) == identity_of(full)
    assert identity_of(full)["extracted"]
    conn = sqlite3.connect(grown)
    try:
        assert identity.merges(conn, None) == {}
        assert conn.execute("select count(*) from paper_keywords where keyword_id not in (select id from keywords)"
                            ).fetchone() == (0,)
        assert conn.execute("""select count(*) from keywords k where paper_count !=
            (select count(distinct paper_id) from paper_keywords pk where pk.keyword_id = k.id)""").fetchone() == (0,)
    finally:
        conn.close()


def test_an_add_to_a_database_of_keywords_per_source_asks_for_a_rebuild(tmp_path: Path) -> None:
    from etl.pipeline.build import BuildError

    db = tmp_path / "p.db"
    build([SEED], db, workers=0)
    conn = sqlite3.connect(db)
    conn.execute("drop table keyword_sources")  # as a database built before keyword identity
    conn.close()
    with pytest.raises(BuildError, match="rebuild it"):
        add([api_day("2025-06-02.json")], db)
