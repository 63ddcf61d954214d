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


# ---- any file name serves as /papershelf ----------------------------------------------------------

@pytest.fixture
def mine_db(seed_db: Path, tmp_path: Path) -> Path:
    """The seed database under a file name Datasette would serve as /mine.v2 (a dot: every page a 404)."""
    import shutil

    path = tmp_path / "my shelf" / "mine.v2.db"  # a space in the path, a dot in the stem
    path.parent.mkdir()
    shutil.copyfile(seed_db, path)
    return path


@pytest.mark.asyncio
async def test_a_database_of_any_file_name_is_served_as_papershelf(mine_db: Path) -> None:
    datasette = Datasette([str(mine_db)], metadata=METADATA, immutables=[])
    home = await datasette.client.get("/")
    assert home.status_code == 200
    assert "<strong>63</strong> papers" in home.text  # the home page's figures, from the plugin
    assert "Latest listed" in home.text
    assert [db["name"] for db in (await datasette.client.get("/-/databases.json")).json()] == ["papershelf"]
    rows = (await datasette.client.get("/papershelf/papers.json?_search=diffusion&_shape=objects")).json()["rows"]
    assert rows and all("diffusion" in (r["title"] + (r["abstract"] or "")).lower() for r in rows)
    for name in sorted(METADATA["databases"]["papershelf"]["queries"]):  # canned queries come from the metadata
        response = await datasette.client.get(f"/papershelf/{name}.json?q=diffusion&_shape=objects")
        assert response.status_code == 200, (name, response.text[:300])
    search = (await datasette.client.get("/papershelf/search.json?q=diffusion&_shape=array")).json()
    assert search and "<mark>" in search[0]["snippet"]


@pytest.mark.asyncio
async def test_an_immutable_database_of_any_name_takes_its_counts_from_the_inspect_file(mine_db: Path) -> None:
    import json

    from etl.publish.serving import ensure_inspect_file

    inspect = json.loads(ensure_inspect_file(mine_db).read_text(encoding="utf-8"))
    assert list(inspect) == ["papershelf"]
    inspect["papershelf"]["tables"]["papers"]["count"] = 1234  # made up: shows the page read it
    datasette = Datasette([], immutables=[str(mine_db)], inspect_data=inspect, metadata=METADATA)
    data = (await datasette.client.get("/papershelf/papers.json?_size=1")).json()
    assert data["filtered_table_rows_count"] == 1234


@pytest.mark.asyncio
async def test_only_a_lone_papershelf_database_is_renamed(mine_db: Path, tmp_path: Path) -> None:
    import shutil
    import sqlite3

    other = tmp_path / "other.db"
    sqlite3.connect(other).execute("create table papers (id text)").connection.commit()
    alone = Datasette([str(other)])  # not papershelf's tables: keeps its name
    assert (await alone.client.get("/other.json")).status_code == 200
    assert "papershelf" not in alone.databases
    beside = Datasette([str(other), str(mine_db)])  # the papershelf database among others: renamed
    await beside.invoke_startup()
    assert set(beside.databases) >= {"other", "papershelf"} and "mine.v2" not in beside.databases
    twin = tmp_path / "twin.db"
    shutil.copyfile(mine_db, twin)
    both = Datasette([str(twin), str(mine_db)])  # two candidates: which one is meant is not guessed
    await both.invoke_startup()
    assert "papershelf" not in both.databases and {"twin", "mine.v2"} <= set(both.databases)
