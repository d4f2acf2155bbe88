"""The code's shape: the server's import graph has no cycles and points web → services → storage,
and no module's name shadows the standard library or a library the code depends on."""

from __future__ import annotations

import ast
import importlib.metadata
import sys
from pathlib import Path

import pytest

PACKAGE_DIR = Path(__file__).resolve().parents[1] / "homerelay"
SERVER = "homerelay.server"
# Import names of the Raspberry Pi extras (`pip install '.[pi]'`), which are not installed here.
PI_IMPORT_NAMES = {"adafruit_dht", "board", "digitalio", "lgpio", "microcontroller"}

# What each part of the server may import of the server. The app level (`homerelay.server` itself
# and `serving`) wires everything together and may import anything.
LAYERS = {
    f"{SERVER}.web": {f"{SERVER}.web", f"{SERVER}.relay", f"{SERVER}.services", f"{SERVER}.storage.records",
                      f"{SERVER}.storage.serialize",
                      f"{SERVER}.config"},
    f"{SERVER}.relay": {f"{SERVER}.services", f"{SERVER}.storage", f"{SERVER}.fanout"},
    f"{SERVER}.services": {f"{SERVER}.services", f"{SERVER}.storage", f"{SERVER}.fanout"},
    f"{SERVER}.config": {f"{SERVER}.storage"},
    f"{SERVER}.storage": {f"{SERVER}.storage"},
    f"{SERVER}.fanout": {f"{SERVER}.fanout"},
}
APP_LEVEL = {SERVER, f"{SERVER}.serving", f"{SERVER}.gevent_worker"}
def module_name(path: Path) -> str:
    """`homerelay/server/web/auth.py` -> `homerelay.server.web.auth` (a package's `__init__` -> the package)."""
    parts = list(path.relative_to(PACKAGE_DIR.parent).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def server_modules() -> dict[str, Path]:
    """Every module of the server (migration scripts excluded: Alembic loads them by path)."""
    found = {}
    for path in sorted((PACKAGE_DIR / "server").rglob("*.py")):
        if "versions" not in path.parts:
            found[module_name(path)] = path
    return found


def imports_of(path: Path, modules: dict[str, Path]) -> set[str]:
    """The server modules `path` imports, at the top or inside functions alike."""
    targets = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            # `from package import module` names a module; `from module import name` does not.
            names = [f"{node.module}.{alias.name}" for alias in node.names if f"{node.module}.{alias.name}" in modules]
            names = names or [node.module]
        else:
            continue
        targets.update(name for name in names if name in modules)
    return targets


def import_graph() -> dict[str, set[str]]:
    """Each server module and the server modules it imports."""
    modules = server_modules()
    return {name: imports_of(path, modules) - {name} for name, path in modules.items()}


def layer_of(module: str) -> str | None:
    """The entry of `LAYERS` a module belongs to, or None at the app level."""
    if module in APP_LEVEL:
        return None
    return max((layer for layer in LAYERS if module == layer or module.startswith(layer + ".")), key=len)


def within(module: str, prefixes: set[str]) -> bool:
    """Whether a module is one of `prefixes` or inside one of them."""
    return any(module == prefix or module.startswith(prefix + ".") for prefix in prefixes)


def find_cycle(graph: dict[str, set[str]]) -> list[str] | None:
    """One import cycle of the graph (its modules, the first repeated at the end), or None."""
    state: dict[str, str] = {}
    path: list[str] = []

    def visit(module: str) -> list[str] | None:
        state[module] = "open"
        path.append(module)
        for target in sorted(graph[module]):
            if state.get(target) == "open":
                return path[path.index(target):] + [target]
            if target not in state:
                cycle = visit(target)
                if cycle:
                    return cycle
        state[module] = "done"
        path.pop()
        return None

    for module in sorted(graph):
        if module not in state:
            cycle = visit(module)
            if cycle:
                return cycle
    return None


def test_the_server_has_no_import_cycle():
    assert find_cycle(import_graph()) is None


def test_the_cycle_finder_finds_one():
    assert find_cycle({"a": {"b"}, "b": {"c"}, "c": {"a"}}) == ["a", "b", "c", "a"]
    assert find_cycle({"a": {"b"}, "b": set()}) is None


@pytest.mark.parametrize("module", sorted(server_modules()))
def test_a_server_module_imports_only_the_layers_below_it(module):
    layer = layer_of(module)
    if layer is None:
        return
    wrong = sorted(target for target in import_graph()[module]
                   if not within(target, LAYERS[layer]))
    assert wrong == [], f"{module} ({layer}) may import only {sorted(LAYERS[layer])}"


def test_the_graph_sees_the_imports_that_make_the_layers():
    graph = import_graph()
    assert f"{SERVER}.relay" in graph[f"{SERVER}.web.auth"]
    assert f"{SERVER}.storage.db" in graph[f"{SERVER}.services.commands"]
    assert f"{SERVER}.storage.rate_limit_store" in graph[f"{SERVER}.config"]  # imported inside a function


def test_nothing_but_the_app_imports_the_web_surfaces():
    graph = import_graph()
    importers = {module for module, targets in graph.items() for target in targets
                 if within(target, {f"{SERVER}.web"}) and not within(module, {f"{SERVER}.web"})}
    assert importers == {SERVER}


def dependency_import_names() -> set[str]:
    """Top-level import names of every installed distribution but homerelay, and of the Pi extras."""
    names = {name for name, distributions in importlib.metadata.packages_distributions().items()
             if distributions != ["homerelay"]}
    return names | PI_IMPORT_NAMES


def test_no_module_shadows_the_standard_library_or_a_dependency():
    taken = set(sys.stdlib_module_names) | dependency_import_names()
    shadowing = sorted(
        str(path.relative_to(PACKAGE_DIR.parent))
        for path in PACKAGE_DIR.rglob("*.py")
        if "versions" not in path.parts and (path.parent.name if path.name == "__init__.py" else path.stem) in taken
        and path != PACKAGE_DIR / "__init__.py"
    )
    assert shadowing == []


def test_server_module_names_are_unique():
    stems = [name.rsplit(".", 1)[-1] for name in server_modules() if name != SERVER]
    assert sorted({stem for stem in stems if stems.count(stem) > 1}) == []
