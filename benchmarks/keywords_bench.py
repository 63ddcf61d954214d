"""Keyword extraction: speed and quality of etl.text.keywords beside YAKE, measured in one run.

    POLARS_MAX_THREADS=1 python benchmarks/keywords_bench.py [--shared ../shared] [--speed-docs 5000]
        [--yake-docs 300] [--repeats 5]

Prints:
- abstracts per second on one core for the batch path (``extract_corpus``: ``candidates_batch``,
  ``CorpusStats.add_batch``, ``rank_batch``), one paper at a time on the same extractor (each paper a
  batch of one, counted, then ranked: as ``add`` of a single paper works) and YAKE, on the same real abstracts of the Daily Papers API archive. The
  figure is CPU time of this single-threaded process (other processes on the machine do not count,
  but a busy sibling core slows it: note the load average printed), wall time beside it. The batch
  path is timed warm (best of ``--repeats``; its vocabulary of tokens already
  seen, as in a build past its first thousands of papers) and on its first run in the process
  (every distinct token new: Python work per token);
- F1@5 and F1@10 on Inspec (``data/keyphrase/inspec_dev_union.jsonl``) by the reference scorer
  ``tools/keyphrase_score.py``, for the held-out documents (lines 1001-1500, never used to tune
  etl.text.keywords: its settings were chosen on lines 1-1000) and for the whole file, for both paths;
- agreement with the API's ``ai_keywords`` (F1@10 with them as gold) on the papers that have them.

Ours counts document frequencies over the input, as ``papershelf keywords`` does. YAKE runs as
``yake.KeywordExtractor(lan="en", n=3, top=10)`` on "title. abstract". The reference scorer needs
nltk (``pip install nltk``); it is not a project dependency. Data stays in ../shared: nothing is copied.
Threads: numpy and polars are held to one thread (the batch path is single-threaded anyway).
"""

from __future__ import annotations

import argparse
import ast
import json
import os
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterable
from pathlib import Path

for _variable in ("POLARS_MAX_THREADS", "OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_variable, "1")

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from etl.text.keywords import CorpusStats, candidates_batch, extract_corpus, gc_paused, rank_batch

REPO = Path(__file__).resolve().parents[1]


def find_shared() -> Path:
    """../shared beside the repository (CI's layout), or beside a parent folder (a git worktree)."""
    for folder in REPO.parents:
        if (folder / "shared").is_dir():
            return folder / "shared"
    return REPO.parent / "shared"


HELD_OUT_FROM = 1000  # Inspec lines 1..1000 tuned the settings; 1001..1500 are held out


def api_papers(folder: Path) -> list[dict]:
    """Unique papers (first seen) of the Daily Papers API archive that have an abstract."""
    seen: dict[str, dict] = {}
    for path in sorted(folder.glob("*.json")):
        data = json.loads(path.read_text(encoding="utf-8"))
        if isinstance(data, dict):
            data = data.get("data", [])
        for item in data:
            if isinstance(item, str):
                try:
                    item = ast.literal_eval(item)  # some items are Python repr() strings
                except (ValueError, SyntaxError):
                    continue  # bare strings ("status", "date")
            paper = item.get("paper") if isinstance(item, dict) else None
            if isinstance(paper, dict) and paper.get("id") and paper.get("summary"):
                seen.setdefault(paper["id"], paper)
    return list(seen.values())


def ours(docs: list[tuple[str, str, str]], top: int = 10) -> dict[str, list[str]]:
    """The batch path, as ``papershelf keywords`` and the build use it."""
    return {doc_id: [k.display for k in keywords] for doc_id, keywords in extract_corpus(docs, top=top)}


def per_paper(docs: list[tuple[str, str, str]], top: int = 10) -> dict[str, list[str]]:
    """One paper at a time: each paper a batch of one, counted into stats over all papers, then each
    ranked alone (candidates kept)."""
    with gc_paused():
        stats = CorpusStats()
        kept = [(doc_id, candidates_batch([(title, abstract)])) for doc_id, title, abstract in docs]
        for _, batch in kept:
            stats.add_batch(batch)
        return {doc_id: [k.display for k in rank_batch(batch, stats, top)[0]] for doc_id, batch in kept}


def yake_extractor() -> Callable[[str, str], list[str]]:
    import yake

    extractor = yake.KeywordExtractor(lan="en", n=3, top=10)

    def extract(title: str, abstract: str) -> list[str]:
        return [phrase for phrase, _ in extractor.extract_keywords(f"{title}. {abstract}")]

    return extract


def theirs(docs: list[tuple[str, str, str]]) -> dict[str, list[str]]:
    extract = yake_extractor()
    return {doc_id: extract(title, abstract) for doc_id, title, abstract in docs}


def timed(run: Callable[[], object], repeats: int = 1) -> tuple[float, float]:
    """(CPU seconds, wall seconds) of the best of ``repeats`` runs (best by CPU time)."""
    best = (float("inf"), float("inf"))
    for _ in range(repeats):
        cpu, wall = time.process_time(), time.perf_counter()
        run()
        best = min(best, (time.process_time() - cpu, time.perf_counter() - wall))
    return best


def speed_line(name: str, n_docs: int, cpu: float, wall: float, note: str = "") -> str:
    return (
        f"  {name:<22s} {n_docs:5d} abstracts: {n_docs / cpu:8.0f}/s CPU ({1e6 * cpu / n_docs:5.0f} us each), "
        f"{n_docs / wall:8.0f}/s wall{note}"
    )


def score(
    scorer: Path, gold: Iterable[dict], predictions: dict[str, list[str]], folder: Path, name: str
) -> dict:
    """F1@5 and F1@10 by the reference scorer, run as a program on files."""
    gold_path, pred_path = folder / f"{name}.gold.jsonl", folder / f"{name}.pred.jsonl"
    with gold_path.open("w", encoding="utf-8") as handle:
        for row in gold:
            handle.write(json.dumps(row) + "\n")
    with pred_path.open("w", encoding="utf-8") as handle:
        for doc_id, keywords in predictions.items():
            handle.write(json.dumps({"id": doc_id, "keywords": keywords}) + "\n")
    done = subprocess.run(
        [sys.executable, str(scorer), str(gold_path), str(pred_path)],
        capture_output=True,
        text=True,
        check=False,
    )
    if done.returncode != 0:
        raise SystemExit(f"the reference scorer failed (pip install nltk?):\n{done.stderr}")
    return json.loads(done.stdout)


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--shared", type=Path, default=None, help="the shared data folder")
    parser.add_argument("--speed-docs", type=int, default=5000, help="abstracts for our speed (default 5000)")
    parser.add_argument("--yake-docs", type=int, default=300, help="abstracts for the side-by-side speed")
    parser.add_argument("--repeats", type=int, default=5, help="warm runs of the batch path; the best counts")
    args = parser.parse_args()
    shared: Path = args.shared or find_shared()
    scorer = shared / "tools" / "keyphrase_score.py"

    papers = api_papers(shared / "data" / "hf-daily-api")
    api_docs = [(p["id"], " ".join(p["title"].split()), p["summary"]) for p in papers]
    speed_docs = (api_docs * (args.speed_docs // max(len(api_docs), 1) + 1))[: args.speed_docs]
    side_docs = speed_docs[: args.yake_docs]
    chars = sum(len(t) + len(a) for _, t, a in speed_docs) / len(speed_docs)
    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
    print(
        f"Speed (abstracts per second on one core: CPU time of this process, wall time beside; "
        f"load average {load:.2f} on {os.cpu_count()} cores)"
    )
    print(f"  abstracts: Daily Papers API archive, {len(papers)} unique; mean {chars:.0f} characters")
    cold = timed(lambda: ours(speed_docs))
    warm = timed(lambda: ours(speed_docs), repeats=args.repeats)
    print(speed_line("batch (extract_corpus)", len(speed_docs), *warm))
    print(speed_line("batch, first run", len(speed_docs), *cold, "  (every token new to the process)"))
    paper = timed(lambda: per_paper(speed_docs), repeats=2)
    print(speed_line("one by one", len(speed_docs), *paper))
    ours_side = timed(lambda: ours(side_docs), repeats=3)
    yake_side = timed(lambda: theirs(side_docs))
    print(speed_line("batch", len(side_docs), *ours_side))
    print(speed_line("YAKE", len(side_docs), *yake_side, "  (the same abstracts)"))

    inspec = [json.loads(line) for line in (shared / "data" / "keyphrase" / "inspec_dev_union.jsonl").open()]
    inspec_docs = [(str(d["id"]), d["title"], d["abstract"]) for d in inspec]
    held_out = inspec[HELD_OUT_FROM:]
    with tempfile.TemporaryDirectory() as temporary:
        folder = Path(temporary)
        print(
            f"\nInspec ({len(inspec)} documents; held out: lines {HELD_OUT_FROM + 1}-{len(inspec)}), reference scorer"
        )
        for name, predictions in (
            ("ours", ours(inspec_docs)),
            ("one by one", per_paper(inspec_docs)),
            ("YAKE", theirs(inspec_docs)),
        ):
            part = score(scorer, held_out, predictions, folder, f"inspec-held-{name}")
            whole = score(scorer, inspec, predictions, folder, f"inspec-all-{name}")
            print(
                f"  {name:9s} held out F1@5 {part['F@5']:5.2f}  F1@10 {part['F@10']:5.2f}   "
                f"whole F1@5 {whole['F@5']:5.2f}  F1@10 {whole['F@10']:5.2f}"
            )

        with_ai = [p for p in papers if p.get("ai_keywords")]
        gold = [{"id": p["id"], "keyphrases": list(p["ai_keywords"])} for p in with_ai]
        print(
            f"\nAgreement with the API's ai_keywords as gold ({len(with_ai)} papers; ours counts df over all "
            f"{len(api_docs)} archive papers)"
        )
        ours_all = ours(api_docs)
        per_paper_all = per_paper(api_docs)
        ai_docs = [(p["id"], " ".join(p["title"].split()), p["summary"]) for p in with_ai]
        for name, predictions in (
            ("ours", {d["id"]: ours_all[d["id"]] for d in gold}),
            ("one by one", {d["id"]: per_paper_all[d["id"]] for d in gold}),
            ("YAKE", theirs(ai_docs)),
        ):
            result = score(scorer, gold, predictions, folder, f"ai-{name}")
            print(f"  {name:9s} F1@5 {result['F@5']:5.2f}  F1@10 {result['F@10']:5.2f}")


if __name__ == "__main__":
    main()
