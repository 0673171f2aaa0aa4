"""Which approval gate an environment gets, from its tier, the GitHub plan and the repositories' visibility.

Every request the program sends about an environment's protection is decided here, from the table in
infra/tables/github_plans.py: only what GitHub accepts and acts on for that plan is sent, and a tier whose needs the
plan cannot meet is refused with the reason. Nothing is dropped quietly.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from infra.tables.github_plans import PLAN_KEY, VISIBILITY_KEY, Plan, capabilities
from infra.tables.tiers import TierProfile
from infra.tables.type_tokens import full_key

PERSONAL_PLAN = "pro"
"""GitHub Pro is a personal account's plan: no teams, so no reviewer teams and no ruleset required reviewers."""


@dataclass(frozen=True)
class Protection:
    """What one environment is sent, and the gate that results; the same for every repository of a stack."""

    reviewers: bool
    """The stack's reviewer teams are sent as the environment's required reviewers."""
    prevent_self_review: bool
    """Sent only with reviewers: GitHub refuses it without them (422 "Required reviewers must have at least one
    reviewer to set prevent_self_review", github-community-projects/safe-settings#628)."""
    wait_timer_minutes: int
    can_admins_bypass: bool
    """Where the plan has no protection rules, GitHub keeps its default (true) whatever is sent, so true is sent."""
    ruleset: bool
    """A branch ruleset on the deploying branches stands in for the reviewers the plan cannot give."""
    gate: str
    """What approves a deployment, in one line for the plan and the stack's outputs."""


def _teams(reviewer_teams: Sequence[str]) -> str:
    return ", ".join(reviewer_teams)


def _impossible(
    profile: TierProfile, plan: Plan, visibility: str, reviewer_teams: Sequence[str], repositories: Sequence[str]
) -> str | None:
    """Why nothing can be sent at all for this plan and visibility (or these teams), or None."""
    plan_key, visibility_key = full_key(PLAN_KEY), full_key(VISIBILITY_KEY)
    caps = capabilities(plan, visibility)
    if caps is None:
        return (
            f"{visibility_key} is {visibility}, but internal repositories exist only in organizations on Enterprise "
            f"and {plan_key} is {plan}: set {plan_key} to enterprise, or {visibility_key} to what GitHub shows"
        )
    if not caps.environments:
        named = f" ({', '.join(repositories)})" if repositories else ""
        return (
            f"{plan_key} is {plan} and {visibility_key} {visibility}{named}: GitHub gives {visibility} repositories on "
            f"{plan} no environments or environment secrets (it answers 404); what would serve is a paid plan "
            f"(set {plan_key} to pro, team or enterprise once the owner has one) or public repositories"
        )
    if plan == PERSONAL_PLAN and reviewer_teams:
        # Pro is the plan of a personal account, which has no teams: GET /orgs/{owner}/teams/{slug} answers 404 and
        # a ruleset's required reviewers are teams only ("This rule is not available on user-owned repositories as
        # they do not contain teams": docs, "Available rules for rulesets").
        needs = (
            "needs reviewer teams, so it needs an organization (team or enterprise)"
            if profile.approval_gate_required
            else "takes no reviewer teams there; remove them"
        )
        return (
            f"{full_key('reviewerTeams')} names teams, but {plan_key} is {plan}, a personal account's plan, and a "
            f"personal account (pro) has no teams: {profile.tier} {needs}"
        )
    return None


def protection(
    profile: TierProfile,
    plan: Plan,
    visibility: str,
    *,
    reviewer_teams: Sequence[str],
    wait_timer_minutes: int,
    prevent_self_review: bool,
    branches: Sequence[str],
    repositories: Sequence[str] = (),
) -> Protection | str:
    """The protection an environment gets, or why the stack is refused (naming the keys to change)."""
    caps = capabilities(plan, visibility)
    refused = _impossible(profile, plan, visibility, reviewer_teams, repositories)
    if refused is not None or caps is None:
        return refused or ""
    if caps.protection_rules:
        reviewers = bool(reviewer_teams)
        bypass = profile.admins_bypass
        parts = [f"environment reviewers: {_teams(reviewer_teams)}" if reviewers else "no reviewers"]
        if reviewers:
            parts.append("self-review blocked" if prevent_self_review else "self-review allowed")
        if wait_timer_minutes:
            parts.append(f"wait timer {wait_timer_minutes} min")
        parts.append("admins may bypass" if bypass else "admins cannot bypass")
        return Protection(
            reviewers=reviewers,
            prevent_self_review=reviewers and prevent_self_review,
            wait_timer_minutes=wait_timer_minutes,
            can_admins_bypass=bypass,
            ruleset=False,
            gate="; ".join(parts),
        )
    # Environments and branch rules, but no reviewers, wait timer or bypass setting (Pro or Team, private).
    where = f"{visibility} repositories on {plan}"
    refusals = []
    if wait_timer_minutes:
        refusals.append(
            f"{full_key('waitTimerMinutes')} is {wait_timer_minutes}, but GitHub has no wait timers for {where} "
            f"(only on Enterprise, or in public repositories): set it to 0"
        )
    if reviewer_teams and not profile.approval_gate_required:
        refusals.append(
            f"{full_key('reviewerTeams')} names teams, but GitHub has no environment reviewers for {where} "
            "(only on Enterprise, or in public repositories): remove them, or move to a plan that has them"
        )
    if profile.approval_gate_required and not caps.rulesets:
        refusals.append(
            f"{profile.tier} needs an approval gate, and GitHub gives {where} neither reviewers nor rulesets"
        )
    if refusals:
        return "; ".join(refusals)
    if not profile.approval_gate_required:
        return Protection(False, False, 0, True, False, "no reviewers (none on this plan for private repositories)")
    deploying = ", ".join(branches)
    return Protection(
        reviewers=False,
        prevent_self_review=False,
        wait_timer_minutes=0,
        can_admins_bypass=True,
        ruleset=True,
        gate=(
            f"ruleset on {deploying}: a pull request approved by each of {_teams(reviewer_teams)} "
            "(stale approvals dismissed, not by the last pusher), no force pushes or deletion, no bypass; "
            f"the environment deploys from {deploying} only"
        ),
    )
