"""The package's shape: the layers (import-linter checks src/grading in `make lint`; flows/ and
schemas/ are installed from outside it, so they are held to their layers here), no lazy import
dodging a cycle, every module listed in docs/architecture.md, none over ~450 lines."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PACKAGES = {"grading": ROOT / "src" / "grading", "grading.flows": ROOT / "flows", "grading.schemas": ROOT / "schemas"}
# The command defers its imports so that `grading run` never imports Prefect.
LAZY_ALLOWED = {"grading.cli"}
LONG_ALLOWED: set[str] = set()  # every module within MAX_LINES
MAX_LINES = 470


def modules() -> dict[str, Path]:
    out = {}
    for prefix, folder in PACKAGES.items():
        for path in sorted(folder.rglob("*.py")):
            if prefix == "grading" and path.relative_to(folder).parts[0] in ("flows", "schemas"):
                continue
            parts = path.relative_to(folder).with_suffix("").parts
            name = ".".join((prefix, *parts))
            out[name.removesuffix(".__init__")] = path
    return out


def imports(path: Path, *, lazy_only: bool = False) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    scopes = [n for n in ast.walk(tree) if isinstance(n, ast.FunctionDef | ast.AsyncFunctionDef)] if lazy_only \
        else [tree]
    found = set()
    for scope in scopes:
        for node in ast.walk(scope):
            if isinstance(node, ast.ImportFrom) and node.module and node.module.startswith("grading"):
                found.add(node.module)
                found.update(f"{node.module}.{a.name}" for a in node.names)
            elif isinstance(node, ast.Import):
                found.update(a.name for a in node.names if a.name.startswith("grading"))
    return found


def test_schemas_import_only_the_domain_models() -> None:
    for name, path in modules().items():
        if name.startswith("grading.schemas"):
            outside = {m for m in imports(path) if not m.startswith(("grading.schemas", "grading.models"))}
            assert outside == set(), (name, outside)


def test_flows_sit_under_the_command_only() -> None:
    for name, path in modules().items():
        if name.startswith("grading.flows"):
            assert not {m for m in imports(path) if m.startswith("grading.cli")}, name


def test_nothing_below_the_flows_imports_them() -> None:
    for name, path in modules().items():
        if not name.startswith(("grading.flows", "grading.cli")):
            assert not {m for m in imports(path) if m.startswith("grading.flows")}, name


def test_no_lazy_import_dodges_a_cycle() -> None:
    lazy = {name for name, path in modules().items() if imports(path, lazy_only=True)}
    assert lazy <= LAZY_ALLOWED, sorted(lazy - LAZY_ALLOWED)


def test_every_module_is_in_the_architecture_doc() -> None:
    doc = (ROOT / "docs" / "architecture.md").read_text(encoding="utf-8")
    missing = [name for name in modules() if f"`{name}`" not in doc]
    assert missing == [], missing


@pytest.mark.parametrize("name", sorted(modules()))
def test_modules_stay_short(name: str) -> None:
    if name in LONG_ALLOWED:
        pytest.skip("its owners split it (issue 16)")
    lines = len(modules()[name].read_text(encoding="utf-8").splitlines())
    assert lines <= MAX_LINES, f"{name}: {lines} lines"
