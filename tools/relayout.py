"""Move the flat ``etl/`` modules into their stage folders and rewrite every reference to them.

Re-runnable and idempotent: run it from the repository root, after any merge of a branch written
against the flat layout::

    python tools/relayout.py          # moves (git mv) what is still at an old path, rewrites references
    python tools/relayout.py --check  # rewrites nothing; exits 1 when something is left to do

A merge conflict whose sides are only import lines (the new layout's rewritten imports beside a
branch's changed imports of the flat layout) is resolved: theirs converted, plus what ours added beyond
the conversion of the base (merge with ``git -c merge.conflictStyle=diff3 merge BRANCH`` so that the
base is in the conflict). So is any conflict whose ours is only the conversion of its base (theirs,
converted). Any other conflict is left for a person, and the file is named.

What it does, in order:

1. ``git mv`` every module of ``MOVES`` still found at its old path (a module or a whole package);
2. in ``etl/``, ``tests/``, ``benchmarks/``, ``tools/``, ``docs/``, ``README.md``, ``Makefile``, ``.ci/run``
   and ``pyproject.toml``, rewrites
   - ``from etl.x import ...``, ``from etl import x``, ``import etl.x`` and any dotted string such as a
     monkeypatch target ``"etl.parallel._Enrichment"`` or ``python -m etl.x``;
   - inside ``etl/`` only, relative imports (``from .x import``, ``from . import x``, ``from ..x import``)
     are resolved against the package the file had in the flat layout: one that still names the same
     module from the file's new place is kept, any other becomes an absolute ``etl.`` import;
   - file paths such as ``etl/load.py`` or ``etl/datasette_plugin/templates`` (only paths that no
     longer exist);
3. the ``packages`` list of ``pyproject.toml``: every package under ``etl/`` plus ``etl.listings``.

Modules under ``etl/`` that ``MOVES`` does not know (say a new ``etl/foo.py`` from a branch) stay where
they are and are printed: add them to ``MOVES`` and run the script again.
"""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

# Old module (flat layout) -> new module. A package moves with everything in it.
MOVES: dict[str, str] = {
    # read: sources, their records, downloads
    "etl.records": "etl.sources.records",
    "etl.fetch": "etl.sources.fetch",
    # text rules: normalization, identity, links, keywords
    "etl.normalize": "etl.text.normalize",
    "etl.identity": "etl.text.identity",
    "etl.links": "etl.text.links",
    "etl.keywords": "etl.text.keywords",
    "etl.keyword_batch": "etl.text.keyword_batch",
    "etl.keyword_identity": "etl.text.keyword_identity",  # a module of the keyword-identity branch
    "etl.lexicon": "etl.text.lexicon",  # the word rules of the one keyword extractor (one-keywords branch)
    "etl.postgres": "etl.publish.postgres",  # the PostgreSQL hand-off (engines branch)
    "etl.engines": "etl.publish.engines",  # partitioned Parquet for DuckDB and Spark (engines branch)
    # pipeline: the stages run in order, in process or in workers
    "etl.build": "etl.pipeline.build",
    "etl.load": "etl.pipeline.load",
    "etl.enrich": "etl.pipeline.enrich",
    "etl.parallel": "etl.pipeline.parallel",
    "etl.memory": "etl.pipeline.memory",
    # db: the schema and what reads or indexes it
    "etl.schema": "etl.db.schema",
    "etl.ddl": "etl.db.ddl",
    "etl.index": "etl.db.index",
    "etl.search": "etl.db.search",
    # publish: Datasette, exports, analysis, report
    "etl.publish": "etl.publish.metadata",
    "etl.serving": "etl.publish.serving",
    "etl.export": "etl.publish.export",
    "etl.analysis": "etl.publish.analysis",
    "etl.report": "etl.publish.report",
    "etl.datasette_plugin": "etl.publish.datasette_plugin",
    # the command line
    "etl.cli": "etl.cli",  # etl/cli.py becomes the package etl/cli/__init__.py
    "etl.cli_options": "etl.cli.options",
    "etl.cli_publish": "etl.cli.publish",
    "etl.keywords_cli": "etl.cli.keywords",
}

# Modules of the flat layout that become a package of the new one (their file is its __init__.py).
FILE_TO_PACKAGE = {"etl.cli"}

# The stage packages, each with the docstring of its __init__.py (written when missing).
STAGES = {
    "etl.sources": "Read: one module per source turns a file's bytes into records; downloads of listings.",
    "etl.text": "Text rules: normalization, paper identity (arXiv ids, title keys), links and keywords.",
    "etl.pipeline": "The build: load (the only writer of rows), enrich, and the runs in process or in workers.",
    "etl.db": "The database: the one schema declaration, its generated DDL, indexes and ranked search.",
    "etl.publish": "Publish: Datasette metadata, serving and plugin (the pages), exports, analysis, report.",
}

# Where references are rewritten (relative imports only inside etl/).
TARGETS = ["etl", "tests", "benchmarks", "tools", "docs", "README.md", "Makefile", ".ci/run", "pyproject.toml"]
TEXT_SUFFIXES = {".py", ".md", ".toml", ".yml", ".yaml", ".txt", ".cfg", ".ini", ""}
SELF = Path(__file__).resolve()


def module_path(module: str) -> Path:
    """etl.a.b -> etl/a/b (without a suffix)."""
    return ROOT.joinpath(*module.split("."))


def source_file(module: str) -> Path | None:
    """The file or package directory of a module, if it exists."""
    base = module_path(module)
    if base.with_suffix(".py").is_file():
        return base.with_suffix(".py")
    if (base / "__init__.py").is_file():
        return base
    return None


def git(*args: str) -> None:
    subprocess.run(["git", *args], cwd=ROOT, check=True)


def move_files(dry: bool) -> list[str]:
    done = []
    for old, new in MOVES.items():
        src = source_file(old)
        if src is None:
            continue
        if src.is_dir() and (old == new or any(v.startswith(old + ".") for v in MOVES.values())):
            continue  # a stage package of the new layout (etl/cli, etl/publish), not a package to move
        if src.is_dir():
            dst = module_path(new)
        elif old in FILE_TO_PACKAGE:
            dst = module_path(new) / "__init__.py"
        else:
            dst = module_path(new).with_suffix(".py")
        if dst.exists():
            print(f"relayout: {dst.relative_to(ROOT)} exists, {src.relative_to(ROOT)} not moved", file=sys.stderr)
            continue
        done.append(f"{src.relative_to(ROOT)} -> {dst.relative_to(ROOT)}")
        if dry:
            continue
        dst.parent.mkdir(parents=True, exist_ok=True)
        git("mv", str(src.relative_to(ROOT)), str(dst.relative_to(ROOT)))
    for package, doc in STAGES.items():
        init = module_path(package) / "__init__.py"
        if init.exists() or not init.parent.is_dir():
            continue
        done.append(f"new {init.relative_to(ROOT)}")
        if not dry:
            init.write_text(f'"""{doc}"""\n', encoding="utf-8")
            git("add", str(init.relative_to(ROOT)))
    return done


def current_modules() -> set[str]:
    """Every module and package under etl/ as it is now."""
    found = set()
    for path in (ROOT / "etl").rglob("*.py"):
        parts = path.relative_to(ROOT).with_suffix("").parts
        if parts[-1] == "__init__":
            parts = parts[:-1]
        found.add(".".join(parts))
    return found


class Mapper:
    def __init__(self) -> None:
        self.now = current_modules()
        self.reverse = {new: old for old, new in MOVES.items()}

    def new_name(self, name: str) -> str:
        """The new dotted name of a dotted name of the flat layout (longest known prefix wins)."""
        parts = name.split(".")
        for end in range(len(parts), 0, -1):
            prefix = ".".join(parts[:end])
            rest = parts[end:]
            if prefix in MOVES:  # an old name first: etl.publish was etl/publish.py
                return ".".join([MOVES[prefix], *rest])
            if prefix in self.now:
                return name
        return name

    def old_name(self, module: str) -> str:
        """The flat-layout name of a module now at ``module`` (itself when it did not move)."""
        parts = module.split(".")
        for end in range(len(parts), 0, -1):
            prefix = ".".join(parts[:end])
            if prefix in self.reverse:
                return ".".join([self.reverse[prefix], *parts[end:]])
        return module


FROM_IMPORT = (
    r"^(?P<indent>[ \t]*)from[ \t]+(?P<mod>\.+[\w.]*|etl(?:\.\w+)*)[ \t]+import[ \t]+"
    r"(?P<names>\([^)]*\)|[^\n#]*?)(?P<comment>[ \t]*#[^\n]*)?$"
)
DOTTED = r"(?<![\w.])etl(?:\.\w+)+"
PATH = r"(?<![\w/.-])etl/[\w/]*\w(?:\.py\b)?"
PATTERN = re.compile(f"(?P<from>{FROM_IMPORT})|(?P<dotted>{DOTTED})|(?P<path>{PATH})", re.M)


def resolve(relative: str, package: str) -> str:
    dots = len(relative) - len(relative.lstrip("."))
    base = package.split(".")
    if dots > 1:
        base = base[: len(base) - (dots - 1)]
    rest = relative[dots:]
    return ".".join(base + ([rest] if rest else []))


def parse_names(text: str) -> list[tuple[str, str]]:
    """'a, b as c' -> [('a', 'a'), ('b', 'b as c')] (name, its text)."""
    text = text.strip()
    if text.startswith("("):
        text = text[1:-1]
    text = re.sub(r"#[^\n]*", "", text)
    items = [item.strip() for item in text.replace("\n", " ").split(",")]
    return [(item.split()[0], " ".join(item.split())) for item in items if item]


def rewrite(text: str, mapper: Mapper, package: str | None, old_package: str | None) -> str:
    def from_import(match: re.Match[str]) -> str:
        indent, mod, names_text = match["indent"], match["mod"], match["names"]
        comment = match["comment"] or ""
        if mod.startswith("."):
            if package is None:
                return match[0]  # a relative import outside etl/ (tests' conftest): not ours
            old_mod = resolve(mod, old_package or package)
            current = resolve(mod, package)
        else:
            old_mod, current = mod, mod
        if names_text.strip() == "*":
            groups = {mapper.new_name(old_mod): ["*"]}
            names = []
        else:
            names = parse_names(names_text)
            groups: dict[str, list[str]] = {}
            for name, item in names:
                target = mapper.new_name(f"{old_mod}.{name}")
                if target in mapper.now:  # a module: it goes with its new package
                    parent, _, leaf = target.rpartition(".")
                    groups.setdefault(parent, []).append(item if leaf == name else item.replace(name, leaf, 1))
                else:  # a name defined in the module
                    groups.setdefault(mapper.new_name(old_mod), []).append(item)
        if mod.startswith("."):
            if list(groups) == [current] and [i for g in groups.values() for i in g] == [i for _, i in names]:
                return match[0]  # the relative import still names the same modules
        elif list(groups) == [mod]:
            return match[0]
        lines = []
        for target, items in groups.items():
            joined = ", ".join(items)
            line = f"{indent}from {target} import {joined}"
            if len(line) > 110 and len(items) > 1:
                inner = "".join(f"{indent}    {item},\n" for item in items)
                line = f"{indent}from {target} import (\n{inner}{indent})"
            lines.append(line)
        lines[0] += comment
        return "\n".join(lines)

    def dotted(match: re.Match[str]) -> str:
        return mapper.new_name(match[0])

    def path(match: re.Match[str]) -> str:
        text_path = match[0]
        if (ROOT / text_path).exists() or (ROOT / (text_path + ".py")).exists():
            return text_path
        new_path = mapper.new_name(text_path.removesuffix(".py").replace("/", ".")).replace(".", "/")
        if not text_path.endswith(".py"):
            return new_path
        if (ROOT / (new_path + ".py")).is_file():
            return new_path + ".py"
        if (ROOT / new_path / "__init__.py").is_file():
            return new_path + "/__init__.py"
        return text_path

    def replace(match: re.Match[str]) -> str:
        if match["from"]:
            return from_import(match)
        if match["dotted"]:
            return dotted(match)
        return path(match)

    return PATTERN.sub(replace, text)


CONFLICT = re.compile(
    r"^<<<<<<< [^\n]*\n(?P<ours>.*?)(?:^\|\|\|\|\|\|\|[^\n]*\n(?P<base>.*?))?^=======\n(?P<theirs>.*?)^>>>>>>> [^\n]*\n",
    re.M | re.S,
)
STATEMENT = re.compile(r"^[ \t]*(?:from[ \t]+\S+[ \t]+import[ \t]*\([^)]*\)[^\n]*|from[ \t][^\n]*|import[ \t][^\n]*)$", re.M)


def resolve_import_conflicts(text: str, convert) -> tuple[str, int, int]:
    """Merge conflicts whose sides are only import statements (and comments, blank lines), as a merge of
    a branch of the flat layout gives them: theirs converted to the new layout, plus the statements ours
    added beyond converting the base (needs ``git config merge.conflictStyle diff3``; without the base,
    theirs converted alone). Other conflicts stay. Returns the text, hunks resolved, hunks left."""
    resolved = left = 0

    def only_imports(side: str | None) -> bool:
        rest = STATEMENT.sub("", side or "")
        return all(not line.strip() or line.strip().startswith("#") for line in rest.splitlines())

    def statements(fragment: str) -> list[str]:
        return [" ".join(m.split()) for m in STATEMENT.findall(fragment)]

    def merge(match: re.Match[str]) -> str:
        nonlocal resolved, left
        ours, base, theirs = match["ours"], match["base"], match["theirs"]
        if base is not None and convert(base) == ours:  # ours only converted the base: theirs wins
            resolved += 1
            return convert(theirs)
        if not (only_imports(ours) and only_imports(theirs) and only_imports(base)):
            left += 1
            return match[0]
        resolved += 1
        result = convert(theirs)
        if base is None:
            print("relayout: a conflict without its base (set merge.conflictStyle diff3): theirs taken",
                  file=sys.stderr)
            return result
        known = set(statements(convert(base))) | set(statements(result))
        added = [m for m in STATEMENT.findall(ours) if " ".join(m.split()) not in known]
        return result + "".join(m + "\n" for m in added)

    return CONFLICT.sub(merge, text), resolved, left


def files_to_rewrite() -> list[Path]:
    found = []
    for target in TARGETS:
        path = ROOT / target
        if path.is_file():
            found.append(path)
        elif path.is_dir():
            for file in sorted(path.rglob("*")):
                if file.is_file() and file.suffix in TEXT_SUFFIXES and "__pycache__" not in file.parts \
                        and file.resolve() != SELF and not any(p.startswith(".") for p in file.relative_to(ROOT).parts[1:]):
                    found.append(file)
    return found


def packages_line(text: str) -> str:
    packages = sorted(
        {".".join(p.parent.relative_to(ROOT).parts) for p in (ROOT / "etl").rglob("__init__.py")} | {"etl.listings"}
    )
    listed = ", ".join(f'"{name}"' for name in packages)
    return re.sub(r"(?m)^packages = \[[^\]]*\]", lambda _: f"packages = [{listed}]", text)


def main(argv: list[str]) -> int:
    check = "--check" in argv
    moved = move_files(dry=check)
    for line in moved:
        print(f"moved {line}")
    mapper = Mapper()
    changed = []
    for file in files_to_rewrite():
        try:
            text = file.read_text(encoding="utf-8")
        except UnicodeDecodeError:
            continue
        original = text
        package = old_package = None
        if file.suffix == ".py" and file.is_relative_to(ROOT / "etl"):
            parts = file.relative_to(ROOT).with_suffix("").parts
            module = ".".join(parts[:-1] if parts[-1] == "__init__" else parts)
            package = ".".join(parts[:-1])
            old_module = mapper.old_name(module)
            is_package = parts[-1] == "__init__" and old_module not in FILE_TO_PACKAGE
            old_package = old_module if is_package else old_module.rpartition(".")[0]
        if "\n=======\n" in text and file.suffix == ".py":
            text, resolved, left = resolve_import_conflicts(
                text, lambda fragment: rewrite(fragment, mapper, package, old_package))
            if resolved:
                print(f"relayout: {file.relative_to(ROOT)}: {resolved} merge conflicts resolved "
                      f"(theirs converted, plus what ours added); review and git add", file=sys.stderr)
            if left:
                print(f"relayout: {file.relative_to(ROOT)}: {left} other merge conflicts left", file=sys.stderr)
        new = rewrite(text, mapper, package, old_package)
        if file.name == "pyproject.toml":
            new = packages_line(new)
        if new != original:
            changed.append(file.relative_to(ROOT))
            if not check:
                file.write_text(new, encoding="utf-8")
    for file in changed:
        print(f"rewrote {file}")
    known = set(MOVES.values()) | set(MOVES)
    for module in sorted(mapper.now):
        top = ".".join(module.split(".")[:2])
        if module.count(".") == 1 and top not in known and module not in {"etl.__main__"} \
                and source_file(module) is not None and source_file(module).is_file():
            print(f"relayout: {module} is not in MOVES: left where it is", file=sys.stderr)
    if check:
        return 1 if moved or changed else 0
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
