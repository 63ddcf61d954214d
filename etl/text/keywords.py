"""Keyphrases for paper abstracts: unsupervised, offline (no model, no download), and fast.

The algorithm:

1. **Candidates** (``candidates``, no corpus needed). Title and abstract are cut at white space; each
   token's key comes from a cache filled once per distinct token: lower case, singular ("Models" ->
   "model", "LLMs" -> "llm"), or a *boundary* for punctuation, numbers, function words, common verb
   forms, ``-ly`` adverbs and vague adjectives ("novel", "various"). The runs of content words between
   boundaries are the candidate phrases, a stand-in for noun-phrase chunks with no tagger; a phrase
   does not end in an ``-ed`` form ("resources invested" -> "resource"). The phrase keys merge plural
   and case variants: "Diffusion Models" and "diffusion model" are one keyword. Work per paper is a
   handful of C-level string and dict operations over its tokens (split, map, join, split, Counter).
2. **Acronyms**. "long form (ACRONYM)" whose words' initials spell the acronym ("Optimal Linear
   Subspace Search (OLSS)", "Mixture-of-Experts (MoE)") makes the acronym an alias: its uses count for
   the long form, which is the keyword. Definitions are counted over the corpus too, so a paper that
   only writes "LLMs" gets the corpus's usual expansion, "large language model", with "LLMs" as alias.
3. **Corpus statistics** (``CorpusStats``): the number of papers, and for each word key the number
   of papers that have it (df), plus "acronym=long form" definition counts. They are stored with the
   build (``keyword_df``, ``n_docs``) so that papers added later are scored consistently.
4. **Ranking** (``rank``). A phrase scores the sum of its words' IDF (log((N + 1) / (df + 0.5)); a
   generic noun such as "performance" weighs 0.3 of it), times factors for its length (one word 0.5,
   four 0.6, five to eight 0.3, longer 0), for being in the title (1.5), for coming early among the
   paper's phrases (up to 3) and for repetition (1 + (k - 1)); a one-word name ("RLHF", "OptMATH")
   weighs 4 times a plain word. A generic noun alone is never a keyword. Computed without Python code
   per phrase: sums of the word weights read from prefix sums at phrase ends. The settings were tuned on
   Inspec lines 1-1000 only (see benchmarks/keywords_bench.py for the held-out figures).
5. **Display**: the keyword as the paper writes it (the abstract's spelling, plural kept), with
   capitals that only mark a title or a sentence start made lower case.

Two paths compute the same keywords (tests/test_keyword_batch.py compares them):

- **Per paper**: ``candidates(title, abstract)`` -> ``DocCandidates``; ``CorpusStats.add(doc)``;
  ``rank(doc, stats)``. Some hundred microseconds a paper: CPython work per token.
- **By batch** (``etl.text.keyword_batch``, numpy): ``candidates_batch([(title, abstract), ...])`` ->
  ``BatchCandidates``; ``CorpusStats.add_batch(batch)``; ``rank_batch(batch, stats)`` -> one list of
  ``Keyword`` per paper, in order. Tens of microseconds a paper; it differs from ``rank`` only in
  displays (the first occurrence of the phrase itself) and in the order of exactly tied scores.

Use: ``extract_corpus`` for a corpus at hand (the batch path, two passes over kept candidates). A
loader that cannot keep all candidates computes them twice: first ``add_batch`` over every batch (or
over the new papers only, on stats rebuilt from storage with ``CorpusStats(n_docs, rows)``), then
``rank_batch`` over every batch. Statistics counted one way serve the other: ``CorpusStats`` holds
plain counts (``df``, ``n_docs``), whatever path filled them.
"""

from __future__ import annotations

import gc
import math
import re
import unicodedata
from collections import Counter
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from functools import lru_cache
from itertools import accumulate, chain, islice, repeat
from operator import add, mul, sub
from typing import TYPE_CHECKING, NamedTuple

if TYPE_CHECKING:
    from etl.text.keyword_batch import BatchCandidates

__all__ = [
    "BatchCandidates",
    "CorpusStats",
    "DocCandidates",
    "Keyword",
    "candidates",
    "candidates_batch",
    "display_of",
    "extract_corpus",
    "gc_paused",
    "normalize_key",
    "pick_display",
    "rank",
    "rank_batch",
    "split_alias",
]


def _words(text: str) -> list[str]:
    return text.split()


# ---------------------------------------------------------------------------------------------
# Word lists. A word in BOUNDARY_WORDS never belongs to a keyphrase; GENERIC_WORDS may sit inside one
# ("optimization method") but are never a keyword alone.

_FUNCTION_WORDS = _words(
    """
a an the this that these those such each every either neither both all any some no none not nor only
own other others another same so than too very just also as at by for from in into of off on onto
out over per to up upon via with within without about above across after against along among amongst
around before behind below beneath beside besides between beyond despite down during except inside
like near outside since through throughout toward towards under underneath unlike until unto whereas
whether while whilst and or but if then else because although though unless once thus hence
therefore however moreover furthermore additionally meanwhile nevertheless nonetheless otherwise
instead indeed namely i.e e.g ie eg etc vs versus viz cf i me my mine we us our ours ourselves you
your yours he him his she her hers it its itself they them their theirs themselves who whom whose
which what whatever whichever where when why how there here thereby therein wherein whereby thereof
be is are was were been being am have has had having do does did done doing can cannot could may
might must shall should will would ought more most less least much many few fewer several various
numerous enough quite rather almost nearly already still yet even ever never always often sometimes
usually now currently recently well far again further first second third fourth fifth finally lastly
together alone away back ahead one two three four five six seven eight nine ten eleven twelve twenty
hundred hundreds thousand thousands million millions billion billions dozen dozens half twice thrice
whereas yes nor let lets let's s t re ve ll d m o n don't can't won't isn't aren't doesn't didn't
wasn't weren't couldn't wouldn't shouldn't haven't hasn't hadn't it's that's there's here's what's
we're they're you're we've they've i'm we'll they'll nowadays owing
"""
)

# Adjectives and adverbs that qualify without naming a topic: never part of a keyphrase.
_VAGUE_WORDS = _words(
    """
novel new various different existing recent significant extensive comprehensive effective simple key
main important previous prior additional specific particular overall typical conventional original
entire whole certain given same similar strong superior promising remarkable impressive notable
substantial considerable great good better best excellent competitive state-of-the-art sota able
unable possible impossible necessary likely unlikely useful powerful efficient improved enhanced
better-performing wide wider widely broad diverse extensive challenging difficult hard easy crucial
critical essential fundamental major minor numerous relevant respective corresponding related
underlying standard basic many much various successful successfully effectively efficiently
significantly substantially considerably latest emerging growing increasing increasingly rapid
rapidly fast faster slow slower high-quality low-quality higher lower larger smaller available
interesting open non trivial nontrivial unified general broader traditional future unknown suitable
serious well-known appropriate next pure past brief last little desired greater sophisticated
straightforward former latter valuable successive popular subsequent actual proper today today's
potential priori posteriori versatile systematic expensive modern longer perfect acceptable earlier
rich simplest everyday massive vast preliminary excessive poor attractive genuine quick apparent
famous definite big so-called due ago according concerning pertaining regarding et al mr mrs ms dr
sub sup study studies paper article overview discussion way ways version year years decade decades
century centuries week weeks month months day days alternative alternatives usual well-established
distinct capable inherent stronger weaker harder easier cheaper richer deeper simpler clearer
current amenable
"""
)

# Verbs common in abstracts, as lemmas; their inflected forms are generated. A plain lemma: every form
# is a boundary. A marked lemma is also a noun, and some forms stay content words:
#   "lemma!"  base, plural and -ing forms ("model", "models", "modeling"; "plan", "planning")
#   "lemma+"  base and plural forms ("result", "results"; "-ed" and "-ing" are verbs)
#   "lemma="  the base form only ("design", "support": "supports" and "designing" are verbs)
#   "lemma~"  the -ing form only ("learning", "reasoning": "learns" is a verb)
_VERBS = _words(
    """
propose present introduce show demonstrate achieve outperform improve use utilize utilise employ
leverage apply describe discuss investigate explore examine analyze analyse evaluate compare
consider address tackle solve provide offer enable allow require make take give get yield= obtain
produce reduce increase enhance boost surpass exceed perform conduct remain become seem appear lead
suggest indicate reveal find observe note argue claim believe report= highlight emphasize emphasise
focus= aim seek attempt try help contain include involve consist comprise incorporate extend build~
create establish define formulate derive prove verify validate confirm ensure guarantee maintain
preserve capture exploit explain understand know learn~ train~ pretrain~ pre-train~ call name term=
refer denote represent predict~ determine identify select choose collect gather publish keep bring
come go move see look turn begin start stop continue tend want wish hope expect struggle suffer fail
hinder hamper restrict ignore overlook neglect face+ pose= raise persist emerge arise exist occur
happen rise grow receive facilitate promote foster encourage accelerate mitigate alleviate minimize
minimise maximize maximise bridge= unlock unleash empower inspire motivate excel contribute
correspond relate associate affect benefit= rival beat span= cover deliver serve act= adopt assess
measure+ quantify construct design= develop study inform enrich strengthen complement outline
summarize summarise review= survey= generate integrate combine adapt~ fine-tune~ finetune~ tune~
deploy operate depend rely lie attain accomplish realize realise rank! simplify scale! handle
compose treat cause demand+ prevent avoid overcome resolve remove eliminate add augment replace
supplement transfer! transform convert translate map! process! support= structure+ base lag trail
approach+ assume suppose prefer decide manage miss regard necessitate entail outpace underperform
outstrip detail= showcase exhibit possess display= lower elevate open close enter leave own put set+
hold run= write read speak say tell ask answer! discover incur retain regain recover broaden narrow
shorten lengthen widen deepen rethink revisit reconsider reformulate recast frame+ pave spur fuel
drive! enforce impose induce inject insert embed~ curate annotate label! filter! sample! guide=
reason~ optimize optimise generalize generalise align~ extract refine synthesize synthesise advance+
balance= interpret simulate interact follow detect fill reconstruct uncover encode~ decode~ infer
distill distil reflect retrieve meet execute unify illustrate recognize recognise correct assist
perceive evolve fall prioritize distinguish automate formalize compress stabilize conclude
hypothesize devise acquire elicit characterize decouple edit~ expand push= reach store= comprehend
update+ probe+ steer draw assign delve shift+ express modify engage anticipate render~ reproduce
disentangle respond categorize fit break carry suppress adjust organize posit initialize expose
advocate connect reinforce trace+ manipulate adhere equip teach fuse aggregate differ collaborate
vary change+ envision navigate link+ instantiate allocate locate judge accept replicate buy combat
track! plan! search! model! test! code! prompt~ merge~ ground~ condition~ prune~ compute~ control!
schedule! forecast! cluster! mine~ manufacture! program! rate+ value+ weight! price! cost+ need+
result+ limit+ impact+ work+ question+ experiment+ output+ input+ feature+ score! task+ target+
demo+ list+ group! order! form+ range+ layer+ type+ view+ word+ record! count! place+ reward+
return+ share~ function+ assure permit= spend dominate play satisfy imply send notify invalidate
deal= concern= estimate+ mean+ decline+ grant+ arrange implement influence= stem= constitute win
invest experience= witness hinge think calibrate omit encompass alternate trigger= shed mimic defy
refrain hallucinate~ lack release match~ recompute
"""
)

_IRREGULAR_VERB_FORMS = _words(
    """
made taken given shown found built led known ran brought came become became got gotten seen saw held
kept left meant sought thought told understood wrote written chosen drawn grown undertaken arisen
begun began done did went gone put set let lain lay paid said spoke spoken stood won hidden taught
caught dealt fed felt fought forgot forgotten heard lost met sent spent split spread struck swept
thrown withheld underwent overcame overcome outgrew rose risen fell fallen broke broken froze frozen
learnt spelt dreamt burnt bought
"""
)

# Nouns and adjectives too generic to be a keyword alone ("approach", "results"); they may end a
# longer keyphrase ("optimization method") but never start one.
GENERIC_WORDS = frozenset(
    _words(
        """
    approach approaches method methods methodology result results paper papers work works performance
    task tasks model models framework frameworks system systems problem problems technique techniques
    solution solutions way ways strategy strategies study studies analysis experiment experiments data
    dataset datasets benchmark benchmarks evaluation evaluations application applications algorithm
    algorithms process processes procedure procedures issue issues challenge challenges question
    questions effect effects impact impacts improvement improvements advantage advantages limitation
    limitations capability capabilities ability abilities quality efficiency effectiveness accuracy
    number numbers set sets type types kind kinds form forms part parts level levels range ranges
    variety amount amounts case cases example examples instance instances step steps stage stages aspect
    aspects factor factors feature features property properties component components element elements
    information knowledge research researchers field fields area areas domain domains setting settings
    scenario scenarios environment environments condition conditions context contexts baseline baselines
    state art use usage user users time times terms term fact need needs goal goals objective objectives
    purpose purposes idea ideas concept concepts insight insights finding findings contribution
    contributions point points order manner means basis base detail details version versions variant
    variants design designs development developments implementation implementations experimental
    empirical theoretical practical code codes gain gains cost costs trade-off tradeoff trade-offs
    tradeoffs outcome outcomes output outputs input inputs value values rate rates error errors score
    scores metric metrics measure measures mechanism mechanisms module modules operation operations tool
    tools resource resources improvement world real-world practice practices lot lots yield yields
    demand demands interest people person human humans researcher scheme schemes family families
    principle principles situation situations nature means effort efforts combination combinations
    subject subjects item items extension extensions paradigm paradigms perspective perspectives
    comparison comparisons notion notions fashion difficulty difficulties direction directions statement
    statements suite
    """
    )
)

# "-ly" words that are not adverbs.
_LY_NOUNS = frozenset(
    _words(
        """
    family assembly anomaly supply poly italy reply apply multiply monopoly oligopoly butterfly firefly
    early daily weekly monthly yearly quarterly hourly elderly bully rally tally jelly belly lily holly
    ally fly rely imply comply july homily melancholy disassembly underbelly anomaly friendly
    """
    )
)


def _verb_forms(lemma: str) -> tuple[list[str], list[str]]:
    """(forms that are boundaries, forms that stay content words) of a lemma marked as in ``_VERBS``."""
    marker = lemma[-1] if lemma[-1] in "!+=~" else ""
    lemma = lemma.rstrip("!+=~")
    if lemma.endswith(("s", "x", "z", "ch", "sh")):
        third = lemma + "es"
    elif lemma.endswith("y") and lemma[-2:-1] not in "aeiou":
        third = lemma[:-1] + "ies"
    else:
        third = lemma + "s"
    past = []
    if lemma.endswith("e"):
        past.append(lemma + "d")
        ing = [lemma[:-1] + "ing"]
    elif lemma.endswith("y") and lemma[-2:-1] not in "aeiou":
        past.append(lemma[:-1] + "ied")
        ing = [lemma + "ing"]
    else:
        past.append(lemma + "ed")
        ing = [lemma + "ing"]
        # Doubled final consonant (plan -> planned, run -> running) for short closed syllables.
        if (
            len(lemma) <= 4
            and lemma[-1] not in "aeiouwxy"
            and lemma[-2] in "aeiou"
            and lemma[-3:-2] not in "aeiou"
        ):
            past.append(lemma + lemma[-1] + "ed")
            ing.append(lemma + lemma[-1] + "ing")
    if marker == "!":
        return past, [lemma, third, *ing]
    if marker == "+":
        return [*past, *ing], [lemma, third]
    if marker == "=":
        return [third, *past, *ing], [lemma]
    if marker == "~":
        return [lemma, third, *past], ing
    return [lemma, third, *past, *ing], []


_VERB_BOUNDARIES: set[str] = set()
_VERB_CONTENT: set[str] = set()
for _lemma in _VERBS:
    _boundary_forms, _content_forms = _verb_forms(_lemma)
    _VERB_BOUNDARIES.update(_boundary_forms)
    _VERB_CONTENT.update(_content_forms)
_VERB_BOUNDARIES.update(_IRREGULAR_VERB_FORMS)

# A word is a boundary when some list says so and no noun reading keeps it ("use" is both a verb and
# a generic noun: as a boundary it does less harm).
BOUNDARY_WORDS = (
    frozenset(_FUNCTION_WORDS)
    | frozenset(_VAGUE_WORDS)
    | (frozenset(_VERB_BOUNDARIES) - _VERB_CONTENT - (GENERIC_WORDS - {"use", "uses", "used", "using"}))
)

# ---------------------------------------------------------------------------------------------
# Tokens and their classes.

# Text is cut at white space only (str.split, in C); punctuation stays attached to the words and the
# token's cached key turns it into boundaries: "(LLMs)," -> "|llm|", "input/output" -> "input|output".
# A dot between digits is part of a word ("Qwen2.5-VL", "GPT-4.5"); elsewhere it is punctuation.
_PUNCTUATION = re.compile(r"(?:[^\w\s'’.-]|(?<!\d)\.|\.(?!\d))+|_+")
# Within a token, also: two hyphens (a dash), and a hyphen before a conjunction or preposition that
# ends the token, which glues two words a missing space ran together ("DeepSeekR1-with",
# "reasoning-and"): no keyword holds them. (Acronym definitions are read with _PUNCTUATION.)
_TOKEN_PUNCTUATION = re.compile(
    r"(?:[^\w\s'’.-]|(?<!\d)\.|\.(?!\d)|-{2,}|-(?=(?i:with|and|or|for|of|the|from|by|without|via|than)\W*$))+|_+"
)
_NUMBERISH = re.compile(r"\d[\d.,]*(?:st|nd|rd|th|times|[a-z])?")  # "10th", "7b", "0.5b", "4k", "1080p"
_HAS_LETTER = re.compile(r"[^\W\d_]")

# Suffixes that only verbs have (at six letters or more: "size" and "prizes" are nouns).
_VERB_SUFFIXES = ("ize", "izes", "izing", "yze", "yzes", "yzing", "ify", "ifies", "ifying")
BOUNDARY = "|"  # the key of every boundary


def _is_boundary(word: str) -> bool:
    """Whether a word (no punctuation around it) can be no part of a keyphrase."""
    token = word.lower()
    if token in BOUNDARY_WORDS or len(token) < 2 or not _HAS_LETTER.search(token):
        return True
    if len(token) >= 6 and token.endswith(_VERB_SUFFIXES) and "-" not in token:
        return True  # "characterize", "simplifies", "optimizing"
    if token.endswith("ly") and len(token) > 4 and token not in _LY_NOUNS and "-" not in token:
        return True  # adverbs
    if token[0].isdigit():
        # "3D", "3DGS", "4-bit" are content; "10th", "7B", "0.5B-32B", "4K" are not worth a keyword.
        return all(part == "" or _NUMBERISH.fullmatch(part) for part in token.split("-")) and token[-1] != "d"
    return False


def _token_key(token: str) -> str:
    """The key of a white-space token: its words' keys, with BOUNDARY for punctuation and for words
    that cannot be part of a keyphrase."""
    if "://" in token or token.startswith(("www.", "(www.", "(http")):
        return BOUNDARY  # a link: no words of the paper's topic
    pieces = _TOKEN_PUNCTUATION.split(token.replace("’", "'"))
    keys = []
    for piece in pieces:
        word = piece.strip("-'")
        if piece.endswith("'") and word.endswith("s") and not piece.endswith("''"):
            keys.append(_SINGULARS[word] if not _is_boundary(word) else BOUNDARY)  # "LLMs' robustness"
            keys.append(BOUNDARY)
        elif word.endswith("'s"):
            # "GPT-4o's results": the name, then a boundary ("Alzheimer's disease" is lost); "system's",
            # "it's": a boundary
            base = word[:-2]
            if base and not base[0].islower() and not _is_boundary(base):
                keys.append(_SINGULARS[base])
            keys.append(BOUNDARY)
        elif not word or _is_boundary(word):
            keys.append(BOUNDARY)
        elif _is_name(word):
            keys.append(_SINGULARS[word] + _NAME)
        elif len(word) > 4 and word.endswith("ed") and not word.endswith("eed"):
            keys.append(_SINGULARS[word] + _PARTICIPLE)
        else:
            keys.append(_SINGULARS[word])
    return BOUNDARY.join(keys)


_PARTICIPLE = "\x01"  # marks the key of an -ed word until the phrases are cut
_TRAILING = "\x02"
_NAME = "\x03"  # marks the key of a name ("OLSS", "OptMATH", "GPT-4o") until the phrases are cut


def _is_name(word: str) -> bool:
    """A capital after the first letter ("LLMs", "ViT"), or letters and digits ("R1-VL", "Qwen2");
    from a digit on, two capitals ("3DGS", but not "3D" or "4-bit")."""
    if word[0].isdigit():
        return sum(map(str.isupper, word)) >= 2
    if word[1:] != word[1:].lower():
        return True
    return len(word) > 2 and any(map(str.isdigit, word)) and _HAS_LETTER.search(word) is not None


# Entries per token cache (the common tokens come back within a few thousand papers after a clear;
# the batch path asks only for tokens new to its vocabulary).
TOKEN_CACHE_LIMIT = 100_000


class _TokenCache(dict[str, str]):
    """Token -> ``compute(token)``, computed once and cached; emptied when it holds
    ``TOKEN_CACHE_LIMIT`` tokens (a cache, not a leak: the common tokens come back as used).

    Used through ``map(cache.__getitem__, tokens)``: a token seen before costs no Python code.
    """

    def __init__(self, compute: Callable[[str], str]) -> None:
        super().__init__()
        self.compute = compute

    def __missing__(self, token: str) -> str:
        value = self.compute(token)
        if len(self) >= TOKEN_CACHE_LIMIT:
            self.clear()
        self[token] = value
        return value


# ---------------------------------------------------------------------------------------------
# Singular forms.

_SINGULAR_EXCEPTIONS = {
    "series": "series",
    "species": "species",
    "news": "news",
    "physics": "physics",
    "mathematics": "mathematics",
    "statistics": "statistics",
    "economics": "economics",
    "robotics": "robotics",
    "dynamics": "dynamics",
    "kinematics": "kinematics",
    "semantics": "semantics",
    "linguistics": "linguistics",
    "graphics": "graphics",
    "electronics": "electronics",
    "analytics": "analytics",
    "genomics": "genomics",
    "ethics": "ethics",
    "logistics": "logistics",
    "optics": "optics",
    "mechanics": "mechanics",
    "politics": "politics",
    "informatics": "informatics",
    "bias": "bias",
    "gas": "gas",
    "lens": "lens",
    "canvas": "canvas",
    "chaos": "chaos",
    "cosmos": "cosmos",
    "kudos": "kudos",
    "pancreas": "pancreas",
    "always": "always",
    "whereas": "whereas",
    "perhaps": "perhaps",
    "ethos": "ethos",
    "pathos": "pathos",
    "atlas": "atlas",
    "alias": "alias",
    "data": "data",
    "criteria": "criterion",
    "phenomena": "phenomenon",
    "indices": "index",
    "matrices": "matrix",
    "vertices": "vertex",
    "appendices": "appendix",
    "analyses": "analysis",
    "hypotheses": "hypothesis",
    "theses": "thesis",
    "syntheses": "synthesis",
    "diagnoses": "diagnosis",
    "axes": "axis",
    "bases": "basis",
    "crises": "crisis",
    "children": "child",
    "people": "people",
    "men": "man",
    "women": "woman",
    "feet": "foot",
    "teeth": "tooth",
    "mice": "mouse",
    "geese": "goose",
    "leaves": "leaf",
    "halves": "half",
    "shelves": "shelf",
    "wolves": "wolf",
    "lives": "life",
    "knives": "knife",
    "wives": "wife",
    "thieves": "thief",
    "selves": "self",
    "movies": "movie",
    "cookies": "cookie",
    "zombies": "zombie",
    "ties": "tie",
    "lies": "lie",
    "pies": "pie",
    "dies": "die",
    "gases": "gas",
    "biases": "bias",
    "lenses": "lens",
    "aliases": "alias",
    "buses": "bus",
    "viruses": "virus",
    "corpora": "corpus",
    "schemata": "schema",
    "stimuli": "stimulus",
    "radii": "radius",
    "nuclei": "nucleus",
    "loci": "locus",
    "foci": "focus",
    "cacti": "cactus",
    "fungi": "fungus",
    "alumni": "alumnus",
    "formulae": "formula",
    "antennae": "antenna",
    "vertebrae": "vertebra",
    "larvae": "larva",
}
_KEEP_S_ENDINGS = ("ss", "us", "is", "ics", "ous", "'s")


_SILENT_E_CHES = (
    "caches",
    "niches",
    "avalanches",
    "headaches",
    "cliches",
    "psyches",
    "quiches",
    "moustaches",
)


def _singular(word: str) -> str:
    """The singular of a lower-case noun by rule; words that do not look plural come back unchanged."""
    found = _SINGULAR_EXCEPTIONS.get(word)
    if found is not None:
        return found
    if len(word) < 4 or not word.endswith("s") or word.endswith(_KEEP_S_ENDINGS):
        return word
    if "-" in word:  # "mixture-of-experts" stays, "large-models" -> last part
        head, _, last = word.rpartition("-")
        return head + "-" + _singular(last) if len(last) >= 4 else word
    if word.endswith("ies") and len(word) > 4:
        return word[:-3] + "y"
    if word.endswith(_SILENT_E_CHES):
        return word[:-1]  # "caches", "niches"
    if word.endswith("zzes"):
        return word[:-3]  # "quizzes"
    if word.endswith(("sses", "xes", "ches", "shes")):
        return word[:-2]
    if word.endswith("oes") and word not in ("shoes", "canoes"):
        return word[:-2]
    return word[:-1]


_ACRONYM_PLURAL = re.compile(r"[A-Z][A-Z0-9-]*[A-Z0-9]s")


def _singular_token(token: str) -> str:
    """The key of one word: lower case and singular ("Models" -> "model", "LLMs" -> "llm", "NeRFs" ->
    "nerf"); acronyms and names keep their letters ("OLSS", "ConvNeXt")."""
    lower = token.lower()
    if len(token) > 2 and token[-1] == "s" and token[-2].isupper():
        return lower[:-1]  # "LLMs", "GANs", "NeRFs"
    if not _title_cased(token):
        return lower  # a capital inside a word: an acronym or a name, not a plural form
    return _singular(lower)


_SINGULARS = _TokenCache(_singular_token)  # original-case token -> lower-case singular key part
_KEYS = _TokenCache(_token_key)  # token as written -> its key


def clear_token_caches() -> None:
    """Empty the token caches (a process done with extraction gives their memory to what follows)."""
    _SINGULARS.clear()
    _KEYS.clear()
    _PHRASE_KEYS.clear()


# ---------------------------------------------------------------------------------------------
# Acronym definitions: "long form (ACRONYM)".

# The acronym: a word with at least two capitals (or a capital and a digit), at most 12 characters,
# optionally plural; the long form is read back from the text before the parenthesis.
_ACRONYM_DEFINITION = re.compile(r"\(\s*((?=[\w-]*[A-Z][\w-]*[A-Z0-9])[A-Za-z][\w-]{1,11})\s*[),;]")
_ACRONYM_SKIPPABLE = frozenset(
    ["of", "for", "from", "and", "in", "on", "the", "to", "with", "a", "an", "by", "via"]
)


@lru_cache(maxsize=65536)
def _acronym_letters(acronym: str) -> str:
    """The letters an acronym abbreviates: lower case, without a plural s, digits and hyphens."""
    if _ACRONYM_PLURAL.fullmatch(acronym):
        acronym = acronym[:-1]
    return "".join(ch for ch in acronym.lower() if ch.isalpha())


def _match_initials(letters: str, words: list[str]) -> int:
    """How many trailing ``words`` spell ``letters`` (0 when they do not).

    Every content word must give the next letter by its initial and may give more letters from inside
    it, in order ("Vision Transformer" -> ViT, "Time-of-Flight" -> ToF); small words ("of", "for") may
    be skipped. The long form must end at the last word. Searched right to left, shortest first.
    """
    # States known to fail keep the search polynomial. (A module-level helper, not a closure: a
    # recursive closure is a reference cycle, left for the cyclic garbage collector to free.)
    lowered = [word.lower() for word in words]
    return _consume(letters, lowered, set(), len(letters), len(words) - 1)


def _consume(
    letters: str, lowered: list[str], seen: set[tuple[int, int]], letter_end: int, word_index: int
) -> int:
    """Words used when ``letters[:letter_end]`` are spelled by ``lowered[:word_index + 1]``."""
    if letter_end == 0:
        return len(lowered) - word_index - 1
    if word_index < 0 or (letter_end, word_index) in seen:
        return 0
    seen.add((letter_end, word_index))
    lower = lowered[word_index]
    if lower in _ACRONYM_SKIPPABLE:
        found = _consume(letters, lowered, seen, letter_end, word_index - 1)
        if found:
            return found
    # This word gives letters[k:letter_end] with letters[k] its initial, the rest inside it in order.
    for start in range(letter_end - 1, -1, -1):
        if letters[start] != lower[0]:
            continue
        if _letters_inside(letters[start + 1 : letter_end], lower[1:]):
            found = _consume(letters, lowered, seen, start, word_index - 1)
            if found:
                return found
    return 0


def _letters_inside(letters: str, rest: str) -> bool:
    position = 0
    for letter in letters:
        position = rest.find(letter, position) + 1
        if position == 0:
            return False
    return True


def _acronym_definitions(text: str) -> list[tuple[str, list[str]]]:
    """(acronym as written, long-form words as written) for each definition found in ``text``.

    The long form is read from the words just before the parenthesis, in the text with its white
    space normalized (``text`` need not be: only the part read is normalized)."""
    found = []
    for match in _ACRONYM_DEFINITION.finditer(text):
        acronym = match.group(1)
        long_words = _long_form(text, match.start(), _acronym_letters(acronym))
        if long_words:
            found.append((acronym, long_words))
    return found


def _long_form(text: str, start: int, letters: str) -> list[str] | None:
    """The words before ``text[start]`` (an acronym's parenthesis) whose initials spell ``letters``:
    one word per letter (the common case), else as ``_match_initials`` finds them."""
    size = len(letters)
    if not 2 <= size <= 10:
        return None
    return _long_form_of(letters, _words_before(text, start, 16 * size + 40, size + 4))


def _long_form_of(letters: str, window: list[str]) -> list[str] | None:
    """The last words of ``window`` whose initials spell ``letters`` (see ``_long_form``)."""
    size = len(letters)
    tail = window[-size:]
    if len(tail) == size and "".join([word[0] for word in tail]).lower() == letters:
        return tail
    used = _match_initials(letters, window)
    return window[len(window) - used :] if used else None


def _words_before(text: str, end: int, width: int, count: int) -> list[str]:
    """The last ``count`` words of the ``width`` characters before ``end`` in the white-space-normalized
    text, after its last punctuation (a long form does not cross punctuation)."""
    part = text[max(0, end - width - 1) : end]
    words = part.split()
    if len(words) > count and len(part) - sum(map(len, words)) == (
        len(words) - 1 + part[:1].isspace() + part[-1:].isspace()
    ):
        # The common case: no run of white space, so the part is the normalized text (the first word,
        # maybe cut by the window, is not among the last ``count``).
        words = words[-count:]
    else:
        reach = 3 * width
        while True:
            begin = max(0, end - reach)
            part = text[begin:end]
            normalized = " ".join(part.split()) + (" " if part[-1:].isspace() else "")
            if begin == 0 or len(normalized) > width:
                break
            reach *= 4  # white space took most of the part read
        words = normalized[-width:].split()[-count:]
    joined = "".join(words)
    if joined.isalnum() or joined.replace("-", "").replace("'", "").replace("’", "").isalnum():
        return words  # no punctuation ("alphanumeric" is the pattern's \w without "_")
    tail = " ".join(words)
    for match in reversed(list(_PUNCTUATION_CANDIDATE.finditer(tail))):
        cut = match.start()
        if tail[cut] != "." or not (tail[cut - 1 : cut].isdigit() and tail[cut + 1 : cut + 2].isdigit()):
            return tail[cut + 1 :].split()  # what follows the last punctuation (as _PUNCTUATION cuts)
    return words


# A character that may be punctuation to _PUNCTUATION: all of them, and dots (punctuation unless
# between digits). Much faster to search than _PUNCTUATION itself.
_PUNCTUATION_CANDIDATE = re.compile(r"[^\w\s'’-]|_")


def _acronym_definitions_reference(text: str) -> list[tuple[str, list[str]]]:
    """``_acronym_definitions`` as first written, on white-space-normalized text (tests compare them)."""
    found = []
    for match in _ACRONYM_DEFINITION.finditer(text):
        acronym = match.group(1)
        letters = _acronym_letters(acronym)
        size = len(letters)
        if not 2 <= size <= 10:
            continue
        start = match.start()
        before = _PUNCTUATION.split(text[max(0, start - 16 * size - 40) : start])[-1]
        window = before.split()[-(size + 4) :]
        tail = window[-size:]
        if len(tail) == size and "".join([word[0] for word in tail]).lower() == letters:
            used = size
        else:
            used = _match_initials(letters, window)
        if used:
            found.append((acronym, window[len(window) - used :]))
    return found


# ---------------------------------------------------------------------------------------------
# Public data types.


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


class Keyword(NamedTuple):
    """One ranked keyphrase of a paper. A named tuple: the batch path makes millions of them, and a
    tuple is made in C (``tuple.__new__(Keyword, fields)``) at a third of a dataclass's cost."""

    key: str  # normalized: lower case, singular, acronym resolved ("large language model")
    display: str  # as the paper writes it, with the title's and the sentence's capitals undone
    score: float
    aliases: tuple[str, ...] = ()  # acronyms standing for it, as written ("LLMs")


class CorpusStats:
    """Corpus statistics: the number of papers and how many of them have each word (df).

    ``df`` also counts acronym definitions, under keys "acronym=long form" ("llm=large language
    model"; no word contains "="). A corpus usually expands an acronym one way, so a paper that only
    writes "LLMs" gets the keyword "large language model" (``expansion``).

    Store ``n_docs`` and ``rows()`` (tables ``build_info`` and ``keyword_df``) and rebuild with
    ``CorpusStats(n_docs, rows)`` to score later papers consistently; ``add`` the new papers first.
    """

    __slots__ = ("_acronyms", "_arrays", "_expansions", "_word_weights", "df", "n_docs")

    def __init__(self, n_docs: int = 0, df: Mapping[str, int] | Iterable[tuple[str, int]] = ()) -> None:
        if n_docs < 0:
            raise ValueError(f"n_docs must not be negative, got {n_docs}")
        self.n_docs = n_docs
        self.df: Counter[str] = Counter(dict(df))
        self._acronyms: dict[str, Counter[str]] = {}
        for key, count in self.df.items():
            if "=" in key:
                acronym, _, long_key = key.partition("=")
                self._acronyms.setdefault(acronym, Counter())[long_key] = count
        self._arrays: object = None  # the batch path's arrays (etl.text.keyword_batch), kept by add_batch
        self._forget()

    def _forget(self) -> None:
        self._word_weights: _WordWeights | None = None
        self._expansions: dict[str, str] | None = None

    @classmethod
    def adopt(cls, n_docs: int, df: Counter[str]) -> CorpusStats:
        """Statistics over ``df`` itself, not a copy: a Counter subclass may keep only some counts in
        memory and answer the others from storage (its ``__missing__``; ``etl.pipeline.parallel`` does).
        Expansions are computed from the "acronym=long form" keys in memory: those of every acronym
        that a long form defines in two papers or more must be (no other acronym has an expansion)."""
        stats = cls(n_docs)
        stats.df = df
        for key, count in dict.items(df):
            if "=" in key:
                acronym, _, long_key = key.partition("=")
                stats._acronyms.setdefault(acronym, Counter())[long_key] = count
        return stats

    def add(self, doc: DocCandidates) -> None:
        """Count one more paper."""
        self.n_docs += 1
        self.df.update(doc.df_keys())
        for acronym, long_key in doc.acronyms.items():
            self._acronyms.setdefault(acronym, Counter())[long_key] += 1
        self._arrays = None
        if self._word_weights is not None or self._expansions is not None:
            self._forget()

    def add_batch(self, batch: BatchCandidates) -> None:
        """Count every paper of a batch from ``candidates_batch`` (as ``add`` for each)."""
        from etl.text.keyword_batch import add_batch

        add_batch(self, batch)

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

    def word_weights(self) -> _WordWeights:
        """Word key -> its weight in a phrase's score (IDF), computed on first use and cached."""
        if self._word_weights is None:
            self._word_weights = _WordWeights(self.n_docs, self.df)
        return self._word_weights


GENERIC_WEIGHT = 0.3  # a generic word ("performance", "model") weighs this share of its IDF
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
    joined = " ".join(map(_KEYS.__getitem__, tokens)).replace(" |", "|").replace("| ", "|")
    if _PARTICIPLE in joined:
        joined = _drop_trailing_participles(joined)
    if _NAME in joined:
        _collect_names(joined, names)
        joined = joined.replace(_NAME, "")
    return [*filter(None, joined.split(BOUNDARY))]


def _collect_names(joined: str, names: set[str]) -> None:
    """Add the one-word phrases of ``joined`` whose key carries the mark _NAME to ``names``."""
    end = joined.find(_NAME)
    while end >= 0:
        if end + 1 == len(joined) or joined[end + 1] == BOUNDARY:
            start = max(joined.rfind(BOUNDARY, 0, end), joined.rfind(" ", 0, end)) + 1
            if start == 0 or joined[start - 1] == BOUNDARY:
                names.add(joined[start:end])
        end = joined.find(_NAME, end + 1)


def _drop_trailing_participles(joined: str) -> str:
    """A phrase does not end in an -ed form: "resources invested" -> "resource". The key of an -ed
    word carries the mark _PARTICIPLE; marks inside a phrase ("supervised learning") are dropped."""
    joined = (
        (joined + BOUNDARY).replace(_PARTICIPLE + BOUNDARY, _TRAILING + BOUNDARY).replace(_PARTICIPLE, "")
    )
    if _TRAILING in joined:
        pieces = joined.split(_TRAILING)
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
    for acronym, long_words in _acronym_definitions(text):
        acronym_key = _SINGULARS[acronym]
        long_key = " ".join(map(_SINGULARS.__getitem__, long_words))
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


def normalize_key(phrase: str) -> str:
    """The key of any phrase, e.g. a keyword a source gives: "Diffusion Models" -> "diffusion model".

    A trailing parenthesized acronym is an alias and is dropped: "large language models (LLMs)" ->
    "large language model" (``split_alias`` returns it too).
    """
    return _PHRASE_KEYS[phrase]


_ALIAS = re.compile(r"(.+?)\s*\(\s*([^()]+?)\s*\)")


# Keys of whole phrases (sources give the same few thousand keywords in paper after paper).
_PHRASE_KEYS = _TokenCache(lambda phrase: split_alias(phrase)[0])


def split_alias(phrase: str) -> tuple[str, str | None]:
    """(key, alias or None): "Adaptive Parallel Reasoning (APR)" -> ("adaptive parallel reasoning",
    "APR"); "LLMs" -> ("llm", None)."""
    phrase = " ".join(phrase.split())
    alias = None
    match = _ALIAS.fullmatch(phrase)
    if match:
        phrase, alias = match.group(1), match.group(2)
    words = [word.strip("-'") for word in _TOKEN_PUNCTUATION.sub(" ", phrase.replace("’", "'")).split()]
    return " ".join(_SINGULARS[word] for word in words if word), alias


# ---------------------------------------------------------------------------------------------
# Ranking.

TITLE_BOOST = 0.5  # a phrase of the title weighs 1 + TITLE_BOOST times more
POSITION_BOOST = 2.0  # the n-th distinct phrase of a paper weighs 1 + POSITION_BOOST * S / (S + n) more
POSITION_SCALE = 15.0  # S
PHRASE_TF = 1.0  # a phrase written k times weighs 1 + PHRASE_TF * (k - 1) times more
LENGTH_FACTORS = (0.5, 1.0, 1.0, 0.6)  # phrase weight factor by number of words, 1 to 4
LONG_FACTOR = 0.3  # five words or more
MAX_WORDS = 8  # a longer run of words is no keyphrase (a list of names, a run-on title)
NAME_FACTOR = 4.0  # a one-word phrase written as a name weighs this much more than another word


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
    ends = list(accumulate(map(add, spaces, repeat(1))))
    words = doc.phrase_words if tf is doc.tf else " ".join(keys).split(" ")
    prefix = [0.0, *accumulate(map(stats.word_weights().__getitem__, words))]
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
                return _readable(written.split(" "), False, opens)
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
                    return _readable(text[position:end].split(" "), position < abstract_start, opens)
            position = lower.find(needle, position + 1)
    return key


_SENTENCE_ENDS = frozenset(".!?")


def _is_word_char(char: str) -> bool:
    return char.isalnum() or char in ("-", "'", "_")


def _key_of(surface: str, size: int) -> str:
    words = surface.split(" ")
    if len(words) != size:
        return ""
    return " ".join([_SINGULARS[word.strip("-'")] for word in words])


def _readable(surface: list[str], from_title: bool, opens_sentence: bool) -> str:
    """Keep capitals that carry meaning (acronyms, "LLaMA", names inside a sentence); lower those of
    a title and of a sentence's first words."""
    text = " ".join(surface)
    if text.islower():
        return text
    words = []
    lowering = from_title or opens_sentence
    for token in surface:
        token = token.strip("-'") or token
        if token[1:] != token[1:].lower() and not _title_cased(token):
            words.append(token)  # acronym or mixed case
            lowering = from_title
        elif lowering and token[:1].isupper():
            words.append(token.lower())
        else:
            words.append(token)
            lowering = from_title
    return " ".join(words)


def _title_cased(token: str) -> bool:
    """ "Semi-Parametric": every hyphen part a capital and lower-case letters."""
    return all(part[1:] == part[1:].lower() for part in token.split("-"))


# ---------------------------------------------------------------------------------------------
# Whole corpora.


def pick_display(displays: Iterable[str]) -> str:
    """The display of a keyword over a corpus, from the displays of its papers: the most common one;
    on a tie the one with fewer capitals, then the first in alphabetical order."""
    counts = Counter(displays)
    if not counts:
        raise ValueError("pick_display needs at least one display")
    return min(counts, key=lambda display: (-counts[display], sum(ch.isupper() for ch in display), display))


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


def candidates_batch(docs: Sequence[tuple[str | None, str | None]]) -> BatchCandidates:
    """Candidates of many papers, (title, abstract) each, as arrays: see ``etl.text.keyword_batch``."""
    from etl.text.keyword_batch import candidates_batch as batch_candidates

    return batch_candidates(docs)


def rank_batch(batch: BatchCandidates, stats: CorpusStats, top: int = 10) -> list[list[Keyword]]:
    """The ``top`` keyphrases of each paper of ``batch``, best first: see ``etl.text.keyword_batch``."""
    from etl.text.keyword_batch import rank_batch as batch_rank

    return batch_rank(batch, stats, top)


def __getattr__(name: str) -> object:
    if name == "BatchCandidates":  # defined with the batch path, which imports this module
        from etl.text.keyword_batch import BatchCandidates

        return BatchCandidates
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
