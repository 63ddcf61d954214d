"""Every day of the shipped API archive rendered in every capture style of tests/renders.py and read
back: how many days read back the same papers (the property test's check, on all days instead of a
sample), and how fast the readers go.

    .venv/bin/python -m benchmarks.capture_styles            # all days, all styles (a few minutes)
    .venv/bin/python -m benchmarks.capture_styles --every 10 # one day in ten
"""

from __future__ import annotations

import argparse
import time

from tests.conftest import api_files
from tests.renders import STYLES
from tests.test_capture_styles import check, day_items


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--every", type=int, default=1, help="take one day in N")
    args = parser.parse_args()
    days = [path for path in api_files()[:: args.every] if day_items(path)[0]]
    for style in STYLES:
        failed: list[str] = []
        started = time.perf_counter()
        for day in days:
            try:
                check(day, style)
            except AssertionError:
                failed.append(day.name[:10])
        seconds = time.perf_counter() - started
        print(f"{style:20s} {len(days) - len(failed):4d}/{len(days)} days read back the same"
              f" ({seconds:.1f} s, render and read){'; differ: ' + ', '.join(failed[:5]) if failed else ''}")


if __name__ == "__main__":
    main()
