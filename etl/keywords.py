"""Keyphrases for paper abstracts: unsupervised, offline, and fast enough for all of arXiv.

The algorithm, in short:

1. **Candidates** (``candidates``). The title and abstract are cut into tokens by one regex; a token
   is a *boundary* when it is punctuation, a number, a function word, a common verb form, an ``-ly``
   adverb or a vague adjective ("novel", "various"). The runs of tokens between boundaries are the
   candidate phrases (a cheap stand-in for noun-phrase chunks, with no tagger to load). Runs longer
   than ``MAX_WORDS`` are also cut into their leading and trailing parts. A phrase's *key* is its lower-case form with the last
   word made singular, so "Diffusion Models" and "diffusion model" are one keyword.
2. **Acronyms**. A definition "long form (ACRONYM)" whose words' initials spell the acronym makes
   the acronym an alias of the long form: its occurrences count for the long form, which is the
   keyword. Definitions are also counted over the corpus (``CorpusStats.acronyms``), so a paper that
   says only "LLMs" gets the keyword of the corpus's usual expansion, "large language model".
3. **Corpus statistics** (``CorpusStats``): the number of documents and, for every phrase key and
   every word, the number of documents that contain it (df).
4. **Ranking** (``rank``). A word's weight is its frequency in the paper times its inverse document
   frequency; a phrase scores the sum of its words' weights (so specific multi-word phrases win over
   their single words), boosted when it occurs in the title or early, and when the phrase as a whole is
   rare in the corpus. Generic words ("approach", "performance", ...) cannot be a keyword on their own.
   The best phrases are kept, skipping one that merely repeats a better one.

The loader computes candidates per paper, accumulates ``CorpusStats`` over the corpus (first pass, or
stored counts plus the new papers) and ranks each paper against the stats (second pass).
``extract_corpus`` does both passes for an iterable of documents.
"""

from __future__ import annotations

import math
import re
from collections import Counter
from dataclasses import dataclass, field
from itertools import compress
from typing import Iterable, Iterator

__all__ = [
    "CorpusStats",
    "DocCandidates",
    "Keyword",
    "candidates",
    "extract_corpus",
    "normalize_key",
    "rank",
]

# ---------------------------------------------------------------------------------------------
# Word lists. A word in BOUNDARY_WORDS never belongs to a keyphrase; GENERIC_WORDS may sit inside one
# ("optimization method") but are never a keyword alone.

_FUNCTION_WORDS = """
a an the this that these those such each every either neither both all any some no none not nor only
own other others another same so than too very just also as at by for from in into of off on onto out
over per to up upon via with within without about above across after against along among amongst
around before behind below beneath beside besides between beyond despite down during except inside
like near outside since through throughout toward towards under underneath unlike until unto whereas
whether while whilst and or but if then else because although though unless once thus hence therefore
however moreover furthermore additionally meanwhile nevertheless nonetheless otherwise instead indeed
namely i.e e.g ie eg etc vs versus viz cf i me my mine we us our ours ourselves you your yours he him
his she her hers it its itself they them their theirs themselves who whom whose which what whatever
whichever where when why how there here thereby therein wherein whereby thereof be is are was were
been being am have has had having do does did done doing can cannot could may might must shall should
will would ought more most less least much many few fewer several various numerous enough quite rather
almost nearly already still yet even ever never always often sometimes usually now currently recently
well far again further first second third fourth fifth finally lastly together alone away back ahead
one two three four five six seven eight nine ten eleven twelve twenty hundred hundreds thousand
thousands million millions billion billions dozen dozens half twice thrice
whereas yes nor let lets let's s t re ve ll d m o n
""".split()

# Adjectives and adverbs that qualify without naming a topic: never part of a keyphrase.
_VAGUE_WORDS = """
novel new various different existing recent significant extensive comprehensive effective
simple key main important previous prior additional specific particular overall typical
conventional original entire whole certain given same similar strong superior promising remarkable
impressive notable substantial considerable great good better best excellent competitive
state-of-the-art sota able unable possible impossible necessary likely unlikely useful powerful
efficient improved enhanced better-performing wide wider widely broad diverse extensive
challenging difficult hard easy crucial critical essential fundamental major minor numerous
relevant respective corresponding related underlying standard basic many much various
successful successfully effectively efficiently significantly substantially considerably
latest emerging growing increasing increasingly rapid rapidly fast faster slow slower
high-quality low-quality higher lower larger smaller
available interesting open non trivial nontrivial unified general broader
traditional future unknown suitable serious well-known appropriate next pure past brief last little
desired greater sophisticated straightforward former latter valuable successive popular subsequent
actual proper today today's potential priori posteriori versatile systematic expensive modern longer
perfect acceptable earlier rich simplest everyday massive vast preliminary excessive poor attractive
genuine quick apparent famous definite big so-called due ago according concerning pertaining
regarding et al mr mrs ms dr sub sup study studies paper article overview discussion way ways version
year years decade decades century centuries week weeks month months day days
alternative alternatives usual well-established distinct
""".split()

# Verbs common in abstracts, as lemmas; their inflected forms are generated. A plain lemma: every form
# is a boundary. A marked lemma is also a noun, and some forms stay content words:
#   "lemma!"  base, plural and -ing forms ("model", "models", "modeling"; "plan", "planning")
#   "lemma+"  base and plural forms ("result", "results"; "-ed" and "-ing" are verbs)
#   "lemma="  the base form only ("design", "support": "supports" and "designing" are verbs)
#   "lemma~"  the -ing form only ("learning", "reasoning": "learns" is a verb)
_VERBS = """
propose present introduce show demonstrate achieve outperform improve use utilize utilise employ
leverage apply describe discuss investigate explore examine analyze analyse evaluate compare
consider address tackle solve provide offer enable allow require make take give get yield= obtain
produce reduce increase enhance boost surpass exceed perform conduct remain become seem appear lead
suggest indicate reveal find observe note argue claim believe report= highlight emphasize emphasise
focus= aim seek attempt try help contain include involve consist comprise incorporate extend build~
create establish define formulate derive prove verify validate confirm ensure guarantee maintain
preserve capture exploit explain understand know learn~ train~ pretrain~ pre-train~ call name term=
refer denote represent predict~ determine identify select choose collect gather release= publish
keep bring come go move see look turn begin start stop continue tend want wish hope expect struggle
suffer fail hinder hamper restrict ignore overlook neglect face+ pose= raise persist emerge arise
exist occur happen rise grow receive facilitate promote foster encourage accelerate mitigate
alleviate minimize minimise maximize maximise bridge= unlock unleash empower inspire motivate excel
contribute correspond relate associate affect benefit= rival beat span= cover deliver serve act=
adopt assess measure+ quantify construct design= develop study inform enrich strengthen complement
outline summarize summarise review= survey= generate integrate combine adapt~ fine-tune~ finetune~
tune~ deploy operate depend rely lack= lie attain accomplish realize realise rank! simplify scale!
handle compose treat cause demand+ prevent avoid overcome resolve remove eliminate add augment
replace supplement transfer! transform convert translate map! match! process! support= structure+
base lag trail approach+ assume suppose prefer decide manage miss regard necessitate entail outpace
underperform outstrip detail= showcase exhibit possess display= lower raise elevate open close enter
leave own put set+ hold run= write read speak say tell ask answer! discover incur retain regain
recover broaden narrow shorten lengthen widen deepen rethink revisit reconsider reformulate recast
frame+ pave spur fuel drive! enforce impose induce inject insert embed~ curate annotate label! filter!
sample! guide= reason~ optimize optimise generalize generalise align~ extract refine synthesize
synthesise advance+ balance= interpret simulate interact follow detect fill reconstruct uncover
encode~ decode~ infer distill distil reflect retrieve meet execute unify illustrate recognize
recognise correct assist perceive evolve fall prioritize distinguish automate formalize compress
stabilize conclude hypothesize devise acquire elicit characterize decouple edit~ expand push= reach
store= comprehend update+ probe+ steer draw assign delve shift+ express modify engage anticipate
render~ reproduce disentangle respond categorize fit break carry suppress adjust organize posit
initialize expose advocate connect reinforce trace+ manipulate adhere equip teach fuse aggregate
differ collaborate vary change+ envision navigate link+ instantiate allocate locate judge accept
replicate buy combat track! plan! search! model! test! code! prompt~ merge~ ground~ condition~ prune~
compute~ control! schedule! forecast! cluster! mine~ manufacture! program! rate+ value+ weight!
price! cost+ need+ result+ limit+ impact+ work+ question+ experiment+ output+ input+ feature+ score!
task+ target+ demo+ list+ group! order! form+ range+ layer+ type+ view+ word+ record! count! place+
reward+ return+ share~ function+ assure permit= spend dominate play= satisfy imply send notify
invalidate deal= concern= estimate+ mean+ decline+ grant+ arrange implement influence= stem=
""".split()

_IRREGULAR_VERB_FORMS = """
made taken given shown found built led known ran brought came become became got gotten seen saw held
kept left meant sought thought told understood wrote written chosen drawn grown undertaken arisen
begun began done did went gone put set let lain lay paid said spoke spoken stood won hidden taught
caught dealt fed felt fought forgot forgotten heard lost met sent spent split spread struck swept
thrown withheld underwent overcame overcome outgrew rose risen fell fallen broke broken froze frozen
""".split()

# Nouns and adjectives too generic to be a keyword alone ("approach", "results"); they may end a
# longer keyphrase ("optimization method") but never start one.
GENERIC_WORDS = frozenset(
    """
approach approaches method methods methodology result results paper papers work works performance
task tasks model models framework frameworks system systems problem problems technique techniques
solution solutions way ways strategy strategies study studies analysis experiment experiments data
dataset datasets benchmark benchmarks evaluation evaluations application applications algorithm
algorithms process processes procedure procedures issue issues challenge challenges question
questions effect effects impact impacts improvement improvements advantage advantages limitation
limitations capability capabilities ability abilities quality efficiency effectiveness accuracy
number numbers set sets type types kind kinds form forms part parts level levels range ranges
variety amount amounts case cases example examples instance instances step steps stage stages
aspect aspects factor factors feature features property properties component components element
elements information knowledge research researchers field fields area areas domain domains setting
settings scenario scenarios environment environments condition conditions context contexts
baseline baselines state art use usage user users time times terms term fact need needs goal goals
objective objectives purpose purposes idea ideas concept concepts insight insights finding findings
contribution contributions point points order manner means basis base detail details version
versions variant variants design designs development developments implementation implementations
experimental empirical theoretical practical code codes
gain gains cost costs trade-off tradeoff trade-offs tradeoffs outcome outcomes output outputs input
inputs value values rate rates error errors score scores metric metrics measure measures
mechanism mechanisms module modules operation operations tool tools resource resources
improvement world real-world practice practices lot lots yield yields demand demands interest
people person human humans researcher scheme schemes family families principle principles
situation situations nature means effort efforts combination combinations subject subjects item items
extension extensions paradigm paradigms perspective perspectives comparison comparisons notion notions
fashion difficulty difficulties direction directions statement statements suite
""".split()
)

# "-ly" words that are not adverbs.
_LY_NOUNS = frozenset(
    """
family assembly anomaly supply poly italy reply apply multiply monopoly oligopoly butterfly firefly
early daily weekly monthly yearly quarterly hourly elderly bully rally tally jelly belly lily holly
ally fly rely imply comply july homily melancholy disassembly underbelly anomaly friendly
""".split()
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
        if len(lemma) <= 4 and lemma[-1] not in "aeiouwxy" and lemma[-2] in "aeiou" and lemma[-3:-2] not in "aeiou":
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
BOUNDARY_WORDS = frozenset(_FUNCTION_WORDS) | frozenset(_VAGUE_WORDS) | (
    frozenset(_VERB_BOUNDARIES) - _VERB_CONTENT - (GENERIC_WORDS - {"use", "uses", "used", "using"})
)

# ---------------------------------------------------------------------------------------------
# Tokens and their classes.

# Words keep inner hyphens and apostrophes ("text-to-image", "GPT-4"); any other non-space
# character is a token of its own (punctuation, a boundary).
_TOKEN = re.compile(r"\w+(?:[-'’]\w+)*|[^\w\s]")
_HAS_LETTER = re.compile(r"[^\W\d_]")

# Suffixes that only verbs have (at six letters or more: "size" and "prizes" are nouns).
_VERB_SUFFIXES = ("ize", "izes", "izing", "yze", "yzes", "yzing", "ify", "ifies", "ifying")
_BOUNDARY = 1
_CONTENT = 0


class _WordClasses(dict[str, int]):
    """Lower-case token -> boundary or content, computed once per distinct token and cached.

    Looked up through ``dict.__getitem__`` from C (``map``), so a known token costs no Python code.
    """

    def __missing__(self, token: str) -> int:
        value = _classify(token)
        if len(self) < 2_000_000:  # a cache, not a leak: arXiv's vocabulary fits several times
            self[token] = value
        return value


def _classify(original: str) -> int:
    token = original.lower()
    if token in BOUNDARY_WORDS or not _HAS_LETTER.search(token):
        return _BOUNDARY
    if len(token) == 1 or token[0] == "_" or token[-1] == "_":
        return _BOUNDARY
    if token.endswith(("'s", "’s")) and original[0].islower():
        return _BOUNDARY  # "system's", "it's"; but "Alzheimer's disease" stays
    if len(token) >= 6 and token.endswith(_VERB_SUFFIXES):
        return _BOUNDARY  # "characterize", "simplifies", "optimizing"
    if token.endswith("ly") and len(token) > 4 and token not in _LY_NOUNS and "-" not in token:
        return _BOUNDARY
    if token[0].isdigit() and "-" not in token and not any(ch.isupper() for ch in original):
        # "3d" is content, "10th" and "5x" are not worth a keyword on their own.
        return _BOUNDARY if len(token) > 2 or not token[1].isalpha() else _CONTENT
    return _CONTENT


_CLASSES = _WordClasses()


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
_KEEP_S_ENDINGS = ("ss", "us", "is", "os", "ys", "as", "ics", "ous", "'s")


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
    if word.endswith(("sses", "xes", "ches", "shes", "zes")):
        return word[:-2]
    if word.endswith("oes") and word not in ("shoes", "canoes"):
        return word[:-2]
    return word[:-1]


class _Singulars(dict[str, str]):
    """Original-case token -> lower-case singular key part, cached (see ``_WordClasses``)."""

    def __missing__(self, token: str) -> str:
        value = _singular_token(token)
        if len(self) < 2_000_000:
            self[token] = value
        return value


_ACRONYM_PLURAL = re.compile(r"[A-Z][A-Z0-9-]*[A-Z0-9]s")


def _singular_token(token: str) -> str:
    lower = token.lower()
    if _ACRONYM_PLURAL.fullmatch(token):  # "LLMs" -> "llm", "CNNs" -> "cnn"
        return lower[:-1]
    if sum(1 for ch in token if ch.isupper()) > 1 and not token.isupper() is False:
        return lower  # all-caps acronyms ("OLSS", "BOSS") are never plural forms
    if token.isupper() and len(token) > 1:
        return lower
    return _singular(lower)


_SINGULARS = _Singulars()


# ---------------------------------------------------------------------------------------------
# Acronym definitions: "long form (ACRONYM)".

# The acronym: a word with at least two capitals (or a capital and a digit), at most 12 characters,
# optionally plural; the long form is read back from the text before the parenthesis.
_ACRONYM_DEFINITION = re.compile(r"\(\s*((?=[\w-]*[A-Z][\w-]*[A-Z0-9])[A-Za-z][\w-]{1,11})\s*[),;]")
_LONG_FORM_WORDS = re.compile(r"\w+(?:[-'’]\w+)*")
_ACRONYM_SKIPPABLE = frozenset("of for from and in on the to with a an by via".split())


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
    n_words = len(words)
    # state: (letters still to match from the right, index of the word to consume next)
    best = 0

    def consume(letter_end: int, word_index: int) -> int:
        if letter_end == 0:
            return n_words - word_index - 1
        if word_index < 0:
            return 0
        word = words[word_index]
        lower = word.lower()
        if lower in _ACRONYM_SKIPPABLE:
            found = consume(letter_end, word_index - 1)
            if found:
                return found
        # This word gives letters[k:letter_end] with letters[k] its initial, the rest inside it in order.
        for start in range(letter_end - 1, -1, -1):
            if letters[start] != lower[0]:
                continue
            if _letters_inside(letters[start + 1 : letter_end], lower[1:]):
                found = consume(start, word_index - 1)
                if found:
                    return found
        return 0

    best = consume(len(letters), n_words - 1)
    return best


def _letters_inside(letters: str, rest: str) -> bool:
    position = 0
    for letter in letters:
        position = rest.find(letter, position) + 1
        if position == 0:
            return False
    return True


def _acronym_definitions(text: str) -> list[tuple[str, list[str]]]:
    """(acronym as written, long-form words as written) for each definition found in ``text``."""
    found = []
    for match in _ACRONYM_DEFINITION.finditer(text):
        acronym = match.group(1)
        letters = _acronym_letters(acronym)
        if not 2 <= len(letters) <= 10:
            continue
        before = _LONG_FORM_WORDS.findall(text, max(0, match.start() - 24 * len(letters) - 40), match.start())
        if not before:
            continue
        # Only the words after the last punctuation before the parenthesis can be the long form.
        window = before[-(len(letters) + 4) :]
        used = _match_initials(letters, window)
        if used:
            long_words = window[len(window) - used :]
            found.append((acronym, long_words))
    return found


# ---------------------------------------------------------------------------------------------
# Public data types.


@dataclass(slots=True)
class DocCandidates:
    """Everything ``rank`` needs from one document, computed without corpus statistics.

    ``phrases`` maps a phrase key to ``[term frequency, first token position, surface tokens as
    written, surface taken from the title, surface opens a sentence]``; ``words`` counts the content
    words (keys: lower case, singular); ``aliases`` maps a phrase key to the acronyms the document
    defines for it, as written; ``acronyms`` maps an acronym's key to its long form's key.
    """

    phrases: dict[str, list]
    words: Counter[str]
    n_tokens: int = 0
    n_title: int = 0  # tokens of the title: positions below it are in the title
    aliases: dict[str, list[str]] = field(default_factory=dict)
    acronyms: dict[str, str] = field(default_factory=dict)

    def df_keys(self) -> set[str]:
        """The keys this document adds one to in the corpus document frequencies."""
        keys = set(self.phrases)
        keys.update(self.words)
        return keys


@dataclass(slots=True)
class Keyword:
    """One ranked keyphrase of a document."""

    key: str  # normalized: lower case, last word singular, acronym resolved
    display: str  # readable form as the paper wrote it (plural kept, title case undone)
    score: float
    aliases: tuple[str, ...] = ()  # acronyms defined for it, as written ("LLMs")


@dataclass
class CorpusStats:
    """Document frequencies of phrase keys and words over a corpus, plus corpus-wide acronyms.

    ``df[key]`` counts the documents having ``key`` as a candidate phrase or as a word of one;
    ``acronyms[acronym_key][long_key]`` counts the documents that define the acronym that way.
    """

    n_docs: int = 0
    df: Counter[str] = field(default_factory=Counter)
    acronyms: dict[str, Counter[str]] = field(default_factory=dict)

    def add(self, doc: DocCandidates) -> None:
        self.n_docs += 1
        self.df.update(doc.df_keys())
        for acronym_key, long_key in doc.acronyms.items():
            self.acronyms.setdefault(acronym_key, Counter())[long_key] += 1

    def expansion(self, acronym_key: str) -> str | None:
        """The corpus's usual long form for an acronym: defined by at least two documents and by a
        clear majority of those defining it."""
        counts = self.acronyms.get(acronym_key)
        if not counts:
            return None
        long_key, count = counts.most_common(1)[0]
        if count >= 2 and count * 3 >= 2 * sum(counts.values()):
            return long_key
        return None


# ---------------------------------------------------------------------------------------------
# Candidates.

MAX_WORDS = 4  # longer runs are cut: Inspec's and the API's keyphrases are 1-4 words
_SENTENCE_END = frozenset(".!?:;\n")
_DETERMINERS = frozenset("the a an this these that those its their our his her each every all some any".split())


def candidates(title: str, abstract: str) -> DocCandidates:
    """Candidate phrases of one document (title and abstract), with no corpus statistics."""
    title = title or ""
    text = f"{title}\n.\n{abstract or ''}"
    tokens = _TOKEN.findall(text)
    classes = list(map(_CLASSES.__getitem__, tokens))
    keys = list(map(_SINGULARS.__getitem__, tokens))
    n_title = len(_TOKEN.findall(title))
    n_tokens = len(tokens)

    phrases: dict[str, list] = {}
    content_words: list[str] = []
    # Content runs lie between boundary tokens.
    boundaries = list(compress(range(len(tokens)), classes))
    boundaries.append(len(tokens))
    previous = -1
    for end in boundaries:
        start = previous + 1
        previous = end
        if end == start:
            continue
        # A phrase never ends in an -ed form ("models trained").
        while end > start and keys[end - 1].endswith("ed") and len(keys[end - 1]) > 4 and not keys[end - 1].endswith("eed"):
            end -= 1
        # An -ing word before an article is a verb with its object ("by implementing the ...").
        if end > start and end < n_tokens and keys[end - 1].endswith("ing") and keys[end] in _DETERMINERS:
            end -= 1
        if end == start:
            continue
        run = keys[start:end]
        content_words += run
        if end - start <= MAX_WORDS:
            spans = ((start, end),)
        else:
            spans = ((start, start + MAX_WORDS), (end - MAX_WORDS, end))
        for span_start, span_end in spans:
            key = " ".join(keys[span_start:span_end])
            entry = phrases.get(key)
            if entry is None:
                phrases[key] = [1, span_start, span_start]
            else:
                entry[0] += 1
                if entry[2] < n_title <= span_start:
                    entry[2] = span_start  # the abstract's spelling reads better than the title's

    # The surface form for display: tokens as written, and whether they came from the title or
    # opened a sentence (where capitals say nothing).
    for key, entry in phrases.items():
        at = entry[2]
        entry[2] = tuple(tokens[at : at + key.count(" ") + 1])
        entry.append(at < n_title)
        entry.append(at < n_title or at == 0 or tokens[at - 1] in _SENTENCE_END)

    doc = DocCandidates(phrases=phrases, words=Counter(content_words), n_tokens=len(tokens), n_title=n_title)
    if "(" in text:
        _add_acronyms(doc, text)
    return doc


def _add_acronyms(doc: DocCandidates, text: str) -> None:
    phrases = doc.phrases
    for acronym, long_words in _acronym_definitions(text):
        acronym_key = _SINGULARS[acronym]
        long_key = _phrase_key(long_words)
        if not long_key or long_key == acronym_key or acronym_key in doc.acronyms:
            continue
        doc.acronyms[acronym_key] = long_key
        doc.aliases.setdefault(long_key, []).append(acronym)
        acronym_entry = phrases.pop(acronym_key, None)
        long_entry = phrases.get(long_key)
        if long_entry is None:
            # The long form was no candidate (it holds a small word such as "of"): make it one.
            position = acronym_entry[1] if acronym_entry else doc.n_title
            long_entry = phrases[long_key] = [0, position, tuple(long_words), False, False]
            doc.words.update(long_key.split(" "))
        if acronym_entry is not None:
            long_entry[0] += acronym_entry[0]
            long_entry[1] = min(long_entry[1], acronym_entry[1])
            # The acronym's uses count for the long form's words too.
            for word in long_key.split(" "):
                if word in doc.words:
                    doc.words[word] += acronym_entry[0]


def _phrase_key(words: list[str]) -> str:
    return " ".join(map(_SINGULARS.__getitem__, words))


def normalize_key(phrase: str) -> str:
    """The key of any phrase, e.g. an API keyword: "Diffusion Models" -> "diffusion model".

    A trailing parenthesized acronym is an alias and is dropped: "large language models (LLMs)" ->
    "large language model". Use ``split_alias`` to keep the acronym.
    """
    return split_alias(phrase)[0]


def split_alias(phrase: str) -> tuple[str, str | None]:
    """(key of the phrase, acronym defined for it or None): "Adaptive Parallel Reasoning (APR)" ->
    ("adaptive parallel reasoning", "APR")."""
    phrase = phrase.strip()
    acronym = None
    match = re.fullmatch(r"(.+?)\s*\(\s*([^()]+?)\s*\)", phrase)
    if match:
        phrase, acronym = match.group(1), match.group(2)
    words = _LONG_FORM_WORDS.findall(phrase)
    return _phrase_key(words), acronym


# ---------------------------------------------------------------------------------------------
# Ranking.

TITLE_BOOST = 1.0  # weight multiplier 1 + TITLE_BOOST for a phrase of the title
POSITION_BOOST = 0.0  # and 1 + POSITION_BOOST * POSITION_SCALE / (POSITION_SCALE + first position)
POSITION_SCALE = 50.0
TF_POWER = 1.0  # a word weighs tf ** TF_POWER * idf ** IDF_POWER
IDF_POWER = 1.0
LENGTH_FACTOR = {2: 1.0, 3: 1.0, 4: 1.0}  # a phrase sums its words' weights, times this by length
PHRASE_TF = 0.0  # and multiplied by 1 + PHRASE_TF * (phrase tf - 1)
SINGLE_WORD = 1.0  # multiplier for one-word phrases
PHRASE_IDF_POWER = 0.0
GENERIC_START = 1.0


_is_generic = GENERIC_WORDS.__contains__
SUB_PHRASE_DF = 2  # a phrase inside a longer candidate counts when this many documents have it alone


def _with_known_subphrases(phrases: dict[str, list], df: Counter[str]) -> dict[str, list]:
    """``phrases`` plus the phrases of two or more words found inside longer ones that the corpus
    knows as candidates of their own ("decision tree" inside "hybrid decision tree")."""
    added: dict[str, list] = {}
    for key, entry in phrases.items():
        if key.count(" ") < 2:
            continue
        parts = key.split(" ")
        n = len(parts)
        for length in range(2, n):
            for offset in range(n - length + 1):
                sub = " ".join(parts[offset : offset + length])
                if sub in phrases or df.get(sub, 0) < SUB_PHRASE_DF:
                    continue
                found = added.get(sub)
                if found is None:
                    surface = entry[2][offset : offset + length]
                    added[sub] = [entry[0], entry[1] + offset, surface, entry[3], entry[4] and offset == 0]
                else:
                    found[0] += entry[0]
                    found[1] = min(found[1], entry[1] + offset)
    if not added:
        return phrases
    return {**phrases, **added}


def rank(doc: DocCandidates, stats: CorpusStats, top: int = 10) -> list[Keyword]:
    """The ``top`` keyphrases of ``doc``, best first, scored against the corpus ``stats``."""
    df = stats.df
    log_n = math.log(stats.n_docs + 1)
    idf = {word: log_n - math.log(df.get(word, 0) + 1) for word in doc.words}
    word_weight = {word: count**TF_POWER * max(idf[word], 0.0) ** IDF_POWER for word, count in doc.words.items()}
    get_weight = word_weight.__getitem__
    n_title = doc.n_title
    phrases = doc.phrases
    if SUB_PHRASE_DF:
        phrases = _with_known_subphrases(phrases, df)
    scored = []
    for key, entry in phrases.items():
        parts = key.split(" ")
        if len(parts) > 1:
            if all(map(_is_generic, parts)):
                continue  # "experimental result", "performance gain"
            weight = sum(map(get_weight, parts)) * LENGTH_FACTOR[min(len(parts), 4)]
        elif key in GENERIC_WORDS:
            continue
        else:
            weight = word_weight[key] * SINGLE_WORD
        tf, first = entry[0], entry[1]
        if PHRASE_IDF_POWER:
            weight *= ((log_n - math.log(df.get(key, 0) + 1)) / log_n) ** PHRASE_IDF_POWER
        if GENERIC_START != 1.0 and parts[0] in GENERIC_WORDS:
            weight *= GENERIC_START
        if PHRASE_TF:
            weight *= 1.0 + PHRASE_TF * (tf - 1)
        if first < n_title:
            weight *= 1.0 + TITLE_BOOST
        if POSITION_BOOST:
            weight *= 1.0 + POSITION_BOOST * POSITION_SCALE / (POSITION_SCALE + first)
        scored.append((weight, key))
    scored.sort(key=lambda item: (-item[0], item[1]))
    out = []
    for weight, key in scored[:top]:
        entry = phrases[key]
        out.append(
            Keyword(
                key=key,
                display=_display(entry[2], entry[3], entry[4]),
                score=round(weight, 4),
                aliases=tuple(doc.aliases.get(key, ())),
            )
        )
    return out


def _display(surface: tuple[str, ...], from_title: bool, opens_sentence: bool) -> str:
    """A readable form: capitals kept where they carry meaning (acronyms, "LLaMA", names written
    with a capital inside a sentence), undone where they are the title's or the sentence's."""
    words = []
    lowering = from_title or opens_sentence  # a sentence's Title Case run is lowered as a whole
    for token in surface:
        if token[1:] != token[1:].lower():
            words.append(token)  # acronym or mixed case
            lowering = from_title
        elif lowering and token[:1].isupper():
            words.append(token.lower())
        else:
            words.append(token)
            lowering = from_title
    return " ".join(words)


def extract_corpus(docs: Iterable[tuple[str, str, str]], top: int = 10) -> Iterator[tuple[str, list[Keyword]]]:
    """Keyphrases for every (id, title, abstract), with statistics over the same documents (two passes
    over candidates kept in memory)."""
    stats = CorpusStats()
    kept = []
    for doc_id, title, abstract in docs:
        doc = candidates(title, abstract)
        stats.add(doc)
        kept.append((doc_id, doc))
    for doc_id, doc in kept:
        yield doc_id, rank(doc, stats, top=top)
