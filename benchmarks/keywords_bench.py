"""Keyword extraction: speed and quality of etl.keywords beside YAKE, measured in one run.

    python benchmarks/keywords_bench.py [--shared ../shared] [--speed-docs 5000] [--yake-docs 300]

Prints:
- abstracts per second on one core (CPU time of this single-threaded process) for ours and YAKE on the
  same real abstracts of the Daily Papers API archive, and the "floor": the least work any extractor
  built on a token dictionary does in CPython (split, one lookup a token, join, split, count);
- F1@5 and F1@10 on Inspec (``data/keyphrase/inspec_dev_union.jsonl``) by the reference scorer
  ``tools/keyphrase_score.py``, for the held-out documents (lines 1001-1500, never used to tune
  etl.keywords: its settings were chosen on lines 1-1000) and for the whole file;
- agreement with the API's ``ai_keywords`` (F1@10 with them as gold) on the papers that have them.

Ours counts document frequencies over the input, as ``papershelf keywords`` does. YAKE runs as
``yake.KeywordExtractor(lan="en", n=3, top=10)`` on "title. abstract". The reference scorer needs
nltk (``pip install nltk``); it is not a project dependency. Data stays in ../shared: nothing is copied.
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
from collections import Counter
from collections.abc import Callable, Iterable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from etl.keywords import _KEYS, CorpusStats, candidates, extract_corpus, gc_paused, rank

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
    return {doc_id: [k.display for k in keywords] for doc_id, keywords in extract_corpus(docs, top=top)}


def ours_keys_only(docs: list[tuple[str, str, str]], top: int = 10) -> None:
    """The loader's path: stats over all papers, then ranked keys, displays left for new keys only."""
    with gc_paused():
        stats = CorpusStats()
        kept = [candidates(title, abstract) for _, title, abstract in docs]
        for doc in kept:
            stats.add(doc)
        for doc in kept:
            rank(doc, stats, top, displays=False)


def floor_pass(docs: list[tuple[str, str, str]]) -> None:
    """The least any token-dictionary extractor does per abstract in CPython: cut at white space, look
    each token up once in a warm cache, join, cut into phrases, count them and their words."""
    lookup = _KEYS.__getitem__
    for _, title, abstract in docs:
        joined = " ".join(map(lookup, f"{title} {abstract}".split())).replace(" |", "|").replace("| ", "|")
        phrases = Counter(filter(None, joined.split("|")))
        set(" ".join(phrases).split(" "))


def yake_extractor() -> Callable[[str, str], list[str]]:
    import yake

    extractor = yake.KeywordExtractor(lan="en", n=3, top=10)

    def extract(title: str, abstract: str) -> list[str]:
        return [phrase for phrase, _ in extractor.extract_keywords(f"{title}. {abstract}")]

    return extract


def theirs(docs: list[tuple[str, str, str]]) -> dict[str, list[str]]:
    extract = yake_extractor()
    return {doc_id: extract(title, abstract) for doc_id, title, abstract in docs}


def cpu_seconds(run: Callable[[], object], repeats: int = 1) -> float:
    """Best CPU time of ``repeats`` runs (CPU time: other processes on the machine do not count)."""
    best = float("inf")
    for _ in range(repeats):
        start = time.process_time()
        run()
        best = min(best, time.process_time() - start)
    return best


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
    args = parser.parse_args()
    shared: Path = args.shared or find_shared()
    scorer = shared / "tools" / "keyphrase_score.py"

    papers = api_papers(shared / "data" / "hf-daily-api")
    api_docs = [(p["id"], " ".join(p["title"].split()), p["summary"]) for p in papers]
    speed_docs = (api_docs * (args.speed_docs // max(len(api_docs), 1) + 1))[: args.speed_docs]
    side_docs = speed_docs[: args.yake_docs]
    chars = sum(len(t) + len(a) for _, t, a in speed_docs) / len(speed_docs)
    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
    print(f"Speed (abstracts per CPU second, one core; load average {load:.2f} on {os.cpu_count()} cores)")
    print(f"  abstracts: Daily Papers API archive, {len(papers)} unique; mean {chars:.0f} characters")
    ours_cold = cpu_seconds(lambda: ours(speed_docs))
    ours_warm = cpu_seconds(lambda: ours(speed_docs), repeats=3)
    print(
        f"  ours  {len(speed_docs):5d} abstracts: {len(speed_docs) / ours_warm:8.0f}/s "
        f"({1e6 * ours_warm / len(speed_docs):.0f} us each; first run {len(speed_docs) / ours_cold:.0f}/s)"
    )
    bare = cpu_seconds(lambda: ours_keys_only(speed_docs), repeats=3)
    print(
        f"  ours  {len(speed_docs):5d} abstracts: {len(speed_docs) / bare:8.0f}/s "
        f"({1e6 * bare / len(speed_docs):.0f} us each; keys and scores, displays left to display_of)"
    )
    floor = cpu_seconds(lambda: floor_pass(speed_docs), repeats=3)
    print(
        f"  floor {len(speed_docs):5d} abstracts: {len(speed_docs) / floor:8.0f}/s "
        f"({1e6 * floor / len(speed_docs):.0f} us each: split, one cached lookup a token, join, split, "
        "Counter, set; no ranking)"
    )
    ours_side = cpu_seconds(lambda: ours(side_docs), repeats=3)
    yake_side = cpu_seconds(lambda: theirs(side_docs))
    print(f"  ours  {len(side_docs):5d} abstracts: {len(side_docs) / ours_side:8.0f}/s")
    print(f"  YAKE  {len(side_docs):5d} abstracts: {len(side_docs) / yake_side:8.0f}/s  (same abstracts)")

    inspec = [json.loads(line) for line in (shared / "data" / "keyphrase" / "inspec_dev_union.jsonl").open()]
    inspec_docs = [(str(d["id"]), d["title"], d["abstract"]) for d in inspec]
    held_out = inspec[HELD_OUT_FROM:]
    with tempfile.TemporaryDirectory() as temporary:
        folder = Path(temporary)
        print(
            f"\nInspec ({len(inspec)} documents; held out: lines {HELD_OUT_FROM + 1}-{len(inspec)}), reference scorer"
        )
        for name, predictions in (("ours", ours(inspec_docs)), ("YAKE", theirs(inspec_docs))):
            part = score(scorer, held_out, predictions, folder, f"inspec-held-{name}")
            whole = score(scorer, inspec, predictions, folder, f"inspec-all-{name}")
            print(
                f"  {name:5s} held out F1@5 {part['F@5']:5.2f}  F1@10 {part['F@10']:5.2f}   "
                f"whole F1@5 {whole['F@5']:5.2f}  F1@10 {whole['F@10']:5.2f}"
            )

        with_ai = [p for p in papers if p.get("ai_keywords")]
        gold = [{"id": p["id"], "keyphrases": list(p["ai_keywords"])} for p in with_ai]
        print(
            f"\nAgreement with the API's ai_keywords as gold ({len(with_ai)} papers; ours counts df over all "
            f"{len(api_docs)} archive papers)"
        )
        ours_all = ours(api_docs)
        ai_docs = [(p["id"], " ".join(p["title"].split()), p["summary"]) for p in with_ai]
        for name, predictions in (
            ("ours", {d["id"]: ours_all[d["id"]] for d in gold}),
            ("YAKE", theirs(ai_docs)),
        ):
            result = score(scorer, gold, predictions, folder, f"ai-{name}")
            print(f"  {name:5s} F1@5 {result['F@5']:5.2f}  F1@10 {result['F@10']:5.2f}")


if __name__ == "__main__":
    main()
