"""Capture styles of a papers page, rendered from real API days: what other tools make of the same cards.

Each function takes the API day's items (dicts as the API gives them) and returns the text a tool
would have saved. The styles follow real captures (tests/fixtures/captures) and the shapes the issue
names: inline-link markdown (firecrawl), a text browser's reference links with wrapped abstracts
inside the link brackets, a trending page with every card twice, a notebook export with bare URLs on
their own lines, and the saved HTML page with its DailyPapers blob.
"""

from __future__ import annotations

import html
import json
import textwrap
from collections.abc import Callable
from typing import Any

from etl.text.normalize import clean_text

Item = dict[str, Any]


def _paper(item: Item) -> Item:
    return item["paper"]


def _escape_md(text: str) -> str:
    """What a markdown converter escapes in text (turndown): brackets and backslashes."""
    return text.replace("\\", "\\\\").replace("[", "\\[").replace("]", "\\]")


def _one_line(text: str) -> str:
    return clean_text(text)


def _stars(count: int) -> str:
    return f"{count / 1000:.1f}k".replace(".0k", "k") if count >= 1000 else str(count)


def markdown_inline(items: list[Item], day: str) -> str:
    """firecrawl-style markdown: front matter, upvote links, ``### [Title](url)``, the abstract as one
    link with arXiv's hard wraps as ``\\\\`` line ends."""
    out = ["---", f"url: https://huggingface.co/papers/date/{day}", "title: Daily Papers - Hugging Face", "---",
           "new", "", "[Subscribe](https://huggingface.co/login?next=%2Fpapers)", "", "# Daily Papers", "",
           "## by [![](https://huggingface.co/front/assets/papers-by.png)AK](https://huggingface.co/akhaliq)"
           " and the research community", "", "- Daily", "- Weekly", "- Monthly", ""]
    for item in items:
        paper = _paper(item)
        pid = paper["id"]
        votes = paper.get("upvotes") or "-"
        title = _escape_md(item["title"]).replace("\n", "\\  ")
        abstract = "\\\\\n".join(_escape_md(line) for line in paper["summary"].strip().split("\n"))
        out += [f"[{votes}](https://huggingface.co/login?next=%2Fpapers%2F{pid})", "",
                f"### [{_one_line(title)}](https://huggingface.co/papers/{pid})", "",
                f"[{abstract}](https://huggingface.co/papers/{pid})", "",
                f"[- ![](https://huggingface.co/avatars/x.svg)\\\\\n- {len(paper.get('authors') or []) or 1} authors]"
                f"(https://huggingface.co/papers/{pid})", "", "·", "", "Mar 3, 2024", ""]
    return "\n".join(out) + "\n"


def text_browser(items: list[Item], day: str, *, glued: bool = False) -> str:
    """A text browser's markdown dump: reference links ``[text][n]`` with the definitions at the
    end, titles wrapped over ``###`` lines, abstracts wrapped at 78 columns inside the link brackets
    (on their own lines, or ``glued`` to the first and last words)."""
    refs: list[str] = []

    def ref(url: str) -> str:
        refs.append(url)
        return str(len(refs))

    out = ["# Daily Papers", "", f"## by[AK][{ref('https://huggingface.co/akhaliq')}] and the research community",
           "* Daily", "* Weekly", "* Monthly", "", "Mar 13"]
    for item in items:
        paper = _paper(item)
        pid = paper["id"]
        out += ["[", "-", f"][{ref(f'https://huggingface.co/login?next=%2Fpapers%2F{pid}')}]", ""]
        title_lines = textwrap.wrap(_escape_md(_one_line(item["title"])), 70) or [""]
        title_ref = ref(f"https://huggingface.co/papers/{pid}")
        out += [f"### [{title_lines[0]}" + ("" if len(title_lines) > 1 else f"][{title_ref}]")]
        out += [f"### {line}" for line in title_lines[1:-1]]
        if len(title_lines) > 1:
            out += [f"### {title_lines[-1]}][{title_ref}]"]
        out.append("")
        wrapped = textwrap.wrap(_escape_md(_one_line(paper["summary"])), 78, break_on_hyphens=False, break_long_words=False)
        abstract_ref = ref(f"https://huggingface.co/papers/{pid}")
        if glued:
            wrapped[0] = "[" + wrapped[0]
            wrapped[-1] = wrapped[-1] + f"][{abstract_ref}]"
            out += wrapped + [""]
        else:
            out += ["[", ""] + wrapped + ["", f"][{abstract_ref}]"]
        authors = len(paper.get("authors") or []) or 1
        out += ["[", f"* {authors} authors", f"][{ref(f'https://huggingface.co/papers/{pid}')}]", "·", "Mar 13",
                "[", str(paper.get("upvotes") or 0), f"][{ref(f'https://huggingface.co/papers/{pid}')}]", ""]
    out += ["References", ""] + [f"[{n}]: {url}" for n, url in enumerate(refs, 1)]
    return "\n".join(out) + "\n"


def trending_twice(items: list[Item], day: str) -> str:
    """A trending page dump: plain ``### Title`` headings (long ones wrapped onto an indented line),
    the AI summary where the paper has one, else the abstract hard-wrapped, "- N authors", the GitHub
    button; every card twice."""
    out = ["# Trending Papers", "**URL:** https://huggingface.co/papers/trending",
           "**Page Title:** Trending Papers - Hugging Face", "-" * 20, "",
           "Get trending papers in your email inbox!", "", "## Trending Papers", ""]
    for item in items:
        paper = _paper(item)
        title = textwrap.wrap(_escape_md(_one_line(item["title"])), 80) or [""]
        card = [f"### {title[0]}"] + [f"  {line}" for line in title[1:]] + [""]
        text = paper.get("ai_summary") or paper["summary"]
        card += textwrap.wrap(_escape_md(_one_line(text)), 80, break_on_hyphens=False, break_long_words=False)
        if paper.get("authors"):
            card.append(f"- {len(paper['authors'])} authors")
        if paper.get("githubRepo"):
            repo = "".join(paper["githubRepo"].split())  # the page's link, whatever white space the field has
            card.append(f"[LINK: GitHub {_stars(paper.get('githubStars') or 0)}]({repo})")
        out += card + [""] + card + [""]
    return "\n".join(out) + "\n"


def notebook(items: list[Item], day: str) -> str:
    """A notebook's printed output: numbered titles, the paper URL bare on its own line, the abstract
    on one line, the repository URL bare on its own line."""
    out = [f"Hugging Face Daily Papers {day}", ""]
    for number, item in enumerate(items, 1):
        paper = _paper(item)
        out += [f"{number}. {_one_line(item['title'])}", f"https://huggingface.co/papers/{paper['id']}",
                _one_line(paper["summary"])]
        if paper.get("githubRepo"):
            out.append("".join(paper["githubRepo"].split()))
        out.append("")
    return "\n".join(out) + "\n"


def lynx(items: list[Item], day: str) -> str:
    """``lynx -dump``: numbered links ("[12]Title") with the list of their URLs under "References"
    at the end, text indented by three spaces and wrapped at 76 columns."""
    refs: list[str] = []

    def ref(url: str) -> str:
        refs.append(url)
        return f"[{len(refs)}]"

    out = [f"   {ref('https://huggingface.co/')}Hugging Face", "", "Daily Papers", "",
           f"   by {ref('https://huggingface.co/akhaliq')}AK and the research community", "", "   Mar 13", ""]
    for item in items:
        paper = _paper(item)
        pid = paper["id"]
        out += [f"   {ref(f'https://huggingface.co/login?next=%2Fpapers%2F{pid}')}{paper.get('upvotes') or 0}",
                "   Submitted by", f"   {ref('https://huggingface.co/someone')}someone", ""]
        title = f"{ref(f'https://huggingface.co/papers/{pid}')}{_one_line(item['title'])}"
        out += textwrap.wrap(title, 76, break_on_hyphens=False, break_long_words=False) + [""]
        abstract = f"{ref(f'https://huggingface.co/papers/{pid}')}{_one_line(paper['summary'])}"
        out += ["   " + line for line in textwrap.wrap(abstract, 73, break_on_hyphens=False,
                                                       break_long_words=False)]
        out += ["", f"     * {len(paper.get('authors') or []) or 1} authors", "   ·", "   Mar 13", ""]
    out += ["References", ""] + [f"  {n:3d}. {url}" for n, url in enumerate(refs, 1)]
    return "\n".join(out) + "\n"


def notebook_fields(items: list[Item], day: str) -> str:
    """A notebook's markdown output with labelled fields: "**Title:** ...", "**URL:** ...", the
    upvotes, the abstract on one line (markdown-escaped), the repository; a rule between papers."""
    out = [f"# Daily Papers {day}", ""]
    for number, item in enumerate(items, 1):
        paper = _paper(item)
        out += [f"## Paper {number}", f"**Title:** {_escape_md(_one_line(item['title']))}",
                f"**URL:** https://huggingface.co/papers/{paper['id']}",
                f"**Upvotes:** {paper.get('upvotes') or 0}",
                f"**Abstract:** {_escape_md(_one_line(paper['summary']))}"]
        if paper.get("githubRepo"):
            out.append(f"**GitHub:** {''.join(paper['githubRepo'].split())}")
        out += ["", "---", ""]
    return "\n".join(out) + "\n"


def jupyter(items: list[Item], day: str) -> str:
    """A Jupyter notebook (.ipynb JSON) whose code cell printed the papers as ``notebook`` does, and
    whose next cell displayed the last paper's card as HTML."""
    printed = notebook(items[:-1], day) if len(items) > 1 else ""
    last = _paper(items[-1])
    card = (f'<h3><a href="https://huggingface.co/papers/{last["id"]}">{html.escape(_one_line(items[-1]["title"]))}'
            f'</a></h3><p>{html.escape(_one_line(last["summary"]))}</p>')
    cells = [
        {"cell_type": "markdown", "metadata": {}, "source": [f"# Daily Papers {day}\n"]},
        {"cell_type": "code", "metadata": {}, "execution_count": 1, "source": ["for p in papers: show(p)"],
         "outputs": [{"output_type": "stream", "name": "stdout", "text": printed.splitlines(keepends=True)}]},
        {"cell_type": "code", "metadata": {}, "execution_count": 2, "source": ["display(HTML(card))"],
         "outputs": [{"output_type": "display_data", "metadata": {},
                      "data": {"text/html": [card], "text/plain": ["<IPython.core.display.HTML object>"]}}]},
    ]
    return json.dumps({"cells": cells, "metadata": {}, "nbformat": 4, "nbformat_minor": 5}, indent=1,
                      ensure_ascii=False)


def saved_html(items: list[Item], day: str) -> str:
    """The page saved by a browser: the DailyPapers blob, its JSON escaped into the attribute."""
    props = html.escape(json.dumps({"dailyPapers": items}, ensure_ascii=False), quote=True)
    return ('<!DOCTYPE html><html><head><title>Daily Papers - Hugging Face</title>'
            f'<link rel="canonical" href="https://huggingface.co/papers/date/{day}"></head><body>'
            f'<div class="SVELTE_HYDRATER contents" data-target="DailyPapers" data-props="{props}"></div>'
            '</body></html>')


# style name -> (render, shows arXiv ids, shows summaries where the paper has one, shows the repository)
STYLES: dict[str, tuple[Callable[[list[Item], str], str], bool, bool, bool]] = {
    "markdown-inline": (markdown_inline, True, False, False),
    "text-browser": (text_browser, True, False, False),
    "text-browser-glued": (lambda items, day: text_browser(items, day, glued=True), True, False, False),
    "trending-twice": (trending_twice, False, True, True),
    "notebook": (notebook, True, False, True),
    "lynx": (lynx, True, False, False),
    "notebook-fields": (notebook_fields, True, False, True),
    "saved-html": (saved_html, True, False, True),
    "jupyter": (jupyter, True, False, False),
}
