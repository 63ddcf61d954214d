"""The keyphrase extractor (the algorithm ``etl.text.keywords`` describes), vectorized with numpy; the
only one the package has (a single paper is a batch of one), with ``CorpusStats``, its statistics.

Written paper by paper in CPython the algorithm costs some hundred microseconds a paper however it is
written (tests/keyword_reference.py keeps that form as a test oracle, with the functions named
below). Here a batch of papers is one byte buffer, and every step is an array
operation over all the batch's tokens, phrases or keywords; Python runs only once per distinct token
(the vocabulary grows slowly: a few thousand new tokens per thousand abstracts at first, then fewer),
per acronym definition and per keyword returned. The steps, with the names of the reference functions
they reproduce:

1. *Tokens*: the texts are cut at white space (``str.split``'s ASCII set; other white space is made a
   plain space first) in the bytes; each token gets a 64-bit hash (its first eight bytes times an odd
   constant: unique for tokens of up to eight bytes; longer ones are mixed in eight-byte steps) and,
   through an open-addressing table, its id. A new token's properties come from ``_token_pieces``,
   the piece-by-piece form of ``token_key``: its content words (key, written form, name or ``-ed``
   marks) and whether a boundary comes before and after them.
2. *Phrases* (``_phrases``): the words of the tokens in order; a phrase starts after a boundary; a
   phrase's last word loses its place when it is an ``-ed`` form; a one-word phrase written as a name
   is a name. A phrase's identity is a 64-bit hash of its word ids.
3. *Acronyms* (``acronym_definitions``, ``_add_acronyms``): a token "(ACRONYM)" after as many plain
   words whose initials spell it is read from the arrays; other such tokens go through
   ``long_form_of`` in Python on the words the arrays show (``long_form`` on the text when they do
   not), and an abstract with a definition no token shows alone ("( LLMs )", "models(LLMs)") through
   ``acronym_definitions``. A defined acronym's one-word phrases take the long form's identity, and
   the long form as written is added as a phrase of its own that counts only when no other
   occurrence does.
4. *Counts* (``Counter`` of phrases): the phrases of the batch sorted by (identity, paper, order) and
   cut into groups, one per keyword candidate of a paper, then ordered by first occurrence.
5. *Ranking* (``rank``): the same score, computed with arrays: word weights (IDF) summed per phrase,
   factors by table look-ups; the corpus's acronym expansions rename or merge one-word phrases; the
   best ``top`` of each paper by one sort of (paper, score, position) packed in 64-bit integers.
6. *Display* (``_display``): the keyword as the paper first writes it in the abstract (else the
   title), capitals of a sentence start or of the title lowered (``readable``). The reference finds
   this place by searching the text, which can land inside a longer phrase ("Latent Diffusion Models"
   for "diffusion model") or miss it (then it shows the key); here it is the first occurrence of the
   phrase itself.

Memory: a batch's candidates take about 6.5 kB a paper (arrays of word ids and places); the work
arrays of a chunk of ``CHUNK_DOCS`` papers peak at about 65 MB. The vocabulary keeps every distinct
token seen (a hash-table slot, a few array entries and, for new words and written forms, a string).

Public names are re-exported by ``etl.text.keywords``, the package's entry to keyphrases; the word rules
are ``etl.text.lexicon``'s.
"""

from __future__ import annotations

import random
import re
import unicodedata
import weakref
from collections import Counter
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from functools import partial
from itertools import compress, count, repeat
from operator import add, is_
from typing import NamedTuple

import numpy as np

from etl.text import lexicon

__all__ = [
    "BatchCandidates",
    "CorpusStats",
    "Keyword",
    "RankedColumns",
    "candidates_batch",
    "rank_batch",
    "rank_columns",
]

# ---------------------------------------------------------------------------------------------
# Scoring settings (tuned on Inspec lines 1-1000; see etl.text.keywords for the algorithm).

TITLE_BOOST = 0.5  # a phrase of the title weighs 1 + TITLE_BOOST times more
POSITION_BOOST = 2.0  # the n-th distinct phrase of a paper weighs 1 + POSITION_BOOST * S / (S + n) more
POSITION_SCALE = 15.0  # S
PHRASE_TF = 1.0  # a phrase written k times weighs 1 + PHRASE_TF * (k - 1) times more
LENGTH_FACTORS = (0.5, 1.0, 1.0, 0.6)  # phrase weight factor by number of words, 1 to 4
LONG_FACTOR = 0.3  # five words or more
MAX_WORDS = 8  # a longer run of words is no keyphrase (a list of names, a run-on title)
NAME_FACTOR = 4.0  # a one-word phrase written as a name weighs this much more than another word
GENERIC_WEIGHT = 0.3  # a generic word ("performance", "model") weighs this share of its IDF


class Keyword(NamedTuple):
    """One ranked keyphrase of a paper. A named tuple: the batch path makes millions of them, and a
    tuple is made in C (``tuple.__new__(Keyword, fields)``) at a third of a dataclass's cost."""

    key: str  # normalized: lower case, singular, acronym resolved ("large language model")
    display: str  # as the paper writes it, with the title's and the sentence's capitals undone
    score: float
    aliases: tuple[str, ...] = ()  # acronyms standing for it, as written ("LLMs")


CHUNK_DOCS = 2048  # papers per chunk: bounds the work arrays (~65 MB) and the bit packing

_U64 = np.uint64
_SEPARATOR_TOKEN = "\x7f"  # a token before each title and abstract; DEL in the input becomes "|"
_CONTROL = re.compile(r"[\x00-\x08\x0e-\x1b]")  # bytes <= 32 that str.split does not treat as space
_CONTROL_BYTE = np.zeros(32, dtype=np.bool_)
_CONTROL_BYTE[[*range(9), *range(14, 28)]] = True
# A token ending in "(" or "(ACRONYM": a definition could go on after white space ("( LLMs )").
_SPANNING = re.compile(r"\((?:(?=[\w-]*[A-Z][\w-]*[A-Z0-9])[A-Za-z][\w-]{1,11})?$")
_SENTENCE_END_BYTES = np.zeros(256, dtype=np.bool_)
_SENTENCE_END_BYTES[[ord("."), ord("!"), ord("?")]] = True


def _at(values: np.ndarray, index: np.ndarray) -> np.ndarray:
    """``values[index]`` for indices known to be valid, without numpy's bounds checks (``take`` with
    mode "wrap": a third faster than indexing, and gathers are the bulk of the work here)."""
    return values.take(index, mode="wrap")


# ---------------------------------------------------------------------------------------------
# Token pieces: ``token_key`` in a form the arrays can use.

Piece = tuple[str, str, bool, bool]  # (word key, as written, written as a name, an -ed form)


def _token_pieces(token: str) -> tuple[bool, bool, list[Piece]]:
    """(boundary before the first word, boundary after the last, content words) of a white-space
    token. Between two content words of one token there is always a boundary. Mirrors
    ``etl.text.lexicon.token_key`` case by case (a test checks that the two agree)."""
    if "://" in token or token.startswith(("www.", "(www.", "(http")):
        return True, True, []
    if token.isalnum():  # the common case: one word, no punctuation
        alone = _word_piece(token)
        return (True, True, []) if alone is None else (False, False, [alone])
    core = token.strip(_PLAIN_PUNCTUATION)
    if core.isalnum():
        # One word in plain punctuation ("models,", "(LLMs)", "data."): a boundary on the sides that
        # have punctuation (a dot at a token's edge is punctuation: no digit on its other side).
        wrapped = _word_piece(core)
        if wrapped is None:
            return True, True, []
        return token[0] != core[0], token[-1] != core[-1], [wrapped]
    singulars = lexicon.SINGULARS
    is_boundary = lexicon.is_boundary
    items: list[Piece | None] = []  # None: a boundary
    for piece in lexicon.TOKEN_PUNCTUATION.split(token.replace("’", "'")):
        word = piece.strip("-'")
        if piece.endswith("'") and word.endswith("s") and not piece.endswith("''"):
            items.append(None if is_boundary(word) else (singulars[word], word, False, False))
            items.append(None)
        elif word.endswith("'s"):
            base = word[:-2]
            if base and not base[0].islower() and not is_boundary(base):
                items.append((singulars[base], base, False, False))
            items.append(None)
        elif not word or is_boundary(word):
            items.append(None)
        elif lexicon.is_name(word):
            items.append((singulars[word], word, True, False))
        elif len(word) > 4 and word.endswith("ed") and not word.endswith("eed"):
            items.append((singulars[word], word, False, True))
        else:
            items.append((singulars[word], word, False, False))
    content = [item for item in items if item is not None]
    return items[0] is None, items[-1] is None, content


# ASCII punctuation that PUNCTUATION always cuts at (not ' ’ - _, which pieces treat on their own).
_PLAIN_PUNCTUATION = '!"#$%&()*+,./:;<=>?@[\\]^`{|}~'


def _word_piece(word: str) -> Piece | None:
    """The piece of an alphanumeric word (``token_key``'s cases for it), None for a boundary."""
    if lexicon.is_boundary(word):
        return None
    if lexicon.is_name(word):
        return (lexicon.SINGULARS[word], word, True, False)
    return (
        lexicon.SINGULARS[word],
        word,
        False,
        len(word) > 4 and word.endswith("ed") and not word.endswith("eed"),
    )


# ---------------------------------------------------------------------------------------------
# Growing arrays and the vocabulary.


class _Column:
    """A numpy array that grows by doubling; ``view`` is the filled part."""

    __slots__ = ("data", "size")

    def __init__(self, dtype: type | np.dtype, capacity: int = 1024) -> None:
        self.data = np.zeros(capacity, dtype=dtype)
        self.size = 0

    def extend(self, values: Sequence[object] | np.ndarray) -> None:
        count = len(values)
        if self.size + count > len(self.data):
            bigger = np.zeros(max(2 * len(self.data), self.size + count), dtype=self.data.dtype)
            bigger[: self.size] = self.data[: self.size]
            self.data = bigger
        self.data[self.size : self.size + count] = values
        self.size += count

    @property
    def view(self) -> np.ndarray:
        return self.data[: self.size]

    @classmethod
    def of(cls, values: np.ndarray) -> _Column:
        column = cls(values.dtype, max(1024, 2 * len(values)))
        column.extend(values)
        return column


_K1 = _U64(0x9E3779B97F4A7C15)  # odd: multiplying by it is a bijection of 64-bit integers
_K2 = _U64(0xC2B2AE3D27D4EB4F)
_MASKS = np.array([0, *((1 << (8 * n)) - 1 for n in range(1, 8)), (1 << 64) - 1], dtype=_U64)


def _token_hashes(padded: bytes, starts: np.ndarray, ends: np.ndarray) -> np.ndarray:
    """A 64-bit hash of each token ``padded[start:end]`` (the buffer ends with 16 spaces).

    A token of up to eight bytes (most) is its little-endian integer, which has no zero byte inside,
    so different tokens differ, times an odd constant (a bijection): no two collide. Longer tokens
    mix in eight bytes at a time."""
    words = np.ndarray(shape=(len(padded) - 7,), dtype="<u8", buffer=padded, strides=(1,))
    lengths = ends - starts
    hashes = words[starts] & _MASKS[np.minimum(lengths, 8)]
    hashes *= _K1
    longer = np.flatnonzero(lengths > 8)
    offset = 8
    while len(longer):
        chunk = words[starts[longer] + offset] & _MASKS[np.minimum(lengths[longer] - offset, 8)]
        mixed = hashes[longer]
        mixed ^= mixed >> _U64(29)
        mixed += chunk
        mixed *= _K2
        mixed ^= mixed >> _U64(32)
        mixed *= _K1
        hashes[longer] = mixed
        offset += 8
        longer = longer[lengths[longer] > offset]
    np.maximum(hashes, _U64(1), out=hashes)  # 0 marks an empty slot of the table
    return hashes


class _HashTable:
    """Open addressing with linear probing, token hash -> token id, looked up for a whole array.

    Kept at most a quarter full up to 4M slots (half full beyond), so that most tokens sit in their
    home slot; on growth, tokens are placed in id order (first seen, so roughly the most frequent
    first) and take the home slots."""

    def __init__(self, bits: int = 16) -> None:
        self.bits = bits
        self.keys = np.zeros(1 << bits, dtype=_U64)
        self.values = np.full(1 << bits, -1, dtype=np.int64)
        self.count = 0

    def _home(self, hashes: np.ndarray) -> np.ndarray:
        return (hashes >> _U64(64 - self.bits)).astype(np.intp)  # the high bits: well mixed

    def lookup(self, hashes: np.ndarray) -> np.ndarray:
        """The id of each hash, -1 when absent."""
        slots = self._home(hashes)
        found = _at(self.values, slots)
        probing = np.flatnonzero(_at(self.keys, slots) != hashes)
        if len(probing):
            found[probing] = -1
            mask = (1 << self.bits) - 1
            probe_slots, probe_hashes = slots[probing], hashes[probing]
            while len(probing):
                # Past an occupied home slot: the next one, until the hash or an empty slot.
                probe_slots = (probe_slots + 1) & mask
                keys = self.keys[probe_slots]
                hit = keys == probe_hashes
                found[probing[hit]] = self.values[probe_slots[hit]]
                going = ~hit & (keys != 0)
                probing, probe_slots, probe_hashes = probing[going], probe_slots[going], probe_hashes[going]
        return found

    def insert(self, hashes: np.ndarray, ids: np.ndarray) -> None:
        """Add new distinct hashes (none present yet)."""
        limit = 4 if len(self.keys) < (1 << 22) else 2
        if limit * (self.count + len(hashes)) > len(self.keys):
            self._grow(self.count + len(hashes))
        self._place(hashes, ids)
        self.count += len(hashes)

    def _place(self, hashes: np.ndarray, ids: np.ndarray) -> None:
        mask = (1 << self.bits) - 1
        slots = self._home(hashes)
        pending = np.arange(len(hashes))
        while len(pending):
            slots_p = slots[pending]
            free = self.keys[slots_p] == 0
            # One winner per free slot (the first pending); the others probe on (it is taken now).
            taken, first = np.unique(slots_p[free], return_index=True)
            winners = pending[free][first]
            self.keys[taken] = hashes[winners]
            self.values[taken] = ids[winners]
            placed = np.zeros(len(hashes), dtype=np.bool_)
            placed[winners] = True
            pending = pending[~placed[pending]]
            slots[pending] = (slots[pending] + 1) & mask

    def _grow(self, needed: int) -> None:
        keys, values = self.keys, self.values
        occupied = np.flatnonzero(keys != 0)
        occupied = occupied[np.argsort(values[occupied], kind="stable")]
        while (1 << self.bits) < (4 if self.bits < 22 else 2) * needed:
            self.bits += 1
        self.keys = np.zeros(1 << self.bits, dtype=_U64)
        self.values = np.full(1 << self.bits, -1, dtype=np.int64)
        self._place(keys[occupied], values[occupied])


_POSITION_CODES_SIZE = 4096  # a phrase's n-th word weighs in with POSITION_CODES[n % size]


class _Vocabulary:
    """Every token, word and written form seen by this process, with their array properties.

    Tokens: ``tok_count`` content words starting at ``tok_first`` in the piece arrays; ``tok_lead``
    a boundary before them; ``tok_closes`` a boundary after them (or no words at all). Pieces: word id,
    written-form id, name and ``-ed`` marks. Words: key strings, a random 64-bit code each for phrase
    hashes, and whether they are generic or boundary words.
    """

    def __init__(self) -> None:
        self.table = _HashTable()
        self.tok_uses = _Column(np.int64)  # occurrences since the vocabulary was made (see compacted)
        self.tok_count = _Column(np.int64)
        self.tok_first = _Column(np.int64)
        self.tok_lead = _Column(np.bool_)
        self.tok_closes = _Column(np.bool_)
        self.tok_acronym = _Column(np.int64)  # "(ACRONYM)": its acronym id, else -1
        self.tok_complex = _Column(np.bool_)  # a definition the arrays do not read: see _acronym_of
        self.tok_initial = _Column(np.int64)  # a long form's word: its initial, lower case; else -1
        self.tok_long_word = _Column(np.int64)  # ... its word id (the key of the token as written)
        self.tok_long_written = _Column(np.int64)  # ... the token as written
        self.tok_cut_after = _Column(np.bool_)  # ends in punctuation: a long form starts after it
        self.acronym_ids: dict[str, int] = {}
        self.acronym_letters: list[str] = []
        self.acronym_strings: list[str] = []
        self.acronym_codes = _Column(np.int64)  # 11 a row: the letters' code points, then -2
        self.acronym_size = _Column(np.int64)
        self.acronym_word = _Column(np.int64)  # the acronym's key, a word id
        self.acronym_written = _Column(np.int64)
        self.piece_word = _Column(np.int64)
        self.piece_written = _Column(np.int64)
        self.piece_name = _Column(np.bool_)
        self.piece_participle = _Column(np.bool_)
        self.words: list[str] = []
        self.word_ids: dict[str, int] = {}
        self._word_code = _Column(_U64)
        self._word_generic = _Column(np.bool_)
        self._word_boundary = _Column(np.bool_)
        self.written: list[str] = []
        self.written_ids: dict[str, int] = {}
        self._written_code = _Column(_U64)
        self.parent: tuple[weakref.ref[_Vocabulary], np.ndarray] | None = None  # see compacted
        self.keys: dict[int, str] = {}  # phrase hash -> key
        self.displays: dict[int, str] = {}  # hash of written words and place -> display
        self._random = random.Random(20250311)
        self.position_codes = np.array(
            [1] + [self._random.getrandbits(64) | 1 for _ in range(_POSITION_CODES_SIZE - 1)], dtype=_U64
        )
        self.separator = self.add_tokens([_SEPARATOR_TOKEN], np.array([0], dtype=_U64))[0]
        separator_hash = self._hash_of(_SEPARATOR_TOKEN)
        self.table.insert(np.array([separator_hash], dtype=_U64), np.array([self.separator], np.int64))

    @staticmethod
    def _hash_of(token: str) -> int:
        data = token.encode("utf-8")
        padded = data + b"\x00" * 16
        return int(_token_hashes(padded, np.array([0]), np.array([len(data)]))[0])

    def word_id(self, key: str) -> int:
        found = self.word_ids.get(key)
        if found is None:
            found = self.word_ids[key] = len(self.words)
            self.words.append(key)
        return found

    def written_id(self, text: str) -> int:
        found = self.written_ids.get(text)
        if found is None:
            found = self.written_ids[text] = len(self.written)
            self.written.append(text)
        return found

    # Word and written-form arrays, extended from the lists on first use after new entries.

    @property
    def word_code(self) -> np.ndarray:
        self._extend_words()
        return self._word_code.data

    @property
    def word_generic(self) -> np.ndarray:
        self._extend_words()
        return self._word_generic.data

    @property
    def word_boundary(self) -> np.ndarray:
        self._extend_words()
        return self._word_boundary.data

    @property
    def written_code(self) -> np.ndarray:
        if self._written_code.size < len(self.written):
            new = len(self.written) - self._written_code.size
            self._written_code.extend(self._random_codes(new))
        return self._written_code.data

    def _extend_words(self) -> None:
        done = self._word_code.size
        if done < len(self.words):
            new = self.words[done:]
            self._word_code.extend(self._random_codes(len(new)))
            self._word_generic.extend([word in lexicon.GENERIC_WORDS for word in new])
            self._word_boundary.extend([word in lexicon.BOUNDARY_WORDS for word in new])

    def _random_codes(self, count: int) -> np.ndarray:
        return np.array([self._random.getrandbits(64) for _ in range(count)], dtype=_U64)

    def add_tokens(self, tokens: list[str], hashes: np.ndarray) -> list[int]:
        """Register new tokens (their hashes are inserted by the caller); their ids."""
        first_id = self.tok_count.size
        rows = []  # per token: count, first piece, lead, closes, acronym, complex, initial, long word, written, cut
        pieces_added: list[Piece] = []
        piece_at = self.piece_word.size
        word_id, written_id, singulars = self.word_id, self.written_id, lexicon.SINGULARS
        for token in tokens:
            lead, trail, pieces = _token_pieces(token) if token != _SEPARATOR_TOKEN else (True, True, [])
            # For acronym definitions: "(ACRONYM)" tokens, and the words a long form is read from.
            acronym, spanning = self._acronym_of(token) if "(" in token else (-1, False)
            if token.isalnum() or (
                token != _SEPARATOR_TOKEN and "’" not in token and not lexicon.PUNCTUATION_CANDIDATE.search(token)
            ):  # a plain word, maybe with - or ' ("Mixture-of-Experts")
                initial = token[0].lower()
                window = (
                    ord(initial) if len(initial) == 1 else -1,
                    word_id(singulars[token]),
                    written_id(token),
                )
                cut = False
            else:
                window = (-1, -1, -1)  # punctuation (or a dot: long_form decides) ends a long form
                if token.strip(_PLAIN_PUNCTUATION).isalnum():
                    cut = token[-1] in _PLAIN_PUNCTUATION  # "models," but not "(models"
                else:
                    cut = (
                        token == _SEPARATOR_TOKEN or lexicon.PUNCTUATION.split(token.replace("’", "'"))[-1] == ""
                    )
            rows.append((len(pieces), piece_at, lead, trail or not pieces, acronym, spanning, *window, cut))
            piece_at += len(pieces)
            pieces_added.extend(pieces)
        columns = list(zip(*rows)) if rows else [()] * 10
        self.tok_uses.extend(np.zeros(len(rows), dtype=np.int64))
        for column, values in zip(
            (
                self.tok_count,
                self.tok_first,
                self.tok_lead,
                self.tok_closes,
                self.tok_acronym,
                self.tok_complex,
                self.tok_initial,
                self.tok_long_word,
                self.tok_long_written,
                self.tok_cut_after,
            ),
            columns,
        ):
            column.extend(values)
        if pieces_added:
            keys, writtens, names, participles = zip(*pieces_added)
            self.piece_word.extend([word_id(key) for key in keys])
            self.piece_written.extend([written_id(written) for written in writtens])
            self.piece_name.extend(names)
            self.piece_participle.extend(participles)
        self._extend_acronyms()
        return list(range(first_id, first_id + len(tokens)))

    def _acronym_of(self, token: str) -> tuple[int, bool]:
        """(acronym id of a token that is "(ACRONYM)" with what may follow, or -1; whether the token
        may hold a definition that the arrays do not read: one that spans white space ("( LLMs )"),
        starts inside the token ("models(LLMs)") or is not alone in it)."""
        matches = list(lexicon.ACRONYM_DEFINITION.finditer(token))
        if _SPANNING.search(token) or len(matches) > 1 or (matches and matches[0].start() > 0):
            return -1, True
        if not matches:
            return -1, False
        acronym = matches[0].group(1)
        found = self.acronym_ids.get(acronym)
        if found is None:
            letters = lexicon.acronym_letters(acronym)
            if not 2 <= len(letters) <= 10:
                return -1, False  # no definition (as long_form)
            found = self.acronym_ids[acronym] = len(self.acronym_letters)
            self.acronym_letters.append(letters)
            self.acronym_strings.append(acronym)
        return found, False

    def _extend_acronyms(self) -> None:
        """The arrays of acronyms registered since the last call."""
        done = self.acronym_size.size
        new = self.acronym_strings[done:]
        if new:
            letters = self.acronym_letters[done:]
            self.acronym_codes.extend(
                [code for item in letters for code in [*map(ord, item), *[-2] * (11 - len(item))]]
            )
            self.acronym_size.extend([len(item) for item in letters])
            self.acronym_word.extend([self.word_id(lexicon.SINGULARS[acronym]) for acronym in new])
            self.acronym_written.extend([self.written_id(acronym) for acronym in new])

    def phrase_hash(self, word_ids: Sequence[int]) -> int:
        """The hash of a phrase given by word ids, as the arrays compute it (for acronym long forms)."""
        codes = self.word_code
        total = 0
        for position, word in enumerate(word_ids):
            total += int(codes[word]) * int(self.position_codes[position % _POSITION_CODES_SIZE])
        return (total ^ (len(word_ids) * int(_K2))) & 0xFFFFFFFFFFFFFFFF

    def compacted(self, kept: int) -> _Vocabulary:
        """A new vocabulary of the ``kept`` tokens used most since this one was made (with the words,
        written forms and acronyms they hold), made with array gathers: a warm start, where an empty
        vocabulary would spend Python on every common token again. Words and written forms keep
        their codes, so phrase hashes, and the caches of keys and displays, stay valid; ``parent``
        maps the new word ids to this vocabulary's (statistics arrays carry over, ``_arrays``)."""
        self._extend_words()
        self.written_code  # noqa: B018 - extends the written forms' codes
        n_tokens = self.tok_count.size
        order = np.argsort(-self.tok_uses.view, kind="stable")[:kept]
        keep = np.unique(np.append(order, self.separator))
        # Token hashes, from the table (slot values are token ids).
        slots = np.flatnonzero(self.table.keys != 0)
        token_hash = np.zeros(n_tokens, dtype=_U64)
        token_hash[self.table.values[slots]] = self.table.keys[slots]
        # The pieces of the kept tokens, in order.
        counts, firsts = self.tok_count.view[keep], self.tok_first.view[keep]
        new_firsts = np.cumsum(counts) - counts
        pieces = np.arange(int(counts.sum())) + np.repeat(firsts - new_firsts, counts)
        acronym = self.tok_acronym.view[keep]
        acronyms = np.unique(acronym[acronym >= 0])
        long_word, long_written = self.tok_long_word.view[keep], self.tok_long_written.view[keep]
        words = np.unique(np.concatenate([self.piece_word.view[pieces], long_word[long_word >= 0],
                                          self.acronym_word.view[acronyms]]))
        written = np.unique(np.concatenate([self.piece_written.view[pieces], long_written[long_written >= 0],
                                            self.acronym_written.view[acronyms]]))

        def renumbering(old: np.ndarray, size: int) -> np.ndarray:
            new_ids = np.full(size + 1, -1, dtype=np.int64)  # index -1 (none) stays -1
            new_ids[old] = np.arange(len(old))
            return new_ids

        word_ids = renumbering(words, len(self.words))
        written_ids = renumbering(written, len(self.written))
        acronym_ids = renumbering(acronyms, self.acronym_size.size)
        new = _Vocabulary.__new__(_Vocabulary)
        new.table = _HashTable()
        new.table.insert(token_hash[keep], np.arange(len(keep), dtype=np.int64))
        new.tok_uses = _Column.of(np.zeros(len(keep), dtype=np.int64))
        new.tok_count = _Column.of(counts)
        new.tok_first = _Column.of(new_firsts)
        for name in ("tok_lead", "tok_closes", "tok_complex", "tok_initial", "tok_cut_after"):
            setattr(new, name, _Column.of(getattr(self, name).view[keep]))
        new.tok_acronym = _Column.of(acronym_ids[acronym])
        new.tok_long_word = _Column.of(word_ids[long_word])
        new.tok_long_written = _Column.of(written_ids[long_written])
        kept_acronyms = acronyms.tolist()
        new.acronym_letters = [self.acronym_letters[i] for i in kept_acronyms]
        new.acronym_strings = [self.acronym_strings[i] for i in kept_acronyms]
        new.acronym_ids = dict(zip(new.acronym_strings, range(len(kept_acronyms))))
        new.acronym_codes = _Column.of(self.acronym_codes.view.reshape(-1, 11)[acronyms].ravel())
        new.acronym_size = _Column.of(self.acronym_size.view[acronyms])
        new.acronym_word = _Column.of(word_ids[self.acronym_word.view[acronyms]])
        new.acronym_written = _Column.of(written_ids[self.acronym_written.view[acronyms]])
        new.piece_word = _Column.of(word_ids[self.piece_word.view[pieces]])
        new.piece_written = _Column.of(written_ids[self.piece_written.view[pieces]])
        new.piece_name = _Column.of(self.piece_name.view[pieces])
        new.piece_participle = _Column.of(self.piece_participle.view[pieces])
        new.words = list(map(self.words.__getitem__, words.tolist()))
        new.word_ids = dict(zip(new.words, range(len(new.words))))
        new._word_code = _Column.of(self._word_code.view[words])
        new._word_generic = _Column.of(self._word_generic.view[words])
        new._word_boundary = _Column.of(self._word_boundary.view[words])
        new.written = list(map(self.written.__getitem__, written.tolist()))
        new.written_ids = dict(zip(new.written, range(len(new.written))))
        new._written_code = _Column.of(self._written_code.view[written])
        new.keys, new.displays = self.keys, self.displays
        new._random, new.position_codes = self._random, self.position_codes
        new.separator = int(np.searchsorted(keep, self.separator))
        new.parent = (weakref.ref(self), words)
        return new


_VOCABULARY: _Vocabulary | None = None
# Distinct tokens a vocabulary may hold before the next chunk compacts it to its VOCABULARY_KEPT
# most used: memory stays bounded (some 300 bytes a token), the common tokens stay known.
VOCABULARY_LIMIT = 200_000
VOCABULARY_KEPT = 100_000


def _vocabulary() -> _Vocabulary:
    """The vocabulary new chunks use. Chunks keep the one they were made with, so a new one does not
    disturb them (statistics arrays are carried over to it, see ``_arrays``)."""
    global _VOCABULARY
    if _VOCABULARY is None:
        _VOCABULARY = _Vocabulary()
    elif _VOCABULARY.tok_count.size > VOCABULARY_LIMIT:
        _VOCABULARY = _VOCABULARY.compacted(VOCABULARY_KEPT)
    return _VOCABULARY


# ---------------------------------------------------------------------------------------------
# Candidates of a batch.

_UNICODE_SPACE = re.compile("[\x85\xa0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000]")


def _clean(text: str | None) -> str:
    """The text as the tokenizer reads it: NFC, white space that str.split knows made ASCII, control
    characters (punctuation to ``token_key``) made "|"."""
    if not text:
        return ""
    if not text.isascii():
        text = _UNICODE_SPACE.sub(" ", unicodedata.normalize("NFC", text))
    return text


@dataclass(slots=True)
class _Definitions:
    """The acronym definitions ("long form (ACRONYM)") of a chunk that ``_add_acronyms`` accepts, by
    paper then place; long forms as word ids and written-form ids, one after the other."""

    doc: np.ndarray
    acronym_word: np.ndarray  # the acronym's key
    acronym_written: np.ndarray
    long_first: np.ndarray
    long_len: np.ndarray
    long_word: np.ndarray
    long_written: np.ndarray
    hash: np.ndarray  # the long form's phrase hash

    def __len__(self) -> int:
        return len(self.doc)


@dataclass(slots=True)
class _Chunk:
    """Candidates of up to CHUNK_DOCS papers (see ``candidates_batch``)."""

    vocab: _Vocabulary
    n_docs: int
    slot_word: np.ndarray  # word id of each word of each run, then of each definition's long form
    slot_written: np.ndarray
    slot_doc: np.ndarray
    slot_counted: np.ndarray  # the words of the paper's keyword candidates (not of defined acronyms)
    run_first: np.ndarray  # first slot of each run ("phrase occurrence"), in paper order
    run_len: np.ndarray
    run_doc: np.ndarray
    run_title: np.ndarray
    run_opens: np.ndarray  # starts a sentence, or the title or abstract
    run_synthetic: np.ndarray  # a definition's long form, counted only when nothing else is
    run_by_slot: np.ndarray  # the runs in the order of their slots (long forms last)
    group_doc: np.ndarray  # one group per keyword candidate of a paper, by paper then first occurrence
    group_run: np.ndarray  # its words and display: the first occurrence in the abstract, else the title
    group_hash: np.ndarray
    group_count: np.ndarray
    group_title: np.ndarray
    group_name: np.ndarray
    group_plain: np.ndarray  # has an occurrence of its own (not only as a defined acronym)
    group_aliased: np.ndarray  # the long form of an acronym the paper defines
    group_lookup: np.ndarray  # sorted (hash, run) keys of the groups, to find (paper, hash)
    group_of_lookup: np.ndarray
    lookup_shift: int
    doc_run_start: np.ndarray
    doc_group_start: np.ndarray
    definitions: _Definitions
    _df_words: tuple[np.ndarray, np.ndarray] | None = None

    def df_words(self) -> tuple[np.ndarray, np.ndarray]:
        """(word ids, number of papers of the chunk that have each), as ``DocCandidates.words``."""
        if self._df_words is None:
            self._df_words = _df_words(self)
        return self._df_words


def _tokens(vocab: _Vocabulary, texts: list[str]) -> tuple[np.ndarray, np.ndarray, bytes, np.ndarray]:
    """(token ids, token end offsets, the byte buffer, token start offsets) of the texts, a separator
    token before each."""
    separator = f" {_SEPARATOR_TOKEN} ".encode()
    # Texts are encoded one by one (an ASCII text is copied; one joined str would be made wide by any
    # character past Latin-1, and slow to encode); 16 spaces end the buffer (eight-byte reads).
    encoded = [b"", *[text.encode("utf-8") for text in texts]]
    encoded[-1] += b" " * 16
    padded = separator.join(encoded)  # one copy: a separator before each text, the spaces at the end
    bytes_ = np.frombuffer(padded, dtype=np.uint8)
    low = bytes_[bytes_ < 32]  # white space, or control characters
    if np.count_nonzero(bytes_ == 0x7F) != len(texts) or _CONTROL_BYTE[low].any():
        # Rare: control characters (punctuation to token_key, as "|" is) or DEL in the input.
        texts = [_CONTROL.sub("|", text).replace(_SEPARATOR_TOKEN, "|") for text in texts]
        padded = separator + separator.join([text.encode("utf-8") for text in texts]) + b" " * 16
        bytes_ = np.frombuffer(padded, dtype=np.uint8)
    space = np.empty(len(bytes_) + 1, dtype=np.bool_)
    space[0] = True
    np.less_equal(bytes_, 32, out=space[1:])
    edges = np.flatnonzero(space[1:] != space[:-1])
    starts, ends = edges[0::2], edges[1::2]
    hashes = _token_hashes(padded, starts, ends)
    ids = vocab.table.lookup(hashes)
    missing = np.flatnonzero(ids < 0)
    if len(missing):
        new_hashes, first = np.unique(hashes[missing], return_index=True)
        where = missing[first]
        new_tokens = [
            padded[start:end].decode("utf-8")
            for start, end in zip(starts[where].tolist(), ends[where].tolist())
        ]
        new_ids = np.array(vocab.add_tokens(new_tokens, new_hashes), dtype=np.int64)
        vocab.table.insert(new_hashes, new_ids)
        ids[missing] = new_ids[np.searchsorted(new_hashes, hashes[missing])]
    uses = vocab.tok_uses
    uses.data[: uses.size] += np.bincount(ids, minlength=uses.size)
    return ids, ends, padded, starts


def _phrase_hashes(
    vocab: _Vocabulary,
    slot_word: np.ndarray,
    run_first: np.ndarray,
    run_len: np.ndarray,
    run_of_slot: np.ndarray,
) -> np.ndarray:
    """The hash of each run's word ids (``_Vocabulary.phrase_hash`` for all runs at once)."""
    offset = np.arange(len(slot_word)) - _at(run_first, run_of_slot)
    if len(offset) and offset.max() >= _POSITION_CODES_SIZE:
        offset %= _POSITION_CODES_SIZE
    contributions = _at(vocab.word_code, slot_word) * _at(vocab.position_codes, offset)
    if not len(run_first):
        return np.zeros(0, dtype=_U64)
    return np.add.reduceat(contributions, run_first) ^ (run_len.astype(_U64) * _K2)


def _chunk_candidates(docs: Sequence[tuple[str | None, str | None]]) -> _Chunk:
    vocab = _vocabulary()
    n_docs = len(docs)
    titles = [_clean(title) for title, _ in docs]
    abstracts = [_clean(abstract) for _, abstract in docs]
    texts = [text for pair in zip(titles, abstracts) for text in pair]
    token_ids, token_ends, padded, token_starts = _tokens(vocab, texts)

    # Which text each token is in (2 * paper + 1 for an abstract); the separator opens each text.
    is_separator = token_ids == vocab.separator
    text_of_token = np.cumsum(is_separator) - 1

    # The words of the tokens, in order ("slots"), and where phrases start.
    counts = _at(vocab.tok_count.data, token_ids)
    n_slots = int(counts.sum())
    token_of_slot = np.repeat(np.arange(len(token_ids)), counts)
    first_slot_of_token = np.cumsum(counts) - counts
    within = np.arange(n_slots) - _at(first_slot_of_token, token_of_slot)
    piece = _at(_at(vocab.tok_first.data, token_ids), token_of_slot) + within
    closes = _at(vocab.tok_closes.data, token_ids)
    opens_before = _at(vocab.tok_lead.data, token_ids)
    opens_before[1:] |= closes[:-1]
    starts = (within > 0) | _at(opens_before, token_of_slot)
    # A phrase does not end in an -ed form: drop such a last word (once).
    participle = _at(vocab.piece_participle.data, piece)
    if participle.any():
        ends_run = np.ones(n_slots, dtype=np.bool_)
        ends_run[:-1] = starts[1:]
        keep = ~(participle & ends_run)
        piece, token_of_slot, starts, within = piece[keep], token_of_slot[keep], starts[keep], within[keep]
        n_slots = len(piece)
    slot_word = _at(vocab.piece_word.data, piece)
    slot_written = _at(vocab.piece_written.data, piece)
    slot_doc = _at(text_of_token, token_of_slot) >> 1
    slot_counted = np.ones(n_slots, dtype=np.bool_)  # a word of a keyword candidate (for df)
    run_first = np.flatnonzero(starts)
    run_len = np.diff(np.append(run_first, n_slots))
    run_of_slot = np.cumsum(starts) - 1
    run_hash = _phrase_hashes(vocab, slot_word, run_first, run_len, run_of_slot)
    first_token = token_of_slot[run_first]
    run_text = text_of_token[first_token]
    run_doc = run_text >> 1
    run_title = (run_text & 1) == 0
    run_name = (run_len == 1) & vocab.piece_name.data[piece[run_first]]
    # A sentence start: the phrase starts its token, after a token ending in . ! ? or a separator.
    before = np.maximum(first_token - 1, 0)
    run_opens = (within[run_first] == 0) & ~vocab.tok_lead.data[token_ids[first_token]]
    run_opens &= (
        is_separator[before] | _SENTENCE_END_BYTES[np.frombuffer(padded, np.uint8)[token_ends[before] - 1]]
    )
    # The first slot of each abstract: a definition's long form that is no phrase comes just before it.
    separators = np.flatnonzero(is_separator)
    abstract_first_slot = first_slot_of_token[separators[1::2]] if n_slots else np.zeros(n_docs, np.int64)
    if participle.any() and n_slots:
        abstract_first_slot = np.searchsorted(token_of_slot, separators[1::2])

    definitions = _find_definitions(
        vocab, abstracts, token_ids, text_of_token, token_starts, token_ends, padded
    )
    n_runs = len(run_first)
    run_kind = np.zeros(n_runs, dtype=np.int8)  # 0: plain, 1: a defined acronym, 2: a long form
    run_final = run_hash
    run_pos = 2 * run_first.astype(np.int64)
    run_first_use = np.zeros(n_runs, dtype=np.bool_)  # a defined acronym's first use in its paper
    run_by_slot = np.arange(n_runs)
    n_defined = len(definitions)
    if n_defined:
        run_final = run_hash.copy()
        def_doc = definitions.doc
        # One-word phrases of a defined acronym take the long form's identity.
        defined_word = np.zeros(len(vocab.words), dtype=np.bool_)
        defined_word[definitions.acronym_word] = True
        single_words = slot_word[run_first]
        maybe = np.flatnonzero((run_len == 1) & defined_word[single_words])
        if len(maybe):
            def_keys = (def_doc << 32) | definitions.acronym_word
            order = np.argsort(def_keys)
            sorted_keys = def_keys[order]
            keys = (run_doc[maybe].astype(np.int64) << 32) | single_words[maybe]
            at = np.minimum(np.searchsorted(sorted_keys, keys), n_defined - 1)
            hit = sorted_keys[at] == keys
            renamed = maybe[hit]
            which = order[at[hit]]
            run_final[renamed] = definitions.hash[which]
            run_kind[renamed] = 1
            run_name[renamed] = False
            # Each definition's use inside it is the long form's mention: counted once, not twice.
            run_first_use[renamed[np.unique(which, return_index=True)[1]]] = True
            slot_counted[run_first[renamed]] = False  # the acronym's word is no word of the paper's keys
        # Each long form as written, a phrase of its own placed after the title.
        synthetic_first = definitions.long_first + n_slots
        slot_word = np.concatenate([slot_word, definitions.long_word])
        slot_written = np.concatenate([slot_written, definitions.long_written])
        slot_doc = np.concatenate([slot_doc, np.repeat(def_doc, definitions.long_len)])
        slot_counted = np.concatenate([slot_counted, np.ones(len(definitions.long_word), dtype=np.bool_)])
        # Insert them after their paper's runs, so that runs stay in paper order.
        doc_run_end = np.searchsorted(run_doc, def_doc, side="right")
        order = np.insert(np.arange(n_runs), doc_run_end, n_runs + np.arange(n_defined))
        run_by_slot = np.empty_like(order)
        run_by_slot[order] = np.arange(len(order))  # the runs in slot order: the old order
        run_first = np.concatenate([run_first, synthetic_first])[order]
        run_len = np.concatenate([run_len, definitions.long_len])[order]
        run_doc = np.concatenate([run_doc, def_doc])[order]
        run_title = np.concatenate([run_title, np.zeros(n_defined, np.bool_)])[order]
        run_opens = np.concatenate([run_opens, np.zeros(n_defined, np.bool_)])[order]
        run_name = np.concatenate([run_name, np.zeros(n_defined, np.bool_)])[order]
        run_kind = np.concatenate([run_kind, np.full(n_defined, 2, np.int8)])[order]
        run_final = np.concatenate([run_final, definitions.hash])[order]
        run_first_use = np.concatenate([run_first_use, np.zeros(n_defined, np.bool_)])[order]
        run_pos = np.concatenate([run_pos, 2 * abstract_first_slot[def_doc].astype(np.int64) - 1])[order]
        n_runs = len(run_first)
    doc_run_start = np.searchsorted(run_doc, np.arange(n_docs + 1))
    chunk = _Chunk(
        vocab=vocab,
        n_docs=n_docs,
        slot_word=slot_word,
        slot_written=slot_written,
        slot_doc=slot_doc,
        slot_counted=slot_counted,
        run_first=run_first,
        run_len=run_len,
        run_doc=run_doc,
        run_title=run_title,
        run_opens=run_opens,
        run_synthetic=run_kind == 2,
        run_by_slot=run_by_slot,
        group_doc=np.zeros(0, np.int64),
        group_run=np.zeros(0, np.int64),
        group_hash=np.zeros(0, _U64),
        group_count=np.zeros(0, np.int64),
        group_title=np.zeros(0, np.bool_),
        group_name=np.zeros(0, np.bool_),
        group_plain=np.zeros(0, np.bool_),
        group_aliased=np.zeros(0, np.bool_),
        group_lookup=np.zeros(0, _U64),
        group_of_lookup=np.zeros(0, np.int64),
        lookup_shift=0,
        doc_run_start=doc_run_start,
        doc_group_start=np.zeros(n_docs + 1, np.int64),
        definitions=definitions,
    )
    _group(chunk, run_final, run_kind, run_pos, run_name, run_first_use)
    return chunk


def _group(
    chunk: _Chunk,
    run_final: np.ndarray,
    run_kind: np.ndarray,
    run_pos: np.ndarray,
    run_name: np.ndarray,
    run_first_use: np.ndarray,
) -> None:
    """Group the runs of each paper by identity: one group per keyword candidate, with its count,
    first position and representative run, ordered by paper then first position."""
    n_runs = len(run_final)
    if n_runs == 0:
        chunk.doc_group_start = np.zeros(chunk.n_docs + 1, np.int64)
        return
    shift = max(int(n_runs).bit_length(), 1)
    low = (1 << shift) - 1
    run_index = np.arange(n_runs, dtype=_U64)
    packed = ((run_final >> _U64(shift)) << _U64(shift)) | run_index
    packed.sort()
    runs = (packed & _U64(low)).astype(np.intp)
    run_doc = chunk.run_doc
    high = packed >> _U64(shift)
    new_group = np.ones(n_runs, dtype=np.bool_)
    new_group[1:] = (high[1:] != high[:-1]) | (run_doc[runs[1:]] != run_doc[runs[:-1]])
    starts = np.flatnonzero(new_group)
    full = _at(run_final, runs)
    lookup = packed[starts]
    lookup_order = None
    if ((full[1:] != full[:-1]) & ~new_group[1:]).any():
        # Two phrases of one paper agree in their high hash bits (about 1 in 2**40): exact grouping.
        runs = np.lexsort((np.arange(n_runs), run_doc, run_final))
        full = run_final[runs]
        new_group[1:] = (full[1:] != full[:-1]) | (run_doc[runs[1:]] != run_doc[runs[:-1]])
        starts = np.flatnonzero(new_group)
        lookup = ((full[starts] >> _U64(shift)) << _U64(shift)) | runs[starts].astype(_U64)
        lookup_order = np.argsort(lookup, kind="stable")
        lookup = lookup[lookup_order]
    kind = _at(run_kind, runs)
    plain = kind == 0
    # Five counts per group in one sum: 12 bits each (a group of more occurrences takes the long way).
    fields = plain.astype(np.int64)
    fields |= (kind == 1).astype(np.int64) << 12
    fields |= _at(run_first_use, runs).astype(np.int64) << 24
    fields |= (kind == 2).astype(np.int64) << 36
    fields |= (_at(run_name, runs) & plain).astype(np.int64) << 48
    if n_runs < 4096 or int(np.diff(np.append(starts, n_runs)).max()) < 4096:
        sums = np.add.reduceat(fields, starts)
        plain_count, acronym_count, definitions, long_forms, names = (
            (sums >> bit) & 0xFFF for bit in (0, 12, 24, 36, 48)
        )
    else:
        plain_count, acronym_count, definitions, long_forms, names = (
            np.add.reduceat((fields >> bit) & 1, starts) for bit in (0, 12, 24, 36, 48)
        )
    # The occurrence that places the group: its first own one, else its acronym's, else the long form.
    placing = np.minimum.reduceat((kind.astype(np.int64) << shift) | runs, starts) & low
    # The occurrence that shows it: its first own one in the abstract, else in the title, else the
    # long form as written.
    display_rank = np.where(plain, _at(chunk.run_title, runs).astype(np.int64), np.where(kind == 2, 2, 3))
    shown = np.minimum.reduceat((display_rank << shift) | runs, starts) & low
    # Counts as _add_acronyms makes them: each definition adds its acronym's uses but one (the one
    # in the definition) to a long form already counted, and all of them to a long form that is not.
    count = np.where(
        plain_count > 0,
        plain_count + acronym_count - definitions,
        np.where(acronym_count > 0, acronym_count - definitions + 1, 1),
    )
    # Order by paper, then position (positions grow with the paper).
    position = _at(run_pos, placing)
    n_groups = len(starts)
    gbits = max(n_groups.bit_length(), 1)
    order = (
        np.sort((position.astype(_U64) << _U64(gbits)) | np.arange(n_groups, dtype=_U64))
        & _U64((1 << gbits) - 1)
    ).astype(np.intp)
    chunk.group_doc = _at(_at(run_doc, placing), order)
    chunk.group_run = shown[order]
    chunk.group_hash = _at(_at(run_final, placing), order)
    chunk.group_count = count[order]
    chunk.group_title = _at(_at(chunk.run_title, placing), order)
    chunk.group_name = (names > 0)[order]
    chunk.group_plain = (plain_count > 0)[order]
    chunk.group_aliased = (long_forms > 0)[order]
    inverse = np.empty(n_groups, dtype=np.int64)
    inverse[order] = np.arange(n_groups)
    chunk.group_lookup = lookup
    chunk.group_of_lookup = inverse if lookup_order is None else inverse[lookup_order]
    chunk.lookup_shift = shift
    chunk.doc_group_start = np.searchsorted(chunk.group_doc, np.arange(chunk.n_docs + 1))


def _find_definitions(
    vocab: _Vocabulary,
    abstracts: list[str],
    token_ids: np.ndarray,
    text_of_token: np.ndarray,
    starts: np.ndarray,
    ends: np.ndarray,
    padded: bytes,
) -> _Definitions:
    """The acronym definitions of the abstracts (``acronym_definitions`` and ``_add_acronyms``).

    The common case is read from the arrays: a token "(ACRONYM)" after as many plain words, in the
    same abstract and within reach, whose initials spell it. Other "(ACRONYM)" tokens go through
    ``long_form`` in Python; abstracts with a definition the tokens do not show (one spanning white
    space, or inside a token) go through ``acronym_definitions``.
    """
    in_abstract = (text_of_token & 1) == 1
    doc_of_token = text_of_token >> 1
    acronym = _at(vocab.tok_acronym.data, token_ids)
    python_docs = np.unique(doc_of_token[_at(vocab.tok_complex.data, token_ids) & in_abstract])
    found = np.flatnonzero((acronym >= 0) & in_abstract)
    if len(python_docs):
        found = found[~np.isin(doc_of_token[found], python_docs)]
    types = acronym[found]
    size = vocab.acronym_size.data[types].astype(np.int64)
    codes = vocab.acronym_codes.data
    text = text_of_token[found]
    simple = np.ones(len(found), dtype=np.bool_)
    span = size.copy()
    for back in range(1, 11):
        needed = size >= back
        if not needed.any():
            break
        token = np.maximum(found - back, 0)
        ids = token_ids[token]
        letter = codes[types * 11 + np.maximum(size - back, 0)]
        good = (
            (text_of_token[token] == text)
            & (ids != vocab.separator)
            & (vocab.tok_initial.data[ids] == letter)
        )
        simple &= good | ~needed
        span += np.where(needed, ends[token] - starts[token], 0)
    simple &= span <= 16 * size + 40  # bytes: at least the characters _words_before reads
    # Candidates: (paper, place, acronym id or -1, long-form token range or Python words).
    docs = [doc_of_token[found[simple]]]
    places = [found[simple]]
    acronym_words = [vocab.acronym_word.data[types[simple]].astype(np.int64)]
    acronym_writtens = [vocab.acronym_written.data[types[simple]]]
    simple_size = size[simple]
    first_token = np.repeat(found[simple] - simple_size, simple_size)
    first_token += np.arange(len(first_token)) - np.repeat(np.cumsum(simple_size) - simple_size, simple_size)
    long_words = [vocab.tok_long_word.data[token_ids[first_token]]]
    long_writtens = [vocab.tok_long_written.data[token_ids[first_token]]]
    long_lens = [simple_size]
    # The others, in Python: the words before the acronym, from the arrays when they show them
    # (plain tokens back to a token ending in punctuation, all within reach), else from the text.
    others = found[~simple]
    other_types = types[~simple]
    windows, shown = _windows(vocab, token_ids, text_of_token, starts, ends, others, size[~simple])
    ascii_doc = np.array([abstract.isascii() for abstract in abstracts], dtype=np.bool_)
    shown &= ascii_doc[doc_of_token[others]]  # (widths are counted in bytes)
    written = vocab.written
    letters_of = vocab.acronym_letters
    used = np.array(
        [
            len(lexicon.long_form_of(letters_of[acronym_id], [written[i] for i in window]) or ())
            for acronym_id, window in zip(
                other_types[shown].tolist(), [w for w, ok in zip(windows, shown) if ok]
            )
        ],
        dtype=np.int64,
    )
    defined = used > 0
    from_window, used = others[shown][defined], used[defined]
    docs.append(doc_of_token[from_window])
    places.append(from_window)
    acronym_words.append(vocab.acronym_word.data[other_types[shown][defined]].astype(np.int64))
    acronym_writtens.append(vocab.acronym_written.data[other_types[shown][defined]])
    first_token = np.repeat(from_window - used, used)
    first_token += np.arange(len(first_token)) - np.repeat(np.cumsum(used) - used, used)
    long_words.append(vocab.tok_long_word.data[token_ids[first_token]])
    long_writtens.append(vocab.tok_long_written.data[token_ids[first_token]])
    long_lens.append(used)
    extra: list[tuple[int, int, str, list[str]]] = []  # (paper, place, acronym, long-form words)
    data = memoryview(padded)
    text_start = starts[np.flatnonzero(token_ids == vocab.separator)] + 2  # after "\x7f "
    for token, acronym_id in zip(others[~shown].tolist(), other_types[~shown].tolist()):
        doc = int(doc_of_token[token])
        abstract = abstracts[doc]
        begin = int(text_start[2 * doc + 1])
        position = int(starts[token]) - begin
        if not ascii_doc[doc]:
            position = len(bytes(data[begin : begin + position]).decode("utf-8"))
        words = lexicon.long_form(abstract, position, letters_of[acronym_id])
        if words:
            extra.append((doc, token, vocab.acronym_strings[acronym_id], words))
    for doc in python_docs.tolist():
        place = int(np.searchsorted(doc_of_token, doc))  # any place inside the paper's range
        for acronym_text, words in lexicon.acronym_definitions(abstracts[doc]):
            extra.append((doc, place, acronym_text, words))
            place += 1
    if extra:
        singulars = lexicon.SINGULARS
        docs.append(np.array([doc for doc, _, _, _ in extra], dtype=np.int64))
        places.append(np.array([place for _, place, _, _ in extra], dtype=np.int64))
        acronym_words.append(
            np.array([vocab.word_id(singulars[text]) for _, _, text, _ in extra], dtype=np.int64)
        )
        acronym_writtens.append(np.array([vocab.written_id(text) for _, _, text, _ in extra], dtype=np.int64))
        long_words.append(
            np.array([vocab.word_id(singulars[w]) for _, _, _, words in extra for w in words], dtype=np.int64)
        )
        long_writtens.append(
            np.array([vocab.written_id(w) for _, _, _, words in extra for w in words], dtype=np.int64)
        )
        long_lens.append(np.array([len(words) for _, _, _, words in extra], dtype=np.int64))
    paper = np.concatenate(docs)
    placed = np.concatenate(places)
    acronym_word = np.concatenate(acronym_words)
    acronym_written = np.concatenate(acronym_writtens)
    long_len = np.concatenate(long_lens)
    long_first = np.cumsum(long_len) - long_len
    long_word = np.concatenate(long_words)
    long_written = np.concatenate(long_writtens)
    # In paper order; the first definition of an acronym in a paper is the one (_add_acronyms).
    order = np.lexsort((placed, paper))
    first_of_acronym = np.unique((paper[order] << 32) | acronym_word[order], return_index=True)[1]
    accepted = order[np.sort(first_of_acronym)]
    one_word = long_len == 1
    if one_word.any():
        # Papers where _add_acronyms's other rules may apply: all their candidates, in Python.
        tricky = np.isin(paper, paper[one_word])
        exact = _accept_exactly(order[tricky[order]], paper, acronym_word, long_first, long_len, long_word)
        accepted = np.concatenate([accepted[~tricky[accepted]], exact])
        accepted = accepted[np.lexsort((placed[accepted], paper[accepted]))]
    chosen_len = long_len[accepted]
    chosen_first = np.cumsum(chosen_len) - chosen_len
    slots = (
        np.repeat(long_first[accepted], chosen_len)
        + np.arange(int(chosen_len.sum()))
        - np.repeat(chosen_first, chosen_len)
    )
    words = long_word[slots]
    return _Definitions(
        doc=paper[accepted],
        acronym_word=acronym_word[accepted],
        acronym_written=acronym_written[accepted],
        long_first=chosen_first,
        long_len=chosen_len,
        long_word=words,
        long_written=long_written[slots],
        hash=_phrase_hashes(
            vocab, words, chosen_first, chosen_len, np.repeat(np.arange(len(accepted)), chosen_len)
        ),
    )


def _windows(
    vocab: _Vocabulary,
    token_ids: np.ndarray,
    text_of_token: np.ndarray,
    starts: np.ndarray,
    ends: np.ndarray,
    found: np.ndarray,
    size: np.ndarray,
) -> tuple[list[list[int]], np.ndarray]:
    """For each "(ACRONYM)" token, the written-form ids of the words ``_words_before`` reads (up to
    size + 4 plain tokens back, stopping at the abstract's start, a token ending in punctuation or
    the edge of the reach), and whether the arrays show them all (else: read the text)."""
    width = 16 * size + 40
    limit = size + 4
    state = np.zeros(len(found), dtype=np.int8)  # 0 reading, 1 done, 2 the text must be read
    span = np.zeros(len(found), dtype=np.int64)
    taken = np.full((len(found), 14), -1, dtype=np.int64)
    text = text_of_token[found]
    for back in range(1, 15):
        reading = (state == 0) & (back <= limit)
        if not reading.any():
            break
        token = np.maximum(found - back, 0)
        ids = token_ids[token]
        same = (text_of_token[token] == text) & (ids != vocab.separator)
        written = vocab.tok_long_written.data[ids]
        plain = same & (written >= 0)
        length = ends[token] - starts[token]
        reach = span + length + 1
        inside = plain & (reach <= width)
        outside = plain & (reach - length >= width)  # the word lies wholly before the reach
        stop = ~same | (~plain & vocab.tok_cut_after.data[ids]) | outside
        taken[reading & inside, back - 1] = written[reading & inside]
        span = np.where(reading & inside, reach, span)
        state[reading & stop] = 1
        state[reading & ~stop & ~inside] = 2  # a word cut by the reach, or punctuation inside one
    counts = (taken >= 0).sum(axis=1)
    rows = taken.tolist()
    windows = [row[count - 1 :: -1] if count else [] for row, count in zip(rows, counts.tolist())]
    return windows, state != 2


def _accept_exactly(
    candidates: np.ndarray,
    doc: np.ndarray,
    acronym_word: np.ndarray,
    long_first: np.ndarray,
    long_len: np.ndarray,
    long_word: np.ndarray,
) -> np.ndarray:
    """``_add_acronyms``'s choice among a paper's candidate definitions, in order: not an acronym
    defined before, nor the one-word long form of a definition before; not a long form that is the
    acronym itself or an acronym defined before (one-word long forms are the only ones that can be
    an acronym's key)."""
    kept = []
    defined: dict[int, tuple[set[int], set[int]]] = {}  # paper -> (acronyms, one-word long forms)
    for index in candidates.tolist():
        acronyms, long_forms = defined.setdefault(int(doc[index]), (set(), set()))
        acronym = int(acronym_word[index])
        if acronym in acronyms or acronym in long_forms:
            continue
        if long_len[index] == 1:
            word = int(long_word[long_first[index]])
            if word == acronym or word in acronyms:
                continue
            long_forms.add(word)
        acronyms.add(acronym)
        kept.append(index)
    return np.array(kept, dtype=np.int64)


def _df_words(chunk: _Chunk) -> tuple[np.ndarray, np.ndarray]:
    """(word ids, number of papers having each) over the words of each paper's keyword candidates:
    the words of its phrases and long forms, not those of acronyms renamed to their long form."""
    words, docs = chunk.slot_word, chunk.slot_doc
    # A paper with a long form that is no phrase of its own ("mixture of experts") does not count
    # its boundary words, as DocCandidates.words.
    surfaced = np.bincount(chunk.group_doc[~chunk.group_plain], minlength=chunk.n_docs) > 0
    keep = chunk.slot_counted & ~(chunk.vocab.word_boundary[words] & surfaced[docs])
    pairs = np.sort((docs[keep] << 32) | words[keep])
    if len(pairs):
        pairs = pairs[np.append(True, pairs[1:] != pairs[:-1])]
    counts = np.bincount(pairs & 0xFFFFFFFF)
    ids = np.flatnonzero(counts)
    return ids, counts[ids]


@dataclass(slots=True)
class BatchCandidates:
    """Candidates of a batch of papers, in the order given, from ``candidates_batch``.

    Hold it between ``CorpusStats.add_batch`` and ``rank_batch``, or compute it twice (it needs no
    corpus statistics). Its arrays use word ids of this process's vocabulary: it is not for storage.
    """

    chunks: list[_Chunk] = field(default_factory=list)

    def __len__(self) -> int:
        return sum(chunk.n_docs for chunk in self.chunks)

    def definitions(self) -> Iterator[tuple[int, str, str]]:
        """(paper index, acronym key, long-form key) of each acronym definition, as
        ``DocCandidates.acronyms``."""
        offset = 0
        for chunk in self.chunks:
            for doc, acronym, long_key in _definition_keys(chunk):
                yield offset + doc, acronym, long_key
            offset += chunk.n_docs

    def words(self) -> set[str]:
        """Every word key the batch's ranking reads the document frequency of (its phrases' and long
        forms' words): with ``single_keys``, what a loader needs from stored statistics."""
        found: set[str] = set()
        for chunk in self.chunks:
            words = chunk.vocab.words
            found.update(words[i] for i in np.unique(chunk.slot_word).tolist())
        return found

    def single_keys(self) -> set[str]:
        """The one-word phrase keys: an acronym among them may have a corpus expansion ("acronym=long
        form" statistics), whose long form's words ranking reads too."""
        found: set[str] = set()
        for chunk in self.chunks:
            single = chunk.run_len[chunk.group_run] == 1
            words = chunk.vocab.words
            firsts = chunk.run_first[chunk.group_run[single]]
            found.update(words[i] for i in np.unique(chunk.slot_word[firsts]).tolist())
        return found

    def df_counts(self) -> Counter[str]:
        """What ``CorpusStats.add_batch`` adds to ``CorpusStats.df``: the number of papers of the
        batch having each word, and each "acronym=long form" definition (as ``df_keys`` of each
        paper, summed)."""
        counts: Counter[str] = Counter()
        for chunk in self.chunks:
            ids, numbers = chunk.df_words()
            counts.update(dict(zip([chunk.vocab.words[i] for i in ids.tolist()], numbers.tolist())))
            counts.update(
                key for _, acronym, long_key in _definition_keys(chunk) for key in [f"{acronym}={long_key}"]
            )
        return counts


def _definition_keys(chunk: _Chunk) -> Iterator[tuple[int, str, str]]:
    """(paper, acronym key, long-form key) of each definition of the chunk."""
    definitions = chunk.definitions
    words = chunk.vocab.words
    for doc, acronym, first, length in zip(
        definitions.doc.tolist(),
        definitions.acronym_word.tolist(),
        definitions.long_first.tolist(),
        definitions.long_len.tolist(),
    ):
        long_key = " ".join([words[w] for w in definitions.long_word[first : first + length].tolist()])
        yield doc, words[acronym], long_key


def candidates_batch(docs: Sequence[tuple[str | None, str | None]]) -> BatchCandidates:
    """Candidates of many papers, (title, abstract) each: what ``candidates`` gives for each of them,
    as arrays. Work per paper is array work plus Python per acronym definition."""
    batch = BatchCandidates()
    for start in range(0, len(docs), CHUNK_DOCS):
        batch.chunks.append(_chunk_candidates(docs[start : start + CHUNK_DOCS]))
    return batch


def _definition_counts(chunk: _Chunk) -> dict[str, int]:
    """ "acronym=long form" -> the number of papers of the chunk defining it so (a paper defines an
    acronym once). Strings are made once per distinct definition."""
    definitions = chunk.definitions
    if not len(definitions):
        return {}
    pairs = (definitions.hash ^ (definitions.acronym_word.astype(_U64) * _K1)).astype(_U64)
    _, first, counts = np.unique(pairs, return_index=True, return_counts=True)
    words = chunk.vocab.words
    out: dict[str, int] = {}
    for index, n_papers in zip(first.tolist(), counts.tolist()):
        start, length = int(definitions.long_first[index]), int(definitions.long_len[index])
        long_key = " ".join([words[w] for w in definitions.long_word[start : start + length].tolist()])
        key = f"{words[int(definitions.acronym_word[index])]}={long_key}"
        out[key] = out.get(key, 0) + n_papers
    return out


# ---------------------------------------------------------------------------------------------
# Corpus statistics as arrays, kept with CorpusStats (its ``_arrays`` slot).


@dataclass(slots=True)
class _StatArrays:
    """Document frequencies by word id of one vocabulary, and what is computed from them. Kept in
    step by ``add_batch``; ``CorpusStats.add`` and ``CorpusStats.__init__`` drop them (they are
    rebuilt from ``CorpusStats.df`` when needed, in Python once per word)."""

    vocab: _Vocabulary
    df: np.ndarray  # by word id, for the first len(df) words
    weights: np.ndarray | None = None
    expansions: _Expansions | None = None
    # Made when CorpusStats.df was empty and kept by add_batch since: a word new to the vocabulary
    # has no count but the ones add_batch adds (no Python look-up per new word).
    from_empty: bool = False


@dataclass(slots=True)
class _Expansions:
    """The corpus's acronym expansions (``CorpusStats.expansions``), by the acronym's word id."""

    index: np.ndarray  # word id -> expansion number, or -1
    hashes: np.ndarray
    word_ids: list[list[int]]
    keys: list[str]


# ---------------------------------------------------------------------------------------------
# Corpus statistics.


class CorpusStats:
    """Corpus statistics: the number of papers and how many of them have each word (df).

    ``df`` also counts acronym definitions, under keys "acronym=long form" ("llm=large language
    model"; no word contains "="). A corpus usually expands an acronym one way, so a paper that only
    writes "LLMs" gets the keyword "large language model" (``expansion``).

    Store ``n_docs`` and ``rows()`` (tables ``build_info`` and ``keyword_df``) and rebuild with
    ``CorpusStats(n_docs, rows)`` to score later papers consistently; ``add_batch`` the new papers first.
    """

    __slots__ = ("_acronyms", "_arrays", "_expansions", "df", "n_docs")

    def __init__(self, n_docs: int = 0, df: Mapping[str, int] | Iterable[tuple[str, int]] = ()) -> None:
        if n_docs < 0:
            raise ValueError(f"n_docs must not be negative, got {n_docs}")
        self.n_docs = n_docs
        self.df: Counter[str] = Counter(dict(df))
        self._acronyms: dict[str, Counter[str]] = {}
        for key, n_papers in self.df.items():
            if "=" in key:
                acronym, _, long_key = key.partition("=")
                self._acronyms.setdefault(acronym, Counter())[long_key] = n_papers
        self._arrays: _StatArrays | None = None  # df by word id of a vocabulary, kept by add_batch
        self._forget()

    def _forget(self) -> None:
        self._expansions: dict[str, str] | None = None

    @classmethod
    def adopt(cls, n_docs: int, df: Counter[str]) -> CorpusStats:
        """Statistics over ``df`` itself, not a copy: a Counter subclass may keep only some counts in
        memory and answer the others from storage (its ``__missing__``; ``etl.pipeline.parallel`` does).
        Expansions are computed from the "acronym=long form" keys in memory: those of every acronym
        that a long form defines in two papers or more must be (no other acronym has an expansion)."""
        stats = cls(n_docs)
        stats.df = df
        for key, n_papers in dict.items(df):
            if "=" in key:
                acronym, _, long_key = key.partition("=")
                stats._acronyms.setdefault(acronym, Counter())[long_key] = n_papers
        return stats

    def add_keys(self, keys: Iterable[str]) -> None:
        """Count one more paper that has these keys: word keys, and "acronym=long form" for each
        acronym it defines (the counts of a paper read some other way, e.g. by a reference)."""
        keys = set(keys)
        self.n_docs += 1
        self.df.update(keys)
        for key in keys:
            if "=" in key:
                acronym, _, long_key = key.partition("=")
                self._acronyms.setdefault(acronym, Counter())[long_key] += 1
        self._arrays = None
        self._forget()

    def add_batch(self, batch: BatchCandidates) -> None:
        """Count every paper of a batch from ``candidates_batch``."""
        for chunk in batch.chunks:
            ids, counts = chunk.df_words()
            df = self.df
            if not df and self._arrays is None:
                self._arrays = _StatArrays(chunk.vocab, np.zeros(0, np.int64), from_empty=True)
            keys = list(map(chunk.vocab.words.__getitem__, ids.tolist()))
            # df[key] += count for each key, with C loops: dict.update on a Counter sets (Counter.update
            # would add, in a Python loop); the keys are distinct, so each is read before it is set.
            dict.update(df, zip(keys, map(add, map(df.get, keys, repeat(0)), counts.tolist())))
            for pair, n_papers in _definition_counts(chunk).items():
                acronym, _, long_key = pair.partition("=")
                df[pair] += n_papers
                self._acronyms.setdefault(acronym, Counter())[long_key] += n_papers
            self.n_docs += chunk.n_docs
            self._forget()
            self._batch_df_add(chunk.vocab, ids, counts)

    def rows(self) -> list[tuple[str, int]]:
        """(key, df) pairs sorted by key, for storage."""
        return sorted(self.df.items())

    def expansion(self, acronym_key: str) -> str | None:
        """The corpus's long form of an acronym key: defined by two papers at least, and two thirds
        of the definitions agree."""
        return self.expansions().get(acronym_key)

    def expansions(self) -> dict[str, str]:
        """Acronym key -> long-form key, for every acronym with a clear corpus-wide expansion."""
        if self._expansions is None:
            found = {}
            for acronym, counts in self._acronyms.items():
                long_key, count = max(counts.items(), key=lambda item: (item[1], item[0]))
                if count >= 2 and 3 * count >= 2 * sum(counts.values()):
                    found[acronym] = long_key
            # A long form that is itself an expanded acronym would make a chain, resolved in whatever
            # order a set gives: such an expansion is left out.
            self._expansions = {
                acronym: long_key for acronym, long_key in found.items() if long_key not in found
            }
        return self._expansions

    def arrays_for(self, vocab: _Vocabulary) -> _StatArrays:
        """The arrays of ``stats`` for ``vocab``, covering all its words."""
        arrays = self._carried(vocab)
        if arrays is None:
            arrays = self._arrays = _StatArrays(vocab, np.zeros(0, np.int64))
        size = len(vocab.words)
        if len(arrays.df) < size:
            # Words new to these arrays: their counts from CorpusStats.df.
            if arrays.from_empty:
                more = np.zeros(size - len(arrays.df), dtype=np.int64)
            else:
                words = vocab.words[len(arrays.df) : size]
                # Counts kept mostly on disk (``etl.pipeline.parallel``) are read many at a time.
                get_many = getattr(self.df, "get_many", None)
                get = self.df.get
                more = np.array(get_many(words) if get_many else [get(word, 0) for word in words], dtype=np.int64)
            arrays.df = np.concatenate([arrays.df, more])
            arrays.weights = None
            arrays.expansions = None
        return arrays


    def _carried(self, vocab: _Vocabulary) -> _StatArrays | None:
        """The arrays of ``stats`` for ``vocab``: its own, or those of the vocabulary it was compacted
        from, carried over to its word ids (the counts of the words it kept; its new words come after);
        None when there are none."""
        arrays = self._arrays
        if not isinstance(arrays, _StatArrays):
            return None
        if arrays.vocab is vocab:
            return arrays
        parent = vocab.parent
        if parent is None or parent[0]() is not arrays.vocab:
            return None
        old_ids = parent[1][: np.searchsorted(parent[1], len(arrays.df))]
        # Not "from empty": a word new to a compacted vocabulary may be one it dropped, counted before.
        arrays = self._arrays = _StatArrays(vocab, arrays.df[old_ids])
        return arrays


    def _batch_df_add(self, vocab: _Vocabulary, ids: np.ndarray, counts: np.ndarray) -> None:
        """Keep the arrays of ``stats`` in step with a batch just counted (arrays of another vocabulary
        are dropped: made again from ``CorpusStats.df`` when needed)."""
        arrays = self._carried(vocab)
        if arrays is not None:
            if arrays.from_empty:
                arrays = self.arrays_for(vocab)  # zeros for the new words, then this batch's counts
            inside = ids < len(arrays.df)
            arrays.df[ids[inside]] += counts[inside]  # ids are distinct
            arrays.weights = None
            arrays.expansions = None
        else:
            self._arrays = None


    def word_weights(self, vocab: _Vocabulary) -> np.ndarray:
        """Each word's weight in a phrase score (its IDF, log((N + 1) / (df + 0.5)), less for a generic
        word, nothing for a boundary word), by word id of ``vocab``."""
        arrays = self.arrays_for(vocab)
        if arrays.weights is None:
            weights = np.log(self.n_docs + 1) - np.log(arrays.df + 0.5)
            size = len(weights)
            weights[vocab.word_generic[:size]] *= GENERIC_WEIGHT
            weights[vocab.word_boundary[:size]] = 0.0
            arrays.weights = weights
        return arrays.weights


    def expansion_arrays(self, vocab: _Vocabulary) -> _Expansions:
        """``expansions`` by word id of ``vocab``."""
        arrays = self.arrays_for(vocab)
        if arrays.expansions is None:
            found = []
            for acronym, long_key in self.expansions().items():
                acronym_id = vocab.word_ids.get(acronym)
                if acronym_id is not None:
                    found.append((acronym_id, long_key, [vocab.word_id(word) for word in long_key.split(" ")]))
            arrays = self.arrays_for(vocab)  # the long forms may have brought new words
            index = np.full(len(vocab.words), -1, dtype=np.int64)
            for number, (acronym_id, _, _) in enumerate(found):
                index[acronym_id] = number
            lengths = np.array([len(ids) for _, _, ids in found], dtype=np.int64)
            words = np.array([word for _, _, ids in found for word in ids], dtype=np.int64)
            firsts = np.cumsum(lengths) - lengths
            hashes = _phrase_hashes(vocab, words, firsts, lengths, np.repeat(np.arange(len(found)), lengths))
            arrays.expansions = _Expansions(
                index, hashes, [ids for _, _, ids in found], [long_key for _, long_key, _ in found]
            )
        return arrays.expansions


# ---------------------------------------------------------------------------------------------
# Ranking.


def _length_factors(longest: int) -> np.ndarray:
    """Phrase weight factor by number of words (``_LengthFactors``), for 0 .. longest words."""
    factors = np.zeros(max(longest, 1) + 1)
    for words in range(1, len(factors)):
        spaces = words - 1
        if spaces < len(LENGTH_FACTORS):
            factors[words] = LENGTH_FACTORS[spaces]
        else:
            factors[words] = LONG_FACTOR if spaces < MAX_WORDS else 0.0
    return factors


@dataclass(slots=True)
class RankedColumns:
    """The ranked keyphrases of a batch as columns, by paper and best first within each: the paper's
    index in the batch, then the key, display, score and aliases of each keyphrase (``rank_batch``
    makes Keyword objects of them; a caller that writes rows can do without)."""

    n_docs: int
    docs: np.ndarray
    keys: list[str]
    displays: list[str]
    scores: list[float]
    aliases: list[tuple[str, ...]]

    def keywords(self) -> list[list[Keyword]]:
        """The keyphrases of each paper, as Keyword objects."""
        made = list(map(_new_keyword, zip(self.keys, self.displays, self.scores, self.aliases)))
        ends = np.cumsum(np.bincount(self.docs, minlength=self.n_docs)).tolist()
        return list(map(made.__getitem__, map(slice, [0, *ends[:-1]], ends)))


def rank_batch(batch: BatchCandidates, stats: CorpusStats, top: int = 10) -> list[list[Keyword]]:
    """The ``top`` keyphrases of each paper of the batch, best first, scored against ``stats``: what
    ``rank`` gives for each paper (see the module docstring for where the two differ)."""
    return rank_columns(batch, stats, top).keywords()


def rank_columns(batch: BatchCandidates, stats: CorpusStats, top: int = 10) -> RankedColumns:
    """What ``rank_batch`` gives, as columns (``RankedColumns``)."""
    parts = [_rank_chunk(chunk, stats, top) for chunk in batch.chunks]
    offsets = np.cumsum([0, *(part.n_docs for part in parts)])
    return RankedColumns(
        int(offsets[-1]),
        np.concatenate([np.zeros(0, np.int64), *(part.docs + offset for part, offset in zip(parts, offsets))]),
        [key for part in parts for key in part.keys],
        [display for part in parts for display in part.displays],
        [score for part in parts for score in part.scores],
        [aliases for part in parts for aliases in part.aliases],
    )


def _rank_chunk(chunk: _Chunk, stats: CorpusStats, top: int) -> RankedColumns:
    n_docs = chunk.n_docs
    n_groups = len(chunk.group_doc)
    if top <= 0 or n_groups == 0:
        return RankedColumns(n_docs, np.zeros(0, np.int64), [], [], [], [])
    vocab = chunk.vocab
    expansions = stats.expansion_arrays(vocab)
    weights = stats.word_weights(vocab)
    group_doc = chunk.group_doc
    runs = chunk.group_run
    first, length = _at(chunk.run_first, runs), _at(chunk.run_len, runs)
    # Each group's sum of word weights: a sum per run (the runs cut the slots into pieces), added up
    # left to right as rank adds them.
    run_sum = np.empty(len(chunk.run_first))
    if len(run_sum):
        by_slot = chunk.run_by_slot
        run_sum[by_slot] = np.add.reduceat(_at(weights, chunk.slot_word), _at(chunk.run_first, by_slot))
    weight_sum = _at(run_sum, runs)
    count = chunk.group_count.astype(np.float64)
    name = chunk.group_name
    word = chunk.slot_word[first]
    kept = np.ones(n_groups, dtype=np.bool_)
    renamed_key: dict[int, str] = {}  # group -> the long form's key
    corpus_alias: dict[int, int] = {}  # group -> the group whose display is an alias of it

    # Acronyms the paper uses without defining them count for the corpus's long form.
    if len(expansions.keys):
        single = np.flatnonzero((length == 1) & chunk.group_plain)
        expanding = single[expansions.index[word[single]] >= 0]
        if len(expanding):
            number = expansions.index[word[expanding]]
            target = expansions.hashes[number]
            docs = group_doc[expanding]
            shift = _U64(chunk.lookup_shift)
            query = ((target >> shift) << shift) | chunk.doc_run_start[docs].astype(_U64)
            at = np.minimum(np.searchsorted(chunk.group_lookup, query), len(chunk.group_lookup) - 1)
            found = chunk.group_of_lookup[at]
            hit = (group_doc[found] == docs) & (chunk.group_hash[found] == target)
            # The long form is a phrase of the paper: it takes the acronym's count.
            merged, into = expanding[hit], found[hit]
            np.add.at(count, into, count[merged])
            kept[merged] = False
            corpus_alias.update(zip(into.tolist(), merged.tolist()))
            # It is not: the acronym's phrase becomes the long form, shown as the acronym is written.
            renamed, numbers = expanding[~hit], number[~hit]
            if len(renamed):
                name = name.copy()
                name[renamed] = False
                word_ids = [expansions.word_ids[n] for n in numbers.tolist()]
                weight_sum[renamed] = [float(weights[ids].sum()) for ids in word_ids]
                length[renamed] = [len(ids) for ids in word_ids]
                for group, n in zip(renamed.tolist(), numbers.tolist()):
                    renamed_key[group] = expansions.keys[n]
                    corpus_alias[group] = group
    # The position of each kept group among its paper's kept groups.
    kept_before = np.cumsum(kept)
    start = chunk.doc_group_start
    base = np.concatenate([[0], kept_before])[start[:-1]]
    position = kept_before - 1 - base[group_doc]
    position_factor = 1.0 + POSITION_BOOST * POSITION_SCALE / (POSITION_SCALE + position)
    position_factor[chunk.group_title] *= 1.0 + TITLE_BOOST
    score = weight_sum * _length_factors(int(length.max()))[length] * position_factor
    score *= 1.0 + PHRASE_TF * (count - 1.0)
    score[name] *= NAME_FACTOR
    # "performance", "approach" alone are no keywords.
    eligible = kept & (score > 0.0) & ~((length == 1) & vocab.word_generic[word])
    if renamed_key:
        # A renamed group is its long form, which may be one generic word too.
        renamed = list(renamed_key)
        eligible[renamed] = (
            kept[renamed]
            & (score[renamed] > 0.0)
            & [key not in lexicon.GENERIC_WORDS for key in renamed_key.values()]
        )
    chosen = _best(chunk, score, eligible, top)
    return _keywords(chunk, chosen, score, renamed_key, corpus_alias)


def _best(chunk: _Chunk, score: np.ndarray, eligible: np.ndarray, top: int) -> np.ndarray:
    """The ``top`` best eligible groups of each paper, best first (equal scores: first occurrence
    first), by paper: one sort of (paper, score, offset) packed in 64 bits."""
    groups = np.flatnonzero(eligible)
    docs = chunk.group_doc[groups].astype(np.uint64)
    offset = (groups - chunk.doc_group_start[docs.astype(np.intp)]).astype(np.uint64)
    if chunk.n_docs > (1 << 12) or (len(offset) and int(offset.max()) >= (1 << 12)):
        order = np.lexsort((offset, -score[groups], docs))
        groups, docs = groups[order], docs[order]
    else:
        # The top 40 bits of a positive float64 (exponent and 28 bits of mantissa) keep its order.
        score_bits = score[groups].view(np.uint64) >> _U64(24)
        packed = (docs << _U64(52)) | ((_U64((1 << 40) - 1) - score_bits) << _U64(12)) | offset
        packed.sort()
        docs = packed >> _U64(52)
        groups = chunk.doc_group_start[docs.astype(np.intp)] + (packed & _U64(0xFFF)).astype(np.int64)
    new_doc = np.ones(len(docs), dtype=np.bool_)
    new_doc[1:] = docs[1:] != docs[:-1]
    doc_start = np.maximum.accumulate(np.where(new_doc, np.arange(len(docs)), 0))
    return groups[np.arange(len(docs)) - doc_start < top]


_new_keyword = partial(tuple.__new__, Keyword)  # Keyword(*fields), made in C
_TITLE_MARK, _OPENS_MARK, _LONG_FORM_MARK = (0x5851F42D4C957F2D, 0x14057B7EF767814F, 0x2545F4914F6CDD1D)
_CACHE_LIMIT = 100_000  # keys and displays kept (shared by a vocabulary and those compacted from it); a full cache is emptied


def _keywords(
    chunk: _Chunk,
    chosen: np.ndarray,
    score: np.ndarray,
    renamed_key: dict[int, str],
    corpus_alias: dict[int, int],
) -> RankedColumns:
    """The chosen groups' keyphrases (by paper, best first)."""
    vocab = chunk.vocab
    runs = chunk.group_run[chosen]
    hashes = chunk.group_hash[chosen].tolist()
    # Keys: cached by phrase hash, else joined from the words (Python for new phrases only).
    keys = list(map(vocab.keys.get, hashes))
    missing = list(compress(count(), map(is_, keys, repeat(None))))
    if missing:
        if len(vocab.keys) > _CACHE_LIMIT:
            vocab.keys.clear()
        made = _run_texts(vocab.words, chunk.slot_word, chunk, runs[missing])
        for index, key in zip(missing, made):
            keys[index] = vocab.keys[hashes[index]] = key
    displays = _displays(chunk, runs)
    aliases: list[tuple[str, ...]] = [()] * len(keys)
    special = chunk.group_aliased[chosen]
    if renamed_key or corpus_alias:
        special |= np.isin(chosen, np.array([*renamed_key, *corpus_alias], dtype=np.int64))
    specials = np.flatnonzero(special)
    if len(specials):
        defined = _defined_aliases(chunk)
        special_groups = chosen[specials].tolist()
        special_docs = chunk.group_doc[chosen[specials]].tolist()
        alias_of = [corpus_alias.get(group, -1) for group in special_groups]
        alias_displays = iter(_displays(chunk, chunk.group_run[[group for group in alias_of if group >= 0]]))
        for index, group, doc, alias_group in zip(specials.tolist(), special_groups, special_docs, alias_of):
            if group in renamed_key:
                keys[index] = renamed_key[group]
            listed = list(defined.get((doc, hashes[index]), ()))
            if alias_group >= 0:
                written = next(alias_displays)
                if written not in listed:
                    listed.append(written)
            if listed:
                aliases[index] = tuple(listed)
    return RankedColumns(chunk.n_docs, chunk.group_doc[chosen], keys, displays, score[chosen].tolist(), aliases)


def _defined_aliases(chunk: _Chunk) -> dict[tuple[int, int], list[str]]:
    """(paper, long-form hash) -> the acronyms defined for it, as written, in order."""
    definitions = chunk.definitions
    written = chunk.vocab.written
    out: dict[tuple[int, int], list[str]] = {}
    for doc, long_hash, acronym in zip(
        definitions.doc.tolist(), definitions.hash.tolist(), definitions.acronym_written.tolist()
    ):
        out.setdefault((doc, long_hash), []).append(written[acronym])
    return out


def _run_texts(strings: list[str], slot_values: np.ndarray, chunk: _Chunk, runs: np.ndarray) -> list[str]:
    """The words of each run (``strings`` of its slots' ``slot_values``) joined by spaces."""
    length = chunk.run_len[runs].astype(np.int64)
    ends = np.cumsum(length)
    starts = ends - length
    slots = np.arange(int(ends[-1]) if len(ends) else 0) + np.repeat(chunk.run_first[runs] - starts, length)
    words = list(map(strings.__getitem__, slot_values[slots].tolist()))
    return list(map(" ".join, map(words.__getitem__, map(slice, starts.tolist(), ends.tolist()))))


def _displays(chunk: _Chunk, runs: np.ndarray) -> list[str]:
    """How the paper writes each run, capitals of a title or a sentence start lowered (``readable``);
    a definition's long form exactly as written. Cached by (written words, place)."""
    vocab = chunk.vocab
    first, length = chunk.run_first[runs], chunk.run_len[runs].astype(np.int64)
    run_of_slot = np.repeat(np.arange(len(runs)), length)
    starts = np.cumsum(length) - length
    slots = first[run_of_slot] + np.arange(int(length.sum())) - starts[run_of_slot]
    offset = np.arange(len(slots)) - starts[run_of_slot]
    codes = (
        vocab.written_code[chunk.slot_written[slots]] * vocab.position_codes[offset % _POSITION_CODES_SIZE]
    )
    hashes = np.add.reduceat(codes, starts) if len(runs) else np.zeros(0, _U64)
    hashes ^= np.where(chunk.run_title[runs], _U64(_TITLE_MARK), _U64(0))
    hashes ^= np.where(chunk.run_opens[runs], _U64(_OPENS_MARK), _U64(0))
    hashes ^= np.where(chunk.run_synthetic[runs], _U64(_LONG_FORM_MARK), _U64(0))
    hashes ^= length.astype(_U64) * _K2
    hash_list = hashes.tolist()
    displays = list(map(vocab.displays.get, hash_list))
    missing = list(compress(count(), map(is_, displays, repeat(None))))
    if missing:
        if len(vocab.displays) > _CACHE_LIMIT:
            vocab.displays.clear()
        new_runs = runs[missing]
        texts = _run_texts(vocab.written, chunk.slot_written, chunk, new_runs)
        flags = zip(chunk.run_synthetic[new_runs].tolist(), chunk.run_title[new_runs].tolist(),
                    chunk.run_opens[new_runs].tolist())
        for index, text, (synthetic, title, opens) in zip(missing, texts, flags):
            if not synthetic and not text.islower():
                text = lexicon.readable(text.split(" "), title, opens)
            displays[index] = vocab.displays[hash_list[index]] = text
    return displays  # type: ignore[return-value]  # (no None left)
