"""No import cycles between pollama's modules, checked statically over src/pollama.

An edge A -> B is an import A runs when it is loaded: a module-level `import` or `from ... import`
(inside `if`/`try` too, and class bodies), never one inside a function or under
`if TYPE_CHECKING:`. Importing `pollama.x.y` also runs the `__init__` of `pollama.x`, so that is
an edge too, unless the importer is inside `pollama.x` (its package is already loading then).
`from pollama.x import y` is an edge to the module `pollama.x.y` when there is one.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

import pollama

SOURCE = Path(pollama.__file__).parent
ROOT = "pollama"


def _module_names() -> dict[str, Path]:
    modules: dict[str, Path] = {}
    for path in sorted(SOURCE.rglob("*.py")):
        parts = (ROOT, *path.relative_to(SOURCE).with_suffix("").parts)
        if parts[-1] == "__init__":
            parts = parts[:-1]
        modules[".".join(parts)] = path
    return modules


def _is_type_checking(test: ast.expr) -> bool:
    if isinstance(test, ast.Name):
        return test.id == "TYPE_CHECKING"
    return isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING"


def _load_time_imports(body: list[ast.stmt]) -> Iterator[ast.Import | ast.ImportFrom]:
    """The import statements run when a module body is executed."""
    for node in body:
        if isinstance(node, ast.Import | ast.ImportFrom):
            yield node
        elif isinstance(node, ast.If):
            if not _is_type_checking(node.test):
                yield from _load_time_imports(node.body)
            yield from _load_time_imports(node.orelse)
        elif isinstance(node, ast.Try):
            for block in (node.body, node.orelse, node.finalbody):
                yield from _load_time_imports(block)
            for handler in node.handlers:
                yield from _load_time_imports(handler.body)
        elif isinstance(node, ast.With | ast.ClassDef):
            yield from _load_time_imports(node.body)


def _resolve(importer: str, is_package: bool, node: ast.ImportFrom) -> str:
    if not node.level:
        return node.module or ""
    package = importer if is_package else importer.rpartition(".")[0]
    for _ in range(node.level - 1):
        package = package.rpartition(".")[0]
    return f"{package}.{node.module}" if node.module else package


def _with_packages(target: str, importer: str) -> Iterator[str]:
    """`target` and the packages it lives in, less those the importer is itself inside."""
    parts = target.split(".")
    for end in range(2, len(parts) + 1):
        name = ".".join(parts[:end])
        if not (importer == name or importer.startswith(name + ".")):
            yield name


def import_graph() -> dict[str, set[str]]:
    modules = _module_names()
    graph: dict[str, set[str]] = {name: set() for name in modules}
    for name, path in modules.items():
        tree = ast.parse(path.read_text(encoding="utf-8"), str(path))
        targets: list[str] = []
        for node in _load_time_imports(tree.body):
            if isinstance(node, ast.Import):
                targets += [alias.name for alias in node.names]
                continue
            base = _resolve(name, path.name == "__init__.py", node)
            targets.append(base)
            targets += [f"{base}.{a.name}" for a in node.names if f"{base}.{a.name}" in modules]
        for target in targets:
            if target == ROOT or not target.startswith(ROOT + "."):
                continue
            graph[name].update(t for t in _with_packages(target, name) if t in modules)
        graph[name].discard(name)
    return graph


def _strongly_connected(graph: dict[str, set[str]]) -> list[list[str]]:
    """Tarjan's algorithm (iterative): the components with more than one module."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []
    for start in sorted(graph):
        if start in index:
            continue
        work = [(start, iter(sorted(graph[start])))]
        index[start] = low[start] = len(index)
        stack.append(start)
        on_stack.add(start)
        while work:
            node, edges = work[-1]
            for nxt in edges:
                if nxt not in index:
                    index[nxt] = low[nxt] = len(index)
                    stack.append(nxt)
                    on_stack.add(nxt)
                    work.append((nxt, iter(sorted(graph[nxt]))))
                    break
                if nxt in on_stack:
                    low[node] = min(low[node], index[nxt])
            else:
                work.pop()
                if work:
                    low[work[-1][0]] = min(low[work[-1][0]], low[node])
                if low[node] == index[node]:
                    component = []
                    while True:
                        member = stack.pop()
                        on_stack.discard(member)
                        component.append(member)
                        if member == node:
                            break
                    if len(component) > 1:
                        found.append(sorted(component))
    return found


def _a_cycle(graph: dict[str, set[str]], component: list[str]) -> list[str]:
    """One concrete cycle through the component's first module (breadth-first, shortest)."""
    members = set(component)
    start = component[0]
    paths = {start: [start]}
    queue = [start]
    while queue:
        node = queue.pop(0)
        for nxt in sorted(graph[node] & members):
            if nxt == start:
                return [*paths[node], start]
            if nxt not in paths:
                paths[nxt] = [*paths[node], nxt]
                queue.append(nxt)
    return component


def find_cycles() -> list[list[str]]:
    graph = import_graph()
    return [_a_cycle(graph, component) for component in _strongly_connected(graph)]


def test_the_graph_sees_imports() -> None:
    graph = import_graph()
    assert "pollama.errors" in graph["pollama.settings"]
    assert "pollama.go.net" in graph["pollama.settings"]
    assert "pollama.go" in graph["pollama.settings"]  # the package's __init__ runs first
    assert "pollama.registry" not in graph["pollama.registry.pull"]  # its own package


def test_a_cycle_is_found() -> None:
    graph = {"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}
    components = _strongly_connected(graph)
    assert components == [["a", "b", "c"]]
    assert _a_cycle(graph, components[0]) == ["a", "b", "c", "a"]


def test_no_import_cycles() -> None:
    cycles = find_cycles()
    assert not cycles, "import cycles:\n" + "\n".join(" -> ".join(c) for c in cycles)
