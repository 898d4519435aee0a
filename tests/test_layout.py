"""The shape of the code: which folder may import which, which domain of core/ may import
which, no import cycles (read with ``ast``, every import statement, at module level or
inside functions), packages that say what they own, and no module past 450 lines."""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

from tests.conftest import ROOT

PACKAGES = ("core", "ui", "demo", "tools")
# The domains of core/ and the other domains each may import; the infrastructure and the
# tables (core.models) are open to all. Accounts and messaging stand alone; trade reads
# accounts (the postal code rule) and writes messages (offers, notifications); the catalogue
# ends offers when a listing changes, shows sellers' reviews and embeds covers with the AI;
# the AI reads uploads with the catalogue's photo checks and its generated prompt tokens;
# moderation acts on all of them.
DOMAINS = {
    "core.accounts": set(),
    "core.messaging": set(),
    "core.trade": {"core.accounts", "core.messaging"},
    "core.catalogue": {"core.ai", "core.messaging", "core.trade"},
    "core.ai": {"core.catalogue"},
    "core.insights": {"core.catalogue"},
    # reports, AI flags, administrators' actions: they reach every other domain; none reads
    # them (the blocks' SQL predicate lives with its table, in core.models.moderation)
    "core.moderation": {
        "core.accounts",
        "core.catalogue",
        "core.messaging",
        "core.trade",
        "core.ai",
    },
}
INFRASTRUCTURE = (
    "core.config", "core.db", "core.schema", "core.errors", "core.text", "core.money", "core.i18n",
    "core.mail",
)  # fmt: skip
MAX_LINES = 450
GENERATED = (
    "core/catalogue/category_tokens.py",
    "core/catalogue/attribute_tokens.py",
    "core/moderation/flag_tokens.py",
)


def _module_name(path: Path) -> str:
    parts = path.relative_to(ROOT).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _sources() -> dict[str, Path]:
    files = [ROOT / "Home.py", *sorted((ROOT / "app_pages").glob("*.py"))]
    for package in PACKAGES:
        files += sorted((ROOT / package).rglob("*.py"))
    return {_module_name(f): f for f in files}


def _imports(path: Path) -> set[str]:
    names = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module)
            names.update(f"{node.module}.{alias.name}" for alias in node.names)
    return names


SOURCES = _sources()
GRAPH = {
    name: {target for target in _imports(path) if target in SOURCES and target != name}
    for name, path in SOURCES.items()
}


def _all_imports(name: str) -> set[str]:
    return _imports(SOURCES[name])


def _in(name: str, *roots: str) -> bool:
    return any(name == r or name.startswith(r + ".") for r in roots)


@pytest.mark.parametrize("name", sorted(n for n in SOURCES if _in(n, "core")))
def test_core_depends_on_nothing_of_the_app(name):
    bad = {t for t in _all_imports(name) if _in(t, "ui", "app_pages", "demo", "tools", "Home")}
    assert not bad, f"{name} imports {sorted(bad)}"
    if name != "core.config":  # reads st.secrets, which needs no server
        assert not any(_in(t, "streamlit") for t in _all_imports(name)), name


@pytest.mark.parametrize("name", sorted(n for n in SOURCES if _in(n, "core.ai")))
def test_the_runtime_ai_never_needs_torch_or_transformers(name):
    bad = {t for t in _all_imports(name) if _in(t, "torch", "transformers", "onnx")}
    assert not bad, f"{name} imports {sorted(bad)}"


@pytest.mark.parametrize("name", sorted(n for n in SOURCES if not _in(n, "tools")))
def test_the_app_never_imports_the_build_tools(name):
    assert not any(_in(t, "tools") for t in _all_imports(name)), name


PAGE_PATH = re.compile(r"(?<![\w/])app_pages/")  # not tests/app_pages/, the pages' tests


def test_pages_are_declared_once():
    """Page paths are typed in ui/pages.py only; everything else goes through its screens."""
    typed = {
        name
        for name, path in SOURCES.items()
        if PAGE_PATH.search(path.read_text(encoding="utf-8")) and name != "ui.pages"
    }
    assert not typed, f"page paths typed outside ui/pages.py: {sorted(typed)}"


def _domain(name: str) -> str | None:
    return next((d for d in DOMAINS if _in(name, d)), None)


@pytest.mark.parametrize("name", sorted(n for n in SOURCES if _domain(n)))
def test_a_domain_imports_only_the_domains_it_may(name):
    own = _domain(name)
    used = {_domain(t) for t in _all_imports(name) if _in(t, "core")} - {None, own}
    assert used <= DOMAINS[own], f"{name} imports {sorted(used - DOMAINS[own])}"


@pytest.mark.parametrize("name", INFRASTRUCTURE)
def test_the_infrastructure_imports_no_domain(name):
    used = {_domain(t) for t in _all_imports(name) if _in(t, "core")} - {None}
    assert not used, f"{name} imports {sorted(used)}"


@pytest.mark.parametrize("name", sorted(n for n in SOURCES if _in(n, "core.models")))
def test_the_tables_import_only_tables_and_the_option_lists(name):
    allowed = ("core.models", "core.catalogue.categories", "core.catalogue.attributes")
    bad = {t for t in _all_imports(name) if _in(t, "core") and not _in(t, *allowed)}
    bad -= {"core.catalogue"}  # the package itself, in `from core.catalogue import x`
    assert not bad, f"{name} imports {sorted(bad)}"


@pytest.mark.parametrize(
    "path",
    sorted(p for p in (ROOT / "core").rglob("__init__.py")),
    ids=lambda p: str(p.relative_to(ROOT)),
)
def test_a_package_says_what_it_owns_and_holds_nothing_else(path):
    """A package's __init__.py is its docstring: code is found by its path, nothing is
    re-exported. core.models alone imports its modules, to register every table."""
    body = ast.parse(path.read_text(encoding="utf-8")).body
    assert body and isinstance(body[0], ast.Expr) and isinstance(body[0].value, ast.Constant)
    rest = body[1:]
    if path.parent.name == "models" and path.parent.parent.name == "core":
        assert all(isinstance(n, ast.ImportFrom) and n.module == "core.models" for n in rest)
    else:
        assert not rest, f"{path.relative_to(ROOT)} holds more than its docstring"


def _all_modules() -> list[Path]:
    files = [ROOT / "Home.py", *(ROOT / "app_pages").glob("*.py"), *(ROOT / "bench").glob("*.py")]
    for package in PACKAGES:
        files += (ROOT / package).rglob("*.py")
    return sorted(f for f in files if f.relative_to(ROOT).as_posix() not in GENERATED)


def test_no_module_is_longer_than_450_lines():
    """Past about 450 lines a module holds more than one noun: split it (generated aside)."""
    long = {
        str(f.relative_to(ROOT)): n
        for f in _all_modules()
        if (n := len(f.read_text(encoding="utf-8").splitlines())) > MAX_LINES
    }
    assert not long, f"split these by noun: {long}"


def test_no_import_cycles():
    state: dict[str, int] = {}  # 1: on the current path, 2: done
    path: list[str] = []

    def visit(name: str) -> None:
        state[name] = 1
        path.append(name)
        for target in sorted(GRAPH[name]):
            if state.get(target) == 1:
                cycle = [*path[path.index(target) :], target]
                pytest.fail("import cycle: " + " -> ".join(cycle))
            if target not in state:
                visit(target)
        path.pop()
        state[name] = 2

    for name in sorted(GRAPH):
        if name not in state:
            visit(name)


def test_the_walk_sees_the_whole_app():
    assert {"Home", "core.db", "core.ai.model_dir", "ui.pages", "demo.seed"} <= set(SOURCES)
    assert "core.db" in GRAPH["core.catalogue.selling"]  # a known edge: the walk reads imports
