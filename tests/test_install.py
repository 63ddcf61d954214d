"""Installed, not cloned: `pip install` of the project, then `papershelf build && papershelf serve` in an
empty folder build and serve the shipped dataset, which travels with the package (etl/listings).

The package is really installed (built by pip from this checkout, without its dependencies, into a
folder of its own that comes first on PYTHONPATH); its dependencies are this environment's.
"""

from __future__ import annotations

import os
import sqlite3
import subprocess
import sys
import tomllib
from pathlib import Path

import httpx
import pytest

from etl.publish.local import ServerDidNotStart, free_port, wait_until_up
from etl.sources import sha256_file

ROOT = Path(__file__).resolve().parents[1]


def shipped_listings() -> list[Path]:
    """The listings a clone has (tracked by git when this is a clone, else every file under listings/)."""
    try:
        names = subprocess.run(["git", "ls-files", "listings"], cwd=ROOT, capture_output=True, text=True,
                               check=True).stdout.split()
    except (OSError, subprocess.CalledProcessError):
        return sorted(p for p in (ROOT / "listings").rglob("*") if p.is_file())
    return sorted(ROOT / name for name in names)


def test_every_package_of_etl_is_in_the_distribution() -> None:
    """pyproject.toml lists the packages (etl/listings is data mapped from listings/): none forgotten."""
    listed = set(tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["setuptools"]["packages"])
    found = {".".join(p.parent.relative_to(ROOT).parts) for p in (ROOT / "etl").rglob("__init__.py")}
    assert found <= listed
    assert "etl.listings" in listed


@pytest.fixture(scope="module")
def installed(tmp_path_factory: pytest.TempPathFactory) -> Path:
    import shutil

    # pip builds in the source folder (build/, *.egg-info): a copy of the checkout keeps it clean.
    source = tmp_path_factory.mktemp("source") / "papershelf"
    skip = shutil.ignore_patterns(".git", ".venv", "build", "*.egg-info", "__pycache__", "test-artifacts")
    top_only = {"db", "benchmarks", "export", "report"}  # the clone's folders of output, not etl/db/

    def ignore(folder: str, names: list[str]) -> set[str]:
        return set(skip(folder, names)) | (top_only & set(names) if Path(folder) == ROOT else set())

    shutil.copytree(ROOT, source, ignore=ignore)
    target = tmp_path_factory.mktemp("site")
    result = subprocess.run(
        [sys.executable, "-m", "pip", "install", "--quiet", "--no-deps", "--no-compile", "--target", str(target),
         str(source)],
        capture_output=True, text=True, timeout=600,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    return target


def run_installed(target: Path, cwd: Path, *args: str, **kwargs) -> subprocess.Popen | subprocess.CompletedProcess:  # type: ignore[no-untyped-def, type-arg]
    env = {**os.environ, "PYTHONPATH": str(target), "PYTHONUNBUFFERED": "1"}
    command = [str(target / "bin" / "papershelf"), *args]
    if kwargs.pop("background", False):
        return subprocess.Popen(command, cwd=cwd, env=env, **kwargs)
    return subprocess.run(command, cwd=cwd, env=env, capture_output=True, text=True, timeout=600, **kwargs)


def test_installed_package_builds_and_serves_the_shipped_dataset(installed: Path, tmp_path: Path) -> None:
    empty = tmp_path / "empty"
    empty.mkdir()
    where = run_installed(installed, empty, "--version")
    assert where.returncode == 0, where.stderr
    code = "import etl, sys; print(etl.__file__)"
    imported = subprocess.run([sys.executable, "-c", code], cwd=empty, capture_output=True, text=True,
                              env={**os.environ, "PYTHONPATH": str(installed)})
    assert imported.stdout.strip() == str(installed / "etl" / "__init__.py")  # the installed copy, not the clone

    packaged = sorted(p.relative_to(installed / "etl" / "listings") for p in (installed / "etl" / "listings").rglob("*")
                      if p.is_file() and p.suffix != ".pyc" and "__pycache__" not in p.parts)
    assert packaged == [p.relative_to(ROOT / "listings") for p in shipped_listings()]

    built = run_installed(installed, empty, "build", "--silent")
    assert built.returncode == 0, built.stderr[-3000:]
    db = empty / "db" / "papershelf.db"
    conn = sqlite3.connect(db)
    # The same files as the clone's listings/, byte for byte.
    assert sorted(row[0] for row in conn.execute("select sha256 from listings")) == sorted(
        sha256_file(p) for p in shipped_listings())
    papers, dated, first, last = conn.execute(
        "select count(*), count(last_seen), min(last_seen), max(last_seen) from papers").fetchone()
    assert f"{papers} papers" in built.stdout
    assert papers > 6000 and dated > 6000 and first.startswith("2024-05") and last.startswith("2025-12")
    conn.close()

    port = free_port()
    log = (tmp_path / "serve.log").open("w")
    server = run_installed(installed, empty, "serve", "--port", str(port), background=True, stdout=log,
                           stderr=subprocess.STDOUT)
    try:
        try:
            home = wait_until_up(f"http://127.0.0.1:{port}/", server, timeout=60, interval=0.3, request_timeout=2)
        except ServerDidNotStart as error:
            raise AssertionError(f"{error}: " + (tmp_path / "serve.log").read_text()) from None
        assert home.status_code == 200
        assert f"<strong>{papers:,}</strong> papers" in home.text
        found = httpx.get(f"http://127.0.0.1:{port}/papershelf/search.json?q=diffusion&_shape=array", timeout=10)
        assert found.status_code == 200 and len(found.json()) > 0
    finally:
        server.terminate()
        server.wait(timeout=10)
        log.close()
