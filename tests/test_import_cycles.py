"""No import cycles in the generator, its runtime or the test API server, and the
test server's rooms depend on each other in one direction only.

Every module of ``generator/`` is parsed with ``ast`` (nothing is imported); an
import is any ``import`` / ``from ... import`` statement, wherever it stands: at the
top, under ``if TYPE_CHECKING:`` or inside a function (a lazy import still makes
the two modules know each other). Edges go to the module named, or to the
submodule when ``from package import name`` names one; importing ``a.b.c`` also
runs ``a/__init__`` and ``a/b/__init__``, but those implicit edges are left out:
a package's ``__init__`` that re-exports its children would otherwise make every
child importing a sibling a "cycle".

Modules a generated package adds (``_api``, ``models``, ``clientset`` ...) are not
in the source tree; imports of them are ignored.
"""

from __future__ import annotations

import ast
from collections.abc import Iterable
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
SOURCE = ROOT / "generator"
TESTING = "generator.runtime.testing"

#: The test API server's rooms, from the outermost in: a room may import the rooms
#: after it, never those before it (the top level may import them all).
ROOMS = ("front", "engine", "authz", "semantics", "protocol")


def module_name(path: Path, root: Path = ROOT) -> str:
    parts = list(path.relative_to(root).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def discover(source: Path = SOURCE) -> dict[str, Path]:
    """Module name -> file, for every module under ``source``."""
    root = source.parent
    return {module_name(path, root): path for path in sorted(source.rglob("*.py"))}


def _resolve_relative(module: str, is_package: bool, level: int, name: str) -> str:
    base = module.split(".")
    if not is_package:
        base.pop()
    if level > 1:
        if level - 1 > len(base):
            raise ValueError(f"{module}: relative import beyond the top package")
        base = base[: len(base) - (level - 1)]
    return ".".join([*base, name] if name else base)


def imports_of(module: str, path: Path, modules: Iterable[str]) -> set[str]:
    """The modules of ``modules`` that ``module`` (the file ``path``) imports."""
    known = set(modules)
    is_package = path.name == "__init__.py"
    found: set[str] = set()
    tree = ast.parse(path.read_text(encoding="utf-8"), str(path))
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                found.add(alias.name)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                target = _resolve_relative(
                    module, is_package, node.level, node.module or ""
                )
            else:
                target = node.module or ""
            named = [f"{target}.{alias.name}" for alias in node.names]
            submodules = [name for name in named if name in known]
            found.update(submodules)
            if len(submodules) < len(named):  # names defined in ``target`` itself
                found.add(target)
    return {name for name in found if name in known and name != module}


def import_graph(source: Path = SOURCE) -> dict[str, set[str]]:
    modules = discover(source)
    return {
        name: imports_of(name, path, modules.keys()) for name, path in modules.items()
    }


def find_cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """One cycle per strongly connected component with more than one module
    (Tarjan's algorithm, iterative), each as a closed path ``a -> b -> a``."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    on_stack: set[str] = set()
    stack: list[str] = []
    components: list[list[str]] = []
    counter = 0
    for start in sorted(graph):
        if start in index:
            continue
        work = [(start, iter(sorted(graph[start])))]
        index[start] = low[start] = counter
        counter += 1
        stack.append(start)
        on_stack.add(start)
        while work:
            node, children = work[-1]
            advanced = False
            for child in children:
                if child not in index:
                    index[child] = low[child] = counter
                    counter += 1
                    stack.append(child)
                    on_stack.add(child)
                    work.append((child, iter(sorted(graph[child]))))
                    advanced = True
                    break
                if child in on_stack:
                    low[node] = min(low[node], index[child])
            if advanced:
                continue
            work.pop()
            if work:
                parent = work[-1][0]
                low[parent] = min(low[parent], low[node])
            if low[node] == index[node]:
                component = []
                while True:
                    member = stack.pop()
                    on_stack.discard(member)
                    component.append(member)
                    if member == node:
                        break
                if len(component) > 1:
                    components.append(sorted(component))
    return [_cycle_in(graph, set(component)) for component in components]


def _cycle_in(graph: dict[str, set[str]], component: set[str]) -> list[str]:
    """A shortest closed path through the component's first module."""
    start = min(component)
    paths = {start: [start]}
    queue = [start]
    while queue:
        node = queue.pop(0)
        for child in sorted(graph[node] & component):
            if child == start:
                return [*paths[node], start]
            if child not in paths:
                paths[child] = [*paths[node], child]
                queue.append(child)
    raise AssertionError(f"not a cycle: {sorted(component)}")


def test_the_generator_has_no_import_cycles() -> None:
    graph = import_graph()
    assert f"{TESTING}.server" in graph  # the walk did reach the test server
    cycles = find_cycles(graph)
    assert not cycles, "import cycles:\n" + "\n".join(
        "  " + " -> ".join(cycle) for cycle in cycles
    )


def _room(module: str) -> str | None:
    """The room of a test server module (None: the top level or outside)."""
    if not module.startswith(TESTING + "."):
        return None
    room = module[len(TESTING) + 1 :].split(".")[0]
    return room if room in ROOMS else None


def test_the_test_server_rooms_depend_inwards_only() -> None:
    graph = import_graph()
    rooms = {_room(module) for module in graph} - {None}
    assert rooms == set(ROOMS)
    wrong = []
    for module, targets in sorted(graph.items()):
        room = _room(module)
        if module.startswith(TESTING + ".") and room is None:
            continue  # the top level (ApiServer, fake ClientSet, CLI) uses every room
        for target in sorted(targets):
            if not target.startswith(TESTING):
                continue
            target_room = _room(target)
            if room is None or target_room is None:
                if room is not None:  # a room reaching up to the top level
                    wrong.append(f"{module} -> {target}")
                continue
            if ROOMS.index(target_room) < ROOMS.index(room):
                wrong.append(f"{module} -> {target}")
    assert not wrong, (
        "imports against the rooms' direction "
        + " -> ".join(ROOMS)
        + ":\n"
        + "\n".join("  " + line for line in wrong)
    )


# ----------------------------------------------------------------- the checker itself


def _write(root: Path, files: dict[str, str]) -> Path:
    for name, text in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    return root / "pkg"


@pytest.mark.parametrize(
    ("files", "cycle"),
    [
        (  # a lazy import inside a function closes the cycle
            {
                "pkg/__init__.py": "",
                "pkg/a.py": "from .b import x\n",
                "pkg/b.py": "def f():\n    from .a import y\n",
            },
            ["pkg.a", "pkg.b", "pkg.a"],
        ),
        (  # TYPE_CHECKING imports count; ``from . import mod`` names the module
            {
                "pkg/__init__.py": "",
                "pkg/sub/__init__.py": "",
                "pkg/sub/a.py": "from typing import TYPE_CHECKING\n"
                "if TYPE_CHECKING:\n    from ..c import C\n",
                "pkg/c.py": "from .sub import a\n",
            },
            ["pkg.c", "pkg.sub.a", "pkg.c"],
        ),
        (  # absolute imports within the package
            {
                "pkg/__init__.py": "",
                "pkg/a.py": "import pkg.b\n",
                "pkg/b.py": "from pkg.a import x\n",
            },
            ["pkg.a", "pkg.b", "pkg.a"],
        ),
    ],
)
def test_cycles_are_found_and_named(
    tmp_path: Path, files: dict[str, str], cycle: list[str]
) -> None:
    assert find_cycles(import_graph(_write(tmp_path, files))) == [cycle]


def test_an_acyclic_package_passes(tmp_path: Path) -> None:
    source = _write(
        tmp_path,
        {
            "pkg/__init__.py": "from typing import TYPE_CHECKING\n"
            "if TYPE_CHECKING:\n    from .a import A\n",
            "pkg/a.py": "from .b import x\nfrom .. import outside\n",
            "pkg/b.py": "from . import c\nimport json\n",
            "pkg/c.py": "",
        },
    )
    graph = import_graph(source)
    assert graph["pkg.a"] == {"pkg.b"}
    assert graph["pkg.b"] == {"pkg.c"}
    assert find_cycles(graph) == []
