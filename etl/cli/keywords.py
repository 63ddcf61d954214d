"""`papershelf keywords IN.jsonl [--top 10]`: keyphrases for any documents, one JSON line each.

``keywords_command`` is a click command for the ``papershelf`` group: ``cli.add_command(keywords_command)``.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Callable, Iterable, Iterator
from typing import IO, TYPE_CHECKING

import click

if TYPE_CHECKING:  # etl.text.keywords brings numpy in: imported when the command runs, not at the CLI's start
    from etl.text.keywords import BatchCandidates, Keyword

KEEP_LIMIT = 20_000  # documents whose candidates the command keeps in memory between its passes
BATCH_SIZE = 4096  # documents a batch (etl.text.keywords.candidates_batch)


class BadLine(ValueError):
    """A line of the input that is no JSON object with an id."""


def read_documents(lines: Iterator[str]) -> Iterator[tuple[int, object, str, str] | BadLine]:
    """(line number, id, title, abstract) for each non-blank line, or BadLine saying what is wrong."""
    for number, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        try:
            row = json.loads(line)
        except json.JSONDecodeError as error:
            yield BadLine(f"line {number}: not JSON ({error.msg})")
            continue
        if not isinstance(row, dict) or row.get("id") is None:
            yield BadLine(f'line {number}: expected an object with an "id", got {line.strip()[:80]!r}')
            continue
        title, abstract = row.get("title") or "", row.get("abstract") or ""
        if not isinstance(title, str) or not isinstance(abstract, str):
            yield BadLine(f'line {number}: "title" and "abstract" must be strings')
            continue
        yield number, row["id"], title, abstract


def _as_json(doc_id: object, keywords: list[Keyword], details: bool) -> str:
    if details:
        listed: list[object] = [
            {"key": k.key, "display": k.display, "score": round(k.score, 4), "aliases": list(k.aliases)}
            for k in keywords
        ]
    else:
        listed = [k.display for k in keywords]
    return json.dumps({"id": doc_id, "keywords": listed}, ensure_ascii=False)


@click.command("keywords")
@click.argument(
    "input_path", metavar="IN.jsonl", type=click.Path(exists=True, dir_okay=False, allow_dash=True)
)
@click.option(
    "--top", default=10, show_default=True, type=click.IntRange(1, 1000), help="Keyphrases per document."
)
@click.option(
    "-o",
    "--output",
    type=click.File("w", encoding="utf-8"),
    default="-",
    help="Where to write the JSON lines (default: standard output).",
)
@click.option(
    "--details",
    is_flag=True,
    help='Write each keyphrase as {"key", "display", "score", "aliases"} instead of its display form.',
)
def keywords_command(input_path: str, top: int, output: IO[str], details: bool) -> None:
    """Keyphrases for the documents of IN.jsonl, best first.

    IN.jsonl has one JSON object a line with "id", "title" and "abstract" ("-" reads standard
    input). Each output line is {"id": ..., "keywords": [...]}. Document frequencies are counted over
    the input, as the build counts them over the corpus; lines that are not such objects are reported
    on standard error and skipped.
    """
    bad = 0

    def documents(report: bool = True) -> Iterator[tuple[int, object, str, str]]:
        nonlocal bad
        with click.open_file(input_path, encoding="utf-8") as handle:
            for item in read_documents(handle):
                if not isinstance(item, BadLine):
                    yield item
                elif report:
                    bad += 1
                    click.echo(f"papershelf keywords: {input_path}: {item}", err=True)

    from etl.text.keywords import gc_paused

    with gc_paused():
        _run(documents, input_path, top, output, details)
    if bad:
        click.echo(f"papershelf keywords: {bad} line(s) skipped", err=True)


def _batches(
    documents: Iterator[tuple[int, object, str, str]], size: int
) -> Iterator[tuple[list[object], list[tuple[str, str]]]]:
    """(ids, (title, abstract) pairs) of up to ``size`` documents at a time."""
    ids: list[object] = []
    texts: list[tuple[str, str]] = []
    for _, doc_id, title, abstract in documents:
        ids.append(doc_id)
        texts.append((title, abstract))
        if len(ids) == size:
            yield ids, texts
            ids, texts = [], []
    if ids:
        yield ids, texts


def _run(
    documents: Callable[..., Iterator[tuple[int, object, str, str]]],
    input_path: str,
    top: int,
    output: IO[str],
    details: bool,
) -> None:
    # First pass: corpus statistics. The candidates are kept for the second pass, unless the input is
    # a large file: then it is read again, so that memory does not grow with it (standard input can
    # be read only once and is always kept).
    from etl.text import keywords as kw

    stats = kw.CorpusStats()
    kept: list[tuple[list[object], BatchCandidates]] | None = []
    n_kept = 0
    for ids, texts in _batches(documents(), BATCH_SIZE):
        batch = kw.candidates_batch(texts)
        stats.add_batch(batch)
        if kept is not None:
            kept.append((ids, batch))
            n_kept += len(ids)
            if n_kept > KEEP_LIMIT and input_path != "-":
                kept = None
    # Second pass: ranking, batch by batch.
    batches: Iterable[tuple[list[object], BatchCandidates]] = (
        kept
        if kept is not None
        else ((ids, kw.candidates_batch(texts)) for ids, texts in _batches(documents(report=False), BATCH_SIZE))
    )
    for ids, batch in batches:
        output.writelines(
            _as_json(doc_id, keywords, details) + "\n"
            for doc_id, keywords in zip(ids, kw.rank_batch(batch, stats, top))
        )


if __name__ == "__main__":  # pragma: no cover
    keywords_command(sys.argv[1:])  # python -m etl.cli.keywords IN.jsonl, until the group has it
