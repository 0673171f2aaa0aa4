"""What a stack asks of GitHub: owner, repositories, environment name, reviewers, branches, plan and visibility."""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from infra.config.rules.names import BRANCH, name_problems
from infra.tables.github_plans import PLAN_KEY, PLANS, VISIBILITIES, VISIBILITY_KEY
from infra.tables.tiers import PROFILES, TierProfile, production_claims
from infra.tables.type_tokens import full_key

# Limits GitHub documents; a value past one is refused here, before any resource exists.
MAX_REVIEWERS = 6  # GitHub: "You can list up to six users or teams as reviewers" (docs: deployment environments)
MAX_WAIT_TIMER_MINUTES = 43_200  # GitHub: wait timer "between 0 and 43,200 minutes (30 days)"

_GITHUB_LOGIN = re.compile(r"[A-Za-z0-9](?:[A-Za-z0-9-]{0,38})")
_REPOSITORY = re.compile(r"[A-Za-z0-9_.-]{1,100}")
_ENVIRONMENT = re.compile(r"[A-Za-z0-9_.-]{1,255}")
_TEAM_SLUG = re.compile(r"[a-z0-9][a-z0-9_-]{0,99}")
# GitHub matches deployment branch patterns against the ref with Ruby's File.fnmatch (docs: "Deployments and
# environments", Deployment branches and tags: https://docs.github.com/en/actions/reference/workflows-and-actions/
# deployments-and-environments#deployment-branches-and-tags); braces are refused too, whether or not it expands them.
_WILDCARD = re.compile(r"[*?\[\]{}]")
"""fnmatch's special characters, braces included."""
_SCOPED_BRANCH = re.compile(r"[^*?\[\]{}]+|(?:[^*?\[\]{}/]*[A-Za-z0-9][^*?\[\]{}/]*/)+[*?][^\[\]{}]*")
"""An exact branch name (`staging`), or a pattern fixing whole path segments before any wildcard (`release/*`,
`hotfix/v2/*`): each fixed segment holds a letter or digit and ends at a `/`; no braces or brackets anywhere.
A fixed character or two (`s*`, `2026-*`) or a brace (`f{a,*}`) leaves a pattern that a branch anyone with push
access may create can match; a `/`-ended namespace is what a ruleset can reserve (GitHub rulesets' "Restrict
creations" targets ref name patterns: docs.github.com, "Available rules for rulesets")."""


def problems(stack: str, typed: Mapping[str, Any], profile: TierProfile) -> list[str]:
    tier = profile.tier
    found = name_problems(
        "githubOwner", [typed["githubOwner"]], _GITHUB_LOGIN, "a GitHub organization or user login", listed=False
    )
    repositories = typed["repositories"]
    if not repositories:
        found.append(f"{full_key('repositories')} must list at least one repository")
    found += name_problems(
        "repositories", repositories, _REPOSITORY, "repository names (letters, digits, '.', '_', '-')"
    )
    if any(repository in (".", "..") for repository in repositories):
        found.append(f"{full_key('repositories')} lists '.' or '..', which GitHub does not accept as a repository")
    found += _environment_name_problems(typed["environmentName"] or stack, bool(typed["environmentName"]), profile)

    teams = typed["reviewerTeams"]
    found += name_problems("reviewerTeams", teams, _TEAM_SLUG, "team slugs (lowercase letters, digits, '-', '_')")
    if len(teams) > MAX_REVIEWERS:
        found.append(f"{full_key('reviewerTeams')} lists {len(teams)} teams; GitHub accepts at most {MAX_REVIEWERS}")
    if profile.approval_gate_required and not teams:
        found.append(f"{full_key('reviewerTeams')} must name at least one team in {tier} (deployments need approval)")
    found += _branch_problems(typed["deploymentBranches"], profile)

    wait = typed["waitTimerMinutes"]
    if not 0 <= wait <= MAX_WAIT_TIMER_MINUTES:
        found.append(f"{full_key('waitTimerMinutes')} must be between 0 and {MAX_WAIT_TIMER_MINUTES}")
    if profile.prevent_self_review and not typed["preventSelfReview"]:
        found.append(f"{full_key('preventSelfReview')} must be true in {tier}")
    if typed[PLAN_KEY] not in PLANS:
        found.append(f"{full_key(PLAN_KEY)} must be one of {', '.join(PLANS)} (the plan of {full_key('githubOwner')})")
    if typed[VISIBILITY_KEY] not in VISIBILITIES:
        found.append(f"{full_key(VISIBILITY_KEY)} must be one of {', '.join(VISIBILITIES)}")
    return found


def _environment_name_problems(environment: str, configured: bool, profile: TierProfile) -> list[str]:
    tier = profile.tier
    found = []
    if configured:
        found += name_problems(
            "environmentName", [environment], _ENVIRONMENT, "letters, digits, '.', '_', '-'", listed=False
        )
    fixed = profile.environment_name
    if fixed is not None and environment != fixed:
        # The policy pack and the workflows know this tier's environment by this name.
        found.append(f"{full_key('environmentName')} must be {fixed!r} in {tier} (set it explicitly)")
    named_other = False
    for other in PROFILES.values():
        # GitHub environment names ignore case: `Production` is the production environment.
        if other is not profile and other.environment_name and environment.casefold() == other.environment_name:
            named_other = True
            found.append(
                f"{full_key('environmentName')} (or the stack name it defaults to) names the "
                f"{other.tier} environment, in any casing; a {tier} stack needs an environment of its own"
            )
    claims = production_claims(environment)
    if fixed is None and claims and not named_other:
        # The rule tools.bootstrap applies to stack names: `prod`, `production.`, `live-eu` read as production.
        found.append(
            f"{full_key('environmentName')} (or the stack name it defaults to) claims production "
            f"({', '.join(claims)}) in a {tier} stack; choose a name that says what it is (e.g. {tier}-eu)"
        )
    return found


def _branch_problems(branches: tuple[str, ...], profile: TierProfile) -> list[str]:
    tier = profile.tier
    accepted = "git branch names or fnmatch patterns in printable ASCII"
    found = name_problems("deploymentBranches", branches, BRANCH, accepted)
    if profile.default_branch_only and len(branches) != 1:
        found.append(
            f"{full_key('deploymentBranches')} must name exactly one branch in {tier}, the app repositories' default "
            "branch (e.g. main): only their default-branch workflows (pull_request_target, push, schedule) may hold "
            "the per-pull-request database manager's credential"
        )
    elif profile.branches_required and not branches:
        found.append(f"{full_key('deploymentBranches')} must name the branches that may deploy to {tier}")
    if profile.exact_branches_only and any(_WILDCARD.search(branch) for branch in branches):
        found.append(
            f"{full_key('deploymentBranches')} must name exact branches in {tier} (e.g. main), no wildcards or braces"
        )
    elif not profile.any_branch_allowed:
        for position, branch in enumerate(branches, start=1):
            if BRANCH.fullmatch(branch) and not _SCOPED_BRANCH.fullmatch(branch):
                # `*`, `s*`, `2026-*`, `release/v*`, `f{a,*}`: each matches branches anyone who can push may create.
                found.append(
                    f"{full_key('deploymentBranches')} (item {position} of {len(branches)}) is not accepted in "
                    f"{tier}: give an exact branch name (e.g. {tier}) or whole path segments before any wildcard "
                    "(e.g. release/*, hotfix/v2/*), with no braces or brackets; anyone who can push a matching "
                    f"branch gets {tier}'s secrets, so protect that namespace with a ruleset that limits who can "
                    "create such branches"
                )
    return found
