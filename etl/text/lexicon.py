"""The word rules of keyphrase extraction (``etl.text.keyword_batch``): stop words, verb forms, singulars,
boundaries, names, acronym definitions, and the keys and readable forms of phrases.

A token's key comes from a cache filled once per distinct token: lower case, singular ("Models" ->
"model", "LLMs" -> "llm"), or a *boundary* for punctuation, numbers, function words, common verb
forms, ``-ly`` adverbs and vague adjectives ("novel", "various"). "long form (ACRONYM)" whose words'
initials spell the acronym defines it (``acronym_definitions``, ``long_form_of``). Pure Python, no
corpus: the extractor and ``etl.text.keyword_identity`` read the same rules from here.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Callable, Iterable
from functools import lru_cache

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
PUNCTUATION = re.compile(r"(?:[^\w\s'’.-]|(?<!\d)\.|\.(?!\d))+|_+")
# Within a token, also: two hyphens (a dash), and a hyphen before a conjunction or preposition that
# ends the token, which glues two words a missing space ran together ("DeepSeekR1-with",
# "reasoning-and"): no keyword holds them. (Acronym definitions are read with PUNCTUATION.)
TOKEN_PUNCTUATION = re.compile(
    r"(?:[^\w\s'’.-]|(?<!\d)\.|\.(?!\d)|-{2,}|-(?=(?i:with|and|or|for|of|the|from|by|without|via|than)\W*$))+|_+"
)
_NUMBERISH = re.compile(r"\d[\d.,]*(?:st|nd|rd|th|times|[a-z])?")  # "10th", "7b", "0.5b", "4k", "1080p"
_HAS_LETTER = re.compile(r"[^\W\d_]")

# Suffixes that only verbs have (at six letters or more: "size" and "prizes" are nouns).
_VERB_SUFFIXES = ("ize", "izes", "izing", "yze", "yzes", "yzing", "ify", "ifies", "ifying")
BOUNDARY = "|"  # the key of every boundary


def is_boundary(word: str) -> bool:
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


def token_key(token: str) -> str:
    """The key of a white-space token: its words' keys, with BOUNDARY for punctuation and for words
    that cannot be part of a keyphrase."""
    if "://" in token or token.startswith(("www.", "(www.", "(http")):
        return BOUNDARY  # a link: no words of the paper's topic
    pieces = TOKEN_PUNCTUATION.split(token.replace("’", "'"))
    keys = []
    for piece in pieces:
        word = piece.strip("-'")
        if piece.endswith("'") and word.endswith("s") and not piece.endswith("''"):
            keys.append(SINGULARS[word] if not is_boundary(word) else BOUNDARY)  # "LLMs' robustness"
            keys.append(BOUNDARY)
        elif word.endswith("'s"):
            # "GPT-4o's results": the name, then a boundary ("Alzheimer's disease" is lost); "system's",
            # "it's": a boundary
            base = word[:-2]
            if base and not base[0].islower() and not is_boundary(base):
                keys.append(SINGULARS[base])
            keys.append(BOUNDARY)
        elif not word or is_boundary(word):
            keys.append(BOUNDARY)
        elif is_name(word):
            keys.append(SINGULARS[word] + NAME)
        elif len(word) > 4 and word.endswith("ed") and not word.endswith("eed"):
            keys.append(SINGULARS[word] + PARTICIPLE)
        else:
            keys.append(SINGULARS[word])
    return BOUNDARY.join(keys)


PARTICIPLE = "\x01"  # marks the key of an -ed word until the phrases are cut
TRAILING = "\x02"
NAME = "\x03"  # marks the key of a name ("OLSS", "OptMATH", "GPT-4o") until the phrases are cut


def is_name(word: str) -> bool:
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


class TokenCache(dict[str, str]):
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


def singular(word: str) -> str:
    """The singular of a lower-case noun by rule; words that do not look plural come back unchanged."""
    found = _SINGULAR_EXCEPTIONS.get(word)
    if found is not None:
        return found
    if len(word) < 4 or not word.endswith("s") or word.endswith(_KEEP_S_ENDINGS):
        return word
    if "-" in word:  # "mixture-of-experts" stays, "large-models" -> last part
        head, _, last = word.rpartition("-")
        return head + "-" + singular(last) if len(last) >= 4 else word
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
    return singular(lower)


SINGULARS = TokenCache(_singular_token)  # original-case token -> lower-case singular key part
KEYS = TokenCache(token_key)  # token as written -> its key


# ---------------------------------------------------------------------------------------------
# Acronym definitions: "long form (ACRONYM)".

# The acronym: a word with at least two capitals (or a capital and a digit), at most 12 characters,
# optionally plural; the long form is read back from the text before the parenthesis.
ACRONYM_DEFINITION = re.compile(r"\(\s*((?=[\w-]*[A-Z][\w-]*[A-Z0-9])[A-Za-z][\w-]{1,11})\s*[),;]")
_ACRONYM_SKIPPABLE = frozenset(
    ["of", "for", "from", "and", "in", "on", "the", "to", "with", "a", "an", "by", "via"]
)


@lru_cache(maxsize=65536)
def acronym_letters(acronym: str) -> str:
    """The letters an acronym abbreviates: lower case, without a plural s, digits and hyphens."""
    if _ACRONYM_PLURAL.fullmatch(acronym):
        acronym = acronym[:-1]
    return "".join(ch for ch in acronym.lower() if ch.isalpha())


def match_initials(letters: str, words: list[str]) -> int:
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


def acronym_definitions(text: str) -> list[tuple[str, list[str]]]:
    """(acronym as written, long-form words as written) for each definition found in ``text``.

    The long form is read from the words just before the parenthesis, in the text with its white
    space normalized (``text`` need not be: only the part read is normalized)."""
    found = []
    for match in ACRONYM_DEFINITION.finditer(text):
        acronym = match.group(1)
        long_words = long_form(text, match.start(), acronym_letters(acronym))
        if long_words:
            found.append((acronym, long_words))
    return found


def long_form(text: str, start: int, letters: str) -> list[str] | None:
    """The words before ``text[start]`` (an acronym's parenthesis) whose initials spell ``letters``:
    one word per letter (the common case), else as ``match_initials`` finds them."""
    size = len(letters)
    if not 2 <= size <= 10:
        return None
    return long_form_of(letters, _words_before(text, start, 16 * size + 40, size + 4))


def long_form_of(letters: str, window: list[str]) -> list[str] | None:
    """The last words of ``window`` whose initials spell ``letters`` (see ``long_form``)."""
    size = len(letters)
    tail = window[-size:]
    if len(tail) == size and "".join([word[0] for word in tail]).lower() == letters:
        return tail
    used = match_initials(letters, window)
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
    for match in reversed(list(PUNCTUATION_CANDIDATE.finditer(tail))):
        cut = match.start()
        if tail[cut] != "." or not (tail[cut - 1 : cut].isdigit() and tail[cut + 1 : cut + 2].isdigit()):
            return tail[cut + 1 :].split()  # what follows the last punctuation (as PUNCTUATION cuts)
    return words


# A character that may be punctuation to PUNCTUATION: all of them, and dots (punctuation unless
# between digits). Much faster to search than PUNCTUATION itself.
PUNCTUATION_CANDIDATE = re.compile(r"[^\w\s'’-]|_")


def normalize_key(phrase: str) -> str:
    """The key of any phrase, e.g. a keyword a source gives: "Diffusion Models" -> "diffusion model".

    A trailing parenthesized acronym is an alias and is dropped: "large language models (LLMs)" ->
    "large language model" (``split_alias`` returns it too).
    """
    return _PHRASE_KEYS[phrase]


_ALIAS = re.compile(r"(.+?)\s*\(\s*([^()]+?)\s*\)")


# Keys of whole phrases (sources give the same few thousand keywords in paper after paper).
_PHRASE_KEYS = TokenCache(lambda phrase: split_alias(phrase)[0])


def split_alias(phrase: str) -> tuple[str, str | None]:
    """(key, alias or None): "Adaptive Parallel Reasoning (APR)" -> ("adaptive parallel reasoning",
    "APR"); "LLMs" -> ("llm", None)."""
    phrase = " ".join(phrase.split())
    alias = None
    match = _ALIAS.fullmatch(phrase)
    if match:
        phrase, alias = match.group(1), match.group(2)
    words = [word.strip("-'") for word in TOKEN_PUNCTUATION.sub(" ", phrase.replace("’", "'")).split()]
    return " ".join(SINGULARS[word] for word in words if word), alias


def readable(surface: list[str], from_title: bool, opens_sentence: bool) -> str:
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


def pick_display(displays: Iterable[str]) -> str:
    """The display of a keyword over a corpus, from the displays of its papers: the most common one;
    on a tie the one with fewer capitals, then the first in alphabetical order."""
    counts = Counter(displays)
    if not counts:
        raise ValueError("pick_display needs at least one display")
    return min(counts, key=lambda display: (-counts[display], sum(ch.isupper() for ch in display), display))
