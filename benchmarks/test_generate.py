"""The benchmark corpus generator: deterministic, realistic in size and shape, readable by papershelf.

Kept beside the generator (collected by ``make test``: pyproject's testpaths), so that tests/ tests the
package only."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from benchmarks import generate
from etl.sources.records import Paper, Reject
from etl.sources import open_listing

HF_API = Path(__file__).resolve().parents[1] / "listings" / "hf-daily-api"  # the shipped API archive


@pytest.fixture(scope="module")
def vocabulary() -> generate.Vocabulary:
    return generate.learn(HF_API, limit=40)


def read(folder: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted(folder.iterdir())}


def test_the_same_options_give_the_same_bytes_in_parallel_or_not(tmp_path: Path, vocabulary) -> None:
    one = generate.generate(1200, tmp_path / "one", per_day=200, vocabulary=vocabulary, jobs=1)
    two = generate.generate(1200, tmp_path / "two", per_day=200, vocabulary=vocabulary, jobs=2)
    assert one == two
    assert read(tmp_path / "one") == read(tmp_path / "two")
    other = generate.generate(1200, tmp_path / "other", per_day=200, seed=8, vocabulary=vocabulary)
    assert read(tmp_path / "other") != read(tmp_path / "one")
    marker = json.loads((tmp_path / "one" / generate.MARKER).read_text())
    assert marker == generate.options(1200, 200, 7, "mixed", 0.15)


def test_papers_have_the_issue_s_shape(vocabulary) -> None:
    generator = generate.Generator(vocabulary)
    papers = [generator.paper(i, f"1501.{i:05d}", "2015-01-02", 1000) for i in range(600)]
    assert all(60 <= len(p.title) <= 120 for p in papers)
    assert all(1100 <= len(p.abstract) <= 1500 for p in papers)
    with_url = sum("http" in p.abstract for p in papers) / len(papers)
    assert 0.18 <= with_url <= 0.32
    definitions = sum(bool(re.search(r"\(([A-Z][A-Za-z0-9-]*[A-Z0-9]s?)\)", p.abstract)) for p in papers)
    assert definitions / len(papers) >= 0.5
    assert len({p.title for p in papers}) == len(papers)  # a unique name in every title


def test_both_shapes_read_without_rejects_and_count_every_paper(tmp_path: Path, vocabulary) -> None:
    calendar = generate.generate(2500, tmp_path, per_day=250, vocabulary=vocabulary)
    assert {day.shape for day in calendar} == {"api", "text"}
    assert sum(day.new for day in calendar) == 2500
    new_titles = set()
    for day in calendar:
        listing = open_listing(tmp_path / day.file_name)
        items = list(listing.items)
        assert not [item for item in items if isinstance(item, Reject)], day.file_name
        assert len(items) == day.new + len(day.repeats)
        assert listing.source == ("hf-api" if day.shape == "api" else "hf-text")
        if day.shape == "api":
            assert all(isinstance(p, Paper) and p.arxiv_id and p.authors for p in items)
        new_titles.update(p.title for p in items)
    assert len(new_titles) == 2500


def test_the_next_day_follows_the_corpus() -> None:
    corpus = generate.plan(5000, per_day=900)
    longer = generate.plan(5000, per_day=900, extra_days=1)
    assert longer[:-1] == corpus
    assert sum(day.new for day in corpus) == 5000
    assert longer[-1].first == 5000 and longer[-1].shape == "api" and longer[-1].repeats
