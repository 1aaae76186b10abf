"""The house's layering: every module of ``tokentui`` sits in one wing, and each wing imports only
what it may.

Wings (the mapping is :data:`WINGS`, defined once, here):

- ``base``: the package root (``__version__`` only); anyone may import it.
- ``api``: ``tokentui/gitlab/``, the GitLab API layer. Imports nothing else of tokentui.
- ``core``: the headless modules (connection and session, store, query, expiry, config,
  credentials, self-rotation, start-up, terminal text, ...). Never Textual, never a front.
- ``tui``: the Textual app (``app``, ``actions``, ``typeahead``, ``demo``, ``screens/``,
  ``widgets/``), the only wing that imports ``textual``. It may import the simulator: ``demo``
  runs it in process.
- ``cli``: the command line (``cli``, ``commands/``, ``output``). It imports the TUI only inside
  functions (``commands/tui.py`` loads the app when the TUI is what runs), so a scripting
  command never loads Textual; the runtime check below holds that.
- ``demo``: ``demo_server``, the simulator and a client wired together in process, for the
  TUI's and the CLI's ``--demo``. The core never imports it.
- ``simulator``: ``tokentui/simulator/``, GitLab as the tests see it: an independent statement
  of GitLab's rules, so it imports nothing of the client, the core or the fronts.

Top-level modules are named one by one; a folder that is a wing (``gitlab/``, ``screens/``,
``widgets/``, ``commands/``, ``simulator/``) places every module in it. A module in no wing, or
a mapping entry that names no module, fails: a new module must be placed, a renamed one
re-placed. Imports are read with ``ast`` from the source of every ``.py`` file under the package
(``pkgutil.walk_packages`` skips ``screens/`` and ``widgets/``, which have no ``__init__.py``),
at any depth: inside functions and ``TYPE_CHECKING`` blocks too.

Known violations are listed in :data:`KNOWN_VIOLATIONS`, each with its reason: the rule checks
tolerate exactly those import edges (any other one fails), and a strict ``xfail`` test per
entry fails loudly once the edge is gone, so the entry is removed with the fix.
"""

from __future__ import annotations

import ast
import fnmatch
import subprocess
import sys
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import pytest

import tokentui

PACKAGE_DIR = Path(tokentui.__file__).resolve().parent

#: Every module of the package, by wing. ``pkg.*`` places every module below ``pkg``.
WINGS: dict[str, tuple[str, ...]] = {
    "base": ("tokentui",),
    "api": ("tokentui.gitlab", "tokentui.gitlab.*"),
    "core": ("tokentui.core", "tokentui.core.*"),
    # The in-process demo: the simulator and a client wired together, for both fronts.
    "demo": ("tokentui.demo_server",),
    "tui": ("tokentui.tui", "tokentui.tui.*"),
    "cli": ("tokentui.cli", "tokentui.cli.*"),
    "simulator": ("tokentui.simulator", "tokentui.simulator.*"),
}

#: The wings each wing may import (at any depth). ``LAZY_ONLY``: only inside a function.
MAY_IMPORT: dict[str, frozenset[str]] = {
    "base": frozenset({"base"}),
    "api": frozenset({"base", "api"}),
    "core": frozenset({"base", "api", "core"}),
    "demo": frozenset({"base", "api", "core", "simulator"}),
    "tui": frozenset({"base", "api", "core", "demo", "tui", "simulator"}),
    "cli": frozenset({"base", "api", "core", "demo", "cli", "simulator", "tui"}),
    "simulator": frozenset({"base", "simulator"}),
}
LAZY_ONLY: dict[str, frozenset[str]] = {"cli": frozenset({"tui"})}

#: Only this wing imports ``textual``.
TEXTUAL_WING = "tui"

#: Import edges (importer, imported) that break a rule today, and why. Issue #12 removes them.
KNOWN_VIOLATIONS: dict[tuple[str, str], str] = {}

#: Modules the runtime check must find (the three the old test_api_layer_imports named).
RUNTIME_REQUIRED = ("tokentui.gitlab.client", "tokentui.core.store", "tokentui.cli.commands.tokens")


@dataclass(frozen=True)
class Import:
    """One import statement's target, resolved to a module name."""

    module: str
    line: int
    #: Inside a function (executed when called, not when the module is imported).
    lazy: bool


def module_name(path: Path) -> str:
    parts = path.relative_to(PACKAGE_DIR.parent).with_suffix("").parts
    if parts[-1] == "__init__":
        parts = parts[:-1]
    return ".".join(parts)


@cache
def all_modules() -> dict[str, Path]:
    """Every module of the package: each ``.py`` file below the package directory."""
    return {
        module_name(path): path
        for path in sorted(PACKAGE_DIR.rglob("*.py"))
        if "__pycache__" not in path.parts
    }


def _resolve(node: ast.ImportFrom, importer: str, is_package: bool) -> str:
    if not node.level:
        return node.module or ""
    base = importer.split(".")
    if not is_package:
        base = base[:-1]
    base = base[: len(base) - (node.level - 1)]
    return ".".join([*base, node.module] if node.module else base)


@cache
def imports_of(module: str) -> tuple[Import, ...]:
    """The modules ``module`` imports; ``from pkg import name`` counts as ``pkg.name`` when
    that is a module of the package."""
    path = all_modules()[module]
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    known = all_modules()
    found: list[Import] = []

    def visit(node: ast.AST, lazy: bool) -> None:
        for child in ast.iter_child_nodes(node):
            inner = lazy or isinstance(child, ast.FunctionDef | ast.AsyncFunctionDef | ast.Lambda)
            if isinstance(child, ast.Import):
                found.extend(Import(a.name, child.lineno, lazy) for a in child.names)
            elif isinstance(child, ast.ImportFrom):
                target = _resolve(child, module, path.name == "__init__.py")
                for alias in child.names:
                    sub = f"{target}.{alias.name}"
                    found.append(Import(sub if sub in known else target, child.lineno, lazy))
            visit(child, inner)

    visit(tree, False)
    return tuple(found)


def wing_of(module: str) -> str | None:
    """The wing ``module`` is placed in (a tokentui module), None when in no wing."""
    wings = {w for w, patterns in WINGS.items() for p in patterns if fnmatch.fnmatchcase(module, p)}
    assert len(wings) <= 1, f"{module} is placed in several wings: {sorted(wings)}"
    return wings.pop() if wings else None


def internal(name: str) -> str | None:
    """The tokentui module an import names (a package, a module, or a module's attribute)."""
    while name and name not in all_modules():
        name = name.rpartition(".")[0]
    return name or None


def violations() -> dict[tuple[str, str], str]:
    """Every import edge that breaks a rule, with the rule."""
    found: dict[tuple[str, str], str] = {}
    for module in all_modules():
        wing = wing_of(module)
        assert wing is not None, f"{module} is in no wing"
        for imp in imports_of(module):
            top = imp.module.split(".")[0]
            where = f"{module} line {imp.line} imports {imp.module}"
            if top == "textual" and wing != TEXTUAL_WING:
                found[(module, imp.module)] = f"{where}: only the TUI imports textual"
            if top != "tokentui":
                continue
            target = internal(imp.module)
            assert target is not None, f"{where}: no such module in the package"
            target_wing = wing_of(target)
            if target_wing not in MAY_IMPORT[wing]:
                found[(module, target)] = f"{where}: the {wing} wing may not import {target_wing}"
            elif target_wing in LAZY_ONLY.get(wing, ()) and not imp.lazy:
                found[(module, target)] = (
                    f"{where} at import time: the {wing} wing imports {target_wing} "
                    "only inside functions"
                )
    return found


# --- the mapping ----------------------------------------------------------------------------


def test_the_walk_finds_the_package() -> None:
    modules = all_modules()
    assert {"tokentui", "tokentui.tui.app", "tokentui.gitlab.client"} <= set(modules)
    assert any(m.startswith("tokentui.tui.screens.") for m in modules)
    assert any(m.startswith("tokentui.tui.widgets.") for m in modules)


def test_every_module_is_in_exactly_one_wing() -> None:
    unplaced = [m for m in all_modules() if wing_of(m) is None]
    assert not unplaced, f"place these modules in a wing of WINGS: {unplaced}"


def test_every_mapping_entry_names_a_module() -> None:
    stale = [
        p
        for patterns in WINGS.values()
        for p in patterns
        if not any(fnmatch.fnmatchcase(m, p) for m in all_modules())
    ]
    assert not stale, f"WINGS entries that name no module (moved or renamed?): {stale}"


def test_known_violations_name_modules_that_exist() -> None:
    for importer, imported in KNOWN_VIOLATIONS:
        assert importer in all_modules() and imported in all_modules(), (importer, imported)


# --- the rules --------------------------------------------------------------------------------


def test_no_new_layering_violation() -> None:
    """Only the TUI imports textual; the API layer imports nothing else of tokentui; the
    simulator nothing of the client, the core or the fronts; the TUI not the CLI; the CLI the
    TUI only inside functions. Known edges aside, none broken."""
    new = {edge: why for edge, why in violations().items() if edge not in KNOWN_VIOLATIONS}
    assert not new, "\n".join(sorted(new.values()))


@pytest.mark.parametrize(
    "edge",
    [
        pytest.param(edge, marks=pytest.mark.xfail(strict=True, reason=reason), id="->".join(edge))
        for edge, reason in KNOWN_VIOLATIONS.items()
    ],
)
def test_known_violation_is_fixed(edge: tuple[str, str]) -> None:
    """Fails while the edge exists (xfail); passes, and so fails strictly, once it is fixed:
    then remove the entry from KNOWN_VIOLATIONS."""
    assert edge not in violations(), violations()[edge]


def test_the_rules_catch_what_they_should() -> None:
    """The checker itself: an import inside a function counts, and ``from pkg import module``
    resolves to the module."""
    lazy = [i for i in imports_of("tokentui.cli.commands.tui") if i.module == "tokentui.tui.app"]
    assert lazy and all(i.lazy for i in lazy)
    login = {i.module for i in imports_of("tokentui.core.login")}
    assert {"tokentui.core.config", "tokentui.core.credentials"} <= login


# --- import cycles ---------------------------------------------------------------------------

#: Import cycles that exist today (each a set of modules), and why. Issue #12 removes them; a
#: strict ``xfail`` per entry fails once the cycle is gone, so the entry goes with the fix.
KNOWN_CYCLES: dict[frozenset[str], str] = {
    frozenset(
        {
            "tokentui.tui.app",
            "tokentui.tui.screens.tokens",
            "tokentui.tui.screens.token_detail",
        }
    ): "the app and the token screens import each other (inside functions); they should talk "
    "through messages (issue #12)",
}


def import_cycles() -> list[frozenset[str]]:
    """Every import cycle among the package's modules, counting imports inside functions and
    ``TYPE_CHECKING`` blocks."""
    return find_cycles(
        {
            module: {
                target
                for i in imports_of(module)
                if (target := internal(i.module)) is not None and target != module
            }
            for module in all_modules()
        }
    )


def find_cycles(graph: dict[str, set[str]]) -> list[frozenset[str]]:
    """The strongly connected components of more than one node (Tarjan's algorithm)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    cycles: list[frozenset[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for target in graph[node]:
            if target not in index:
                visit(target)
                low[node] = min(low[node], low[target])
            elif target in on_stack:
                low[node] = min(low[node], index[target])
        if low[node] == index[node]:
            component = set()
            while True:
                member = stack.pop()
                on_stack.discard(member)
                component.add(member)
                if member == node:
                    break
            if len(component) > 1:
                cycles.append(frozenset(component))

    for module in graph:
        if module not in index:
            visit(module)
    return cycles


def test_no_new_import_cycle() -> None:
    new = [sorted(c) for c in import_cycles() if c not in KNOWN_CYCLES]
    assert not new, f"import cycles: {new}"


def test_the_actions_are_in_no_import_cycle() -> None:
    """``tui/actions.py`` reaches the app through a typed host Protocol and the token list
    through its widgets, never by importing the app or the token screens (issue #12)."""
    assert not [sorted(c) for c in import_cycles() if "tokentui.tui.actions" in c]


def test_the_cycle_finder_finds_cycles() -> None:
    graph = {"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a", "e"}, "e": {"d"}, "f": {"a"}}
    assert sorted(map(sorted, find_cycles(graph))) == [["a", "b", "c"], ["d", "e"]]
    assert find_cycles({"a": {"b"}, "b": set()}) == []


@pytest.mark.parametrize(
    "cycle",
    [
        pytest.param(c, marks=pytest.mark.xfail(strict=True, reason=r), id="+".join(sorted(c)))
        for c, r in KNOWN_CYCLES.items()
    ],
)
def test_known_cycle_is_gone(cycle: frozenset[str]) -> None:
    assert cycle not in import_cycles()


# --- at run time --------------------------------------------------------------------------------


def test_headless_modules_do_not_load_textual() -> None:
    """Importing any module outside the TUI, the API layer and the store included, leaves
    Textual out of ``sys.modules`` (catches an import the source walk cannot see, e.g. through
    a dependency). One interpreter imports them in turn and names the first that loads it."""
    modules = [
        m for m in all_modules() if wing_of(m) != TEXTUAL_WING and not m.endswith(".__main__")
    ]
    missing = [m for m in RUNTIME_REQUIRED if m not in modules]
    assert not missing, f"modules the check must cover are gone: {missing}"
    code = (
        "import importlib, sys\n"
        f"for name in {modules!r}:\n"
        "    importlib.import_module(name)\n"
        "    leaked = sorted(m for m in sys.modules if m.split('.')[0] == 'textual')\n"
        "    if leaked:\n"
        "        print(name, 'loads', leaked[0])\n"
        "        break\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=120, check=False
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == ""
