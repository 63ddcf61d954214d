"""Saved huggingface.co/papers pages (Ctrl+S, curl): the page's own data, else its text.

Every papers page (daily, ``/papers/week/...``, ``/papers/month/...``, trending, search) carries its
cards as a hydration blob::

    <div class="SVELTE_HYDRATER contents" data-target="DailyPapers" data-props="{&quot;dailyPapers&quot;:[...]}">

whose HTML-escaped JSON holds a ``dailyPapers`` array with the same items as the Daily Papers API.
The page is read with the standard library's HTML parser (attribute values come unescaped), and the
items go through the API reader's item mapping (``hf_api.paper_from_item``): a saved page and the
API day give the same papers. A page without the blob (another site's copy, a trimmed save) is
turned into text, its links kept as markdown links and its headings as ``#`` lines, and read by
the card reader (``hf_text``).
"""

from __future__ import annotations

import json
import re
from html.parser import HTMLParser
from typing import Any

from etl.sources.records import Item, Listing, Reject, cut
from etl.sources import hf_api, hf_text
from etl.sources._common import iso_date

SOURCE = "hf-html"

_BLOCK = frozenset(
    "address article aside blockquote body dd details div dl dt fieldset figcaption figure footer form"
    " header hr li main nav ol p pre section summary table tbody td tfoot th thead tr ul".split()
)
_SKIP = frozenset("script style noscript svg template head button select".split())
_HEADINGS = {f"h{level}": level for level in range(1, 7)}


def sniff(text: str) -> bool:
    """True when ``text`` is an HTML page (a saved papers page, or any page to read as text)."""
    head = text[:65536].lstrip("\ufeff \t\r\n").lower()
    return head.startswith("<") and ("<html" in head or "<!doctype html" in head or "svelte_hydrater" in head)


class _Page(HTMLParser):
    """One pass over the page: the DailyPapers blobs, the address and title, and the text."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.blobs: list[tuple[str, int]] = []  # (data-props, line)
        self.urls: list[str] = []
        self.title = ""
        self._in_title = False
        self._skip = 0
        self._links: list[str | None] = []
        self._pre = 0
        self.parts: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = {name: value or "" for name, value in attrs}
        if values.get("data-target") == "DailyPapers" and "SVELTE_HYDRATER" in values.get("class", ""):
            self.blobs.append((values.get("data-props", ""), self.getpos()[0]))
        if tag == "link" and values.get("rel") == "canonical" and values.get("href"):
            self.urls.append(values["href"])
        if tag == "meta" and values.get("property") == "og:url" and values.get("content"):
            self.urls.append(values["content"])
        if tag == "title":
            self._in_title = True
        if tag in _SKIP:
            self._skip += 1
        if self._skip:
            return
        if tag == "pre":
            self._pre += 1
        if tag in _HEADINGS:
            self.parts.append("\n\n" + "#" * _HEADINGS[tag] + " ")
        elif tag == "br":
            self.parts.append("\n")
        elif tag == "li":
            self.parts.append("\n- ")
        elif tag in _BLOCK:
            self.parts.append("\n\n")
        if tag == "a":
            href = values.get("href", "")
            if href.startswith("/"):
                href = "https://huggingface.co" + href
            self._links.append(href if href.startswith(("http://", "https://")) else None)
            if self._links[-1]:
                self.parts.append("[")

    def handle_endtag(self, tag: str) -> None:
        if tag == "title":
            self._in_title = False
        if tag in _SKIP:
            self._skip = max(0, self._skip - 1)
            return
        if self._skip:
            return
        if tag == "pre":
            self._pre = max(0, self._pre - 1)
        if tag == "a" and self._links:
            href = self._links.pop()
            if href:
                self.parts.append(f"]({href})")
        elif tag in _HEADINGS or tag in _BLOCK:
            self.parts.append("\n\n")

    def handle_data(self, data: str) -> None:
        if self._in_title:
            self.title += data
        if not self._skip:
            # Markup characters in the page's words are text, not link syntax for the card reader.
            # White space in HTML text is one space (the page wraps it as it likes), except in <pre>.
            shown = data if self._pre else re.sub(r"\s+", " ", data)
            self.parts.append(re.sub(r"([\[\]\\])", r"\\\1", shown))

    def text(self) -> str:
        header = "".join(f"URL: {url}\n" for url in self.urls[:1])
        if self.title.strip():
            header += f"Page Title: {' '.join(self.title.split())}\n"
        body = re.sub(r"[ \t]*\n", "\n", "".join(self.parts))
        body = re.sub(r"\n{3,}", "\n\n", body)
        return header + "\n" + body.strip() + "\n"


def page_text(text: str) -> str:
    """An HTML page or fragment as text for the card reader: links as markdown links, headings as
    ``#`` lines, blocks on lines of their own, preformatted text as it is."""
    page = _Page()
    page.feed(text)
    page.close()
    return page.text()


def parse(text: str) -> Listing:
    """Read a saved page: the DailyPapers blob's items as API items, else the page's text as cards."""
    page = _Page()
    page.feed(text)
    page.close()
    kind, address, date = None, page.urls[0] if page.urls else None, None
    for url in page.urls:
        kind, date = hf_text.kind_of_url(url)
        if kind:
            break
    if kind is None and page.title:
        kind = hf_text.kind_of_title(page.title)
    if not page.blobs:
        listing = hf_text.parse(page.text())
        return Listing(source=SOURCE, items=listing.items, shape="html-text", date_text=listing.date_text,
                       date=date or listing.date, kind=kind or listing.kind, page=address or listing.page)
    items: list[Item] = []
    for props, line in page.blobs:
        items.extend(_blob_items(props, line))
        data = _props(props)
        if isinstance(data, dict) and date is None:
            date = iso_date(data.get("date"))
    return Listing(source=SOURCE, items=items, shape="html", date=date, kind=kind, page=address)


def _props(props: str) -> Any:
    try:
        return json.loads(props)
    except (ValueError, RecursionError):
        return None


def _blob_items(props: str, line: int) -> list[Item]:
    data = _props(props)
    if not isinstance(data, dict) or not isinstance(data.get("dailyPapers"), list):
        what = "not JSON" if data is None else "JSON without a dailyPapers list"
        return [Reject(f"line {line}: the page's DailyPapers data is {what}", cut(props), line, 1)]
    items: list[Item] = []
    for position, value in enumerate(data["dailyPapers"], 1):
        raw = json.dumps(value, ensure_ascii=False)
        if isinstance(value, dict):
            items.append(hf_api.paper_from_item(value, raw, position=position, line=line))
        else:
            items.append(Reject(f"a {type(value).__name__} where a paper object was expected", cut(raw), line,
                                position))
    return items
