"""The Datasette publication of the seed database, through datasette.client."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml
from datasette.app import Datasette

ROOT = Path(__file__).resolve().parents[1]
METADATA = yaml.safe_load((ROOT / "metadata.yml").read_text(encoding="utf-8"))


@pytest.fixture
def datasette(seed_db: Path) -> Datasette:
    return Datasette([str(seed_db)], metadata=METADATA, immutables=[])


@pytest.mark.asyncio
async def test_papers_table_json(datasette: Datasette) -> None:
    response = await datasette.client.get("/papershelf/papers.json?_shape=objects&_size=100")
    assert response.status_code == 200
    data = response.json()
    assert len(data["rows"]) == 63
    assert {"id", "title", "abstract", "arxiv_id"} <= set(data["rows"][0])


@pytest.mark.asyncio
async def test_papers_table_html_has_title_and_description(datasette: Datasette) -> None:
    response = await datasette.client.get("/papershelf/papers?_size=100")
    assert response.status_code == 200
    assert "One row per distinct paper" in response.text
    assert "Semi-Parametric Neural Image Synthesis" in response.text


@pytest.mark.asyncio
async def test_search_filter_on_the_papers_table(datasette: Datasette) -> None:
    response = await datasette.client.get("/papershelf/papers.json?_search=speculative+decoding&_shape=objects")
    assert response.status_code == 200
    titles = [row["title"] for row in response.json()["rows"]]
    assert any(t.startswith("SpecTr") for t in titles)
    assert any(t.startswith("Speculative Decoding with Big Little Decoder") for t in titles)


@pytest.mark.asyncio
async def test_ranked_search_query(datasette: Datasette) -> None:
    response = await datasette.client.get("/papershelf/search.json?q=speculative+decoding&_shape=objects")
    assert response.status_code == 200
    titles = [row["title"] for row in response.json()["rows"]]
    assert {titles[0].split(":")[0], titles[1].split(":")[0]} == {
        "SpecTr", "Speculative Decoding with Big Little Decoder"}


@pytest.mark.asyncio
async def test_paper_row_page_html_and_json(datasette: Datasette) -> None:
    paper_id = "semi-parametric-neural-image-synthesis"
    html = await datasette.client.get(f"/papershelf/papers/{paper_id}")
    assert html.status_code == 200
    assert "Semi-Parametric Neural Image Synthesis" in html.text
    data = (await datasette.client.get(f"/papershelf/papers/{paper_id}.json?_shape=objects")).json()
    assert data["rows"][0]["abstract"].startswith("Novel architectures have recently improved")


@pytest.mark.asyncio
@pytest.mark.parametrize("name", sorted(METADATA["databases"]["papershelf"].get("queries", {})))
async def test_every_canned_query_answers(datasette: Datasette, name: str) -> None:
    response = await datasette.client.get(f"/papershelf/{name}.json?q=diffusion&_shape=objects")
    assert response.status_code == 200, response.text


def test_installed_plugin_loads_with_datasette() -> None:
    """`datasette` loads the entry point while its own modules are half-imported: no circular import."""
    import subprocess
    import sys
    from importlib.metadata import entry_points

    if not any(ep.name == "papershelf" for ep in entry_points(group="datasette")):
        pytest.skip("papershelf is not installed with its entry point (make test installs it)")
    code = "import datasette.cli; from datasette.plugins import pm; print(pm.has_plugin('papershelf'))"
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr[-2000:]
    assert result.stdout.strip() == "True"
