"""The plan as text for a terminal: the matrix, the changes against the base, collisions, each stack."""

from __future__ import annotations

import textwrap
from collections.abc import Mapping, Sequence

from tools.plan.model import ONLINE_ONLY, ONLINE_ONLY_TITLE, StackPlan, matrix

WIDTH = 100
"""Text output fits a terminal this wide."""


def _table(rows: Sequence[Sequence[str]]) -> list[str]:
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    lines = []
    for index, row in enumerate(rows):
        lines.append("  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=True)).rstrip())
        if index == 0:
            lines.append("  ".join("-" * width for width in widths))
    return lines


def _column_groups(plans: Sequence[StackPlan], rows: Mapping[str, Mapping[str, str]]) -> list[list[StackPlan]]:
    """Stacks split into groups whose table fits WIDTH columns."""
    first = max([len("secret"), *(len(name) for name in rows)])
    groups: list[list[StackPlan]] = [[]]
    used = first
    for plan in plans:
        width = 2 + max([len(plan.stack), *(len(cells[plan.stack]) for cells in rows.values())])
        if groups[-1] and used + width > WIDTH:
            groups.append([])
            used = first
        groups[-1].append(plan)
        used += width
    return groups


def _wrap(text: str, indent: str) -> list[str]:
    return textwrap.wrap(text, WIDTH, initial_indent=indent, subsequent_indent=indent + "  ", break_on_hyphens=False)


def as_text(
    plans: Sequence[StackPlan],
    problems: Sequence[str],
    changes: Sequence[str] | None = None,
    ci_note: str | None = None,
) -> str:
    """The plan for a terminal: the matrix in tables that fit WIDTH columns, the changes, collisions and stacks;
    `ci_note` says what this repository's CI can have (InfraRepository.describe)."""
    rows = matrix(plans)
    lines = ["Where each secret lands (gh: GitHub environment secret, vercel: targets[@git branch])"]
    for group in _column_groups(plans, rows):
        table = [["secret", *[plan.stack for plan in group]]]
        table += [[name, *(cells[plan.stack] for plan in group)] for name, cells in rows.items()]
        lines += ["", *_table(table)]
    if changes is not None:
        heading = "Changes against the base: where secrets land, and each stack's repositories"
        lines += ["", heading, *(f"  {change}" for change in changes or ["(none)"])]
    if problems:
        lines += ["", "Stacks that collide"]
        for problem in problems:
            lines += _wrap(f"- {problem}", "  ")
    lines += ["", "Stacks"]
    if ci_note is not None:
        lines += _wrap(f"(CI below: {ci_note})", "  ")
    for plan in plans:
        if not plan.ok:
            lines.append(f"  {plan.stack}: INVALID")
            for error in plan.errors:
                lines += _wrap(f"- {error}", "    ")
            continue
        lines.append(
            f"  {plan.stack} ({plan.tier}): environment {plan.environment!r} in {', '.join(plan.repositories)}"
        )
        details = [
            f"GitHub {plan.github_plan}, {plan.visibility} repositories: {plan.gate}",
            f"branches: {', '.join(plan.branches)}; {'protected' if plan.protected else 'unprotected'}",
            f"CI: {plan.ci}",
            f"migration target: {plan.migration}; production-database guard: {plan.guard or 'off'}",
            f"session key: {plan.session_key}",
            f"database credentials: {plan.database_credentials}",
            f"secrets set: {', '.join(plan.secrets_set) or 'none'}; "
            f"missing: {', '.join(plan.secrets_missing) or 'none'}",
        ]
        for detail in details:
            lines += _wrap(detail, "    ")
    lines += ["", ONLINE_ONLY_TITLE]
    for check in ONLINE_ONLY:
        lines += _wrap(f"- {check}", "  ")
    return "\n".join(lines)
