"""Jupyter notebooks (.ipynb) that print or display papers pages: their text read as cards.

A notebook is JSON: ``cells``, each with a ``source`` and (code cells) ``outputs``. What a person
sees of it is read, in order: markdown cells' text, and each output's printed text (``stream``), its
markdown or plain-text display, or its HTML display turned into text (``hf_html``). The whole is one
text capture for the card reader (``hf_text``), one line per line of the notebook's text.
"""

from __future__ import annotations

import json
import re
from typing import Any

from etl.sources.records import Listing
from etl.sources import hf_html, hf_text
from etl.sources.markup import has_markup

SOURCE = "ipynb"
_NOTEBOOK_KEYS = re.compile(r'"(?:cells|nbformat)"\s*:')


def sniff(text: str) -> bool:
    """True when ``text`` is a Jupyter notebook (a JSON object with cells and nbformat)."""
    head = text[:65536].lstrip("\ufeff \t\r\n")
    return head.startswith("{") and len(_NOTEBOOK_KEYS.findall(head)) >= 1 and '"cells"' in text


def _text(value: Any) -> str:
    """A notebook string field: a string, or a list of lines."""
    if isinstance(value, list):
        return "".join(part for part in value if isinstance(part, str))
    return value if isinstance(value, str) else ""


def notebook_text(notebook: dict[str, Any]) -> str:
    """What the notebook shows, as text: markdown cells and outputs, in order. When the whole reads
    as markdown (a markdown cell, an HTML display), printed text is escaped so that its brackets and
    backslashes stay what they are."""
    parts: list[tuple[str, bool]] = []  # (text, is markdown)
    cells = notebook.get("cells")
    for cell in cells if isinstance(cells, list) else []:
        if not isinstance(cell, dict):
            continue
        if cell.get("cell_type") == "markdown":
            parts.append((_text(cell.get("source")), True))
        outputs = cell.get("outputs")
        for output in outputs if isinstance(outputs, list) else []:
            if not isinstance(output, dict):
                continue
            if output.get("output_type") == "stream":
                parts.append((_text(output.get("text")), False))
                continue
            data = output.get("data")
            if not isinstance(data, dict):
                continue
            if "text/markdown" in data:
                parts.append((_text(data["text/markdown"]), True))
            elif "text/html" in data:
                parts.append((hf_html.page_text(_text(data["text/html"])), True))
            elif "text/plain" in data:
                parts.append((_text(data["text/plain"]), False))
    parts = [(text, markdown) for text, markdown in parts if text.strip()]
    plain = "\n\n".join(text.rstrip("\n") for text, _ in parts) + "\n"
    if not any(markdown for _, markdown in parts) or not has_markup(plain):
        return plain
    return "\n\n".join((text if markdown else _PLAIN_ESCAPE.sub(r"\\\g<0>", text)).rstrip("\n")
                       for text, markdown in parts) + "\n"


_PLAIN_ESCAPE = re.compile(r"[\\\[\]]")


def parse(text: str) -> Listing:
    """Read a notebook: its shown text through the card reader. Not JSON, or no cells: no papers,
    one reject saying so (from the card reader's empty capture)."""
    try:
        notebook = json.loads(text)
    except (ValueError, RecursionError):
        notebook = None
    shown = notebook_text(notebook) if isinstance(notebook, dict) else ""
    listing = hf_text.parse(shown if shown.strip() else "a notebook without readable cells\n")
    return Listing(source=SOURCE, items=listing.items, shape=f"ipynb-{listing.shape or 'text'}",
                   date_text=listing.date_text, date=listing.date, kind=listing.kind, page=listing.page)
