"""The shape of the code: which folder may import which, and no import cycles (read with
``ast``, every import statement, at module level or inside functions)."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

from tests.conftest import ROOT

PACKAGES = ("core", "ui", "demo", "tools")


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


def test_pages_are_declared_once():
    """Page paths are typed in ui/pages.py only; everything else goes through its screens."""
    typed = {
        name
        for name, path in SOURCES.items()
        if "app_pages/" in path.read_text(encoding="utf-8") and name != "ui.pages"
    }
    assert not typed, f"page paths typed outside ui/pages.py: {sorted(typed)}"


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
