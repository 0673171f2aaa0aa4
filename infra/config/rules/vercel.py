"""Where a stack's Vercel variables go: project, team, and the git branch or custom environments of its tier."""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from infra.config.rules.names import BRANCH, name_problems
from infra.tables.tiers import PROFILES, TierProfile
from infra.tables.type_tokens import full_key

_VERCEL_PROJECT = re.compile(r"prj_[A-Za-z0-9]{1,64}")
_VERCEL_TEAM = re.compile(r"team_[A-Za-z0-9]{1,64}")
_VERCEL_CUSTOM_ENV = re.compile(r"env_[A-Za-z0-9]{1,64}")


def problems(typed: Mapping[str, Any], profile: TierProfile) -> list[str]:
    tier = profile.tier
    found = name_problems(
        "vercelProjectId", [typed["vercelProjectId"]], _VERCEL_PROJECT, "a Vercel project id (prj_...)", listed=False
    )
    if typed["vercelTeamId"]:
        found += name_problems(
            "vercelTeamId", [typed["vercelTeamId"]], _VERCEL_TEAM, "a Vercel team id (team_...)", listed=False
        )
    custom = typed["vercelCustomEnvironmentIds"]
    found += name_problems(
        "vercelCustomEnvironmentIds", custom, _VERCEL_CUSTOM_ENV, "Vercel custom environment ids (env_...)"
    )
    git_branch = typed["vercelGitBranch"]
    if git_branch:
        shape = "a git branch name in printable ASCII"
        found += name_problems("vercelGitBranch", [git_branch], BRANCH, shape, listed=False)
    if profile.vercel_branch_scope == "required" and not (git_branch or custom):
        found.append(
            f"{full_key('vercelGitBranch')} (or vercelCustomEnvironmentIds) is required in {tier}, "
            f"so {tier} values reach only {tier} deployments and not every preview"
        )
    if profile.vercel_branch_scope == "required" and git_branch and custom:
        # Custom environments replace the targets, and Vercel takes a git branch only with the preview
        # target (REST API, "Create one or more environment variables": gitBranch "must have
        # target=preview"): the pair would fail at `pulumi up`, after the GitHub secrets were written.
        found.append(
            f"{full_key('vercelGitBranch')} and {full_key('vercelCustomEnvironmentIds')} are both set; give one "
            "of them: a git branch narrows the preview target, custom environments replace the targets"
        )
    if profile.vercel_branch_scope == "refused":
        for key in ("vercelGitBranch", "vercelCustomEnvironmentIds"):
            if typed[key]:
                accepted = [p.tier for p in PROFILES.values() if p.vercel_branch_scope != "refused"]
                found.append(
                    f"{full_key(key)} is only accepted in {', '.join(accepted)}; "
                    f"{tier} uses the {', '.join(profile.vercel_targets)} target"
                )
    return found
