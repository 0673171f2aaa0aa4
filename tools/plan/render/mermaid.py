"""The plan's picture for a pull request: one Mermaid subgraph per stack, each secret to the places it lands in (a
GitHub environment, Vercel targets) and each GitHub environment to its repositories.

Against a base only the stacks that changed are drawn, and in them only what changed is marked: an edge added (thick,
green, labelled `added`) or removed (dashed, red, labelled `removed`), a place, repository or secret that is new or
gone. Node ids are the stack's and the node's index in sorted lists (`g0`, `g0s1`), never derived from a name, so two
names can never share a node; names appear only in labels, escaped (escape.py).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from tools.plan.model import Edge, Matrix, StackDiff
from tools.plan.render.escape import mermaid_label

MAX_TEXT = 50_000
MAX_EDGES = 500
"""Mermaid's defaults (`maxTextSize`, `maxEdges` in its config schema, mermaid 11): past either it draws an error."""
ADDED_STYLE = "stroke:#1a7f37,stroke-width:3px,color:#1a7f37"
REMOVED_STYLE = "stroke:#cf222e,stroke-width:3px,stroke-dasharray:8 5,color:#cf222e"


def place_label(place: str) -> str:
    """`gh:staging` -> `GitHub environment staging`; `vercel:preview@main` -> `Vercel preview @ main`."""
    kind, _, where = place.partition(":")
    if kind == "gh":
        return f"GitHub environment {where}"
    targets, at, branch = where.partition("@")
    return f"Vercel {targets.replace(',', ', ')}" + (f" @ {branch}" if at else "")


@dataclass
class _Drawing:
    """The flowchart's lines as they are written, and which edges (by their order) and nodes to mark."""

    lines: list[str] = field(default_factory=list)
    edges: int = 0
    added_edges: list[int] = field(default_factory=list)
    removed_edges: list[int] = field(default_factory=list)
    added_nodes: list[str] = field(default_factory=list)
    removed_nodes: list[str] = field(default_factory=list)

    def node(self, node_id: str, label: str, mark: str | None = None) -> None:
        suffix = {"added": " (new)", "removed": " (removed)"}.get(mark or "", "")
        self.lines.append(f'    {node_id}["{mermaid_label(label + suffix)}"]')
        if mark == "added":
            self.added_nodes.append(node_id)
        elif mark == "removed":
            self.removed_nodes.append(node_id)

    def edge(self, source: str, target: str, mark: str | None = None, *, labelled: bool = True) -> None:
        arrow = {"added": "==>", "removed": "-.->"}.get(mark or "", "-->")
        if mark and labelled:
            arrow += f"|{mark}|"
        self.lines.append(f"    {source} {arrow} {target}")
        if mark == "added":
            self.added_edges.append(self.edges)
        elif mark == "removed":
            self.removed_edges.append(self.edges)
        self.edges += 1

    def styles(self) -> list[str]:
        lines = []
        if self.added_nodes or self.removed_nodes:
            lines += [f"  classDef added {ADDED_STYLE}", f"  classDef removed {REMOVED_STYLE}"]
        if self.added_nodes:
            lines.append(f"  class {','.join(self.added_nodes)} added")
        if self.removed_nodes:
            lines.append(f"  class {','.join(self.removed_nodes)} removed")
        if self.added_edges:
            lines.append(f"  linkStyle {','.join(map(str, self.added_edges))} {ADDED_STYLE}")
        if self.removed_edges:
            lines.append(f"  linkStyle {','.join(map(str, self.removed_edges))} {REMOVED_STYLE}")
        return lines


def _mark(before: bool, now: bool, compared: bool) -> str | None:
    if not compared or before == now:
        return None
    return "added" if now else "removed"


def _stack(
    drawing: _Drawing, index: int, diff: StackDiff, *, compared: bool, head: Matrix, base: Matrix | None
) -> None:
    """One stack's subgraph: its secrets, their places, each GitHub environment's repositories."""
    group = f"g{index}"
    # In a stack that is new or gone as a whole its title says so: every edge is coloured, none labelled.
    labelled = diff.status == "changed"
    title = diff.stack + {"new": " (new stack)", "removed": " (stack file removed)"}.get(diff.status, "")
    drawing.lines.append(f'  subgraph {group}["{mermaid_label(title)}"]')
    drawing.lines.append("    direction LR")
    every: set[Edge] = set(diff.edges_before | diff.edges_now)
    secrets = sorted({name for name, _ in every})
    places = sorted({place for _, place in every})
    environments = [place for place in places if place.startswith("gh:")]
    repositories = sorted({*diff.repositories_before, *diff.repositories_now}, key=str.casefold)
    before_repos = {r.casefold() for r in diff.repositories_before}
    now_repos = {r.casefold() for r in diff.repositories_now}
    for number, name in enumerate(secrets):
        # A secret the whole base (or head) does not have is new (or gone), not just newly routed here.
        mark = _mark(base is not None and name in base, name in head, compared and base is not None)
        drawing.node(f"{group}s{number}", name, mark)
    for number, place in enumerate(places):
        mark = _mark(
            any(p == place for _, p in diff.edges_before), any(p == place for _, p in diff.edges_now), compared
        )
        drawing.node(f"{group}p{number}", place_label(place), mark)
    for number, repository in enumerate(repositories):
        mark = _mark(repository.casefold() in before_repos, repository.casefold() in now_repos, compared)
        drawing.node(f"{group}r{number}", repository, mark)
    for secret, place in sorted(every):
        mark = _mark((secret, place) in diff.edges_before, (secret, place) in diff.edges_now, compared)
        drawing.edge(f"{group}s{secrets.index(secret)}", f"{group}p{places.index(place)}", mark, labelled=labelled)
    for place in environments:
        had = any(p == place for _, p in diff.edges_before)
        has = any(p == place for _, p in diff.edges_now)
        for number, repository in enumerate(repositories):
            before = had and repository.casefold() in before_repos
            now = has and repository.casefold() in now_repos
            if before or now:
                mark = _mark(before, now, compared)
                drawing.edge(f"{group}p{places.index(place)}", f"{group}r{number}", mark, labelled=labelled)
    drawing.lines.append("  end")


def mermaid(diffs: Sequence[StackDiff], head: Matrix, base: Matrix | None) -> list[str]:
    """The flowchart of `diffs` (one subgraph each) in a ```mermaid block; marks only against a base."""
    drawing = _Drawing()
    # Mermaid 11 lays out subgraphs that share no edge last-declared first (seen in Chromium): declared in reverse,
    # they read top to bottom in the plan's order. Ids keep the plan's order.
    for index, diff in reversed(list(enumerate(diffs))):
        _stack(drawing, index, diff, compared=base is not None, head=head, base=base)
    lines = ["flowchart LR", *drawing.lines, *drawing.styles()]
    if drawing.edges > MAX_EDGES or len("\n".join(lines)) > MAX_TEXT:
        return [
            f"(No picture: it would have {drawing.edges} edges and {len(chr(10).join(lines)):,} characters, more than "
            f"Mermaid draws, {MAX_EDGES} and {MAX_TEXT:,}; the changes above say it all.)"
        ]
    return ["```mermaid", *lines, "```"]
