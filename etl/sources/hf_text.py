"""PLACEHOLDER for the sources branch only: the parser helper's hf_text.py replaces it at merge.

It recognises any non-blank text so that ``open_listing`` can dispatch to it; it parses nothing.
"""

from __future__ import annotations

from etl.records import Listing


def sniff(text: str) -> bool:
    return bool(text.strip())


def parse(text: str) -> Listing:
    return Listing(source="hf-text", items=[])
