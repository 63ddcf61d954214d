"""Keyphrase extraction as it ships (etl/text/keywords.py: the batch extractor, a single paper a batch of one) and
`papershelf keywords` (etl/cli/keywords.py), on real data. A few checks of phrase counts read the candidates of
the per-paper reference (tests/keyword_reference.py), which tests/test_keyword_batch.py holds to the extractor."""

from __future__ import annotations

import ast
import json
from collections import Counter
from pathlib import Path

import pytest
from click.testing import CliRunner
from hypothesis import given, settings
from hypothesis import strategies as st

from etl.text.keywords import (
    CorpusStats,
    candidates_batch,
    extract_corpus,
    keywords_of,
    normalize_key,
    pick_display,
    rank_batch,
    split_alias,
)
from etl.cli.keywords import keywords_command

from . import keyword_reference as reference
from .conftest import SEED, api_text
from .keyword_reference import FUZZ_WORDS


# Words that name no topic: none of them may be a keyword among the seed corpus's top 50 ...
GENERIC = {
    "approach", "result", "results", "paper", "method", "methods", "performance", "task", "tasks", "model",
    "models", "framework", "work", "study", "data", "dataset", "benchmark", "experiment", "experiments",
    "problem", "technique", "system", "analysis", "application", "effectiveness", "efficiency",
    "improvement", "challenge", "ability", "capability", "quality", "accuracy", "setting", "evaluation",
}  # fmt: skip
# ... and these are part of none ("proposed method", "novel approach", "significant improvement").
FILLER = {
    "propose", "proposed", "novel", "new", "state-of-the-art", "show", "shows", "demonstrate", "achieve",
    "use", "using", "based", "existing", "various", "different", "significant", "extensive", "recent",
    "effective", "efficient", "simple", "paper", "approach", "results",
}  # fmt: skip


def seed_papers() -> list[tuple[str, str]]:
    """(title, abstract) of the seed listing: after the header and the date line "Mar 14", paragraphs
    alternate title and abstract."""
    paragraphs = [part.strip() for part in SEED.read_text(encoding="utf-8").split("\n\n") if part.strip()]
    body = paragraphs[paragraphs.index("Mar 14") + 1 :]
    return list(zip(body[::2], body[1::2], strict=True))


def api_paper(file_name: str, arxiv_id: str) -> dict:
    """One paper of a Daily Papers API file (items may be repr() strings)."""
    for item in json.loads(api_text(file_name)):
        if isinstance(item, str):
            try:
                item = ast.literal_eval(item)
            except (ValueError, SyntaxError):
                continue
        if isinstance(item, dict) and item.get("paper", {}).get("id") == arxiv_id:
            return item["paper"]
    raise LookupError(f"{arxiv_id} not in {file_name}")


@pytest.fixture(scope="module")
def seed() -> list[tuple[str, str]]:
    papers = seed_papers()
    assert len(papers) == 63
    return papers


@pytest.fixture(scope="module")
def seed_keywords(seed: list[tuple[str, str]]) -> dict[str, list]:
    return dict(
        extract_corpus((str(number), title, abstract) for number, (title, abstract) in enumerate(seed))
    )


def acronyms_of(title: str, abstract: str) -> dict[str, str]:
    """Acronym key -> long-form key of the definitions the extractor reads in one paper."""
    return {acronym: long_key for _, acronym, long_key in candidates_batch([(title, abstract)]).definitions()}


def paper_keys(seed: list[tuple[str, str]], seed_keywords: dict[str, list], title_start: str) -> list[str]:
    number = next(number for number, (title, _) in enumerate(seed) if title.startswith(title_start))
    return [keyword.key for keyword in seed_keywords[str(number)]]


# --- acronyms ------------------------------------------------------------------------------------


def test_acronym_definition_becomes_alias_of_its_long_form(
    seed: list[tuple[str, str]], seed_keywords
) -> None:
    number, (title, abstract) = next((n, p) for n, p in enumerate(seed) if p[0].startswith("Optimal Linear"))
    assert "a novel method called Optimal Linear Subspace Search (OLSS), which" in abstract
    assert acronyms_of(title, abstract) == {"olss": "optimal linear subspace search"}
    assert "olss" not in [keyword.key for keyword in seed_keywords[str(number)]]
    doc = reference.candidates(title, abstract)
    assert "olss" not in doc.tf  # "OLSS is able to ...", "OLSS can ..." count for the long form
    assert doc.tf["optimal linear subspace search"] == 4  # title, definition, two uses of OLSS
    best = seed_keywords[str(number)][0]
    assert (best.key, best.display, best.aliases) == (
        "optimal linear subspace search",
        "Optimal Linear Subspace Search",
        ("OLSS",),
    )


def test_acronyms_of_real_abstracts(seed: list[tuple[str, str]]) -> None:
    title, abstract = next(p for p in seed if p[0].startswith("OptMATH"))
    assert "Despite the rapid development of large language models (LLMs), a fundamental" in abstract
    assert acronyms_of(title, abstract)["llm"] == "large language model"
    by_key = {keyword.key: keyword for keyword in keywords_of(title, abstract, top=30)}
    assert by_key["large language model"].aliases == ("LLMs",)
    doc = reference.candidates(title, abstract)
    assert "llm" not in doc.tf and doc.tf["large language model"] == 2  # "... hampers LLMs' robust ..."
    assert "robust modeling" in doc.tf  # the possessive ends a phrase

    title, abstract = next(p for p in seed if p[0].startswith("Bellman Optimal"))
    assert acronyms_of(title, abstract) == {"boss": "bellman optimal step-size straightening"}

    parrot = api_paper("2024-06-06.json", "2406.02539")
    assert (
        "The rapid development of Multimodal Large Language Models (MLLMs) like GPT-4V" in parrot["summary"]
    )
    assert "uses Mixture-of-Experts (MoE) to promote" in parrot["summary"]
    acronyms = acronyms_of(parrot["title"], parrot["summary"])
    assert acronyms["mllm"] == "multimodal large language model"
    assert acronyms["moe"] == "mixture-of-expert"

    convllava = api_paper("2024-05-27.json", "2405.15738")
    assert "to replace Vision Transformer (ViT)." in convllava["summary"]
    assert acronyms_of(convllava["title"], convllava["summary"])["vit"] == "vision transformer"


def test_parenthesis_whose_initials_do_not_match_is_no_definition(seed: list[tuple[str, str]]) -> None:
    title, abstract = next(p for p in seed if p[0].startswith("Making RL with"))
    assert "Reinforcement Learning algorithms that learn from human feedback (RLHF) need" in abstract
    assert "rlhf" not in acronyms_of(title, abstract)
    assert "rlhf" in [keyword.key for keyword in keywords_of(title, abstract)]
    doc = reference.candidates(title, abstract)
    assert doc.tf["rlhf"] == 1 and "rlhf" in doc.names  # the acronym stays a keyword of its own
    assert doc.tf["rlhf setting"] == 1


def test_undefined_acronym_takes_the_corpus_expansion() -> None:
    stats = CorpusStats()
    stats.add_batch(
        candidates_batch(
            [
                ("", "We study large language models (LLMs) for code."),
                ("", "Large language models (LLMs) can plan."),
                ("", "Agents built on LLMs use tools. LLMs fail at long horizons."),
            ]
        )
    )
    assert stats.expansion("llm") == "large language model"
    keywords = keywords_of("Tool use", "Agents built on LLMs use tools. LLMs fail at long horizons.", stats)
    by_key = {keyword.key: keyword for keyword in keywords}
    assert "llm" not in by_key
    assert by_key["large language model"].display == "LLMs"  # the paper only writes the acronym
    assert by_key["large language model"].aliases == ("LLMs",)


def test_split_alias_and_normalize_key_for_source_keywords() -> None:
    assert split_alias("large language models (LLMs)") == ("large language model", "LLMs")
    assert split_alias("Adaptive Parallel Reasoning (APR)") == ("adaptive parallel reasoning", "APR")
    assert normalize_key("Video Large Language Models (Video-LLMs)") == "video large language model"
    assert normalize_key("LLMs") == "llm"
    assert split_alias("Chain-of-Thought") == ("chain-of-thought", None)


def test_api_ai_keywords_normalize_to_extracted_keys() -> None:
    # The paper's own ai_keywords and our keys meet on the same normalized forms.
    parrot = api_paper("2024-06-06.json", "2406.02539")
    ours = {
        keyword.key for keyword in keywords_of(parrot["title"], parrot["summary"], CorpusStats(), 30)
    }
    assert normalize_key("Mixture-of-Experts (MoE)") in ours
    assert normalize_key("Parrot") in ours


# --- plural and case variants -------------------------------------------------------------------


def test_plural_and_case_variants_are_one_keyword(seed: list[tuple[str, str]]) -> None:
    title, abstract = next(p for p in seed if p[0].startswith("Optimal Linear"))
    assert title.endswith("Schedulers for Diffusion Models") and "the diffusion models based on" in abstract
    doc = reference.candidates(title, abstract)
    assert doc.tf["diffusion model"] == 4
    assert not any(key.endswith(("diffusion models", "Diffusion Model")) for key in doc.tf)
    keywords = keywords_of(title, abstract, CorpusStats(), 20)
    assert not any(k.key.endswith(("diffusion models", "Diffusion Model")) for k in keywords)
    keyword = next(k for k in keywords if k.key == "diffusion model")
    assert keyword.display == "diffusion models"  # the abstract's spelling, not the title's capitals


@pytest.mark.parametrize(
    ("written", "key"),
    [
        ("Diffusion Models", "diffusion model"),
        ("diffusion model", "diffusion model"),
        ("Strategies", "strategy"),
        ("analyses", "analysis"),
        ("KV caches", "kv cache"),
        ("GANs", "gan"),
        ("NeRFs", "nerf"),
        ("Mixture-of-Experts", "mixture-of-expert"),
        ("mixture-of-experts", "mixture-of-expert"),
        ("physics", "physics"),
        ("OLSS", "olss"),
        ("matrices", "matrix"),
    ],
)
def test_normalize_key(written: str, key: str) -> None:
    assert normalize_key(written) == key


# --- the seed corpus ------------------------------------------------------------------------------


def test_seed_corpus_top_keywords_name_topics(seed_keywords: dict[str, list]) -> None:
    papers_with = Counter(keyword.key for keywords in seed_keywords.values() for keyword in keywords)
    top = [key for key, _ in sorted(papers_with.items(), key=lambda item: (-item[1], item[0]))[:50]]
    assert not GENERIC.intersection(top)
    assert not [key for key in top if FILLER.intersection(key.split())]
    # The topics a person would list first, then narrower ones.
    assert {"diffusion model", "large language model", "reinforcement learning", "rlhf"} <= set(top[:6])
    assert {
        "flow matching",
        "discrete diffusion model",
        "speculative decoding",
        "direct preference optimization",
    } <= set(top)
    assert set(top[:2]) == {"diffusion model", "large language model"}
    assert min(papers_with["diffusion model"], papers_with["large language model"]) >= 5


def test_top_keywords_of_seed_papers(seed: list[tuple[str, str]], seed_keywords: dict[str, list]) -> None:
    keys = paper_keys(seed, seed_keywords, "Making RL with Preference-based Feedback")
    assert {"preference-based feedback", "query complexity", "rlhf", "thompson sampling algorithm"} <= set(
        keys
    )
    keys = paper_keys(seed, seed_keywords, "Optimal Linear Subspace Search")
    assert keys[0] == "optimal linear subspace search" and "diffusion model" in keys
    keys = paper_keys(seed, seed_keywords, "Reinforcement Learning for Generative AI")
    assert keys[:2] == ["generative ai", "reinforcement learning"]
    keys = paper_keys(seed, seed_keywords, "SpecTr: Fast Speculative Decoding via Optimal Transport")
    assert {"spectr", "speculative decoding", "optimal transport"} <= set(keys[:3])
    keys = paper_keys(seed, seed_keywords, "Energy-Based Diffusion Language Models")
    assert keys[0] == "energy-based diffusion language model"


def test_displays_read_as_the_paper_writes(
    seed: list[tuple[str, str]], seed_keywords: dict[str, list]
) -> None:
    number = next(n for n, (title, _) in enumerate(seed) if title.startswith("Making RL with"))
    displays = [keyword.display for keyword in seed_keywords[str(number)]]
    assert "Thompson sampling algorithms" in displays  # a name inside a sentence keeps its capital
    assert "RLHF" in displays and "preference-based feedback" in displays  # title capitals undone
    for keywords in seed_keywords.values():
        for keyword in keywords:
            assert normalize_key(keyword.display) == keyword.key or keyword.aliases, keyword


def test_corpus_display_of_a_keyword(seed_keywords: dict[str, list]) -> None:
    displays: dict[str, list[str]] = {}
    for keywords in seed_keywords.values():
        for keyword in keywords:
            displays.setdefault(keyword.key, []).append(keyword.display)
    assert pick_display(displays["diffusion model"]) == "diffusion models"
    assert pick_display(displays["rlhf"]) == "RLHF"
    assert pick_display(["Diffusion Models", "diffusion models"]) == "diffusion models"
    with pytest.raises(ValueError):
        pick_display([])


def test_no_phrase_ends_in_a_past_participle() -> None:
    keys = [
        keyword.key
        for keyword in keywords_of(
            "", "The computational resources invested in training these models. Models trained on it.", top=30
        )
    ]
    assert "computational resource" in keys
    assert not [key for key in keys if key.endswith(("invested", "trained"))]
    assert "supervised learning" in [k.key for k in keywords_of("", "We use supervised learning for it.")]


# --- corpus statistics --------------------------------------------------------------------------


def test_stats_stored_and_reloaded_rank_the_same(seed: list[tuple[str, str]]) -> None:
    batch = candidates_batch(seed)
    stats = CorpusStats()
    stats.add_batch(batch)
    reloaded = CorpusStats(stats.n_docs, stats.rows())
    assert reloaded.expansions() == stats.expansions()
    assert rank_batch(batch, reloaded) == rank_batch(batch, stats)


def test_adding_papers_later_scores_like_one_build(seed: list[tuple[str, str]]) -> None:
    """A build over the first 40 papers, stored, then an add of the other 23 (added to the stats first)
    ranks the new papers as a single build over all 63 does: one paper at a time, and by batches."""
    first = CorpusStats()
    first.add_batch(candidates_batch(seed[:40]))
    later = CorpusStats(first.n_docs, first.rows())
    for title, abstract in seed[40:]:
        later.add_batch(candidates_batch([(title, abstract)]))
    whole = CorpusStats()
    whole.add_batch(candidates_batch(seed))
    assert [keywords_of(title, abstract, later) for title, abstract in seed[40:]] == [
        keywords_of(title, abstract, whole) for title, abstract in seed[40:]
    ]

    first = CorpusStats()
    first.add_batch(candidates_batch(seed[:40]))
    assert (first.n_docs, first.rows()) == (40, CorpusStats(40, first.rows()).rows())
    later = CorpusStats(first.n_docs, first.rows())
    new_batch = candidates_batch(seed[40:])
    later.add_batch(new_batch)
    built = dict(extract_corpus((str(n), title, abstract) for n, (title, abstract) in enumerate(seed)))
    assert rank_batch(new_batch, later) == [built[str(n)] for n in range(40, 63)]


def test_extraction_is_deterministic_and_ignores_input_order(seed: list[tuple[str, str]]) -> None:
    docs = [(str(n), title, abstract) for n, (title, abstract) in enumerate(seed)]
    once = dict(extract_corpus(docs))
    assert dict(extract_corpus(docs)) == once
    assert dict(extract_corpus(list(reversed(docs)))) == once


def test_a_single_paper_still_gets_keywords(seed: list[tuple[str, str]]) -> None:
    title, abstract = seed[0]
    keys = [keyword.key for keyword in keywords_of(title, abstract)]
    assert len(keys) == 10 and "semi-parametric neural image synthesis" in keys


def test_odd_inputs_do_not_crash() -> None:
    stats = CorpusStats()
    odd = [
        ("", ""),
        (None, None),
        ("(", ")"),
        ("A", "e.g., i.e., (ii) -- ... 1,2,3 10.5%"),
        ("Schro\u0308dinger Bridges", "Schrödinger bridges (SB) and the Schro\u0308dinger bridge."),
        ("x", "word " * 20000),  # one run of 20,000 words: too long for a keyphrase
        ("Title", "(" * 500 + "ABC" + ")" * 500),
        ("Diffusion Models", "We study diffusion models. " * 2000),
    ]
    batch = candidates_batch(odd)  # type: ignore[arg-type]
    stats.add_batch(batch)
    ranked = [[keyword.key for keyword in keywords] for keywords in rank_batch(batch, stats)]
    assert ranked[:3] == [[], [], []] and ranked[5] == []
    assert ranked[4][0] == "schrödinger bridge" and ranked[6][0] == "abc" and ranked[7] == ["diffusion model"]
    with pytest.raises(ValueError):
        CorpusStats(-1)


@settings(max_examples=200, deadline=None)
@given(
    st.text(alphabet=st.characters(codec="utf-8"), max_size=300),
    st.lists(
        st.sampled_from(
            [
                "LLMs",
                "(LLMs)",
                "Diffusion",
                *FUZZ_WORDS,
            ]
        ),
        max_size=40,
    ),
)
def test_any_text_gives_clean_keys(noise: str, words: list[str]) -> None:
    title, abstract = noise[:40], " ".join(words) + " " + noise
    for keyword in keywords_of(title, abstract, top=20):
        assert keyword.key and keyword.key == keyword.key.strip() and "  " not in keyword.key
        assert not set(keyword.key) & {"|", "\x01", "\x02", "\x03"}
        assert keyword.display and keyword.score > 0


# --- the command ----------------------------------------------------------------------------------


@pytest.fixture()
def seed_jsonl(tmp_path: Path, seed: list[tuple[str, str]]) -> Path:
    path = tmp_path / "seed.jsonl"
    with path.open("w", encoding="utf-8") as handle:
        for number, (title, abstract) in enumerate(seed):
            handle.write(json.dumps({"id": f"seed-{number}", "title": title, "abstract": abstract}) + "\n")
    return path


def test_command_writes_keywords_best_first(seed_jsonl: Path, seed_keywords: dict[str, list]) -> None:
    result = CliRunner().invoke(keywords_command, [str(seed_jsonl), "--top", "5"], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    rows = [json.loads(line) for line in result.output.splitlines()]
    assert [row["id"] for row in rows] == [f"seed-{n}" for n in range(63)]
    for number, row in enumerate(rows):
        assert row["keywords"] == [keyword.display for keyword in seed_keywords[str(number)][:5]]
    olss = next(row for row in rows if row["keywords"][0] == "Optimal Linear Subspace Search")
    assert {"diffusion models", "schedulers", "linear subspace"} <= set(olss["keywords"])


def test_command_reads_standard_input_and_gives_details(seed_jsonl: Path) -> None:
    text = seed_jsonl.read_text(encoding="utf-8")
    from_file = CliRunner().invoke(keywords_command, [str(seed_jsonl)]).output
    from_stdin = CliRunner().invoke(keywords_command, ["-"], input=text).output
    assert from_stdin == from_file and len(from_file.splitlines()) == 63
    detailed = CliRunner().invoke(keywords_command, ["-", "--details", "--top", "1"], input=text).output
    olss = next(json.loads(line) for line in detailed.splitlines() if "OLSS" in line)
    assert olss["keywords"][0]["key"] == "optimal linear subspace search"
    assert olss["keywords"][0]["aliases"] == ["OLSS"] and olss["keywords"][0]["score"] > 0


def test_command_reads_a_large_file_twice_with_the_same_result(
    seed_jsonl: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    kept = CliRunner().invoke(keywords_command, [str(seed_jsonl)]).output
    monkeypatch.setattr("etl.cli.keywords.KEEP_LIMIT", 10)  # 63 documents are "large" now
    assert CliRunner().invoke(keywords_command, [str(seed_jsonl)]).output == kept


def test_command_reports_bad_lines_and_goes_on(tmp_path: Path, seed: list[tuple[str, str]]) -> None:
    path = tmp_path / "mixed.jsonl"
    title, abstract = seed[2]
    path.write_text(
        "\n".join(
            [
                json.dumps({"id": 1, "title": title, "abstract": abstract}),
                "{not json",
                json.dumps({"title": "no id"}),
                json.dumps({"id": 2, "title": 5, "abstract": "x"}),
                "",
                json.dumps({"id": 3, "title": "Only a title: Diffusion Models"}),
            ]
        ),
        encoding="utf-8",
    )
    result = CliRunner().invoke(keywords_command, [str(path)])
    assert result.exit_code == 0
    rows = [json.loads(line) for line in result.stdout.splitlines()]
    assert [row["id"] for row in rows] == [1, 3]
    assert rows[0]["keywords"][0] == "Optimal Linear Subspace Search"
    assert "diffusion models" in rows[1]["keywords"]
    assert "line 2: not JSON" in result.stderr and "line 3:" in result.stderr and "line 4:" in result.stderr
    assert "3 line(s) skipped" in result.stderr


def test_command_help_and_missing_file(tmp_path: Path) -> None:
    result = CliRunner().invoke(keywords_command, ["--help"])
    assert result.exit_code == 0 and "IN.jsonl" in result.output and "--top" in result.output
    missing = CliRunner().invoke(keywords_command, [str(tmp_path / "nowhere.jsonl")])
    assert missing.exit_code == 2 and "does not exist" in missing.output
