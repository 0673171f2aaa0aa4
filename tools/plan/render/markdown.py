"""The offline plan as Markdown for a pull request: the matrix, what changed against the base branch per stack (its
repositories too) and its picture, problems, each stack.

GitHub renders ```mermaid blocks in comments and job summaries. Every value from a stack file or the program is
escaped for where it is written (escape.py): the plan is the pull request's own account of itself, and a branch or
stack name must not be able to change how it reads.
"""

from __future__ import annotations

from collections.abc import Sequence

from tools.plan.model import (
    ONLINE_ONLY,
    ONLINE_ONLY_TITLE,
    Baseline,
    Matrix,
    StackDiff,
    StackPlan,
    edges,
    matrix,
    slugs,
    stack_diffs,
)
from tools.plan.render.escape import markdown_code, markdown_text
from tools.plan.render.mermaid import mermaid

PLACES = (
    "`gh:` the stack's GitHub environment, in each of its repositories; `vercel:` its Vercel targets, `@branch` for "
    "one git branch only."
)


def _places(cell: str) -> str:
    return " + ".join(markdown_code(place) for place in cell.split(" + "))


def _repositories(repositories: Sequence[str]) -> str:
    return ", ".join(markdown_code(r) for r in repositories) or "none"


def _secret(name: str, head: Matrix, base: Baseline) -> str:
    new = "" if name in base.matrix else " (new secret)"
    gone = "" if name in head else " (no longer delivered anywhere)"
    return markdown_code(name) + new + gone


def _stack_changes(diff: StackDiff, plan: StackPlan | None, head: Matrix, base: Baseline) -> list[str]:
    """One stack's changes as a nested list: repositories first (whole environments), then each secret."""
    stack = markdown_code(diff.stack)
    if diff.status == "invalid":
        return [f"- {stack}: not valid in this branch, so what changes cannot be said (Problems below)"]
    if diff.status == "invalid at the base":
        return [f"- {stack}: was not valid at the base, so nothing is compared (its places are below)"]
    headline = {
        "new": f"- {stack}, **new stack**, in {_repositories(diff.repositories_now)}:",
        "removed": f"- {stack}, **stack file removed**, was in {_repositories(diff.repositories_before)}: no workflow "
        "deploys it any more; what it made stays until someone runs `pulumi destroy` on it. It had:",
    }.get(diff.status, f"- {stack}, in {_repositories(diff.repositories_now)}:")
    lines = [headline]
    environments = sorted({place[3:] for _, place in diff.edges_before | diff.edges_now if place.startswith("gh:")})
    where = ", ".join(markdown_code(e) for e in environments) or "its GitHub environment"
    if diff.status == "changed":
        for repository in diff.repositories_added:
            lines.append(f"  - repository {markdown_code(repository)} **added**: environment {where} and its secrets")
        for repository in diff.repositories_removed:
            consequence = (
                "its environment is protected, so `pulumi up` stops until it is unprotected"
                if plan is not None and plan.protected
                else "`pulumi up` deletes"
            )
            lines.append(
                f"  - repository {markdown_code(repository)} **removed**: {consequence} environment {where} there "
                "and its secrets"
            )
    names = sorted({name for name, _ in diff.edges_before | diff.edges_now})
    for name in names:
        before = sorted(place for secret, place in diff.edges_before if secret == name)
        now = sorted(place for secret, place in diff.edges_now if secret == name)
        if before == now:
            continue
        secret = _secret(name, head, base)
        if not before:
            lines.append(f"  - {secret} **added**: {_places(' + '.join(now))}")
        elif not now:
            lines.append(f"  - {secret} **removed**: was {_places(' + '.join(before))}")
        else:
            lines.append(f"  - {secret} **moved**: {_places(' + '.join(before))} → {_places(' + '.join(now))}")
    return lines


def _changes(plans: Sequence[StackPlan], head: Matrix, base: Baseline) -> list[str]:
    """The changes per stack, then their picture; a line saying so when nothing changed."""
    diffs = stack_diffs(plans, base)
    shown = [diff for diff in diffs if diff.status != "unchanged"]
    lines = ["", "### Changes against the base branch", ""]
    if not shown:
        return [*lines, "Nothing changes: no secret moves, and every stack keeps its repositories."]
    by_stack = {plan.stack: plan for plan in plans}
    for diff in shown:
        lines += _stack_changes(diff, by_stack.get(diff.stack), head, base)
    unchanged = [markdown_code(diff.stack) for diff in diffs if diff.status == "unchanged"]
    if unchanged:
        lines += ["", f"Unchanged: {', '.join(unchanged)}."]
    drawn = [diff for diff in shown if diff.status not in ("invalid", "invalid at the base")]
    if drawn:
        lines += ["", *mermaid(drawn, head, base.matrix)]
    return lines


def _current(plans: Sequence[StackPlan], head: Matrix) -> list[str]:
    """Without a base: where each valid stack's secrets land, as a picture."""
    diffs = [
        StackDiff(p.stack, "unchanged", frozenset(), edges(head, p.stack), (), slugs(p.owner, p.repositories))
        for p in plans
        if p.ok
    ]
    return ["", *mermaid(diffs, head, None)] if diffs else []


def as_markdown(plans: Sequence[StackPlan], problems: Sequence[str], base: Baseline | None) -> str:
    head = matrix(plans)
    stacks = [plan.stack for plan in plans]
    lines = ["## Offline plan: where each secret lands", ""]
    lines += ["| secret | " + " | ".join(markdown_code(s) for s in stacks) + " |", "|---" * (len(stacks) + 1) + "|"]
    lines += [
        f"| {markdown_code(name)} | " + " | ".join(_places(cells[s]) for s in stacks) + " |"
        for name, cells in head.items()
    ]
    lines += ["", PLACES]
    lines += _changes(plans, head, base) if base is not None else _current(plans, head)
    invalid = [plan for plan in plans if not plan.ok]
    if problems or invalid:
        lines += ["", "### Problems", ""]
        lines += [f"- {markdown_text(problem)}" for problem in problems]
        lines += [f"- {markdown_code(plan.stack)}: {markdown_text(error)}" for plan in invalid for error in plan.errors]
    lines += [
        "",
        "### Stacks",
        "",
        "| stack | tier | environment | repositories | protection | secrets missing |",
        "|---|---|---|---|---|---|",
    ]
    for plan in plans:
        if plan.ok:
            protection = markdown_text(
                f"GitHub {plan.github_plan}, {plan.visibility}: {plan.gate}; branches: {', '.join(plan.branches)}; "
                f"{'protected' if plan.protected else 'unprotected'}; CI: {plan.ci}"
            )
            missing = ", ".join(markdown_code(key) for key in plan.secrets_missing) or "none"
            repositories = _repositories(slugs(plan.owner, plan.repositories))
            lines.append(
                f"| {markdown_code(plan.stack)} | {markdown_text(plan.tier)} | {markdown_code(plan.environment)} "
                f"| {repositories} | {protection} | {missing} |"
            )
        else:
            lines.append(f"| {markdown_code(plan.stack)} | | | | INVALID | |")
    lines += ["", ONLINE_ONLY_TITLE, "", *(f"- {check}" for check in ONLINE_ONLY)]
    return "\n".join(lines)
