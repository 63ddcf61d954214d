"""Deterministic generator of realistic Daily Papers listings at any size, one file per day.

    python -m benchmarks.generate --papers 1000000 --out /work/bench/1m [--shape mixed] [--per-day 1000]

What a generated paper looks like, and why:

- Titles of 60-120 characters and abstracts of 1,100-1,500 characters of ML-like text, made by word
  Markov chains (order 2) trained, at run time, on the real titles and abstracts of
  ``../shared/data/hf-daily-api`` (nothing of it is copied into the repository). Common words are as
  common as in real abstracts (a query for "model" matches most of the corpus, as it does on arXiv).
- A long tail of rare words (invented names, log-uniform over ~200,000 of them) and one unique name
  per paper in its title ("Vorakin: ..."), as real titles name their method: the FTS vocabulary grows
  with the corpus, and no two papers share a title.
- Acronym definitions in most abstracts ("large language models (LLMs)", real ones mined from the
  archive, and invented ones such as "Kovari Attention Routing (KAR)"), used again later in the text.
- About a quarter of the abstracts carry a URL (GitHub, github.io project pages, Hugging Face); about
  a quarter of the papers have a ``githubRepo`` and a fifth a ``projectPage``, half have
  ``ai_keywords`` and an ``ai_summary``, as in the real archive.
- Authors drawn from real first and last names, with prolific authors (log-uniform identities).
- Papers trend: each day re-lists some papers of the previous days with more upvotes (and sometimes a
  repository found since), so a build merges sightings; in ``mixed`` shape one day in ten is a text
  capture (the paste shape, titles and abstracts only) whose papers get their arXiv id when an API
  day shows them again (merged by title).

Everything is a pure function of (seed, options): a paper is generated from its own index, so the
same command gives byte-identical files, generated in parallel or not.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import math
import os
import random
import re
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from multiprocessing import get_context
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


DEFAULT_VOCABULARY = ROOT / "listings" / "hf-daily-api"  # the shipped Daily Papers API archive

TITLE_RANGE = (60, 120)
ABSTRACT_RANGE = (1100, 1500)
URL_SHARE = 0.25
GITHUB_REPO_SHARE = 0.26
PROJECT_PAGE_SHARE = 0.19
AI_SHARE = 0.5
ORGANIZATION_SHARE = 0.1
ACRONYM_SHARE = 0.7
RARE_WORD_RATE = 0.02  # share of abstract words replaced by a rare invented word
RARE_WORDS = 200_000
TEXT_EVERY = 10  # in mixed shape, every tenth day is a text capture
SHAPES = ("api", "text", "mixed")
FORMAT_VERSION = 2  # bumped when the same options give other files

_ABBREVIATIONS = frozenset({"e.g.", "i.e.", "al.", "etc.", "vs.", "cf.", "Fig.", "Eq.", "approx."})
_CONSONANTS = ["b", "c", "d", "f", "g", "h", "k", "l", "m", "n", "p", "r", "s", "t", "v", "z",
               "br", "cr", "dr", "gr", "kr", "pl", "st", "tr"]
_VOWELS = ["a", "e", "i", "o", "u", "ai", "ei", "ou"]
_SYLLABLES = [c + v for c in _CONSONANTS for v in _VOWELS]  # 192
_NAME_PRIME = 4_000_037  # > 192**3 / 2; names are an affine permutation of the paper index
_FUNCTION_WORDS = frozenset(
    "that this these those with from into over such their which while where when than then also both each"
    " more most less only very have been were will would could should about between across through"
    " show shows showed propose proposes present introduce using used based achieve achieves".split()
)
_HEADER = "new\n\nGet trending papers in your email inbox!\n\nSubscribe\n\nbyAK and the research community\n\n"


def pseudo_word(number: int, min_syllables: int = 2) -> str:
    """A pronounceable invented word; distinct numbers give distinct words."""
    parts = []
    while number or len(parts) < min_syllables:
        number, digit = divmod(number, len(_SYLLABLES))
        parts.append(_SYLLABLES[digit])
    return "".join(parts)


def paper_name(index: int) -> str:
    """The unique name a paper's title carries ("Vorakin"), scrambled so neighbours differ."""
    return pseudo_word((index * 1_000_003 + 12_345) % (_NAME_PRIME * 2), 3).capitalize()


# ---- the language model ------------------------------------------------------------------------


class Chain:
    """An order-2 word Markov chain: sentence starts and, for each pair of words, the words after it.

    Words are numbered, and a pair (a, b) is the int ``a * size + b``: int keys hash in no time,
    where tuples of strings are hashed on every lookup.
    """

    def __init__(self, sentences: list[list[str]]) -> None:
        numbers: dict[str, int] = {}
        for words in sentences:
            for word in words:
                numbers.setdefault(word, len(numbers))
        self.words = list(numbers)
        self.size = size = len(self.words) + 1
        self.ends = frozenset(n for word, n in numbers.items() if _ends_sentence(word))
        self.starts: list[int] = []
        successors: dict[int, list[int]] = {}
        for words in sentences:
            if len(words) < 3:
                continue
            ids = [numbers[w] for w in words]
            self.starts.append(ids[0] * size + ids[1])
            for a, b, c in zip(ids, ids[1:], ids[2:]):
                successors.setdefault(a * size + b, []).append(c)
        self.successors = successors

    def sentence(self, rng: random.Random, max_words: int = 45) -> list[str]:
        size, successors, ends, random_ = self.size, self.successors, self.ends, rng.random
        state = self.starts[int(random_() * len(self.starts))]
        ids = [state // size, state % size]
        for _ in range(max_words - 2):
            options = successors.get(state)
            if options is None:
                break
            c = options[int(random_() * len(options))]
            ids.append(c)
            if c in ends:
                break
            state = (state % size) * size + c
        words = self.words
        return [words[i] for i in ids]


def _ends_sentence(word: str) -> bool:
    return word[-1:] in ".?!" and word not in _ABBREVIATIONS


@dataclass
class Vocabulary:
    """What the generator learned from the real archive."""

    abstracts: Chain
    titles: Chain
    first_names: list[str]
    last_names: list[str]
    acronyms: list[tuple[str, str]]  # (long form, acronym) as written, e.g. ("large language models", "LLMs")
    content_words: list[str]  # words for invented long forms


_URLISH = re.compile(r"https?://|www\.|github|\.com|\.io|\.org|huggingface", re.I)
_DEFINITION = re.compile(r"((?:[A-Za-z][\w-]*\s+){1,4}[A-Za-z][\w-]*)\s+\(([A-Z][A-Za-z0-9-]*[A-Z0-9]s?)\)")
_CONTENT = re.compile(r"^[a-z][a-z-]{4,}$")


def _split_sentences(text: str) -> list[list[str]]:
    sentences, current = [], []
    for word in text.split():
        current.append(word)
        if _ends_sentence(word):
            sentences.append(current)
            current = []
    return sentences


def _initials_match(long_form: str, acronym: str) -> bool:
    letters = [c for c in acronym.rstrip("s") if c.isalpha()]
    words = re.split(r"[\s-]+", long_form)
    initials = "".join(w[0] for w in words if w)[-len(letters):].lower()
    return len(letters) >= 2 and initials == "".join(letters).lower()


def learn(folder: Path = DEFAULT_VOCABULARY, limit: int | None = None) -> Vocabulary:
    """Train the chains and collect names and acronyms from the real Daily Papers archive (its
    first ``limit`` files only, when given: tests learn from a few)."""
    from etl.sources.records import Paper
    from etl.sources import SourceError, open_listing

    files = sorted([*folder.glob("*.json"), *folder.glob("*.json.gz")])[:limit]
    if not files:
        raise SystemExit(f"no Daily Papers API files in {folder} (the generator learns its vocabulary there)")
    abstract_sentences: list[list[str]] = []
    title_sentences: list[list[str]] = []
    first_names: set[str] = set()
    last_names: set[str] = set()
    acronyms: set[tuple[str, str]] = set()
    words: dict[str, int] = {}
    for file in files:
        try:
            items = list(open_listing(file).items)
        except SourceError:
            continue
        for paper in items:
            if not isinstance(paper, Paper):
                continue
            for sentence in _split_sentences(paper.abstract):
                if not _URLISH.search(" ".join(sentence)):
                    abstract_sentences.append(sentence)
            title = paper.title.split(": ", 1)[-1]
            if not _URLISH.search(title):
                title_sentences.append(title.split() + ["."])
            for name in paper.authors:
                parts = name.split()
                if len(parts) >= 2 and all(p.isalpha() for p in parts):
                    first_names.add(parts[0])
                    last_names.add(parts[-1])
            for long_form, acronym in _DEFINITION.findall(paper.abstract):
                for start in range(len(long_form.split())):
                    candidate = " ".join(long_form.split()[start:])
                    if _initials_match(candidate, acronym) and len(candidate.split()) == len(
                        [c for c in acronym.rstrip("s") if c.isalpha()]
                    ):
                        acronyms.add((candidate, acronym))
                        break
            for word in paper.abstract.split():
                if _CONTENT.match(word):
                    words[word] = words.get(word, 0) + 1
    content = sorted(word for word, count in words.items() if count >= 3)
    return Vocabulary(
        abstracts=Chain(abstract_sentences),
        titles=Chain(title_sentences),
        first_names=sorted(first_names),
        last_names=sorted(last_names),
        acronyms=sorted(acronyms),
        content_words=content,
    )


# ---- papers -------------------------------------------------------------------------------------


@dataclass
class GeneratedPaper:
    index: int
    arxiv_id: str
    title: str
    abstract: str
    authors: list[str]
    published: str
    github_repo: str | None
    project_page: str | None
    ai_summary: str | None
    ai_keywords: list[str]
    organization: str | None


class Generator:
    """Papers as pure functions of (seed, index); listings as pure functions of (seed, day)."""

    def __init__(self, vocabulary: Vocabulary, seed: int = 7) -> None:
        self.vocabulary = vocabulary
        self.seed = seed

    def _rng(self, kind: int, number: int) -> random.Random:
        return random.Random((self.seed * 1_000_003 + kind) * 10_000_019 + number)

    def _rare_word(self, rng: random.Random) -> str:
        return pseudo_word(int(math.exp(rng.random() * math.log(RARE_WORDS))) + 200, 2)

    def title(self, rng: random.Random, name: str) -> str:
        low, high = TITLE_RANGE
        target = rng.randint(low, high)
        words: list[str] = []
        seen: set[str] = set()  # real titles seldom repeat a word: "Diffusion ... Diffusion" is noise
        while len(" ".join(words)) < target - len(name) - 2:
            for word in self.vocabulary.titles.sentence(rng, 16):
                key = word.lower().strip(",:;()")
                if word == "." or (len(key) > 3 and key in seen):
                    continue
                seen.add(key)
                words.append(word)
            if len(" ".join(words)) < target - len(name) - 2:
                words.append(rng.choice(["for", "with", "and", "via", "in"]))
        body = " ".join(words)
        if rng.random() < 0.65:
            title = f"{name}: {_trim(body, target - len(name) - 2)}"
        else:
            title = f"{_trim(body, target - len(name) - 5)} via {name}"
        title = title.rstrip(" .,;:-(")
        fillers = [w for w in ("Models", "Learning", "Agents", "Reasoning", "Benchmarks", "Systems")
                   if w.lower() not in title.lower()]
        while len(title) < low and fillers:
            title += " " + fillers.pop(int(rng.random() * len(fillers)))
        while len(title) < low:
            title += " at Scale"
        return title[:high].rstrip(" .,;:-(")

    def abstract(self, rng: random.Random, index: int) -> tuple[str, list[str]]:
        """The abstract, and the phrases an AI keyword list could take from it."""
        low, high = ABSTRACT_RANGE
        target = rng.randint(low + 40, high - 60)
        sentences: list[str] = []
        phrases: list[str] = []
        acronym = None
        if rng.random() < ACRONYM_SHARE:
            long_form, acronym = self._acronym(rng)
            phrases.append(f"{long_form} ({acronym})")
        length = 0
        url = self._url(rng, index) if rng.random() < URL_SHARE else None
        reserve = len(url) + 45 if url else 0
        while length < target - reserve:
            words = self.vocabulary.abstracts.sentence(rng)
            words = [self._rare_word(rng) if rng.random() < RARE_WORD_RATE else w for w in words]
            if not _ends_sentence(words[-1]):
                words[-1] = words[-1].rstrip(",;:") + "."
            if len(sentences) == 1 and acronym:
                words = ["We", "propose", long_form, f"({acronym}),", "which"] + [w.lower() for w in words[1:]]
            elif len(sentences) == 4 and acronym:
                words = ["Experiments", "show", "that", acronym] + words[1:]
            sentence = " ".join(words)
            sentences.append(sentence)
            length += len(sentence) + 1
            if len(words) > 6:  # a keyword candidate: two content words in a row
                start = int(rng.random() * (len(words) - 3))
                pair = [w.strip(".,;:()") for w in words[start : start + 2]]
                if all(len(w) > 3 and w.lower() not in _FUNCTION_WORDS for w in pair):
                    phrases.append(" ".join(pair))
        if url:
            sentences.append(rng.choice([
                f"Code is available at {url}.",
                f"Our code and models are publicly available at {url}",
                f"Project page: {url}.",
                f"The data and code are released at {url} .",
            ]))
        text = " ".join(sentences)
        while len(text) > high:  # drop whole sentences before the URL one
            cut = len(sentences) - (2 if url else 1)
            if cut <= 1:
                text = _trim(text, high - 1).rstrip(",;:") + "."
                break
            del sentences[cut]
            text = " ".join(sentences)
        while len(text) < low:
            text += " " + " ".join(self.vocabulary.abstracts.sentence(rng)).rstrip(",;:")
            if not _ends_sentence(text.split()[-1]):
                text += "."
            if len(text) > high:
                text = _trim(text, high - 1).rstrip(",;:") + "."
        return text, phrases

    def _acronym(self, rng: random.Random) -> tuple[str, str]:
        if rng.random() < 0.5 and self.vocabulary.acronyms:
            return rng.choice(self.vocabulary.acronyms)
        words = [rng.choice(self.vocabulary.content_words) for _ in range(rng.randint(1, 3))]
        words.insert(0, self._rare_word(rng))
        long_form = " ".join(w.capitalize() for w in words)
        return long_form, "".join(w[0].upper() for w in words)

    def _url(self, rng: random.Random, index: int) -> str:
        owner, repo = pseudo_word(index % 50_000 + 500, 2), paper_name(index).lower()
        roll = rng.random()
        if roll < 0.6:
            return f"https://github.com/{owner}/{repo}"
        if roll < 0.8:
            return f"https://{owner}.github.io/{repo}/"
        if roll < 0.9:
            return f"https://huggingface.co/datasets/{owner}/{repo}"
        return f"https://huggingface.co/{owner}/{repo}-7b"

    def authors(self, rng: random.Random, pool: int) -> list[str]:
        count = 1 + min(int(rng.expovariate(1 / 5.0)), 59)
        if rng.random() < 0.005:
            count = rng.randint(100, 300)
        names: list[str] = []
        first, last = self.vocabulary.first_names, self.vocabulary.last_names
        for _ in range(count):
            identity = int(math.exp(rng.random() * math.log(pool)))
            name = f"{first[identity * 7919 % len(first)]} {last[identity * 104_729 % len(last)]}"
            if name not in names:
                names.append(name)
        return names

    def paper(self, index: int, arxiv_id: str, published: str, pool: int) -> GeneratedPaper:
        rng = self._rng(1, index)
        name = paper_name(index)
        title = self.title(rng, name)
        abstract, phrases = self.abstract(rng, index)
        owner = pseudo_word(index % 50_000 + 500, 2)
        github_repo = f"https://github.com/{owner}/{name.lower()}" if rng.random() < GITHUB_REPO_SHARE else None
        project_page = f"https://{owner}.github.io/{name.lower()}" if rng.random() < PROJECT_PAGE_SHARE else None
        ai = rng.random() < AI_SHARE
        keywords = list(dict.fromkeys(p for p in phrases if len(p) > 3))[: rng.randint(5, 14)] if ai else []
        summary = None
        if ai:
            summary = " ".join(self.vocabulary.abstracts.sentence(rng, 30))
        organization = pseudo_word(int(math.exp(rng.random() * math.log(3000))), 2).capitalize() + " AI" \
            if rng.random() < ORGANIZATION_SHARE else None
        return GeneratedPaper(index, arxiv_id, title, abstract, self.authors(rng, pool), published,
                              github_repo, project_page, summary, keywords, organization)


_DANGLING = frozenset("a an the and or of in on for with via to by from at as is are its their our".split())


def _trim(text: str, limit: int) -> str:
    """``text`` cut at a word boundary to ``limit`` characters at most, without a dangling "and"."""
    if len(text) > limit:
        cut = text.rfind(" ", 0, limit)
        text = text[: cut if cut > 0 else limit]
    words = text.split(" ")
    while len(words) > 3 and words[-1].lower().strip(",;:") in _DANGLING:
        words.pop()
    return " ".join(words)


# ---- the calendar -----------------------------------------------------------------------------


@dataclass(frozen=True)
class Day:
    number: int
    date: str
    first: int  # index of its first new paper
    new: int  # number of new papers
    repeats: tuple[int, ...]  # indexes of papers listed again
    shape: str  # "api" or "text"

    @property
    def file_name(self) -> str:
        return f"{self.date}.{'json' if self.shape == 'api' else 'txt'}"


def weekdays(start: dt.date) -> Iterator[dt.date]:
    day = start
    while True:
        if day.weekday() < 5:
            yield day
        day += dt.timedelta(days=1)


def plan(papers: int, *, per_day: int = 1000, seed: int = 7, shape: str = "mixed",
         repeat_share: float = 0.15, start: str = "2015-01-05", extra_days: int = 0) -> list[Day]:
    """The days of a corpus of ``papers`` distinct papers: how many new papers each shows, which
    papers it lists again, and its shape.

    ``extra_days``: days after the corpus (API listings, with new papers beyond ``papers``), for a
    benchmark that adds "the next day" to the corpus's database; the corpus's days stay the same.
    """
    if shape not in SHAPES:
        raise ValueError(f"shape must be one of {', '.join(SHAPES)}, not {shape!r}")
    if papers < 0 or per_day < 1:
        raise ValueError("papers must be >= 0 and per_day >= 1")
    rng = random.Random(seed * 31 + 1)
    days: list[Day] = []
    first = 0
    dates = weekdays(dt.date.fromisoformat(start))
    corpus_days: int | None = None  # the number of the corpus's days, once known
    while True:
        if corpus_days is None and first >= papers:
            corpus_days = len(days)
        if corpus_days is not None and len(days) >= corpus_days + extra_days:
            break
        number = len(days)
        drawn = max(1, round(per_day * rng.uniform(0.6, 1.4)))
        new = min(papers - first, drawn) if corpus_days is None else drawn
        window = days[-3:]
        repeats: list[int] = []
        if window and repeat_share > 0:
            earlier = [i for d in window for i in range(d.first, d.first + d.new)]
            count = min(len(earlier), round(new * repeat_share))
            repeats = sorted(rng.sample(earlier, count))
        if corpus_days is not None:
            day_shape = "api"
        elif shape == "mixed":
            day_shape = "text" if number % TEXT_EVERY == TEXT_EVERY - 1 else "api"
        else:
            day_shape = shape
        days.append(Day(number, next(dates).isoformat(), first, new, tuple(repeats), day_shape))
        first += new
    return days


def arxiv_ids(days: list[Day]) -> dict[int, str]:
    """Paper index -> arXiv id (yymm.nnnnn, numbered within the month of the day it first shows)."""
    ids = {}
    month, sequence = "", 0
    for day in days:
        yymm = day.date[2:4] + day.date[5:7]
        if yymm != month:
            month, sequence = yymm, 0
        for index in range(day.first, day.first + day.new):
            sequence += 1
            ids[index] = f"{yymm}.{sequence:05d}"
    return ids


def first_dates(days: list[Day]) -> dict[int, str]:
    return {index: day.date for day in days for index in range(day.first, day.first + day.new)}


# ---- files --------------------------------------------------------------------------------------


class Writer:
    """Renders days as files (API JSON or paste text)."""

    def __init__(self, generator: Generator, days: list[Day], papers: int) -> None:
        self.generator = generator
        self.days = days
        self.ids = arxiv_ids(days)
        self.dates = first_dates(days)
        self.pool = max(1000, papers // 2)

    def _paper(self, index: int) -> GeneratedPaper:
        published = (dt.date.fromisoformat(self.dates[index]) - dt.timedelta(days=1)).isoformat()
        return self.generator.paper(index, self.ids[index], published, self.pool)

    def render(self, day: Day) -> str:
        rng = self.generator._rng(2, day.number)
        shown = list(range(day.first, day.first + day.new)) + list(day.repeats)
        rng.shuffle(shown)
        papers = [(self._paper(i), i >= day.first and i < day.first + day.new) for i in shown]
        if day.shape == "text":
            return self._text(day, papers)
        return self._api(day, papers, rng)

    def _text(self, day: Day, papers: list[tuple[GeneratedPaper, bool]]) -> str:
        date = dt.date.fromisoformat(day.date)
        parts = [_HEADER + f"{date:%b} {date.day}\n"]
        for paper, _ in papers:
            parts.append(f"\n{paper.title}\n\n{paper.abstract}\n")
        return "".join(parts)

    def _api(self, day: Day, papers: list[tuple[GeneratedPaper, bool]], rng: random.Random) -> str:
        items = []
        for paper, is_new in papers:
            upvotes = int(rng.paretovariate(1.3)) - 1 + (0 if is_new else rng.randint(1, 40))
            summary = _wrap(paper.abstract, 79)
            body: dict[str, object] = {
                "id": paper.arxiv_id,
                "authors": [
                    {"_id": f"{paper.index:012x}{position:012x}", "name": name, "hidden": False}
                    for position, name in enumerate(paper.authors)
                ],
                "publishedAt": f"{paper.published}T17:{paper.index % 60:02d}:00.000Z",
                "title": paper.title,
                "summary": summary,
                "upvotes": upvotes,
                "discussionId": f"{paper.index:024x}",
            }
            github_repo = paper.github_repo
            if github_repo is None and not is_new and rng.random() < 0.05:
                github_repo = f"https://github.com/{pseudo_word(paper.index % 977 + 500)}/{paper_name(paper.index).lower()}"
            if github_repo:
                body["githubRepo"] = github_repo
                body["githubStars"] = int(rng.paretovariate(1.1)) * (1 if is_new else 2)
            if paper.project_page:
                body["projectPage"] = paper.project_page
            if paper.ai_summary:
                body["ai_summary"] = paper.ai_summary
            if paper.ai_keywords:
                body["ai_keywords"] = paper.ai_keywords
            item: dict[str, object] = {
                "paper": body,
                "publishedAt": f"{day.date}T13:{paper.index % 60:02d}:00.000Z",
                "title": paper.title,
                "summary": summary,
                "numComments": int(rng.expovariate(0.7)),
                "isAuthorParticipating": False,
            }
            if paper.organization:
                item["organization"] = {"_id": f"{len(paper.organization):024x}", "name": paper.organization.replace(" ", "-"),
                                        "fullname": paper.organization}
            items.append(item)
        return json.dumps(items, ensure_ascii=False, indent=2) + "\n"


def _wrap(text: str, width: int) -> str:
    """Greedy hard wrap at spaces, as the API's summaries are wrapped (textwrap is 10x slower)."""
    lines, line = [], ""
    for word in text.split(" "):
        if line and len(line) + 1 + len(word) > width:
            lines.append(line)
            line = word
        else:
            line = f"{line} {word}" if line else word
    lines.append(line)
    return "\n".join(lines)


_WRITER: Writer | None = None
_OUT: Path | None = None


def _write_day(day: Day) -> int:
    assert _WRITER is not None and _OUT is not None
    text = _WRITER.render(day)
    path = _OUT / day.file_name
    temp = path.with_name("." + path.name + ".tmp")
    temp.write_text(text, encoding="utf-8")
    os.replace(temp, path)
    return len(text)


MARKER = ".generate.json"  # hidden: a build of the folder skips it


def generate(papers: int, out: Path, *, per_day: int = 1000, seed: int = 7, shape: str = "mixed",
             repeat_share: float = 0.15, vocabulary: Vocabulary | None = None, jobs: int = 1,
             days: slice | None = None, extra_days: int = 0) -> list[Day]:
    """Write the listings of a corpus of ``papers`` papers into ``out``; return the plan.

    ``days`` writes only some of the days (e.g. ``slice(-1, None)`` for the last one); ``extra_days``
    plans days after the corpus (see ``plan``). When every day is written, ``out/.generate.json``
    records the options, so that a benchmark can reuse the folder.
    """
    global _WRITER, _OUT
    calendar = plan(papers, per_day=per_day, seed=seed, shape=shape, repeat_share=repeat_share,
                    extra_days=extra_days)
    out.mkdir(parents=True, exist_ok=True)
    _WRITER = Writer(Generator(vocabulary or learn(), seed), calendar, papers)
    _OUT = out
    chosen = calendar[days] if days is not None else calendar
    if jobs > 1 and len(chosen) > 1:
        with get_context("fork").Pool(jobs) as pool:
            for _ in pool.imap_unordered(_write_day, chosen, chunksize=4):
                pass
    else:
        for day in chosen:
            _write_day(day)
    if days is None:
        (out / MARKER).write_text(json.dumps(options(papers, per_day, seed, shape, repeat_share, extra_days)))
    return calendar


def options(papers: int, per_day: int, seed: int, shape: str, repeat_share: float, extra_days: int = 0) -> dict:
    return {"papers": papers, "per_day": per_day, "seed": seed, "shape": shape, "repeat_share": repeat_share,
            "extra_days": extra_days, "version": FORMAT_VERSION}


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--papers", type=int, required=True, help="distinct papers in the corpus")
    parser.add_argument("--out", type=Path, required=True, help="folder for the listing files")
    parser.add_argument("--per-day", type=int, default=1000, help="new papers per day, on average")
    parser.add_argument("--shape", choices=SHAPES, default="mixed")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--repeat-share", type=float, default=0.15, help="papers listed again, per new paper")
    parser.add_argument("--jobs", type=int, default=os.cpu_count() or 1)
    parser.add_argument("--vocabulary", type=Path, default=DEFAULT_VOCABULARY)
    args = parser.parse_args(argv)
    started = time.perf_counter()
    calendar = generate(args.papers, args.out, per_day=args.per_day, seed=args.seed, shape=args.shape,
                        repeat_share=args.repeat_share, vocabulary=learn(args.vocabulary), jobs=args.jobs)
    print(f"{len(calendar)} days, {args.papers} papers in {args.out} ({time.perf_counter() - started:.1f} s)",
          file=sys.stderr)


if __name__ == "__main__":
    main()
