"""The stage layout of etl/ (tools/relayout.py): no module left at a path of the flat layout, and no
import, string or path in the tree that still names one (say after a merge of an older branch)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def test_nothing_names_a_module_of_the_flat_layout() -> None:
    result = subprocess.run([sys.executable, "tools/relayout.py", "--check"], cwd=ROOT, capture_output=True,
                            text=True, timeout=120)
    assert result.returncode == 0, f"run `python tools/relayout.py`:\n{result.stdout}{result.stderr}"
    assert "not in MOVES" not in result.stderr, result.stderr  # a new top-level module: give it a stage
