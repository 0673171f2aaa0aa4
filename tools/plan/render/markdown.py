"""The offline plan as Markdown for a pull request: matrix, changes, a Mermaid picture, problems.

GitHub renders ```mermaid blocks in comments and job summaries, so a reviewer sees at a glance
which secret flows into which stack's environment and Vercel targets, and what the change moves.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from tools.plan.model import ONLINE_ONLY, ONLINE_ONLY_TITLE, Matrix, StackPlan, matrix_changes


def _node(text: str) -> str:
    return re.sub(r"[^A-Za-z0-9]", "_", text)


def _edges(rows: Matrix) -> set[tuple[str, str]]:
    """(secret, place) pairs, a place being `stack: gh:<env>` or `stack: vercel:<targets>`."""
    edges = set()
    for name, cells in rows.items():
        for stack, cell in cells.items():
            for place in cell.split(" + "):
                if place not in ("-", "?"):
                    edges.add((name, f"{stack}: {place}"))
    return edges


def mermaid(head: Matrix, base: Matrix | None) -> list[str]:
    """A left-to-right flowchart: secrets on the left, each stack's places on the right; changes marked."""
    now = _edges(head)
    before = _edges(base) if base is not None else now
    lines = ["```mermaid", "flowchart LR"]
    names = sorted({name for name, _ in now | before})
    places = sorted({place for _, place in now | before})
    lines += [f'  {_node("s_" + name)}["{name}"]' for name in names]
    lines += [f'  {_node("p_" + place)}["{place}"]' for place in places]
    added, removed = [], []
    for name, place in sorted(now | before):
        source, target = _node("s_" + name), _node("p_" + place)
        if (name, place) not in before:
            lines.append(f"  {source} ==>|added| {target}")
            added.append(place)
        elif (name, place) not in now:
            lines.append(f"  {source} -.->|removed| {target}")
            removed.append(place)
        else:
            lines.append(f"  {source} --> {target}")
    lines += [
        "  classDef added stroke:#1a7f37,stroke-width:3px",
        "  classDef removed stroke:#cf222e,stroke-dasharray:4",
    ]
    lines += [f"  class {_node('p_' + place)} added" for place in sorted(set(added))]
    lines += [f"  class {_node('p_' + place)} removed" for place in sorted(set(removed) - set(added))]
    return [*lines, "```"]


def as_markdown(plans: Sequence[StackPlan], problems: Sequence[str], head: Matrix, base: Matrix | None) -> str:
    stacks = [plan.stack for plan in plans]
    lines = ["## Offline plan: where each secret lands", ""]
    lines += ["| secret | " + " | ".join(stacks) + " |", "|---" * (len(stacks) + 1) + "|"]
    lines += [f"| `{name}` | " + " | ".join(f"`{cells[s]}`" for s in stacks) + " |" for name, cells in head.items()]
    if base is not None:
        changes = matrix_changes(base, head)
        lines += ["", "### Changes against the base branch", ""]
        lines += [f"- `{change}`" for change in changes] or ["No secret moves."]
    lines += ["", *mermaid(head, base)]
    invalid = [plan for plan in plans if not plan.ok]
    if problems or invalid:
        lines += ["", "### Problems", ""]
        lines += [f"- {problem}" for problem in problems]
        lines += [f"- **{plan.stack}**: {error}" for plan in invalid for error in plan.errors]
    lines += [
        "",
        "### Stacks",
        "",
        "| stack | tier | environment | protection | secrets missing |",
        "|---|---|---|---|---|",
    ]
    for plan in plans:
        if plan.ok:
            protection = (
                f"GitHub {plan.github_plan}, {plan.visibility}: {plan.gate}; branches: {', '.join(plan.branches)}; "
                f"{'protected' if plan.protected else 'unprotected'}; CI: {plan.ci}"
            )
            missing = ", ".join(plan.secrets_missing) or "none"
            lines.append(f"| {plan.stack} | {plan.tier} | `{plan.environment}` | {protection} | {missing} |")
        else:
            lines.append(f"| {plan.stack} | | | INVALID | |")
    lines += ["", ONLINE_ONLY_TITLE, "", *(f"- {check}" for check in ONLINE_ONLY)]
    return "\n".join(lines)
