"""PLACEHOLDER for the sources branch only: the parser helper's etl/normalize.py replaces it at merge.

Only ``clean_text`` is here, with the behaviour the brief gives, so that the source readers run.
"""

from __future__ import annotations

import unicodedata


def clean_text(text: str) -> str:
    """NFC, no-break spaces as spaces, hard wraps joined, white space collapsed, trimmed."""
    text = unicodedata.normalize("NFC", text).replace("\u00a0", " ")
    return " ".join(text.split())
