"""The plan as JSON for machines: the matrix, collisions, what only `pulumi preview` checks, each stack."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from tools.plan.model import ONLINE_ONLY, StackPlan, matrix


def as_json(
    plans: Sequence[StackPlan], problems: Sequence[str] = (), changes: Sequence[str] | None = None
) -> dict[str, Any]:
    document: dict[str, Any] = {
        "matrix": matrix(plans),
        "collisions": list(problems),
        "onlineOnly": list(ONLINE_ONLY),
        "stacks": {
            plan.stack: {
                "ok": plan.ok,
                "errors": plan.errors,
                "tier": plan.tier,
                "environment": plan.environment,
                "githubOwner": plan.owner,
                "repositories": plan.repositories,
                "githubPlan": plan.github_plan,
                "repositoryVisibility": plan.visibility,
                "approvalGate": plan.gate,
                "approvalGates": plan.gates,
                "ci": plan.ci,
                "protection": {
                    "ruleset": plan.ruleset,
                    "reviewerTeams": plan.reviewers,
                    "branches": plan.branches,
                    "waitTimerMinutes": plan.wait_timer_minutes,
                    "preventSelfReview": plan.prevent_self_review,
                    "adminsBypass": plan.admins_bypass,
                    "protected": plan.protected,
                },
                "secrets": {"set": plan.secrets_set, "missing": plan.secrets_missing, "extra": plan.extra_secrets},
                "counters": plan.counters,
                "productionDatabaseGuard": plan.guard,
                "sessionKey": plan.session_key,
                "databaseCredentials": plan.database_credentials,
                "migrationRevision": plan.migration,
            }
            for plan in plans
        },
    }
    if changes is not None:
        document["changes"] = list(changes)
    return document
