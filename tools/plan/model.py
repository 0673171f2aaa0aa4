"""What the offline plan found for each stack, and the matrix of where each secret lands: what every renderer reads."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

from infra.tables.routes import ROUTES

ONLINE_ONLY = (
    "other copies of each credential: repository, organization and Dependabot secrets under a managed or legacy "
    "name, and secrets in the stack's environment it does not manage (the shadow-secret check, which GitHub answers)",
    "that the reviewer teams exist (their ids here are placeholders)",
    "that each repository's visibility is the stack's repositoryVisibility (a difference stops the run before "
    "anything is written)",
    "the production-database guard on the real URLs (the secrets here are placeholders)",
)
"""What the plan cannot check without GitHub and the real secrets; `pulumi preview` checks it."""
ONLINE_ONLY_TITLE = "Checked only online, by `pulumi preview` and `pulumi up` (this plan cannot see GitHub):"


Matrix = Mapping[str, Mapping[str, str]]
"""Secret name -> stack -> where it lands (`gh:<environment>`, `vercel:<targets>`), `-` for nowhere."""


@dataclass
class StackPlan:
    stack: str
    errors: list[str] = field(default_factory=list)
    tier: str = ""
    environment: str = ""
    owner: str = ""
    repositories: list[str] = field(default_factory=list)
    github_plan: str = ""
    visibility: str = ""
    """The repositories' visibility the stack declares (and every preview and update checks against GitHub)."""
    gates: dict[str, str] = field(default_factory=dict)
    """Repository -> the approval gate its environment has, read from the registered resources (tools/plan/gates.py)."""
    gate: str = ""
    """What approves a deployment to the stack's environments, on that plan and visibility."""
    ruleset: bool = False
    """A branch ruleset stands in for environment reviewers the plan does not have."""
    reviewers: list[str] = field(default_factory=list)
    branches: list[str] = field(default_factory=list)
    wait_timer_minutes: int = 0
    prevent_self_review: bool = False
    admins_bypass: bool = True
    protected: bool = False
    ci: str = ""
    """How the stack's pull requests, deploys and drift checks are gated in this repository (tools/ci_layout.py)."""
    github_secrets: list[str] = field(default_factory=list)
    vercel: dict[str, str] = field(default_factory=dict)
    """Vercel key -> where it lands, e.g. `preview@staging`."""
    vercel_project: str = ""
    """`team/project` the variables belong to."""
    vercel_team: str = ""
    """The Vercel team the stack's provider works in (its token's reach), or `(personal account)`."""
    vercel_places: dict[str, list[tuple[str, str]]] = field(default_factory=dict)
    """Vercel key -> the (target or custom environment, git branch) pairs it is written to."""
    migration: str = ""
    guard: str = ""
    session_key: str = ""
    counters: dict[str, int] = field(default_factory=dict)
    """Rotation counters as the stack file sets them (tools/plan/counters.py): a change moves each by one at most."""
    database_credentials: str = ""
    """Who made CI_DB_URL and DATABASE_URL: typed (provided), or the stack, with the logins its rotation hands out."""
    secrets_set: list[str] = field(default_factory=list)
    """Secret config keys the stack file holds encrypted (`secure:`)."""
    secrets_missing: list[str] = field(default_factory=list)
    """Secret config keys the stack file lacks: a real run fails until they are set."""
    extra_secrets: list[str] = field(default_factory=list)
    """The extraSecrets names any output may show (infra/tables/routes.py `extra_name_shown`)."""
    extra_names_as_written: list[str] = field(default_factory=list, repr=False)
    """Every extraSecrets name in the stack file, sorted, for the placeholders only: never printed, since a name the
    program refuses may be a value pasted in the wrong place."""
    reference: str = ""
    outputs: dict[str, Any] = field(default_factory=dict, repr=False)
    """The stack's outputs, for the stacks that reference it."""

    @property
    def ok(self) -> bool:
        return not self.errors


def matrix(plans: Sequence[StackPlan]) -> dict[str, dict[str, str]]:
    """Secret name -> stack -> where it lands (`gh:<environment>`, `vercel:<targets>`), `-` for nowhere."""
    names = [route.name for route in ROUTES]
    for plan in plans:
        names += [name for name in [*plan.github_secrets, *plan.vercel] if name not in names]
    rows: dict[str, dict[str, str]] = {}
    for name in names:
        rows[name] = {}
        for plan in plans:
            places = []
            if name in plan.github_secrets:
                places.append(f"gh:{plan.environment}")
            if name in plan.vercel:
                places.append(f"vercel:{plan.vercel[name]}")
            rows[name][plan.stack] = " + ".join(places) if plan.ok and places else ("-" if plan.ok else "?")
    return rows


def matrix_changes(base: Mapping[str, Mapping[str, str]], head: Mapping[str, Mapping[str, str]]) -> list[str]:
    """What a change does to where secrets land: one line per cell added, removed or moved."""
    changes = []
    for name in [*head, *(name for name in base if name not in head)]:
        stacks = [*head.get(name, {}), *(s for s in base.get(name, {}) if s not in head.get(name, {}))]
        for stack in stacks:
            before, after = base.get(name, {}).get(stack, "-"), head.get(name, {}).get(stack, "-")
            if before == after:
                continue
            if before == "-":
                changes.append(f"+ {name} in {stack}: {after}")
            elif after == "-":
                changes.append(f"- {name} in {stack}: was {before}")
            else:
                changes.append(f"~ {name} in {stack}: {before} -> {after}")
    return changes


@dataclass(frozen=True)
class Baseline:
    """What the base commit's own plan says (`--base`): its matrix, and each stack's repositories and validity."""

    matrix: Matrix
    repositories: Mapping[str, Sequence[str]] = field(default_factory=dict)
    """Stack -> its repositories as the base's plan lists them (bare names); a stack it does not list is absent."""
    owners: Mapping[str, str] = field(default_factory=dict)
    """Stack -> GitHub owner, where the base's plan says it (plans before it did are read with the head's owner)."""
    invalid: frozenset[str] = frozenset()
    """Stacks the base's plan could not evaluate: their cells are `?`."""
    counters: Mapping[str, Mapping[str, int]] = field(default_factory=dict)
    """Stack -> its rotation counters at the base (absent where the base's plan did not list them)."""

    def only(self, stacks: Sequence[str]) -> Baseline:
        """The baseline of these stacks alone (`--stack`)."""
        return Baseline(
            {name: {s: cell for s, cell in cells.items() if s in stacks} for name, cells in self.matrix.items()},
            {s: repos for s, repos in self.repositories.items() if s in stacks},
            {s: owner for s, owner in self.owners.items() if s in stacks},
            frozenset(s for s in self.invalid if s in stacks),
            {s: counters for s, counters in self.counters.items() if s in stacks},
        )

    @property
    def stacks(self) -> list[str]:
        return sorted({stack for cells in self.matrix.values() for stack in cells} | set(self.repositories))


Edge = tuple[str, str]
"""(secret, place): a place as in a matrix cell, `gh:<environment>` or `vercel:<targets>[@branch]`."""
StackStatus = Literal["changed", "unchanged", "new", "removed", "invalid", "invalid at the base"]


@dataclass(frozen=True)
class StackDiff:
    """One stack against the base: its secrets' places and its repositories, before and now."""

    stack: str
    status: StackStatus
    edges_before: frozenset[Edge]
    edges_now: frozenset[Edge]
    repositories_before: tuple[str, ...]
    """`owner/name`, as the base had them (the head's list where the base's plan does not say)."""
    repositories_now: tuple[str, ...]

    @property
    def repositories_added(self) -> list[str]:
        before = {r.casefold() for r in self.repositories_before}  # GitHub's names ignore case
        return [r for r in self.repositories_now if r.casefold() not in before]

    @property
    def repositories_removed(self) -> list[str]:
        now = {r.casefold() for r in self.repositories_now}
        return [r for r in self.repositories_before if r.casefold() not in now]


def edges(rows: Matrix, stack: str) -> frozenset[Edge]:
    """Where each secret lands in one stack, as (secret, place) pairs."""
    return frozenset(
        (name, place)
        for name, cells in rows.items()
        for place in cells.get(stack, "-").split(" + ")
        if place not in ("-", "?")
    )


def slugs(owner: str, repositories: Sequence[str]) -> tuple[str, ...]:
    return tuple(f"{owner}/{repository}" for repository in repositories)


def stack_diffs(plans: Sequence[StackPlan], base: Baseline) -> list[StackDiff]:
    """Each planned stack against the base, then the stacks only the base has (their stack file is gone)."""
    head = matrix(plans)
    diffs = []
    for plan in plans:
        now = slugs(plan.owner, plan.repositories)
        known = plan.stack in base.stacks
        before = slugs(base.owners.get(plan.stack) or plan.owner, base.repositories.get(plan.stack, plan.repositories))
        status: StackStatus
        if not plan.ok:
            status = "invalid"
        elif not known:
            status, before = "new", ()
        elif plan.stack in base.invalid:
            status = "invalid at the base"
        else:
            moved = edges(base.matrix, plan.stack) != edges(head, plan.stack)
            moved_repositories = {r.casefold() for r in before} != {r.casefold() for r in now}
            status = "changed" if moved or moved_repositories else "unchanged"
        diffs.append(
            StackDiff(plan.stack, status, edges(base.matrix, plan.stack), edges(head, plan.stack), before, now)
        )
    planned = {plan.stack for plan in plans}
    for stack in base.stacks:
        if stack not in planned:
            # A base whose plan predates githubOwner in --json names no owner: `?/name`.
            before = slugs(base.owners.get(stack, "?"), base.repositories.get(stack, ()))
            diffs.append(StackDiff(stack, "removed", edges(base.matrix, stack), frozenset(), before, ()))
    return diffs


def repository_changes(plans: Sequence[StackPlan], base: Baseline) -> list[str]:
    """One line per repository a stack gains or loses: its environment and secrets there are created or deleted."""
    lines = []
    for diff in stack_diffs(plans, base):
        if diff.status in ("changed", "removed"):
            lines += [f"+ repository {r} in {diff.stack}" for r in diff.repositories_added]
            lines += [f"- repository {r} in {diff.stack}" for r in diff.repositories_removed]
    return lines
