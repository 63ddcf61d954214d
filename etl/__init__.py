"""papershelf: listings of machine-learning papers into a normalized SQLite dataset (see README.md)."""

from __future__ import annotations

from pathlib import Path


def version() -> str:
    """papershelf's version: the installed package's, else the checkout's ``pyproject.toml``."""
    from importlib.metadata import PackageNotFoundError
    from importlib.metadata import version as installed_version

    try:
        return installed_version("papershelf")
    except PackageNotFoundError:  # run from a checkout, not installed
        import tomllib

        pyproject = Path(__file__).resolve().parents[1] / "pyproject.toml"
        return str(tomllib.loads(pyproject.read_text(encoding="utf-8"))["project"]["version"])
