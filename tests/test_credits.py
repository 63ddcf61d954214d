"""Credits travel with the data: the archive's licence (Apache-2.0) and the origin of the papers (Hugging
Face Daily Papers, arXiv) in the README's first screen, in metadata.yml and in an export's datapackage.json."""

from __future__ import annotations

import json
from pathlib import Path

import yaml

from etl.publish.export import export

ROOT = Path(__file__).resolve().parents[1]


def first_screen() -> str:
    return "\n".join((ROOT / "README.md").read_text(encoding="utf-8").splitlines()[:40])


def test_the_readme_first_screen_says_what_the_dataset_holds_and_the_two_commands() -> None:
    text = first_screen()
    for words in ["papers", "2024-05-27 to 2025-12-31", "Apache-2.0", "Hugging Face Daily Papers", "arXiv",
                  "listings/hf-daily-api", "make serve", "make test"]:
        assert words in text, words
    screenshot = ROOT / "docs" / "home.png"
    assert "(docs/home.png)" in text
    assert screenshot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and screenshot.stat().st_size > 20_000


def test_metadata_credits_the_archive_and_the_origin() -> None:
    metadata = yaml.safe_load((ROOT / "metadata.yml").read_text(encoding="utf-8"))
    assert "Apache-2.0" in metadata["license"] and "Daily Papers API archive" in metadata["license"]
    assert metadata["license_url"] == "https://www.apache.org/licenses/LICENSE-2.0"
    assert "Hugging Face Daily Papers" in metadata["source"] and "arXiv" in metadata["source"]
    assert metadata["source_url"] == "https://huggingface.co/papers"


def test_the_datapackage_credits_the_archive_and_the_origin(seed_db: Path, tmp_path: Path) -> None:
    export(seed_db, tmp_path, "parquet")
    descriptor = json.loads((tmp_path / "datapackage.json").read_text(encoding="utf-8"))
    metadata = yaml.safe_load((ROOT / "metadata.yml").read_text(encoding="utf-8"))
    assert descriptor["licenses"] == [{"name": "Apache-2.0", "path": "https://www.apache.org/licenses/LICENSE-2.0",
                                       "title": metadata["license"]}]
    sources = {source["path"]: source["title"] for source in descriptor["sources"]}
    assert sources["https://huggingface.co/papers"] == metadata["source"]
    assert "https://huggingface.co/api/daily_papers" in sources and sources["https://arxiv.org"] == "arXiv"
