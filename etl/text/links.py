"""Links of a paper: URLs found in abstracts and structured fields, repaired, canonicalized, classified.

Pure functions over text; nothing here touches a database. ``etl.pipeline.enrich`` (``paper_link_rows``) turns
``paper_links`` rows into the ``links`` table (``source`` stored as a JSON list).

Three layers:

- ``find_urls(text)``: every URL in free text, with or without a scheme, each as (raw, repaired).
  ``raw`` is the span of text the URL occupied, mangling included (trailing ``.``, a LaTeX ``{dup}``,
  the line break of a wrap); ``repaired`` is a usable URL (``https://`` added when the text had none).
- ``canonicalize(url)``: the identity form used for ``links.url``; total (never raises) and idempotent.
- ``classify(url)``: host, kind (code, model, dataset, project, paper, video, other) and the code repo.

``paper_links(abstract, fields)`` combines them into the rows of one paper.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass

KINDS = ("code", "model", "dataset", "project", "paper", "video", "other")

# ---------------------------------------------------------------------------------------------------
# Finding URLs in text
# ---------------------------------------------------------------------------------------------------

# Characters a URL may contain (RFC 3986 plus Unicode letters for IRIs). Brackets, braces, angle
# brackets, double quotes, backticks and backslashes end a URL: they are markdown, LaTeX or HTML
# around it. Inside a URL we accept the LaTeX escapes seen in abstracts (``\_``, ``\%``) and
# ``\allowbreak`` with the space that may follow it.
_BODY = r"(?:[\w\-.~:/?#@!$&'()*+,;=%]|\\[_%&#~]|\\allowbreak\s*)"

# Top-level domains accepted for a URL written without a scheme. File extensions that are also
# country domains (.py, .md, .sh, .pl, .rs, .so) are left out on purpose: "model.py" is a file.
_BARE_TLDS = (
    "com|org|net|io|ai|co|dev|edu|gov|app|cn|uk|de|fr|jp|kr|me|info|xyz|tech|page|site|cc|tv|ly|gl|ms"
    "|be|us|ca|ch|nl|eu|in|it|es|au|ru|sg|hk|tw|science|cloud|space|top|website|online|live|link|tools"
)

# Matching is anchored for speed (1M abstracts): two scans with a literal first character find
# "://" and ".tld" followed by a non-word character; only there is a full candidate matched (a bare
# host by walking back from its TLD). One combined pattern is five times slower.
_SCHEME_ANCHOR = re.compile(r": ?//")
_TLD_ANCHOR = re.compile(rf"\.(?:{_BARE_TLDS})(?![\w-])")
# "https: //" (a stray space) occurs in the archive.
_SCHEME_URL = re.compile(rf"[Hh][Tt][Tt][Pp][Ss]?: ?//{_BODY}*")
_BARE_URL = re.compile(rf"(?:[^\W_](?:[\w-]{{0,61}}[^\W_])?\.)+(?:{_BARE_TLDS})(?![\w-])(?:/{_BODY}*)?")
_HOST_WINDOW = 120  # how far back from a TLD a bare host may start
_HOST_TAIL = re.compile(r"[\w.-]+$")
_BODY_RUN = re.compile(rf"{_BODY}+")
# A single line break (not a blank line) followed by something that can continue a URL.
_WRAP = re.compile(r"[ \t]*\r?\n[ \t]*(?=[A-Za-z0-9])")
_LATEX_BREAK = re.compile(r"\\allowbreak\s*")
_LATEX_ESCAPE = re.compile(r"\\([_%&#~])")
_WHITESPACE = re.compile(r"\s+")
_SCHEME_FIX = re.compile(r"^(https?): ?/+", re.IGNORECASE)
# Sentence punctuation and footnote markers that get glued to the end of a URL.
_TRAILING_JUNK = ".,;:!?*\u2020\u2021\u00a7\u00b6\u2217\u22c6\u2605\u00b9\u00b2\u00b3\u2070\u2074\u2075\u2076\u2077\u2078\u2079"
_GIT_SUFFIX = re.compile(r"(?<=[^/])\.git/?$", re.IGNORECASE)
_HOST_OK = re.compile(r"^(?:[^\W_](?:[\w-]*[^\W_])?\.)+[^\W\d_][\w-]*$|^\d{1,3}(?:\.\d{1,3}){3}$")
_BRACE_GROUP_LIMIT = 600  # a LaTeX link text longer than this is not a link text


@dataclass(frozen=True, slots=True)
class _Found:
    raw: str
    url: str  # repaired
    start: int
    end: int


def find_urls(text: str) -> list[tuple[str, str]]:
    """Every distinct URL in ``text`` as (raw as found, repaired URL), in order of appearance.

    Repairs: trailing sentence punctuation (``. , ; : ! ?``), unbalanced closing brackets and quotes,
    a LaTeX ``\\href`` remnant ``URL{URL}`` or ``URL{link text}`` (the brace group is never part of
    the URL; when it repeats the URL it is counted once and ``raw`` covers it), LaTeX escapes
    (``\\_``, ``\\allowbreak``), ``.git`` suffixes, angle brackets, markdown ``[text](url)``, glued
    footnote markers (``*``, ``†``, superscript digits), ``https: //``.

    Line wraps: a URL is continued over a single line break only when what precedes the break cannot
    be the end of a URL: it ends with ``://``, ``-``, ``_``, ``=`` or ``&``, or it is a code-host URL
    stopped at the owner (``https://github.com/foo/`` + newline + ``bar`` is ``github.com/foo/bar``).
    A complete-looking URL followed by a newline and a word is left alone: that word is prose.

    URLs without a scheme (``github.com/org/repo``) need a known TLD and either a path, a ``www.``
    or at least three labels, so that "e.g.", "Qwen2.5-VL", "model.py" or "Perplexity.ai" are not
    links. Never raises.
    """
    return [(found.raw, found.url) for found in _find(text)]


def _find(text: str) -> list[_Found]:
    if "." not in text:  # every URL we accept has a dotted host
        return []
    seen: set[str] = set()
    result: list[_Found] = []
    for found in _scan(text, nested=False):
        if found.url not in seen:
            seen.add(found.url)
            result.append(found)
    return result


def _anchors(text: str) -> list[tuple[int, bool]]:
    """(start, is bare) of every place a URL may start or end its host, in text order."""
    anchors = []
    for colon in _SCHEME_ANCHOR.finditer(text):
        at = colon.start()
        if text[max(0, at - 5) : at].lower() == "https":
            anchors.append((at - 5, False))
        elif text[max(0, at - 4) : at].lower() == "http":
            anchors.append((at - 4, False))
    anchors.extend((tld.start(), True) for tld in _TLD_ANCHOR.finditer(text))
    anchors.sort()
    return anchors


def _scan(text: str, nested: bool) -> Iterator[_Found]:
    covered = 0  # end of the last URL (or of its duplicate group): anchors before it are inside it
    for position, is_bare in _anchors(text):
        if position < covered:
            continue
        if not is_bare:
            start = position
            match = _SCHEME_URL.match(text, start)
            bare = False
        else:
            tail = _HOST_TAIL.search(text, max(covered, position - _HOST_WINDOW), position)
            if tail is None:
                continue
            start = tail.start()
            while start < position and not text[start].isalnum():  # ".foo.com" starts at "foo"
                start += 1
            # Not a host glued to an e-mail, a path or a LaTeX command.
            if start > 0 and text[start - 1] in "@/\\%":
                continue
            match = _BARE_URL.match(text, start)
            if match is None or not _plausible_bare(match.group(0)):
                continue
            bare = True
        if match is None:
            continue
        end = _follow_wraps(text, match.end(), start)
        url = repair(text[start:end], bare=bare)
        if url is None:
            continue
        covered = end
        if not nested:
            group_end = _duplicate_group_end(text, end, url)
            if group_end is not None:
                covered = group_end
        yield _Found(text[start:covered], url, start, covered)


def _plausible_bare(candidate: str) -> bool:
    """A URL written without scheme needs a path, ``www.`` or three labels: not "Perplexity.ai"."""
    host, slash, _ = candidate.partition("/")
    return bool(slash) or host.lower().startswith("www.") or host.count(".") >= 2


def _follow_wraps(text: str, end: int, start: int) -> int:
    """Extend a URL over line breaks that split it (see ``find_urls``)."""
    while end < len(text) and text[end] in " \t\r\n":
        wrap = _WRAP.match(text, end)
        if wrap is None or not _wants_continuation(_unlatex(text[start:end])):
            break
        body = _BODY_RUN.match(text, wrap.end())
        if body is None:
            break
        end = body.end()
    return end


_CODE_HOSTS = frozenset({"github.com", "gitlab.com", "bitbucket.org", "codeberg.org", "gitee.com"})


def _wants_continuation(url_so_far: str) -> bool:
    if url_so_far.endswith("://") or url_so_far[-1:] in ("-", "_", "=", "&"):
        return True
    if not url_so_far.endswith("/"):
        return False
    host, path, _ = _split(_strip_scheme(url_so_far))
    host = host.lower().removeprefix("www.")
    segments = [segment for segment in path.split("/") if segment]
    if host in _CODE_HOSTS:
        return len(segments) < 2
    if host in ("huggingface.co", "hf.co") and segments[:1] in (["datasets"], ["spaces"]):
        return len(segments) < 3
    return False


def _duplicate_group_end(text: str, end: int, url: str) -> int | None:
    """End of a ``{...}`` group right after a URL when the group repeats that URL (LaTeX ``\\href``)."""
    brace = end + 1 if text[end : end + 2] == " {" else end
    if text[brace : brace + 1] != "{":
        return None
    depth = 0
    for index in range(brace, min(len(text), brace + _BRACE_GROUP_LIMIT)):
        char = text[index]
        if char == "{":
            depth += 1
        elif char == "}":
            depth -= 1
            if depth == 0:
                inner = text[brace + 1 : index]
                target = canonicalize(url)
                if any(canonicalize(found.url) == target for found in _scan(inner, nested=True)):
                    return index + 1
                return None
    return None


def _unlatex(text: str) -> str:
    return _LATEX_ESCAPE.sub(r"\1", _LATEX_BREAK.sub("", text))


def repair(raw: str, bare: bool | None = None) -> str | None:
    """Repair one URL as found (see ``find_urls``); None when no usable URL remains.

    ``bare`` says whether the text had no scheme (guessed when None); ``https://`` is then added.
    Also used for structured fields (``githubRepo``, ``projectPage``), whose values may hold hard
    wraps: all white space is removed from them.
    """
    url = _WHITESPACE.sub("", _unlatex(raw))
    url = url.lstrip("<(['\"")
    url, count = _SCHEME_FIX.subn(lambda match: match.group(1).lower() + "://", url, count=1)
    if bare is None:
        bare = count == 0
    previous = None
    while url != previous:
        previous = url
        url = url.rstrip(_TRAILING_JUNK)
        url = _drop_unbalanced_closer(url)
        url = _GIT_SUFFIX.sub("", url)
    if bare:
        url = "https://" + url
    host, _, _ = _split(_strip_scheme(url))
    host = host.rpartition("@")[2].partition(":")[0]
    if not _HOST_OK.match(host):
        return None
    return url


def _drop_unbalanced_closer(url: str) -> str:
    for opener, closer in (("(", ")"), ("[", "]"), ("{", "}"), ("<", ">")):
        if url.endswith(closer) and url.count(closer) > url.count(opener):
            return url[:-1]
    if url.endswith(("'", '"')) and url.count(url[-1]) % 2 == 1:
        return url[:-1]
    return url


# ---------------------------------------------------------------------------------------------------
# Canonical form
# ---------------------------------------------------------------------------------------------------

_HTTP_SCHEME = re.compile(r"^https?:/*", re.IGNORECASE)
_OTHER_SCHEME = re.compile(r"^([A-Za-z][A-Za-z0-9+.\-]*)://")
_DEFAULT_PORT = re.compile(r"(?::(?:80|443)?)+$")
# Query parameters that only track the click.
_TRACKING_PARAMS = frozenset(
    {
        "fbclid",
        "gclid",
        "dclid",
        "gbraid",
        "wbraid",
        "msclkid",
        "yclid",
        "igshid",
        "mc_cid",
        "mc_eid",
        "ref_src",
        "ref_url",
        "_hsenc",
        "_hsmi",
        "mkt_tok",
        "spm",
        "vd_source",
        "share_source",
    }
)
# Per-site parameters that change nothing about what is linked: YouTube's share id, GitHub's readme tab.
_SITE_NOISE_PARAMS = {
    "youtube.com": frozenset({"si", "feature"}),
    "youtu.be": frozenset({"si", "feature"}),
    "github.com": frozenset({"tab"}),
}
_HOST_ALIASES = {"hf.co": "huggingface.co", "export.arxiv.org": "arxiv.org", "m.youtube.com": "youtube.com"}
_ARXIV_PDF = re.compile(r"^/pdf/(.+?)(?:\.pdf)?$")


def canonicalize(url: str) -> str:
    """The identity form of a URL: ``https``, lower-case host without ``www.`` or a default port, no
    fragment, no tracking parameters (``utm_*``, ``fbclid``, ``gclid``, ``ref_src``, ...), no trailing
    slash, no ``.git`` on a code repo, ``hf.co`` spelled ``huggingface.co``, arXiv PDFs as ``/abs/``.

    The path keeps its case (``github.com/masa-ue/SVDD``). Trailing slashes are dropped everywhere
    except in a path that embeds another URL (``web.archive.org/web/2024/https://x.org/``): the sites
    in the archive all serve the same page without it. A scheme other than http(s) is kept as is.
    Total and idempotent: any string gives a string, and ``canonicalize`` of that is the same string.
    """
    current = url
    for _ in range(8):  # every step only shortens or normalizes; a fixed point comes in 1-2 rounds
        following = _canonicalize_once(current)
        if following == current:
            return current
        current = following
    return current


def _canonicalize_once(url: str) -> str:
    text = _WHITESPACE.sub("", url)  # white space never belongs to a URL (hard wraps in the API)
    scheme = _HTTP_SCHEME.match(text)
    if scheme:
        rest = text[scheme.end() :]
    else:
        other = _OTHER_SCHEME.match(text)
        if other:
            return other.group(1).lower() + text[len(other.group(1)) :]
        rest = text.lstrip("/")
    rest = rest.partition("#")[0]
    authority, path, query = _split(rest)
    userinfo, at, hostport = authority.rpartition("@")
    host = _canonical_host(hostport)
    path = _canonical_path(host, path)
    query = _canonical_query(host, query)
    return "https://" + userinfo + at + host + path + ("?" + query if query else "")


def _canonical_host(hostport: str) -> str:
    host = hostport.lower()
    previous = None
    while host != previous:
        previous = host
        host = _DEFAULT_PORT.sub("", host).rstrip(".")
        if host.startswith("www.") and len(host) > 4:
            host = host[4:]
        host = _HOST_ALIASES.get(host, host)
    return host


def _canonical_path(host: str, path: str) -> str:
    if "://" in path:  # an embedded URL (web archive): leave it exactly as written
        return path
    previous = None
    while path != previous:
        previous = path
        path = path.rstrip("/")
        if host in _CODE_HOSTS and path.count("/") == 2:
            path = _GIT_SUFFIX.sub("", path)
        if host == "arxiv.org":
            path = _ARXIV_PDF.sub(r"/abs/\1", path)
    return path


def _canonical_query(host: str, query: str) -> str:
    if not query:
        return ""
    noise = _SITE_NOISE_PARAMS.get(host, frozenset())
    kept = []
    for parameter in query.split("&"):
        name = parameter.partition("=")[0].lower()
        if not parameter or name.startswith("utm_") or name in _TRACKING_PARAMS or name in noise:
            continue
        kept.append(parameter)
    return "&".join(kept)


def _strip_scheme(url: str) -> str:
    scheme = _HTTP_SCHEME.match(url)
    return url[scheme.end() :] if scheme else url


def _split(rest: str) -> tuple[str, str, str]:
    """(authority, path, query) of a URL without its scheme; the fragment is left in the query."""
    cut = len(rest)
    for separator in "/?#":
        index = rest.find(separator)
        if index != -1 and index < cut:
            cut = index
    authority, tail = rest[:cut], rest[cut:]
    path, _, query = tail.partition("?")
    return authority, path, query


# ---------------------------------------------------------------------------------------------------
# Classification
# ---------------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class LinkInfo:
    """What a canonical URL points at.

    ``repo`` is ``owner/name`` for a code repository (GitLab: ``group/subgroup/name``; a Hugging
    Face Space: ``owner/name``). ``identity`` is what makes two links the same thing for merging:
    the repository's URL prefix without scheme, case-folded (``github.com/apple/corenet``,
    ``huggingface.co/datasets/owner/name``) for a link into a code repo or a Hugging Face model or
    dataset, else the canonical URL.
    """

    url: str
    host: str
    kind: str
    repo: str | None
    identity: str


_GITHUB_RESERVED = frozenset(
    {
        "about",
        "apps",
        "collections",
        "enterprise",
        "events",
        "explore",
        "features",
        "login",
        "join",
        "marketplace",
        "notifications",
        "orgs",
        "pricing",
        "pulls",
        "issues",
        "search",
        "settings",
        "site",
        "sponsors",
        "topics",
        "trending",
        "users",
    }
)
_GITLAB_VIEWS = frozenset({"-", "tree", "blob", "raw", "issues", "merge_requests", "wikis", "commits"})
_HF_OTHER = frozenset(
    {
        "docs",
        "blog",
        "learn",
        "join",
        "login",
        "pricing",
        "settings",
        "tasks",
        "chat",
        "api",
        "enterprise",
        "organizations",
        "posts",
        "inference-endpoints",
        "hub",
    }
)
_PAPER_HOSTS = frozenset(
    {
        "arxiv.org",
        "doi.org",
        "dx.doi.org",
        "openreview.net",
        "aclanthology.org",
        "papers.nips.cc",
        "proceedings.neurips.cc",
        "proceedings.mlr.press",
        "openaccess.thecvf.com",
        "semanticscholar.org",
        "dl.acm.org",
        "ieeexplore.ieee.org",
        "link.springer.com",
        "ojs.aaai.org",
        "ijcai.org",
        "biorxiv.org",
        "medrxiv.org",
        "ssrn.com",
        "papers.ssrn.com",
    }
)
_VIDEO_HOSTS = frozenset(
    {
        "youtube.com",
        "youtu.be",
        "vimeo.com",
        "player.vimeo.com",
        "bilibili.com",
        "b23.tv",
        "space.bilibili.com",
        "youku.com",
        "dailymotion.com",
    }
)
# Static-site hosts where a paper's own page lives.
_PROJECT_SUFFIXES = (
    ".github.io",
    ".gitlab.io",
    ".pages.dev",
    ".netlify.app",
    ".vercel.app",
    ".notion.site",
    ".web.app",
    ".firebaseapp.com",
)


def classify(url: str) -> LinkInfo:
    """Host, kind and repo of a URL (canonicalized first). Never raises.

    Kinds: ``code`` (GitHub, GitLab, Bitbucket, Codeberg, Gitee, Hugging Face Spaces and ``*.hf.space``,
    anonymous.4open.science, PyPI); ``model`` (Hugging Face model pages, org pages and collections,
    ModelScope models); ``dataset`` (Hugging Face, Kaggle, ModelScope datasets, Zenodo); ``project``
    (static-site hosts: ``*.github.io``, ``*.pages.dev``, ``*.vercel.app``, ``sites.google.com``...);
    ``paper`` (arXiv, DOI, OpenReview, ACL Anthology, proceedings, ``huggingface.co/papers``);
    ``video`` (YouTube, Vimeo, bilibili); ``other`` for everything else. A paper's own site on its own
    domain is ``other`` here, since the URL alone cannot tell; ``paper_links`` makes a ``projectPage``
    value ``project``.
    """
    canonical = canonicalize(url)
    authority, path, _ = _split(_strip_scheme(canonical))
    host = authority.rpartition("@")[2].partition(":")[0]
    segments = [segment for segment in path.split("/") if segment]
    kind, repo, key = _kind_of(host, segments)
    identity = key.casefold() if key is not None else canonical
    return LinkInfo(url=canonical, host=host, kind=kind, repo=repo, identity=identity)


def _kind_of(host: str, segments: list[str]) -> tuple[str, str | None, str | None]:
    """(kind, repo, merge key) for a canonical host and its path segments.

    The merge key is the URL prefix (without scheme) naming a repository: ``github.com/owner/name``,
    ``huggingface.co/datasets/owner/name``; None when the link is not inside a repository.
    """
    first = segments[0] if segments else ""
    if host in ("github.com", "bitbucket.org", "codeberg.org", "gitee.com"):
        if len(segments) >= 2 and first not in _GITHUB_RESERVED:
            repo = f"{segments[0]}/{_GIT_SUFFIX.sub('', segments[1])}"
            return "code", repo, f"{host}/{repo}"
        return "code", None, None
    if host == "raw.githubusercontent.com" and len(segments) >= 2:
        repo = f"{segments[0]}/{segments[1]}"
        return "code", repo, f"github.com/{repo}"  # a file of a GitHub repo: the same repo
    if host == "gitlab.com":
        names: list[str] = []
        for segment in segments:
            if segment in _GITLAB_VIEWS and len(names) >= 2:
                break
            names.append(segment)
        if len(names) >= 2:
            repo = "/".join(names)
            return "code", repo, f"{host}/{repo}"
        return "code", None, None
    if host in ("gist.github.com", "raw.githubusercontent.com", "anonymous.4open.science", "pypi.org"):
        return "code", None, None
    if host.endswith(".hf.space"):
        return "code", None, None
    if host == "huggingface.co":
        return _huggingface_kind(segments)
    if host in _PAPER_HOSTS:
        return "paper", None, None
    if host in _VIDEO_HOSTS:
        return "video", None, None
    if host in ("modelscope.cn", "modelscope.ai") and first in ("models", "datasets"):
        return ("model" if first == "models" else "dataset"), None, None
    if (host == "kaggle.com" and first == "datasets") or host == "zenodo.org":
        return "dataset", None, None
    if host.endswith(_PROJECT_SUFFIXES) or host == "sites.google.com":
        return "project", None, None
    return "other", None, None


def _huggingface_kind(segments: list[str]) -> tuple[str, str | None, str | None]:
    first = segments[0] if segments else ""
    if first == "spaces":
        if len(segments) >= 3:
            repo = "/".join(segments[1:3])
            return "code", repo, f"huggingface.co/spaces/{repo}"
        return "code", None, None
    if first == "datasets":
        key = "huggingface.co/" + "/".join(segments[:3]) if len(segments) >= 3 else None
        return "dataset", None, key
    if first == "papers":
        return "paper", None, None
    if first == "collections":  # a release's collection: in the archive these gather checkpoints
        return "model", None, None
    if first == "models" and len(segments) == 1:  # the model search page
        return "other", None, None
    if not first or first in _HF_OTHER:
        return "other", None, None
    # huggingface.co/owner/name is a model; huggingface.co/owner is an organization's model page.
    return "model", None, ("huggingface.co/" + "/".join(segments[:2]) if len(segments) >= 2 else None)


# ---------------------------------------------------------------------------------------------------
# One paper's links
# ---------------------------------------------------------------------------------------------------

# Words right before a URL that name it as the paper's own site ("Project page: https://...").
_PROJECT_CUE = re.compile(
    r"(?:project|home|demo|web)[ -]?(?:page|site|website|webpage)\b|\bwebsite\b|\bweb ?page\b",
    re.IGNORECASE,
)
_CUE_WINDOW = 40
_ROOT_VIEWS = re.compile(r"^(?:/tree/(?:main|master))?(?:\?.*)?$")


def clean_field_url(value: str) -> str | None:
    """The URL a structured field (``githubRepo``, ``projectPage``) holds, repaired; None if none.

    A field holds one URL, so every white space in it is a hard wrap and is removed
    (``https://github.com/\\nFightingFighting/NeuroAda.git`` is ``.../FightingFighting/NeuroAda``).
    A value with words around a URL falls back to ``find_urls``.
    """
    url = repair(value)
    if url is not None and " " not in value.strip():
        return url
    found = find_urls(value)
    return found[0][1] if found else url


def paper_links(abstract: str, fields: Mapping[str, str | None]) -> list[dict[str, object]]:
    """All links of one paper, one row per distinct link, in order of first appearance.

    ``fields`` maps a source name to a value (``{"githubRepo": ..., "projectPage": ...}``); they are
    read in the mapping's order, then the abstract. Each row: ``url`` (canonical), ``raw`` (as found),
    ``host``, ``kind``, ``repo``, ``source`` (list of source names in order of first appearance).

    Merging: two links are one row when their canonical URLs are equal, or when they point into the
    same code repository or the same Hugging Face model or dataset (``LinkInfo.identity``, case
    ignored), e.g. a ``githubRepo`` root and an abstract deep link
    ``https://github.com/apple/corenet/tree/main/projects/kv-prediction``. The row keeps the URL and
    raw text of the most specific of them: the first link that is not the repo root (or its
    ``/tree/main`` or ``/tree/master`` view), else the first link. (Two different deep links into one
    repo would also be one row, with the first; the API archive has no such paper.)

    Kind ``project`` for a link ``classify`` calls ``other`` when it is the paper's own site: the
    ``projectPage`` value, or an abstract URL right after words such as "project page", "website",
    "homepage".
    """
    occurrences: list[tuple[str, str, str, bool]] = []  # (source, raw, repaired, named a project site)
    for source, value in fields.items():
        if value and value.strip():
            url = clean_field_url(value)
            if url is not None:
                occurrences.append((source, value, url, source == "projectPage"))
    for found in _find(abstract) if abstract else ():
        cue = _PROJECT_CUE.search(abstract, max(0, found.start - _CUE_WINDOW), found.start) is not None
        occurrences.append(("abstract", found.raw, found.url, cue))

    if not occurrences:  # most abstracts: skip the rest
        return []
    groups: dict[str, list[tuple[str, str, LinkInfo, bool]]] = {}
    for source, raw, url, cue in occurrences:
        info = classify(url)
        groups.setdefault(info.identity, []).append((source, raw, info, cue))

    rows: list[dict[str, object]] = []
    for members in groups.values():
        chosen = next((member for member in members if not _is_repo_root(member[2])), members[0])
        _, raw, info, _ = chosen
        sources = list(dict.fromkeys(member[0] for member in members))
        kind = info.kind
        if kind == "other" and any(member[3] for member in members):
            kind = "project"
        rows.append(
            {
                "url": info.url,
                "raw": raw,
                "host": info.host,
                "kind": kind,
                "repo": info.repo,
                "source": sources,
            }
        )
    return rows


def _is_repo_root(info: LinkInfo) -> bool:
    """True for a link that says no more than its repository: the root or its main branch view."""
    if info.identity == info.url:  # not inside a repository: nothing deeper to prefer
        return True
    bare = _strip_scheme(info.url)
    if not bare.casefold().startswith(info.identity):
        return False  # e.g. raw.githubusercontent.com: a file, so specific
    rest = bare[len(info.identity) :]
    return bool(_ROOT_VIEWS.match(rest))
