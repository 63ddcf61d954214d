"""The Daily Papers API reader on the shipped archive (listings/hf-daily-api) and on damaged copies."""

from __future__ import annotations

import ast
import json
from collections import Counter

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from etl.text.normalize import clean_text
from etl.sources.records import Paper, Reject
from etl.sources import SourceError, hf_api, open_listing

from .conftest import api_day, api_files, api_text



def read(name: str) -> list[Paper | Reject]:
    return list(open_listing(api_day(name)).items)


def by_id(items: list[Paper | Reject], arxiv_id: str) -> Paper:
    [paper] = [item for item in items if isinstance(item, Paper) and item.arxiv_id == arxiv_id]
    return paper


@pytest.fixture(scope="module")
def archive() -> dict[str, list[Paper | Reject]]:
    return {path.name.removesuffix(".gz"): list(open_listing(path).items) for path in api_files()}


def test_whole_archive_counts(archive: dict[str, list[Paper | Reject]]) -> None:
    kinds = Counter(type(item).__name__ for items in archive.values() for item in items)
    ids = {item.arxiv_id for items in archive.values() for item in items if isinstance(item, Paper)}
    assert len(archive) == 415
    assert kinds == Counter({"Paper": 6141})  # every item is well formed: no reject at all
    assert len(ids) == 6141  # and no paper is listed on two days in this archive
    assert None not in ids


def test_repr_string_items_are_read(archive: dict[str, list[Paper | Reject]]) -> None:
    # Count the string items independently with json, then check each became a paper.
    string_items = {}
    for path in api_files():
        document = json.loads(api_text(path.name.removesuffix(".gz")))
        array = document["data"] if isinstance(document, dict) else document
        strings = sum(isinstance(item, str) for item in array)
        if strings:
            string_items[path.name.removesuffix(".gz")] = (strings, len(array))
    assert sum(count for count, _ in string_items.values()) == 300  # 9 of them in the envelope file
    assert len(string_items) == 22
    for name, (count, total) in string_items.items():
        assert count == total  # in this archive a file is all repr() or all objects
        assert all(isinstance(item, Paper) for item in archive[name]) and len(archive[name]) == total
    first = by_id(archive["2024-12-11.json"], "2412.07730")
    assert first.position == 1 and first.line == 2
    assert first.authors[:3] == ["Zongyu Lin", "Wei Liu", "Chen Chen"]


def test_envelope_file_is_read_not_rejected() -> None:
    # 2025-01-10.json is {"status": "success", "date": ..., "count": 9, "data": [...]}: the bare
    # strings "status", "date", "count", "data" a naive reader sees are its keys, not items.
    listing = open_listing(api_day("2025-01-10.json"))
    items = list(listing.items)
    assert listing.source == "hf-api" and listing.date == "2025-01-10"
    assert [type(item) for item in items] == [Paper] * 9
    assert [item.position for item in items] == list(range(1, 10))
    assert items[0].arxiv_id == "2501.05441" and items[0].line == 6


def test_2024_item_hard_wrapped_title_and_abstract() -> None:
    items = read("2024-05-27.json")
    paper = by_id(items, "2405.15738")
    assert paper.title == "ConvLLaVA: Hierarchical Backbones as Visual Encoder for Large Multimodal Models"
    assert paper.abstract.startswith(
        "High-resolution Large Multimodal Models (LMMs) encounter the challenges of excessive visual tokens"
    )
    assert "\n" not in paper.abstract and "  " not in paper.abstract
    assert paper.authors == [
        "Chunjiang Ge", "Sijie Cheng", "Ziming Wang", "Jiale Yuan", "Yuan Gao",
        "Jun Song", "Shiji Song", "Gao Huang", "Bo Zheng",
    ]  # fmt: skip
    assert (paper.published, paper.listed_at) == ("2024-05-24", "2024-05-27T03:50:58Z")
    assert (paper.upvotes, paper.comments_count, paper.position, paper.line) == (32, 3, 1, 2)
    assert paper.ai_keywords == [] and paper.ai_summary is None and paper.organization is None


def test_title_is_the_item_title_which_keeps_latex(archive: dict[str, list[Paper | Reject]]) -> None:
    # paper.title is arXiv's hard-wrapped title with TeX stripped by HF ("LLMtimesMapReduce");
    # the item's title is the unwrapped title as arXiv writes it ("LLM$\\times$MapReduce"): kept.
    wrapped = differing = 0
    for name, items in archive.items():
        document = json.loads(api_text(name))
        array = document["data"] if isinstance(document, dict) else document
        for raw, paper in zip(array, items, strict=True):
            item = ast.literal_eval(raw) if isinstance(raw, str) else raw
            assert isinstance(paper, Paper) and paper.title == " ".join(item["title"].split())
            wrapped += "\n" in item["paper"]["title"]
            if clean_text(item["paper"]["title"]) != paper.title:
                differing += 1
                assert "$" in paper.title or "\\" in paper.title
    assert (wrapped, differing) == (3088, 18)


def test_2025_03_keywords_links_and_listing_time() -> None:
    paper = by_id(read("2025-03-14.json"), "2503.10633")
    assert paper.title == "Charting and Navigating Hugging Face's Model Atlas"
    assert paper.ai_keywords[:3] == ["neural networks", "model repositories", "atlas"]
    assert len(paper.ai_keywords) == 10
    assert paper.github_repo == "https://github.com/eliahuhorwitz/Model-Atlas"
    assert paper.project_page == "https://horwitz.ai/model-atlas"
    assert paper.github_stars is None and paper.ai_summary is None
    # No submittedOnDailyAt yet in this generation: the item's publishedAt is the listing time.
    assert (paper.published, paper.listed_at) == ("2025-03-13", "2025-03-13T13:59:53Z")
    assert paper.authors == ["Eliahu Horwitz", "Nitzan Kurer", "Jonathan Kahana", "Liel Amar", "Yedid Hoshen"]
    assert (paper.upvotes, paper.comments_count) == (11, 1)


def test_2025_10_organization_stars_and_summary() -> None:
    paper = by_id(read("2025-10-03.json"), "2510.02283")
    assert paper.organization == "ByteDance Seed"  # fullname, not the slug "ByteDance-Seed"
    assert (paper.github_stars, paper.upvotes, paper.comments_count) == (1, 43, 2)
    assert paper.github_repo == "https://github.com/justincui03/Self-Forcing-Plus-Plus"
    assert paper.listed_at == "2025-10-03T00:21:50Z" and paper.published == "2025-10-02"
    assert paper.ai_summary is not None and paper.ai_summary.startswith(
        "A method is proposed to enhance long-horizon"
    )
    assert paper.ai_keywords[0] == "diffusion models" and len(paper.ai_keywords) == 8
    assert paper.authors[0] == "Justin Cui" and len(paper.authors) == 9


def test_submitter_organization_is_the_older_name_of_organization() -> None:
    assert by_id(read("2025-09-29.json"), "2509.22622").organization == "NVIDIA"


def test_hidden_authors_are_kept_in_order_under_their_paper_name() -> None:
    items = read("2024-06-17.json")
    assert by_id(items, "2406.06263").authors == ["Amir Hossein Kargaran", "François Yvon", "Hinrich Schütze"]
    # The hidden first author's claiming account is "Tianyu He"; the paper's name is kept.
    assert by_id(items, "2406.10111").authors == ["Xiqian Yu", "Hanxin Zhu", "Tianyu He", "Zhibo Chen"]


def test_keyword_repeats_and_blanks_are_dropped() -> None:
    item = {"paper": {"id": "2501.00001", "title": "T", "ai_keywords": ["LLM", " LLM ", "", 3, "RL"]}}
    paper = hf_api.paper_from_item(item, "")
    assert isinstance(paper, Paper) and paper.ai_keywords == ["LLM", "RL"]


# --- damaged input -------------------------------------------------------------------------------


def real_items(name: str = "2024-05-28.json") -> list[dict]:
    return json.loads(api_text(name))


def test_bare_strings_and_wrong_types_are_rejected_with_position_and_line() -> None:
    items = real_items()[:3]
    text = json.dumps(
        ["status", items[0], 42, None, ["a"], items[1], {"paper": {"id": "2405.1"}}, items[2]], indent=2
    )
    parsed = list(hf_api.parse(text).items)
    assert [type(item).__name__ for item in parsed] == [
        "Reject", "Paper", "Reject", "Reject", "Reject", "Paper", "Reject", "Paper",
    ]  # fmt: skip
    rejects = [item for item in parsed if isinstance(item, Reject)]
    assert [r.position for r in rejects] == [1, 3, 4, 5, 7]
    assert rejects[0].reason == "a bare string 'status' where a paper object was expected"
    assert rejects[0].line == 2 and rejects[0].raw == '"status"'
    assert rejects[1].reason == "a JSON number where a paper object was expected"
    assert rejects[2].reason == "a JSON null where a paper object was expected"
    assert rejects[3].reason == "a JSON array where a paper object was expected"
    assert rejects[4].reason == "a paper without a title"
    for reject in rejects:
        assert text.splitlines()[reject.line - 1].strip().startswith(reject.raw[:1])


def test_truncated_array_keeps_complete_items_and_rejects_the_tail() -> None:
    text = api_text("2024-05-28.json")
    whole = [item for item in hf_api.parse(text).items if isinstance(item, Paper)]
    cut_at = int(len(text) * 0.6)
    parsed = list(hf_api.parse(text[:cut_at]).items)
    *papers, tail = parsed
    assert all(isinstance(item, Paper) for item in papers)
    assert [p.arxiv_id for p in papers] == [p.arxiv_id for p in whole[: len(papers)]]
    assert 0 < len(papers) < len(whole)
    assert isinstance(tail, Reject) and tail.position == len(papers) + 1
    assert tail.reason.startswith("the JSON is cut off or broken at line ")
    assert tail.line == whole[len(papers)].line  # where the broken item starts
    assert text[:cut_at].endswith(tail.raw[-50:]) or tail.raw.endswith("more characters]")


def test_missing_comma_and_trailing_garbage() -> None:
    one, two = real_items()[:2]
    [lone] = hf_api.parse(json.dumps(one) + "\n").items  # one item, not in an array
    assert isinstance(lone, Reject) and lone.reason.startswith('a JSON object without a "data" list')
    broken = "[" + json.dumps(one) + "\n" + json.dumps(two) + "]"
    first, tail = hf_api.parse(broken).items
    assert isinstance(first, Paper) and isinstance(tail, Reject)
    assert "expected ',' or ']'" in tail.reason and tail.line == 2 and tail.position == 2
    *papers, garbage = hf_api.parse("[" + json.dumps(one) + "]\nthis is not JSON").items
    assert isinstance(garbage, Reject) and garbage.reason == "unexpected text after the end of the JSON array"
    assert garbage.line == 2 and len(papers) == 1


def test_object_without_data_is_one_reject() -> None:
    [reject] = hf_api.parse('{"error": "Invalid date", "paper": null}').items
    assert (
        isinstance(reject, Reject) and 'without a "data" list' in reject.reason and "error" in reject.reason
    )


def test_envelope_cut_off_inside_data() -> None:
    text = api_text("2025-01-10.json")
    items = list(hf_api.parse(text[: len(text) // 2]).items)
    assert isinstance(items[-1], Reject) and all(isinstance(item, Paper) for item in items[:-1])
    assert len(items) > 2


def test_repr_strings_are_never_evaluated() -> None:
    evil = ["__import__('os').system('echo hacked')", "{'paper': __import__('os')}", "{'paper': {'id': 1+1}}"]
    items = list(hf_api.parse(json.dumps(evil)).items)
    assert [type(item) for item in items] == [Reject, Reject, Reject]
    assert items[0].reason.startswith("a bare string")
    assert items[1].reason.startswith("a string that is neither JSON nor a Python dict literal")


def test_deeply_nested_and_huge_repr_items_are_rejected() -> None:
    deep = "{'paper': " * 5000 + "1" + "}" * 5000
    huge = "{'paper': {'id': '2501.00001', 'title': '" + "x" * (hf_api.REPR_LIMIT + 1) + "'}}"
    items = list(hf_api.parse(json.dumps([deep, huge])).items)
    assert [type(item) for item in items] == [Reject, Reject]
    assert "too long" in items[1].reason


def test_non_arxiv_id_is_rejected_and_missing_id_kept() -> None:
    bad = {"paper": {"id": "not-an-id", "title": "A title"}}
    missing = {"paper": {"title": "Only a title", "summary": "An abstract."}}
    rejected, kept = hf_api.parse(json.dumps([bad, missing])).items
    assert isinstance(rejected, Reject) and "'not-an-id' is not an arXiv id" in rejected.reason
    assert isinstance(kept, Paper) and kept.arxiv_id is None and kept.abstract == "An abstract."


def test_not_json_at_all_is_a_source_error() -> None:
    with pytest.raises(SourceError, match="not a Daily Papers API response"):
        hf_api.parse("Daily Papers\nby AK\n")
    with pytest.raises(SourceError, match="empty"):
        hf_api.parse("  \n")


@settings(max_examples=300, deadline=None)
@given(st.text())
def test_parse_never_raises_anything_but_source_error_on_text(text: str) -> None:
    try:
        listing = hf_api.parse(text)
    except SourceError:
        return
    for item in listing.items:
        assert isinstance(item, (Paper, Reject))


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(),
    lambda children: (
        st.lists(children, max_size=4)
        | st.dictionaries(
            st.sampled_from(
                [
                    "paper",
                    "id",
                    "title",
                    "summary",
                    "authors",
                    "name",
                    "upvotes",
                    "organization",
                    "ai_keywords",
                    "publishedAt",
                    "submittedOnDailyAt",
                    "numComments",
                    "githubStars",
                    "data",
                    "date",
                ]
            )
            | st.text(max_size=5),
            children,
            max_size=6,
        )
    ),
    max_leaves=25,
)


@settings(max_examples=300, deadline=None)
@given(st.lists(json_values, max_size=5), st.integers(min_value=0, max_value=400), st.booleans())
def test_parse_never_raises_on_api_shaped_json_cut_anywhere(items: list, cut_at: int, as_repr: bool) -> None:
    document = [repr(item) if as_repr and isinstance(item, dict) else item for item in items]
    text = json.dumps(document, indent=1)
    for candidate in (text, text[:cut_at]):
        try:
            listing = hf_api.parse(candidate)
        except SourceError:
            continue
        papers = [item for item in listing.items if isinstance(item, Paper)]
        for paper in papers:
            assert paper.title and paper.title == paper.title.strip()
