"""docs/home.png: the home page of `papershelf serve` over the shipped dataset, in headless chromium.

    make build && .venv/bin/python docs/screenshot.py [--db db/papershelf.db]

Needs the test extras (Playwright) and Debian's chromium (/usr/bin/chromium).
"""

from __future__ import annotations

import argparse
import subprocess
import sys
from pathlib import Path

from playwright.sync_api import sync_playwright

from etl.publish.local import ServerDidNotStart, free_port, wait_until_up

ROOT = Path(__file__).resolve().parents[1]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", type=Path, default=ROOT / "db" / "papershelf.db")
    parser.add_argument("--out", type=Path, default=ROOT / "docs" / "home.png")
    args = parser.parse_args()
    port = free_port()
    server = subprocess.Popen([sys.executable, "-m", "etl", "serve", "--db", str(args.db), "--port", str(port)],
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        try:
            wait_until_up(f"http://127.0.0.1:{port}/-/versions.json", server, timeout=60, interval=0.3,
                          request_timeout=1)
        except ServerDidNotStart as error:
            raise SystemExit(f"papershelf serve did not start: {error}") from None
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path="/usr/bin/chromium", headless=True,
                                                 args=["--no-sandbox", "--disable-gpu"])
            page = browser.new_page(viewport={"width": 1200, "height": 900})
            page.goto(f"http://127.0.0.1:{port}/")
            page.screenshot(path=str(args.out))
            browser.close()
    finally:
        server.terminate()
        server.wait(timeout=10)
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
