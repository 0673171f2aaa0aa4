"""What GitHub gives a repository's environments and branches, by the owner's plan and the repository's visibility.

"Can production's environment have reviewers here?" is answered by CAPABILITIES, and nowhere else: the program,
the offline plan, the CI environments of this repository and the tests read it. Every row cites GitHub's docs
(github/docs `data/reusables/gated-features/environments.md` and the "Deployments and environments" reference,
https://docs.github.com/en/actions/reference/workflows-and-actions/deployments-and-environments):

    "Environments, environment secrets, and deployment protection rules are available in public repositories for
    all current GitHub plans. [...] For access to environments, environment secrets, and deployment branches in
    private or internal repositories, you must use GitHub Pro, GitHub Team, or GitHub Enterprise. If you are on a
    GitHub Free, GitHub Pro, or GitHub Team plan, other deployment protection rules, such as a wait timer or
    required reviewers, are only available for public repositories."

and, on the same reference page, "Allowing administrators to bypass protection rules is only available for public
repositories for users on GitHub Free, GitHub Pro, and GitHub Team plans."
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal, get_args

Plan = Literal["free", "pro", "team", "enterprise"]
PLANS: tuple[Plan, ...] = get_args(Plan)
Visibility = Literal["public", "private", "internal"]
VISIBILITIES: tuple[Visibility, ...] = get_args(Visibility)
PLAN_KEY = "githubPlan"
"""The config key naming the plan of the stack's GitHub owner."""
VISIBILITY_KEY = "repositoryVisibility"
"""The config key declaring the visibility of the stack's repositories (checked against GitHub on every run)."""


@dataclass(frozen=True)
class Capabilities:
    """What GitHub accepts and acts on for one plan and visibility."""

    environments: bool
    """Environments, their secrets and variables, and deployment branch policies. Without them GitHub answers 404
    (go-github repos_environments.go: "For Free plan private repos the returned error code is 404")."""
    protection_rules: bool
    """Required reviewers (and with them `prevent_self_review`), wait timers and `can_admins_bypass`. Without them
    GitHub answers 422, and go-github (v88, `createNewEnvNoEnterprise`) retries an environment that has no
    reviewers and no wait timer with its branch policy only, silently dropping `can_admins_bypass` and
    `prevent_self_review`: so the program never sends a value there that it would need GitHub to keep."""
    rulesets: bool
    """Repository rulesets on branches ("Rulesets are available in public repositories with GitHub Free [...], and
    in public and private repositories with GitHub Pro, GitHub Team, [...] GitHub Enterprise Cloud": github/docs
    `data/reusables/gated-features/repo-rules.md`, shown on "About rulesets")."""


_PUBLIC = Capabilities(environments=True, protection_rules=True, rulesets=True)
_NONE = Capabilities(environments=False, protection_rules=False, rulesets=False)

CAPABILITIES: dict[tuple[Plan, Visibility], Capabilities | None] = {
    # Public repositories: everything, on every current plan.
    ("free", "public"): _PUBLIC,
    ("pro", "public"): _PUBLIC,
    ("team", "public"): _PUBLIC,
    ("enterprise", "public"): _PUBLIC,
    # Private repositories: no environments on Free; environments and branch rules but no protection rules on
    # Pro and Team; everything on Enterprise.
    ("free", "private"): _NONE,
    ("pro", "private"): Capabilities(environments=True, protection_rules=False, rulesets=True),
    ("team", "private"): Capabilities(environments=True, protection_rules=False, rulesets=True),
    ("enterprise", "private"): _PUBLIC,
    # Internal repositories exist only in organizations on Enterprise ("Internal repositories are available with
    # GitHub Enterprise Cloud and GitHub Enterprise Server": docs, "About repositories"); elsewhere the plan is wrong.
    ("free", "internal"): None,
    ("pro", "internal"): None,
    ("team", "internal"): None,
    ("enterprise", "internal"): _PUBLIC,
}
"""(plan, visibility) -> what its repositories' environments and branches can have; None: no such repository."""


def capabilities(plan: Plan, visibility: str) -> Capabilities | None:
    """What a repository of this visibility can have on this plan; None when the pair cannot exist."""
    if visibility not in VISIBILITIES:
        return None
    return CAPABILITIES[(plan, visibility)]
