"""The house rules, checked on the code itself: types, lint, sizes, and which way imports run.

- mypy strict is clean on rooms/, live/ and loadtest/, ruff on everything;
- the domain core (rooms/) imports nothing from the shell (live/), and no I/O;
- adapters (live/http, live/sockets) never import each other, and no module imports
  another module's private names;
- the imports between live/ modules have no cycle;
- modules stay under 400 lines and functions under 60.
"""

import ast
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import IO

import pytest

from tests.harness import ROOT

PACKAGES = ("rooms", "live")
ADAPTERS = ("live.http", "live.sockets")
MAX_MODULE_LINES = 400
MAX_FUNCTION_LINES = 60


def _modules() -> Iterator[tuple[str, Path, ast.Module]]:
    for package in PACKAGES:
        for path in sorted((ROOT / package).rglob("*.py")):
            if "migrations" in path.parts:
                continue
            name = ".".join(path.relative_to(ROOT).with_suffix("").parts).removesuffix(".__init__")
            yield name, path, ast.parse(path.read_text(), str(path))


def _imports(tree: ast.Module) -> Iterator[tuple[str, list[str]]]:
    """(module imported, names taken from it) for every import, also inside functions."""
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            yield from ((alias.name, []) for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module:
            yield node.module, [alias.name for alias in node.names]


@pytest.mark.timeout(600)  # a fresh checkout has no mypy cache: 15 s of CPU, longer on a busy machine
def test_mypy_strict_is_clean(mypy_run: tuple[subprocess.Popen[bytes], IO[bytes]]) -> None:
    """mypy itself started with the run (tests/conftest.py): here its verdict."""
    proc, out = mypy_run
    code = proc.wait()
    out.seek(0)
    assert code == 0, out.read().decode()
    out.close()


def test_ruff_is_clean() -> None:
    result = subprocess.run([sys.executable, "-m", "ruff", "check", "."], cwd=ROOT, capture_output=True, text=True)
    assert result.returncode == 0, result.stdout + result.stderr


def test_the_domain_core_imports_nothing_of_the_shell_and_does_no_io() -> None:
    forbidden = ("live", "asyncio", "socket", "time", "datetime", "random", "redis", "sqlalchemy", "starlette", "os")
    for name, _, tree in _modules():
        if name.startswith("rooms"):
            bad = [m for m, _ in _imports(tree) if m.split(".")[0] in forbidden]
            assert not bad, f"{name} imports {bad}"


def test_adapters_do_not_import_each_other_nor_private_names() -> None:
    for name, _, tree in _modules():
        adapter = next((a for a in ADAPTERS if name.startswith(a + ".")), None)
        for module, names in _imports(tree):
            other = next((a for a in ADAPTERS if module.startswith(a + ".") or module == a), None)
            assert adapter is None or other is None or other == adapter, f"adapter {name} imports adapter {module}"
            private = [n for n in names if n.startswith("_") and not n.startswith("__")]
            assert not private, f"{name} imports private {private} from {module}"


def test_imports_between_modules_have_no_cycle() -> None:
    graph: dict[str, set[str]] = {}
    for name, _, tree in _modules():
        # Only module-level imports run at import time; TYPE_CHECKING and lazy imports can't cycle.
        top = [n for n in tree.body if isinstance(n, ast.Import | ast.ImportFrom)]
        graph[name] = {m for m, _ in _imports(ast.Module(body=top, type_ignores=[])) if m.split(".")[0] in PACKAGES}
    state: dict[str, int] = {}

    def visit(node: str, path: list[str]) -> None:
        state[node] = 1
        for nxt in sorted(graph.get(node, ())):
            nxt = nxt if nxt in graph else nxt.rsplit(".", 1)[0]
            if state.get(nxt) == 1:
                raise AssertionError("import cycle: " + " -> ".join([*path, node, nxt]))
            if nxt in graph and not state.get(nxt):
                visit(nxt, [*path, node])
        state[node] = 2

    for node in sorted(graph):
        if not state.get(node):
            visit(node, [])


def test_modules_and_functions_stay_small() -> None:
    too_big = []
    for name, path, tree in _modules():
        lines = len(path.read_text().splitlines())
        if lines > MAX_MODULE_LINES:
            too_big.append(f"{name}: {lines} lines")
        for node in ast.walk(tree):
            if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef) and node.end_lineno is not None:
                length = node.end_lineno - node.lineno + 1
                if length > MAX_FUNCTION_LINES:
                    too_big.append(f"{name}.{node.name}: {length} lines")
    assert not too_big, too_big
