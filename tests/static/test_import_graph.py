"""The first-party import graph: no cycle, no production module importing tests or fakes, each package its floor.

Every `import` and `from ... import` at any depth counts: inside functions, and under `if TYPE_CHECKING:` too (an
import only the type checker follows is still a knot in the design). Read from the source with `ast`, so nothing is
imported to find out.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator, Mapping
from functools import cache
from pathlib import Path

from tests.static.first_party import ENTRY_POINT, ROOT, SCANNED, module_name, python_files

PRODUCTION = ("__main__", "infra", "tools", "tenantguard_db", "policy", "scripts")
"""What runs in a deployment or in CI's jobs; bench/ is not one of them and may read the tests' fixture data."""
Graph = Mapping[str, frozenset[str]]


@cache
def sources() -> dict[str, Path]:
    """Every first-party module by dotted name: the scanned code, the entry point and the tests."""
    files = [ROOT / ENTRY_POINT]
    for top in (*SCANNED, "tests"):
        if (ROOT / top).is_dir():
            files += python_files(ROOT / top)
    return {module_name(path): path for path in files}


def is_package(name: str) -> bool:
    return sources()[name].name == "__init__.py"


def imported(name: str) -> Iterator[str]:
    """The first-party modules `name` imports, anywhere in its source."""
    known = sources()
    package = name if is_package(name) else name.rpartition(".")[0]
    for node in ast.walk(ast.parse(sources()[name].read_text())):
        if isinstance(node, ast.Import):
            targets = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")[: len(package.split(".")) - (node.level - 1)]
                base = ".".join([*anchor, *([base] if base else [])])
            # `from package import module` imports the module; `from module import name` the module itself.
            targets = [f"{base}.{alias.name}" if f"{base}.{alias.name}" in known else base for alias in node.names]
        else:
            continue
        for target in targets:
            # `import a.b.c` names a.b.c; the deepest first-party module it names is the one depended on.
            parts = target.split(".")
            for end in range(len(parts), 0, -1):
                if ".".join(parts[:end]) in known:
                    yield ".".join(parts[:end])
                    break


@cache
def graph() -> Graph:
    """Scanned module -> the first-party modules it imports (tests included as targets, never as sources)."""
    scanned = [name for name in sources() if name == "__main__" or name.split(".")[0] in SCANNED]
    return {name: frozenset(target for target in imported(name) if target != name) for name in scanned}


def cycles(edges: Graph) -> list[list[str]]:
    """Strongly connected components of more than one module (Tarjan's algorithm), each sorted."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for target in edges.get(node, ()):
            if target not in edges:
                continue
            if target not in index:
                visit(target)
                low[node] = min(low[node], low[target])
            elif target in on_stack:
                low[node] = min(low[node], index[target])
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

    for node in sorted(edges):
        if node not in index:
            visit(node)
    return found


def is_production(name: str) -> bool:
    return name == "__main__" or name.split(".", maxsplit=1)[0] in PRODUCTION


def is_test_helper(name: str) -> bool:
    return name.split(".", maxsplit=1)[0] == "tests" or "fakes" in name.rsplit(".", maxsplit=1)[-1]


def test_the_graph_is_read_from_every_import() -> None:
    edges = graph()
    assert "infra.config.load" in edges["__main__"]
    assert "infra.config.settings" in edges["infra.components.shadow_secret_check"]
    assert "tools.plan.model" in edges["tools.plan.render.markdown"]
    assert "tenantguard_db.migrate" in edges["infra.migration"]  # imported inside the provider's methods
    assert "tests.fakes" in edges["bench.github_requests"]


def test_a_cycle_is_found_however_it_is_closed() -> None:
    edges = {"a": frozenset({"b"}), "b": frozenset({"c"}), "c": frozenset({"a"}), "d": frozenset({"a"})}
    assert cycles(edges) == [["a", "b", "c"]]
    assert cycles({"a": frozenset({"b"}), "b": frozenset()}) == []


def test_no_first_party_import_cycle() -> None:
    assert cycles(graph()) == []


def test_no_production_module_imports_tests_or_fakes() -> None:
    offending = {
        name: sorted(target for target in targets if is_test_helper(target))
        for name, targets in graph().items()
        if is_production(name)
    }
    assert {name: targets for name, targets in offending.items() if targets} == {}


INFRA_FLOORS = ("infra.tables", "infra.guard", "infra.config", "infra.components")
"""infra's packages from the ground up: each imports only from the ones below it (components also from
infra.migration, the provider's pinned path). infra.stack, on top, puts them together."""


def package_of(name: str, packages: tuple[str, ...]) -> str | None:
    return next((package for package in packages if name == package or name.startswith(f"{package}.")), None)


def test_each_infra_package_imports_only_the_floors_below_it() -> None:
    upward = []
    for name, targets in graph().items():
        floor = package_of(name, INFRA_FLOORS)
        if floor is None:
            continue
        allowed = {*INFRA_FLOORS[: INFRA_FLOORS.index(floor) + 1], "infra.migration"}
        for target in targets:
            if target.startswith("infra") and package_of(target, INFRA_FLOORS) not in allowed and target not in allowed:
                upward.append(f"{name} -> {target}")
    assert upward == []


def test_the_plan_renderers_read_only_the_model() -> None:
    """And each other's helpers (escaping, the Mermaid picture), never the evaluation or the stack files."""
    for name, targets in graph().items():
        if name.startswith("tools.plan.render."):
            assert all(t == "tools.plan.model" or t.startswith("tools.plan.render.") for t in targets), name
