"""Links: found, repaired, canonicalized and classified, checked on the seed and the Daily Papers API archive."""

from __future__ import annotations

import gzip
import ast
import json
import re
from functools import cache
from pathlib import Path

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from etl.text.links import KINDS, canonicalize, classify, clean_field_url, find_urls, paper_links

from .conftest import SEED, api_files



@cache
def archive() -> dict[str, dict]:
    """Every paper of the API archive by arXiv id (items may be repr() strings; bare strings are skipped)."""
    papers: dict[str, dict] = {}
    for path in api_files():
        for item in json.loads(gzip.decompress(path.read_bytes())):
            if isinstance(item, str):
                try:
                    item = ast.literal_eval(item)
                except (ValueError, SyntaxError):
                    continue  # "status", "date", ...
            if isinstance(item, dict) and isinstance(item.get("paper"), dict):
                papers.setdefault(item["paper"]["id"], item["paper"])
    return papers


def abstract(paper_id: str) -> str:
    return archive()[paper_id]["summary"]


def api_links(paper: dict) -> list[dict]:
    return paper_links(
        paper.get("summary") or "",
        {"githubRepo": paper.get("githubRepo"), "projectPage": paper.get("projectPage")},
    )


def seed_papers() -> list[tuple[str, str]]:
    """(title, abstract) pairs of the seed: blank-line separated paragraphs after the date line."""
    paragraphs = [p.strip() for p in re.split(r"\n\s*\n", SEED.read_text(encoding="utf-8")) if p.strip()]
    date_line = next(i for i, p in enumerate(paragraphs) if re.fullmatch(r"[A-Z][a-z]{2} \d{1,2}", p))
    body = paragraphs[date_line + 1 :]
    return list(zip(body[0::2], body[1::2]))


# --- repair rules, each on real text from the archive ---------------------------------------------------

REPAIRS = [
    # trailing sentence punctuation
    (
        "2410.15735",
        "https://github.com/huggingface/autotrain-advanced.",
        "https://github.com/huggingface/autotrain-advanced",
    ),
    (
        "2412.10047",
        "https://github.com/microsoft/UFO/tree/main/dataflow,",
        "https://github.com/microsoft/UFO/tree/main/dataflow",
    ),
    ("2506.18871", "https://vectorspacelab.github.io/OmniGen2;", "https://vectorspacelab.github.io/OmniGen2"),
    # unbalanced closing bracket, alone and before a period
    ("2408.07410", "https://github.com/FlagOpen/FlagScale)", "https://github.com/FlagOpen/FlagScale"),
    (
        "2409.13910",
        "google.github.io/tacotron/publications/zero_shot_voice_transfer).",
        "https://google.github.io/tacotron/publications/zero_shot_voice_transfer",
    ),
    # a closing brace of \url{...} ends the URL; the period inside it goes
    ("2406.18120", "http://github.com/ahmedheakl/arazn-llm", "http://github.com/ahmedheakl/arazn-llm"),
    ("2407.05975", "https://github.com/CONE-MT/LLaMAX/.", "https://github.com/CONE-MT/LLaMAX/"),
    # quotes around the URL
    (
        "2408.11318",
        "https://github.com/twelvelabs-io/video-embeddings-evaluation-framework",
        "https://github.com/twelvelabs-io/video-embeddings-evaluation-framework",
    ),
    # LaTeX \href duplicates: same URL, scheme-less copy, nested, after a space
    (
        "2412.13018",
        "https://github.com/RUC-NLPIR/OmniEval{https://github.com/RUC-NLPIR/OmniEval}",
        "https://github.com/RUC-NLPIR/OmniEval",
    ),
    (
        "2407.09533",
        "https://github.com/manantomar/video-occupancy-models{github.com/manantomar/video-occupancy-models}",
        "https://github.com/manantomar/video-occupancy-models",
    ),
    (
        "2407.20445",
        "https://huggingface.co/JoshuaW1997/FUTGA{blue{https://huggingface.co/JoshuaW1997/FUTGA}}",
        "https://huggingface.co/JoshuaW1997/FUTGA",
    ),
    (
        "2512.16913",
        "https://insta360-research-team.github.io/DAP_website/ {https://insta360-research-team.github.io/DAP\\_website/}",
        "https://insta360-research-team.github.io/DAP_website/",
    ),
    # \href link text that is not a URL is not part of it
    ("2406.12275", "https://yxxxb.github.io/VoCo-LLaMA-page/", "https://yxxxb.github.io/VoCo-LLaMA-page/"),
    # LaTeX escapes inside the URL
    (
        "2406.17636",
        "https://huggingface.co/alexgambashidze/SDXL\\_NCP-DPO\\_v0.1",
        "https://huggingface.co/alexgambashidze/SDXL_NCP-DPO_v0.1",
    ),
    (
        "2511.06805",
        "https://zheny2751\\allowbreak-dotcom.github.io/\\allowbreak MathSE.github.io/.",
        "https://zheny2751-dotcom.github.io/MathSE.github.io/",
    ),
    # .git suffixes, alone and before a period
    ("2408.15792", "https://github.com/hao-ai-lab/vllm-ltr.git", "https://github.com/hao-ai-lab/vllm-ltr"),
    ("2410.06555", "https://github.com/Thisisus7/ING-VP.git.", "https://github.com/Thisisus7/ING-VP"),
    # angle brackets
    (
        "2505.09723",
        "https://annaj2178.github.io/EnerverseAC.github.io",
        "https://annaj2178.github.io/EnerverseAC.github.io",
    ),
    # markdown and HTML links
    (
        "2409.00509",
        "https://github.com/zhiyuanhubj/LongRecipe).",
        "https://github.com/zhiyuanhubj/LongRecipe",
    ),
    ("2508.11203", "kwanyun.github.io/stylemm_page", "https://kwanyun.github.io/stylemm_page"),
    (
        "2507.03745",
        "https://cumulo-autumn.github.io/StreamDiT/",
        "https://cumulo-autumn.github.io/StreamDiT/",
    ),
    # a stray space in the scheme
    (
        "2410.11710",
        "https: //github.com/MTU-Bench-Team/MTU-Bench.git.",
        "https://github.com/MTU-Bench-Team/MTU-Bench",
    ),
    # no scheme
    ("2407.05528", "github.com/PaulAlbert31/LSA", "https://github.com/PaulAlbert31/LSA"),
    (
        "2507.20984",
        "hf.co/PowerInfer/SmallThinker-21BA3B-Instruct.",
        "https://hf.co/PowerInfer/SmallThinker-21BA3B-Instruct",
    ),
    ("2502.14776", "www.surveyx.cn", "https://www.surveyx.cn"),
    ("2502.18356", "webgames.convergence.ai", "https://webgames.convergence.ai"),
]


@pytest.mark.parametrize(
    "paper_id, raw, repaired", REPAIRS, ids=[case[0] + ":" + case[2] for case in REPAIRS]
)
def test_repair_rule_on_real_abstract(paper_id: str, raw: str, repaired: str) -> None:
    assert (raw, repaired) in find_urls(abstract(paper_id))


def test_href_duplicate_is_one_url() -> None:
    found = find_urls(abstract("2412.13018"))
    assert [url for _, url in found].count("https://github.com/RUC-NLPIR/OmniEval") == 1
    assert len(found) == 1


def test_href_with_link_text_several_urls() -> None:
    # \href{URL{text}, URL{text}}: two datasets, the link texts are not URLs
    assert [url for _, url in find_urls(abstract("2505.14464"))][-2:] == [
        "https://huggingface.co/datasets/a-m-team/AM-Thinking-v1-Distilled",
        "https://huggingface.co/datasets/a-m-team/AM-Qwen3-Distilled",
    ]


# Line wraps. The API's structured fields hold hard-wrapped URLs; abstracts in the archive never split one,
# but end many with a line break before the next word.
@pytest.mark.parametrize(
    "paper_id, expected",
    [
        ("2510.05342", "https://github.com/sirano1004/Margin-Apative-Direct-Preference-Optimization"),
        ("2510.18940", "https://github.com/FightingFighting/NeuroAda"),
    ],
)
def test_wrapped_url_in_text_is_joined(paper_id: str, expected: str) -> None:
    value = archive()[paper_id]["githubRepo"]
    assert "\n" in value
    assert find_urls(value) == [(value, expected)]
    assert clean_field_url(value) == expected


@pytest.mark.parametrize(
    "paper_id, raw, following",
    [
        (
            "2504.03601",
            "https://huggingface.co/collections/Salesforce/xlam-2-67ef5be12949d8dcdae354c4",
            "and",
        ),
        ("2510.20535", "https://github.com/kyutai-labs/ARC-Encoder", ","),
        ("2407.08250", "https://github.com/NVlabs/gbrl).", "GBRL"),
    ],
)
def test_url_before_a_line_break_keeps_the_next_word_out(paper_id: str, raw: str, following: str) -> None:
    text = abstract(paper_id)
    assert raw + "\n" + following in text
    assert raw in [found_raw for found_raw, _ in find_urls(text)]


def test_wrap_joins_only_an_unfinished_code_url() -> None:
    assert find_urls("at https://github.com/foo/\nbar and") == [
        ("https://github.com/foo/\nbar", "https://github.com/foo/bar")
    ]
    assert find_urls("page: https://x.github.io/\nWe show") == [
        ("https://x.github.io/", "https://x.github.io/")
    ]
    assert find_urls("at https://github.com/foo/bar\nbaz") == [
        ("https://github.com/foo/bar", "https://github.com/foo/bar")
    ]


def test_glued_footnote_markers() -> None:
    # The shared data has no URL with a glued footnote marker: this is a seed URL with one added.
    # Symbols that cannot be in a URL (†, ‡) end it; those that can (*, superscript digits) are cut.
    for marker, raw_tail in (
        ("*", "*"),
        ("\u2020", ""),
        ("\u00b9", "\u00b9"),
        (".\u00b2", ".\u00b2"),
        ("\u2021.", ""),
    ):
        text = f"Code is available at https://github.com/ZJU-CTAG/B4{marker} We"
        assert find_urls(text) == [
            (f"https://github.com/ZJU-CTAG/B4{raw_tail}", "https://github.com/ZJU-CTAG/B4")
        ]


def test_file_names_in_urls_stay() -> None:
    assert find_urls(abstract("2506.08477")) == [
        (
            "https://anonymous.4open.science/r/HMC-AF2B/README.md.",
            "https://anonymous.4open.science/r/HMC-AF2B/README.md",
        )
    ]


@pytest.mark.parametrize(
    "paper_id, word",
    [
        ("2407.20183", "Perplexity.ai"),  # a product name, no path
        ("2509.11444", "X.com"),
        ("2411.02395", "FLUX.1.In"),  # a missing space after a model name
        ("2502.13923", "Qwen2.5-VL"),
        ("2407.14933", "robots.txt"),
        ("2510.10493", "Node.js"),
    ],
)
def test_words_with_dots_are_not_urls(paper_id: str, word: str) -> None:
    text = abstract(paper_id)
    assert word in text
    assert not any(word.lower() in url.lower() for _, url in find_urls(text))


def test_seed_words_with_dots_are_not_urls() -> None:
    text = SEED.read_text(encoding="utf-8")
    assert "e.g." in text and "i.e." in text
    assert all(url.startswith("https://") and "e.g" not in url for _, url in find_urls(text))


# --- canonical form -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "url, canonical",
    [
        # real field values from the archive
        ("https://kululumi.github.io/PRFL/#", "https://kululumi.github.io/PRFL"),
        (
            "https://github.com/zli12321/FFGO-Video-Customization?tab=readme-ov-file",
            "https://github.com/zli12321/FFGO-Video-Customization",
        ),
        ("https://www.simular.ai/articles/agent-s3", "https://simular.ai/articles/agent-s3"),
        ("https://Kwai-Kolors.github.io/CoTyle/", "https://kwai-kolors.github.io/CoTyle"),
        ("https://github.com/Alibaba-NLP/DeepResearch///", "https://github.com/Alibaba-NLP/DeepResearch"),
        (" https://sites.google.com/view/adc-robot", "https://sites.google.com/view/adc-robot"),
        ("https://github.com/2toinf/X-VLA.git", "https://github.com/2toinf/X-VLA"),
        ("http://github.com/fkryan/gazelle", "https://github.com/fkryan/gazelle"),
        (
            "https://hf.co/AtlaAI/Selene-1-Mini-Llama-3.1-8B",
            "https://huggingface.co/AtlaAI/Selene-1-Mini-Llama-3.1-8B",
        ),
        ("https://www.jenmusic.ai/research#DreamStyler", "https://jenmusic.ai/research"),
        # the rules on their own
        ("HTTP://WWW.Example.COM:80/a/?utm_source=x&id=3&fbclid=y#top", "https://example.com/a?id=3"),
        ("https://example.com:443/", "https://example.com"),
        ("https://example.com:8080/x", "https://example.com:8080/x"),
        ("https://arxiv.org/pdf/2503.10613v2.pdf", "https://arxiv.org/abs/2503.10613v2"),
        ("https://youtu.be/4ZdcuiwFU7I?si=abc", "https://youtu.be/4ZdcuiwFU7I"),
        ("https://x.com/?ref_src=twsrc%5Etfw", "https://x.com"),
        (
            "https://web.archive.org/web/2024/https://x.org/",
            "https://web.archive.org/web/2024/https://x.org/",
        ),
        ("ftp://Example.com/A", "ftp://Example.com/A"),
    ],
)
def test_canonicalize(url: str, canonical: str) -> None:
    assert canonicalize(url) == canonical


URLISH = st.lists(
    st.sampled_from(
        list("htps:/wW.@?#&=%-_~:0123456789gHF()[]{}<>'\" \n\\")
        + ["www.", "https://", "http://", ".git", ":80", ":443", "utm_x=1", "hf.co", "arxiv.org/pdf/"]
        + ["github.com/", "/tree/main", "\\_", "\\allowbreak ", ".com", ".io", "{", "}"]
    ),
    max_size=30,
).map("".join)


@settings(max_examples=600, deadline=None)
@given(st.one_of(st.text(), URLISH))
def test_canonicalize_is_total_and_idempotent(text: str) -> None:
    once = canonicalize(text)
    assert isinstance(once, str)
    assert canonicalize(once) == once


@settings(max_examples=600, deadline=None)
@given(st.one_of(st.text(), URLISH))
@example("0.org/()")  # a balanced closing bracket belongs to the URL (Wikipedia's Foo_(bar))
def test_find_urls_never_raises_and_repairs(text: str) -> None:
    for raw, url in find_urls(text):
        assert raw and raw in text
        assert not re.search(r"\s", url)
        assert url[-1] not in ".,;:!?"
        assert url[-1] != ")" or url.count("(") >= url.count(")"), url
        assert url.lower().startswith(("http://", "https://"))
        classify(url)  # total as well
    paper_links(text, {"githubRepo": text, "projectPage": None})


# --- classification -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "url, host, kind, repo",
    [
        (
            "https://github.com/apple/corenet/tree/main/projects/kv-prediction",
            "github.com",
            "code",
            "apple/corenet",
        ),
        ("https://github.com/DFIR-Metric", "github.com", "code", None),  # an organization (githubRepo value)
        (
            "https://gitlab.com/Bachstelze/causal_generation",
            "gitlab.com",
            "code",
            "Bachstelze/causal_generation",
        ),
        ("https://gitlab.com/group/sub/project/-/tree/main/x", "gitlab.com", "code", "group/sub/project"),
        ("https://bitbucket.org/owner/name/src/master", "bitbucket.org", "code", "owner/name"),
        ("https://codeberg.org/owner/name", "codeberg.org", "code", "owner/name"),
        ("https://gitee.com/owner/name", "gitee.com", "code", "owner/name"),
        ("https://huggingface.co/spaces/cis-lmu/Mexa", "huggingface.co", "code", "cis-lmu/Mexa"),
        ("https://hashiruagentx-hashiruai.hf.space", "hashiruagentx-hashiruai.hf.space", "code", None),
        ("https://huggingface.co/tiiuae/falcon-mamba-7b", "huggingface.co", "model", None),
        ("https://hf.co/AtlaAI/Selene-1-Mini-Llama-3.1-8B", "huggingface.co", "model", None),
        (
            "https://huggingface.co/collections/Salesforce/xlam-2-67ef5be12949d8dcdae354c4",
            "huggingface.co",
            "model",
            None,
        ),
        ("https://huggingface.co/datasets/BAAI/CCI3-HQ", "huggingface.co", "dataset", None),
        ("https://huggingface.co/papers/2503.10613", "huggingface.co", "paper", None),
        ("https://huggingface.co/docs/hub", "huggingface.co", "other", None),
        ("https://llm-stacking.github.io/", "llm-stacking.github.io", "project", None),
        ("https://sites.google.com/view/adc-robot", "sites.google.com", "project", None),
        ("https://arxiv.org/abs/2503.10613", "arxiv.org", "paper", None),
        ("https://doi.org/10.1000/182", "doi.org", "paper", None),
        ("https://openreview.net/forum?id=abc", "openreview.net", "paper", None),
        ("https://aclanthology.org/2024.acl-long.1", "aclanthology.org", "paper", None),
        ("https://youtu.be/4ZdcuiwFU7I", "youtu.be", "video", None),
        ("https://www.youtube.com/watch?v=4ZdcuiwFU7I", "youtube.com", "video", None),
        ("https://www.bilibili.com/video/BV1xx", "bilibili.com", "video", None),
        ("https://vimeo.com/123", "vimeo.com", "video", None),
        ("https://www.kaggle.com/datasets/a/b", "kaggle.com", "dataset", None),
        ("https://aka.ms/denseav", "aka.ms", "other", None),
    ],
)
def test_classify(url: str, host: str, kind: str, repo: str | None) -> None:
    info = classify(url)
    assert (info.host, info.kind, info.repo) == (host, kind, repo)
    assert info.url == canonicalize(url)


# --- the seed -------------------------------------------------------------------------------------------


def test_seed_links() -> None:
    papers = seed_papers()
    assert len(papers) == 63
    links = {title: paper_links(text, {}) for title, text in papers}
    rows = [row for rows in links.values() for row in rows]
    assert len(rows) == 16
    assert sum(1 for rows in links.values() if rows) == 16
    urls = [row["url"] for row in rows]
    assert "https://github.com/masa-ue/SVDD" in urls
    assert not any(url.endswith(".") for url in urls)
    (corenet,) = [row for row in rows if row["repo"] == "apple/corenet"]
    assert corenet["url"] == "https://github.com/apple/corenet/tree/main/projects/kv-prediction"
    assert corenet["kind"] == "code" and corenet["host"] == "github.com" and corenet["source"] == ["abstract"]
    kinds = {row["kind"] for row in rows}
    assert kinds == {"code", "project"}


# --- the API archive ------------------------------------------------------------------------------------


def test_every_structured_field_value_is_a_link_row() -> None:
    checked = 0
    for paper in archive().values():
        rows = api_links(paper)
        for field in ("githubRepo", "projectPage"):
            value = paper.get(field)
            if not value:
                continue
            checked += 1
            expected = classify(clean_field_url(value) or "")
            (row,) = [row for row in rows if field in row["source"]]
            assert classify(row["url"]).identity == expected.identity, (paper["id"], value, row)
            if field == "githubRepo":
                assert row["kind"] == "code", (paper["id"], value)
                # owner/name, except for a value that names an organization (2505.19973: github.com/DFIR-Metric)
                assert row["repo"] or row["url"].count("/") == 3, (paper["id"], value)
    assert checked > 2500  # 1602 githubRepo + 1168 projectPage values in the archive


def test_no_paper_has_two_rows_for_one_thing() -> None:
    for paper in archive().values():
        rows = api_links(paper)
        identities = [classify(row["url"]).identity for row in rows]
        assert len(identities) == len(set(identities)), paper["id"]
        assert len({row["url"] for row in rows}) == len(rows)
        assert all(row["kind"] in KINDS for row in rows)


def test_abstract_deep_link_merges_with_github_repo_root() -> None:
    paper = archive()["2503.21088"]
    assert paper["githubRepo"] == "https://github.com/zjunlp/unlearn"
    assert "https://github.com/zjunlp/unlearn/tree/main/semeval25." in paper["summary"]
    assert api_links(paper) == [
        {
            "url": "https://github.com/zjunlp/unlearn/tree/main/semeval25",
            "raw": "https://github.com/zjunlp/unlearn/tree/main/semeval25.",
            "host": "github.com",
            "kind": "code",
            "repo": "zjunlp/unlearn",
            "source": ["githubRepo", "abstract"],
        }
    ]


def test_abstract_link_merges_with_github_repo_ignoring_case() -> None:
    paper = archive()["2505.07608"]
    assert paper["githubRepo"] == "https://github.com/XiaomiMiMo/MiMo"
    assert "https://github.com/xiaomimimo/MiMo" in paper["summary"]
    (row,) = [row for row in api_links(paper) if row["kind"] == "code"]
    assert row["url"] == "https://github.com/XiaomiMiMo/MiMo"
    assert row["source"] == ["githubRepo", "abstract"]


def test_wrapped_github_repo_merges_with_abstract_git_url() -> None:
    paper = archive()["2510.18940"]
    (row,) = api_links(paper)
    assert row["url"] == "https://github.com/FightingFighting/NeuroAda"
    assert row["raw"] == "https://github.com/\nFightingFighting/NeuroAda.git"
    assert row["source"] == ["githubRepo", "abstract"]


def test_same_url_in_three_sources_is_one_row() -> None:
    paper = archive()["2511.19900"]
    (row,) = api_links(paper)
    assert row["url"] == "https://github.com/aiming-lab/Agent0/tree/main/Agent0-VL"
    assert row["repo"] == "aiming-lab/Agent0"
    assert row["source"] == ["githubRepo", "projectPage", "abstract"]


def test_project_page_on_its_own_domain_is_a_project() -> None:
    paper = archive()["2510.02250"]
    assert paper["projectPage"] == "https://www.simular.ai/articles/agent-s3"
    assert classify(paper["projectPage"]).kind == "other"  # the URL alone cannot tell
    rows = {row["url"]: row for row in api_links(paper)}
    assert rows["https://simular.ai/articles/agent-s3"]["kind"] == "project"
    assert rows["https://simular.ai/articles/agent-s3"]["source"] == ["projectPage"]
    assert rows["https://github.com/simular-ai/Agent-S"]["repo"] == "simular-ai/Agent-S"


def test_abstract_url_named_project_page_is_a_project() -> None:
    text = abstract("2408.10195")
    assert "Project page: https://chaoxu.xyz/sparp" in text
    (row,) = paper_links(text, {})
    assert (row["url"], row["kind"]) == ("https://chaoxu.xyz/sparp", "project")


def test_rows_are_deterministic_and_in_order_of_appearance() -> None:
    paper = archive()["2410.05873"]
    rows = api_links(paper)
    assert rows == api_links(paper)
    found = [canonicalize(url) for _, url in find_urls(paper["summary"])]
    assert [row["url"] for row in rows] == found
