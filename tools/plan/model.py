"""What the offline plan found for each stack, and the matrix of where each secret lands: what every renderer reads."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

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
