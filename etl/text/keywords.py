"""Keyphrases for paper abstracts: unsupervised, offline (no model, no download), and fast.

The algorithm:

1. **Candidates** (``candidates_batch``, no corpus needed). Title and abstract are cut at white space; each
   token's key comes from a cache filled once per distinct token: lower case, singular ("Models" ->
   "model", "LLMs" -> "llm"), or a *boundary* for punctuation, numbers, function words, common verb
   forms, ``-ly`` adverbs and vague adjectives ("novel", "various"). The runs of content words between
   boundaries are the candidate phrases, a stand-in for noun-phrase chunks with no tagger; a phrase
   does not end in an ``-ed`` form ("resources invested" -> "resource"). The phrase keys merge plural
   and case variants: "Diffusion Models" and "diffusion model" are one keyword. The word rules are
   ``etl.text.lexicon``'s; Python runs once per distinct token, the rest is array work.
2. **Acronyms**. "long form (ACRONYM)" whose words' initials spell the acronym ("Optimal Linear
   Subspace Search (OLSS)", "Mixture-of-Experts (MoE)") makes the acronym an alias: its uses count for
   the long form, which is the keyword. Definitions are counted over the corpus too, so a paper that
   only writes "LLMs" gets the corpus's usual expansion, "large language model", with "LLMs" as alias.
3. **Corpus statistics** (``CorpusStats``): the number of papers, and for each word key the number
   of papers that have it (df), plus "acronym=long form" definition counts. They are stored with the
   build (``keyword_df``, ``n_docs``) so that papers added later are scored consistently.
4. **Ranking** (``rank_batch``). A phrase scores the sum of its words' IDF (log((N + 1) / (df + 0.5)); a
   generic noun such as "performance" weighs 0.3 of it), times factors for its length (one word 0.5,
   four 0.6, five to eight 0.3, longer 0), for being in the title (1.5), for coming early among the
   paper's phrases (up to 3) and for repetition (1 + (k - 1)); a one-word name ("RLHF", "OptMATH")
   weighs 4 times a plain word. A generic noun alone is never a keyword. Computed without Python code
   per phrase (``etl.text.keyword_batch``). The settings were tuned on
   Inspec lines 1-1000 only (see benchmarks/keywords_bench.py for the held-out figures).
5. **Display**: the keyword as the paper first writes it (the abstract's spelling, plural kept), with
   capitals that only mark a title or a sentence start made lower case.

Modules: ``etl.text.lexicon`` (the word rules), ``etl.text.keyword_batch`` (the extractor, numpy: a batch of
papers is one byte buffer and every step an array operation; ``CorpusStats``). This module is the
public face: ``candidates_batch([(title, abstract), ...])`` -> ``BatchCandidates``;
``CorpusStats.add_batch(batch)``; ``rank_batch(batch, stats)`` -> one list of ``Keyword`` per paper,
in order. A single paper is a batch of one (``keywords_of``). tests/keyword_reference.py keeps the
algorithm written per paper in plain Python, as a test oracle.

Use: ``extract_corpus`` for a corpus at hand (two passes over kept candidates). A loader that cannot
keep all candidates computes them twice: first ``add_batch`` over every batch (or over the new papers
only, on stats rebuilt from storage with ``CorpusStats(n_docs, rows)``), then ``rank_batch`` over
every batch.
"""

from __future__ import annotations

import gc
from collections.abc import Iterable, Iterator
from contextlib import contextmanager

from etl.text.keyword_batch import (
    BatchCandidates,
    CorpusStats,
    Keyword,
    RankedColumns,
    candidates_batch,
    rank_batch,
    rank_columns,
)
from etl.text.lexicon import normalize_key, pick_display, split_alias

__all__ = [
    "BatchCandidates",
    "CorpusStats",
    "Keyword",
    "RankedColumns",
    "candidates_batch",
    "extract_corpus",
    "gc_paused",
    "keywords_of",
    "normalize_key",
    "pick_display",
    "rank_batch",
    "rank_columns",
    "split_alias",
]


def keywords_of(title: str | None, abstract: str | None, stats: CorpusStats | None = None, top: int = 10) -> list[Keyword]:
    """The ``top`` keyphrases of one paper (a batch of one), scored against ``stats``; without
    statistics, against the paper alone."""
    batch = candidates_batch([(title, abstract)])
    if stats is None:
        stats = CorpusStats()
        stats.add_batch(batch)
    return rank_batch(batch, stats, top)[0]


@contextmanager
def gc_paused() -> Iterator[None]:
    """Pause the cyclic garbage collector for a batch: the objects made here form no reference cycles
    (reference counting frees them), and without the pause the collector rescans every kept paper's
    candidates, about a sixth of the run time for a few thousand papers."""
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


def extract_corpus(
    docs: Iterable[tuple[str, str, str]], top: int = 10, batch_size: int = 2048
) -> Iterator[tuple[str, list[Keyword]]]:
    """Keyphrases for every (id, title, abstract), with statistics over the same papers, in order.

    The batch path (``candidates_batch``, ``CorpusStats.add_batch``, ``rank_batch``), keeping every
    batch's candidates between the two passes (a few kB a paper); for a corpus too large for that,
    compute ``candidates_batch`` twice: once for ``add_batch``, once for ``rank_batch``. The cyclic
    garbage collector is paused until the last paper is given (see ``gc_paused``): a batch's
    keywords are ranked when its first paper is asked for, and a caller that drops them as it goes
    leaves the collector nothing to scan.
    """
    with gc_paused():
        stats = CorpusStats()
        kept: list[tuple[list[str], BatchCandidates]] = []
        ids: list[str] = []
        texts: list[tuple[str, str]] = []
        for doc_id, title, abstract in docs:
            ids.append(doc_id)
            texts.append((title, abstract))
            if len(ids) == batch_size:
                kept.append((ids, candidates_batch(texts)))
                stats.add_batch(kept[-1][1])
                ids, texts = [], []
        if ids:
            kept.append((ids, candidates_batch(texts)))
            stats.add_batch(kept[-1][1])
        for batch_ids, batch in kept:
            yield from zip(batch_ids, rank_batch(batch, stats, top=top))
