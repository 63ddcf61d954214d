"""The keyphrase algorithm written per paper in plain Python: a slow, readable test oracle for the
extractor that ships (``etl.text.keyword_batch``, through ``etl.text.keywords``). Not imported by the package.

``candidates(title, abstract)`` -> ``DocCandidates``; ``add_doc(stats, doc)``; ``rank(doc, stats)``. The
extractor differs from it only in displays (the first occurrence of the phrase itself, where this
searches the text) and in the order of exactly tied scores (tests/test_keyword_batch.py compares
them). ``acronym_definitions_reference`` is the first form of ``lexicon.acronym_definitions``.
"""

from __future__ import annotations

import math
import re
import unicodedata
from collections import Counter
from dataclasses import dataclass, field
from itertools import accumulate, chain, islice, repeat
from operator import add as add_numbers
from operator import mul, sub

from etl.text.keyword_batch import (
    GENERIC_WEIGHT,
    LENGTH_FACTORS,
    LONG_FACTOR,
    MAX_WORDS,
    NAME_FACTOR,
    PHRASE_TF,
    POSITION_BOOST,
    POSITION_SCALE,
    TITLE_BOOST,
    CorpusStats,
    Keyword,
)
from etl.text.lexicon import (
    ACRONYM_DEFINITION,
    BOUNDARY,
    BOUNDARY_WORDS,
    GENERIC_WORDS,
    KEYS,
    NAME,
    PARTICIPLE,
    PUNCTUATION,
    SINGULARS,
    TRAILING,
    acronym_definitions,
    acronym_letters,
    match_initials,
    readable,
)


# Tokens the fuzz tests mix: punctuation glued to words, control characters, possessives, accents.
FUZZ_WORDS = ["models,", "of", "the", "GPT-4o's", "3D", "\x01", "\x03", "|", "(", ")", "-", "'s", "Ünïcödé", "e.g.", "2.5"]


def add_doc(stats: CorpusStats, doc: DocCandidates) -> None:
    """Count one more paper."""
    stats.add_keys(doc.df_keys())


def acronym_definitions_reference(text: str) -> list[tuple[str, list[str]]]:
    """``acronym_definitions`` as first written, on white-space-normalized text (tests compare them)."""
    found = []
    for match in ACRONYM_DEFINITION.finditer(text):
        acronym = match.group(1)
        letters = acronym_letters(acronym)
        size = len(letters)
        if not 2 <= size <= 10:
            continue
        start = match.start()
        before = PUNCTUATION.split(text[max(0, start - 16 * size - 40) : start])[-1]
        window = before.split()[-(size + 4) :]
        tail = window[-size:]
        if len(tail) == size and "".join([word[0] for word in tail]).lower() == letters:
            used = size
        else:
            used = match_initials(letters, window)
        if used:
            found.append((acronym, window[len(window) - used :]))
    return found


@dataclass(slots=True)
class DocCandidates:
    """What ``rank`` needs from one paper, computed without corpus statistics.

    ``tf`` maps each phrase key to its number of occurrences, in the order of first occurrence; the
    first ``n_title`` phrases are the title's. ``words`` holds the keys of the content words. ``text``
    is the title, a new line and the abstract, white space normalized, kept to show a keyword as the
    paper writes it; the abstract starts at ``abstract_start``. ``names`` holds one-word phrases
    written as names ("OLSS", "OptMATH", "GPT-4o"), which weigh more than other single words. ``aliases`` maps a phrase key to the
    acronyms the paper defines for it, as written; ``acronyms`` maps an acronym's key to its long form's
    key; ``surfaces`` holds long forms as written that are no run of content words ("mixture of experts").
    """

    tf: dict[str, int]
    n_title: int
    words: set[str]
    text: str
    abstract_start: int
    names: set[str] = field(default_factory=set)
    phrase_words: list[str] = field(default_factory=list)
    aliases: dict[str, list[str]] = field(default_factory=dict)
    acronyms: dict[str, str] = field(default_factory=dict)
    surfaces: dict[str, list[str]] = field(default_factory=dict)

    def fields(self) -> tuple:
        """The fields as plain built-in values (for ``marshal``); ``DocCandidates(*fields)`` again."""
        return (dict(self.tf), self.n_title, self.words, self.text, self.abstract_start, self.names,
                self.phrase_words, self.aliases, self.acronyms, self.surfaces)

    def df_keys(self) -> set[str]:
        """What this paper adds one to in the corpus counts: its words, and "acronym=long form" for
        each acronym it defines."""
        if not self.acronyms:
            return self.words
        return self.words | {f"{acronym}={long_key}" for acronym, long_key in self.acronyms.items()}


_CACHE_LIMIT = 250_000  # entries per cache; a full cache is emptied and refilled


class _WordWeights(dict[str, float]):
    """Word key -> its IDF, log((N + 1) / (df + 0.5)) (positive even for a word of every paper, and
    for a paper ranked against no statistics), less for generic words, nothing for boundary words;
    computed on first use."""

    def __init__(self, n_docs: int, df: Counter[str]) -> None:
        super().__init__()
        self.log_n = math.log(n_docs + 1)
        self.df = df

    def __missing__(self, word: str) -> float:
        if word in BOUNDARY_WORDS:
            return 0.0  # the "of" in a long form "mixture of experts"
        weight = self.log_n - math.log(self.df[word] + 0.5)  # a Counter: 0 when missing
        if word in GENERIC_WORDS:
            weight *= GENERIC_WEIGHT
        if len(self) >= _CACHE_LIMIT:
            self.clear()
        self[word] = weight
        return weight


# ---------------------------------------------------------------------------------------------
# Candidates.


def _phrases(tokens: list[str], names: set[str]) -> list[str]:
    """The runs of content words between boundaries, as keys, in order; one-word phrases that are
    names are added to ``names``."""
    joined = " ".join(map(KEYS.__getitem__, tokens)).replace(" |", "|").replace("| ", "|")
    if PARTICIPLE in joined:
        joined = _drop_trailing_participles(joined)
    if NAME in joined:
        _collect_names(joined, names)
        joined = joined.replace(NAME, "")
    return [*filter(None, joined.split(BOUNDARY))]


def _collect_names(joined: str, names: set[str]) -> None:
    """Add the one-word phrases of ``joined`` whose key carries the mark NAME to ``names``."""
    end = joined.find(NAME)
    while end >= 0:
        if end + 1 == len(joined) or joined[end + 1] == BOUNDARY:
            start = max(joined.rfind(BOUNDARY, 0, end), joined.rfind(" ", 0, end)) + 1
            if start == 0 or joined[start - 1] == BOUNDARY:
                names.add(joined[start:end])
        end = joined.find(NAME, end + 1)


def _drop_trailing_participles(joined: str) -> str:
    """A phrase does not end in an -ed form: "resources invested" -> "resource". The key of an -ed
    word carries the mark PARTICIPLE; marks inside a phrase ("supervised learning") are dropped."""
    joined = (
        (joined + BOUNDARY).replace(PARTICIPLE + BOUNDARY, TRAILING + BOUNDARY).replace(PARTICIPLE, "")
    )
    if TRAILING in joined:
        pieces = joined.split(TRAILING)
        for index in range(len(pieces) - 1):
            piece = pieces[index]
            cut = max(piece.rfind(" "), piece.rfind(BOUNDARY))
            pieces[index] = piece[:cut] if cut >= 0 and piece[cut] == " " else piece[: cut + 1]
        joined = "".join(pieces)
    return joined


def _needs_spacing(text: str) -> bool:
    return (
        "\n" in text
        or "  " in text
        or "\t" in text
        or "\r" in text
        or text[:1].isspace()
        or text[-1:].isspace()
    )


def candidates(title: str, abstract: str) -> DocCandidates:
    """Candidate phrases of one paper (title and abstract), with no corpus statistics."""
    title = title or ""
    abstract = abstract or ""
    if not (title.isascii() and abstract.isascii()):
        # One form for accented letters: "Schro\u0308dinger" (o + combining diaeresis) is "Schrödinger".
        title, abstract = unicodedata.normalize("NFC", title), unicodedata.normalize("NFC", abstract)
    title_tokens = title.split()
    abstract_tokens = abstract.split()
    names: set[str] = set()
    title_phrases = _phrases(title_tokens, names)
    # Counter keeps the order of first occurrence: the position of a phrase is its index.
    tf = Counter(title_phrases)
    n_title = len(tf)
    tf.update(_phrases(abstract_tokens, names))
    # The text for display, with white space normalized (loaded papers have it so already).
    title_text = " ".join(title_tokens) if _needs_spacing(title) else title
    text = f"{title_text}\n{' '.join(abstract_tokens) if _needs_spacing(abstract) else abstract}"
    doc = DocCandidates(tf, n_title, set(), text, len(title_text) + 1, names)
    if "(" in abstract:
        _add_acronyms(doc, text[doc.abstract_start :])
    # The words of the phrases, in order: counted for df now, weighed by rank later (same strings,
    # so their hashes are computed once).
    doc.phrase_words = " ".join(doc.tf).split(" ")
    doc.words = set(doc.phrase_words)
    if doc.surfaces:
        doc.words.difference_update(BOUNDARY_WORDS)  # the "of" of "mixture of experts"
    doc.words.discard("")
    return doc


def _add_acronyms(doc: DocCandidates, text: str) -> None:
    """Make each acronym the paper defines an alias of its long form: its uses count for the long form."""
    for acronym, long_words in acronym_definitions(text):
        acronym_key = SINGULARS[acronym]
        long_key = " ".join(map(SINGULARS.__getitem__, long_words))
        if (
            not all(long_key.split(" "))
            or long_key == acronym_key
            or acronym_key in doc.acronyms
            or long_key in doc.acronyms
            or acronym_key in doc.acronyms.values()  # no chains ("LLMs (LM)", then "LLM LLM (LLMs)")
        ):
            continue
        doc.acronyms[acronym_key] = long_key
        doc.aliases.setdefault(long_key, []).append(acronym)
        tf = doc.tf
        if long_key in tf:
            # The acronym's uses count for the long form; its use in the definition is that same mention.
            if acronym_key in tf:
                doc.n_title -= _title_phrases_before(tf, acronym_key, doc.n_title)
                tf[long_key] += tf.pop(acronym_key) - 1
            continue
        # The long form was no phrase of its own (it holds "of", or ran on from other words): it
        # takes the acronym's place, or comes after the title when the acronym was not a phrase.
        doc.surfaces[long_key] = long_words
        if acronym_key in tf:
            doc.tf = Counter({long_key if key == acronym_key else key: count for key, count in tf.items()})
        else:
            order = list(tf.items())
            order.insert(doc.n_title, (long_key, 1))
            doc.tf = Counter(dict(order))


def _title_phrases_before(tf: dict[str, int], key: str, n_title: int) -> int:
    """1 when ``key`` is one of the first ``n_title`` keys of ``tf`` (a title phrase), else 0: the
    title's phrases are one fewer once it is removed."""
    return int(n_title > 0 and key in list(islice(tf, n_title)))




class _Factors(dict[int, float]):
    """Count -> 1 + PHRASE_TF * (count - 1), cached."""

    def __missing__(self, count: int) -> float:
        value = self[count] = 1.0 + PHRASE_TF * (count - 1)
        return value


class _LengthFactors(dict[int, float]):
    """Number of spaces in a phrase -> LENGTH_FACTORS, LONG_FACTOR, or 0 past MAX_WORDS words."""

    def __missing__(self, spaces: int) -> float:
        if spaces < len(LENGTH_FACTORS):
            value = LENGTH_FACTORS[spaces]
        else:
            value = LONG_FACTOR if spaces < MAX_WORDS else 0.0
        self[spaces] = value
        return value


_SETTINGS: tuple[object, ...] = ()
_IN_TITLE: list[float] = []
_ELSEWHERE: list[float] = []
_REPEATED = _Factors()
_LENGTHS = _LengthFactors()


def _position_factors(n_phrases: int) -> tuple[list[float], list[float]]:
    """Factors by position for phrases of the title and of the abstract, for ``n_phrases`` at least."""
    global _SETTINGS, _IN_TITLE, _ELSEWHERE, _REPEATED, _LENGTHS
    settings = (
        TITLE_BOOST,
        POSITION_BOOST,
        POSITION_SCALE,
        PHRASE_TF,
        LENGTH_FACTORS,
        LONG_FACTOR,
        MAX_WORDS,
    )
    if settings != _SETTINGS or n_phrases > len(_ELSEWHERE):
        size = max(256, 2 * n_phrases)
        _ELSEWHERE = [1.0 + POSITION_BOOST * POSITION_SCALE / (POSITION_SCALE + n) for n in range(size)]
        _IN_TITLE = [(1.0 + TITLE_BOOST) * factor for factor in _ELSEWHERE]
        _REPEATED = _Factors()
        _LENGTHS = _LengthFactors()
        _SETTINGS = settings
    return _IN_TITLE, _ELSEWHERE


def rank(doc: DocCandidates, stats: CorpusStats, top: int = 10, displays: bool = True) -> list[Keyword]:
    """The ``top`` keyphrases of ``doc``, best first, scored against ``stats``.

    A phrase scores the sum of its words' IDF, times factors for its length, for being in the title,
    for coming early and for being repeated. With ``displays=False`` each keyword's display is its key
    (a fifth of the time is saved): for a caller that wants one display per keyword of a corpus and
    asks ``display_of`` for the keys it has not seen yet.
    """
    if top <= 0:
        return []
    tf = doc.tf
    aliases = doc.aliases
    written: dict[str, str] = {}
    n_title = doc.n_title
    expansions = stats.expansions()
    if expansions and not expansions.keys().isdisjoint(tf):
        tf, aliases, written, n_title = _resolve_acronyms(doc, expansions)
    n_phrases = len(tf)
    in_title, elsewhere = _position_factors(n_phrases)
    positions = in_title[:n_title] + elsewhere[n_title:n_phrases]
    keys = list(tf)
    # Each phrase's sum of word weights, with no Python code per phrase: prefix sums over the words of
    # all phrases, read at the phrase ends.
    spaces = list(map(str.count, keys, repeat(" ")))
    ends = list(accumulate(map(add_numbers, spaces, repeat(1))))
    words = doc.phrase_words if tf is doc.tf else " ".join(keys).split(" ")
    prefix = [0.0, *accumulate(map(_WordWeights(stats.n_docs, stats.df).__getitem__, words))]
    sums = map(sub, map(prefix.__getitem__, ends), map(prefix.__getitem__, chain((0,), ends)))
    scores = list(
        map(
            mul,
            map(mul, map(mul, sums, map(_LENGTHS.__getitem__, spaces)), positions),
            map(_REPEATED.__getitem__, tf.values()),
        )
    )
    if doc.names:
        for name in doc.names.intersection(tf):
            scores[keys.index(name)] *= NAME_FACTOR
    # Best first; equal scores keep the paper's order (sorting floats, not tuples, is cheaper).
    order = sorted(range(len(keys)), key=scores.__getitem__, reverse=True)
    lower = doc.text.lower() if displays else ""
    out: list[Keyword] = []
    for index in order:
        score = scores[index]
        if score <= 0.0 or len(out) == top:
            break
        key = keys[index]
        if key in GENERIC_WORDS:
            continue  # "performance", "approach" alone
        display = written.get(key) or (_display(doc, key, lower) if displays else key)
        out.append(Keyword(key, display, score, tuple(aliases.get(key, ()))))
    return out


def _resolve_acronyms(
    doc: DocCandidates, expansions: dict[str, str]
) -> tuple[dict[str, int], dict[str, list[str]], dict[str, str], int]:
    """Acronyms the paper uses without defining them count for the corpus's long form: (phrase
    counts, aliases, displays, number of title phrases) after that."""
    tf = dict(doc.tf)
    n_title = doc.n_title
    aliases = {key: list(value) for key, value in doc.aliases.items()}
    displays: dict[str, str] = {}
    renamed: dict[str, str] = {}
    for acronym in expansions.keys() & tf.keys():
        if acronym in doc.acronyms:
            continue
        long_key = expansions[acronym]
        written = _display(doc, acronym, doc.text.lower())
        if long_key in tf:
            n_title -= _title_phrases_before(tf, acronym, n_title)
            tf[long_key] += tf.pop(acronym)
        else:
            renamed[acronym] = long_key
            displays[long_key] = written  # the paper only writes the acronym
        if written not in aliases.setdefault(long_key, []):
            aliases[long_key].append(written)
    if renamed:  # the long form takes the acronym's place
        tf = {renamed.get(key, key): count for key, count in tf.items()}
    return tf, aliases, displays, n_title


_WORD_REST = re.compile(r"[\w'’-]*")


def display_of(doc: DocCandidates, key: str) -> str:
    """How ``doc`` writes the phrase ``key`` (see ``rank``); the key itself when it does not."""
    return _display(doc, key, doc.text.lower())


def _display(doc: DocCandidates, key: str, lower: str) -> str:
    """The phrase as the paper writes it (the abstract's spelling before the title's), with capitals
    that only mark the title or a sentence start made lower case. Found by searching the lower-case
    text for the key, its last two letters left out for the plural ("strategy" in "strategies")."""
    special = doc.surfaces.get(key)
    if special is not None:
        return " ".join(special)
    text = doc.text
    abstract_start = doc.abstract_start
    # The common cases first: the abstract writes the key itself, or its plural with an s.
    for form in (key, key + "s"):
        position = lower.find(form, abstract_start)
        if position > 0:
            end = position + len(form)
            if not _is_word_char(lower[position - 1]) and not _is_word_char(lower[end : end + 1]):
                written = text[position:end]
                if written == form:
                    return written
                opens = position == abstract_start or lower[position - 2 : position - 1] in _SENTENCE_ENDS
                return readable(written.split(" "), False, opens)
    needle = key[:-2] if len(key) > 4 and key[-3] != " " else key
    size = key.count(" ") + 1
    for start in (abstract_start, 0):
        position = lower.find(needle, start)
        while position >= 0:
            if position == 0 or not lower[position - 1].isalnum():
                end = _WORD_REST.match(lower, position + len(needle)).end()  # type: ignore[union-attr]
                found = lower[position:end]
                if found == key or _key_of(found, size) == key:
                    opens = (
                        position in (0, abstract_start)
                        or lower[position - 2 : position - 1] in _SENTENCE_ENDS
                    )
                    return readable(text[position:end].split(" "), position < abstract_start, opens)
            position = lower.find(needle, position + 1)
    return key


_SENTENCE_ENDS = frozenset(".!?")


def _is_word_char(char: str) -> bool:
    return char.isalnum() or char in ("-", "'", "_")


def _key_of(surface: str, size: int) -> str:
    words = surface.split(" ")
    if len(words) != size:
        return ""
    return " ".join([SINGULARS[word.strip("-'")] for word in words])
