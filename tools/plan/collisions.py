"""Mistakes no single stack shows: one GitHub environment, CI environment, owner's plan, Vercel variable or Vercel
team claimed by two stacks."""

from __future__ import annotations

from collections.abc import Sequence

from infra.tables.github_plans import PLAN_KEY
from infra.tables.tiers import profile_for
from infra.tables.type_tokens import (
    full_key,
)
from tools.ci_layout import environment_names
from tools.plan.model import StackPlan


def collisions(plans: Sequence[StackPlan]) -> list[str]:
    """Mistakes no single stack shows: one GitHub environment or one Vercel variable owned by two stacks."""
    problems: list[str] = []
    valid = [plan for plan in plans if plan.ok]
    for index, first in enumerate(plans):
        for second in plans[index + 1 :]:
            # GitHub environment names ignore case: `Production-read` is `production-read`.
            ours = {name.casefold(): name for name in environment_names(first.stack)}
            shared_ci = {ours[name.casefold()] for name in environment_names(second.stack) if name.casefold() in ours}
            if shared_ci:
                problems.append(
                    f"stacks {first.stack} and {second.stack} would share this repository's CI environment "
                    f"{', '.join(sorted(shared_ci))}, and so each other's keys and tokens; rename one"
                )
    for index, first in enumerate(valid):
        for second in valid[index + 1 :]:
            if first.owner.casefold() == second.owner.casefold() and first.github_plan != second.github_plan:
                problems.append(
                    f"stacks {first.stack} and {second.stack} give the GitHub owner {first.owner} different plans "
                    f"({full_key(PLAN_KEY)}: {first.github_plan} and {second.github_plan}); an owner has one plan: "
                    "set the one GitHub shows (Settings, Billing and plans) in both"
                )
            # GitHub compares owner, repository and environment names case-insensitively.
            shared = {r.casefold() for r in first.repositories} & {r.casefold() for r in second.repositories}
            same_owner = first.owner.casefold() == second.owner.casefold()
            if same_owner and shared and first.environment.casefold() == second.environment.casefold():
                problems.append(
                    f"stacks {first.stack} and {second.stack} both own GitHub environment "
                    f"{first.environment!r} in {first.owner}/{', '.join(sorted(shared))}: one would overwrite "
                    "the other's secrets and protection; give each stack its own environmentName"
                )
            problems += _shared_vercel_team(first, second)
            if first.vercel_project != second.vercel_project:
                continue
            for key in sorted(set(first.vercel_places) & set(second.vercel_places)):
                overlap = sorted(set(first.vercel_places[key]) & set(second.vercel_places[key]))
                if overlap:
                    where = ", ".join(f"{place}@{branch}" if branch else place for place, branch in overlap)
                    problems.append(
                        f"stacks {first.stack} and {second.stack} both write Vercel variable {key} of "
                        f"project {first.vercel_project} to {where}: deployments would read whichever was "
                        f"written last; {_separate_vercel_places(first, second)}"
                    )
    return problems


def _shared_vercel_team(first: StackPlan, second: StackPlan) -> list[str]:
    """A tier that needs a Vercel team of its own, sharing it with a stack of another tier.

    The provider reads the team on start (terraform-provider-vercel vercel/provider.go, `Configure`
    calls `GetTeam`), so its token reaches the whole team; and a Vercel token is scoped to an account,
    a team or a project, never a target (https://vercel.com/docs/accounts/access-tokens). The token a
    staging pull request's preview holds, with no reviewer, could then rewrite production's variables.
    """
    profiles = [profile_for(first.tier), profile_for(second.tier)]
    if first.tier == second.tier or first.vercel_team != second.vercel_team:
        return []
    guarded = [
        plan for plan, profile in zip((first, second), profiles, strict=True) if profile and profile.own_vercel_team
    ]
    if not guarded:
        return []
    other = second if guarded[0] is first else first
    return [
        f"stacks {first.stack} and {second.stack} use the same Vercel team {first.vercel_team}, but the "
        f"{guarded[0].tier} tier needs one of its own: the Vercel token {other.stack}'s CI holds (its pull-request "
        f"previews run without a reviewer) could write {guarded[0].stack}'s variables, as a Vercel token "
        f"reaches a whole team, never one target; move {guarded[0].stack} to a Vercel team no other tier uses"
    ]


def _separate_vercel_places(first: StackPlan, second: StackPlan) -> str:
    """The fix for two stacks writing one Vercel variable, in what their tiers accept."""
    narrowed = [
        plan.stack
        for plan in (first, second)
        if (profile := profile_for(plan.tier)) is not None and profile.vercel_branch_scope != "refused"
    ]
    if narrowed:
        return f"give {' or '.join(narrowed)} a vercelGitBranch or custom environment of its own"
    # Tiers that refuse a git branch write whole targets: only another project separates them.
    return "give one a Vercel project of its own (vercelProjectId, e.g. prj_...)"
