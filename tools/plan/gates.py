"""Which approval gate each repository's environment has, read from what the program registered, never from its words.

The plan states a gate only when the registrations make one: environment reviewers on the environment, or an active
branch ruleset of the same repository that requires each reviewer team's approval on every branch the environment
deploys from (the rules infra/config/approval_gate.py decides and the policy pack checks).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from infra.tables.type_tokens import BRANCH_POLICY, ENVIRONMENT, RULESET
from tools import evaluator

NO_GATE = "NO APPROVAL GATE"
NOT_NEEDED = "no approval gate: deploys without a reviewer (none needed in this tier)"


def _names(ids: Sequence[Any], names: Mapping[int, str]) -> str:
    return ", ".join(names.get(int(team), f"team {team}") for team in ids)


def _ruleset_gate(ruleset: Mapping[str, Any], branches: Sequence[str], names: Mapping[int, str]) -> str | None:
    """The gate one ruleset makes for `branches`, or None when it makes none (inactive, bypassable, not covering)."""
    if ruleset.get("enforcement") != "active" or ruleset.get("target") != "branch" or ruleset.get("bypassActors"):
        return None
    includes = set((ruleset.get("conditions") or {}).get("refName", {}).get("includes") or [])
    if not branches or any(f"refs/heads/{branch}" not in includes for branch in branches):
        return None
    rules = ruleset.get("rules") or {}
    pull_request = rules.get("pullRequest") or {}
    teams = [
        reviewer
        for reviewer in pull_request.get("requiredReviewers") or []
        if (reviewer.get("reviewer") or {}).get("type") == "Team" and int(reviewer.get("minimumApprovals") or 0) >= 1
    ]
    if not teams or int(pull_request.get("requiredApprovingReviewCount") or 0) < 1:
        return None
    extras = [
        name
        for name, present in (
            ("stale approvals dismissed", pull_request.get("dismissStaleReviewsOnPush")),
            ("not by the last pusher", pull_request.get("requireLastPushApproval")),
            ("no force pushes", rules.get("nonFastForward")),
            ("no deletion", rules.get("deletion")),
            ("no new branch", rules.get("creation")),
        )
        if present
    ]
    approvers = _names([(team.get("reviewer") or {}).get("id") for team in teams], names)
    return f"ruleset on {', '.join(branches)}: a pull request approved by each of {approvers} ({', '.join(extras)})"


def _environment_gate(environment: Mapping[str, Any], names: Mapping[int, str]) -> str | None:
    teams = [team for reviewer in environment.get("reviewers") or [] for team in reviewer.get("teams") or []]
    users = [user for reviewer in environment.get("reviewers") or [] for user in reviewer.get("users") or []]
    if not (teams or users):
        return None
    parts = [f"environment reviewers: {_names(teams, names)}" + (f", {len(users)} user(s)" if users else "")]
    parts.append("self-review blocked" if environment.get("preventSelfReview") else "self-review allowed")
    if int(environment.get("waitTimer") or 0):
        parts.append(f"wait timer {environment['waitTimer']} min")
    parts.append("admins cannot bypass" if environment.get("canAdminsBypass") is False else "admins may bypass")
    return "; ".join(parts)


def registered_gates(evaluation: evaluator.Evaluation, names: Mapping[int, str]) -> dict[str, str]:
    """Repository -> the gate its environment has, as registered; NO_GATE where none is. `names`: team id -> slug."""
    branch_policies: dict[str, list[str]] = {}
    for policy in evaluation.of_type(BRANCH_POLICY):
        branch_policies.setdefault(str(policy.state["repository"]), []).append(str(policy.state["branchPattern"]))
    rulesets: dict[str, list[Mapping[str, Any]]] = {}
    for ruleset in evaluation.of_type(RULESET):
        rulesets.setdefault(str(ruleset.state["repository"]), []).append(ruleset.state)
    gates = {}
    for urn in evaluation.urns(ENVIRONMENT):
        environment = evaluation.inputs[urn]
        repository = str(environment["repository"])
        branches = sorted(branch_policies.get(repository, []))
        found = [_environment_gate(environment, names)]
        found += [_ruleset_gate(ruleset, branches, names) for ruleset in rulesets.get(repository, [])]
        made = [gate for gate in found if gate]
        gates[repository] = " + ".join(made) if made else NO_GATE
    return gates
