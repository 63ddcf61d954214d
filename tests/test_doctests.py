"""The examples in etl's docstrings run, so that they stay true (pytest does not collect etl/ itself)."""

from __future__ import annotations

import doctest
import importlib
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[1] / "etl"
MODULES = sorted(
    ".".join(path.relative_to(PACKAGE.parent).with_suffix("").parts)
    for path in PACKAGE.rglob("*.py")
    if ">>> " in path.read_text(encoding="utf-8")
)


# Usage sketches written as examples, which need a built database: not run (listed, so that it shows).
SKETCHES = {"etl.publish.analysis": "its module docstring sketches use on db/papershelf.db",
            "etl.publish.engines": "its module docstring sketches use on an export/ folder (DuckDB)"}


def test_the_package_has_examples() -> None:
    assert "etl.sources.files" in MODULES and len(MODULES) >= 5


@pytest.mark.parametrize("name", [
    pytest.param(name, marks=pytest.mark.skip(reason=SKETCHES[name])) if name in SKETCHES else name for name in MODULES
])
def test_examples(name: str) -> None:
    result = doctest.testmod(importlib.import_module(name), optionflags=doctest.ELLIPSIS)
    assert result.attempted > 0 and result.failed == 0, f"{name}: {result.failed} of {result.attempted} examples failed"
