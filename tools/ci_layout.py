"""The environments of this (the infra) repository each stack's CI jobs run in, and what gates each one.

Every job that runs Pulumi holds one stack's key and tokens, so it runs in an environment of that stack only
(README, "One trust boundary per stack in CI"); what those environments can have follows the same table as the
app repositories' (infra/tables/github_plans.py), for this repository's owner's plan and its visibility:

    infra-STACK-pr    `pulumi preview` of a pull request: any branch, read-only credentials. It runs the pull
                      request's code, so a production-tier stack's needs reviewers; where the plan has none for
                      this repository (Pro or Team, private), it is not created: that stack's pull requests get the
                      offline plan, and its live preview runs in the deploy job on main, before `pulumi up`.
    infra-STACK       `pulumi up` on main: main only, write credentials; reviewers in production tiers where the
                      plan has them (otherwise main's ruleset is the gate, and no manual dispatch deploys it).
    infra-STACK-read  the daily drift check: main only, read-only credentials, never a reviewer.

Why the `-read` environment needs no reviewer: since 2025-12-08 GitHub evaluates an environment's branch rule
against the run's GITHUB_REF, which is `refs/pull/<n>/merge` for `pull_request` events and the default branch
for `pull_request_target` (GitHub changelog 2025-11-07, "Actions pull_request_target and environment branch
protections changes"; "The deployment branch or tag rule is matched against the GITHUB_REF of the workflow run",
docs "Deployments and environments"). A pull request can no longer pass a main-only rule by naming its head
branch `main`, so only runs of main's reviewed code reach a main-only environment; `schedule` runs on the default
branch ("Events that trigger workflows"). A reviewer on the drift environment would only stall the daily check.
"""

from __future__ import annotations

from dataclasses import dataclass

from infra.tables.github_plans import PLANS, Plan, capabilities
from infra.tables.tiers import TierProfile

PASSPHRASE = "PULUMI_CONFIG_PASSPHRASE"  # noqa: S105 - the secret's name
ACCESS_TOKEN = "PULUMI_ACCESS_TOKEN"  # noqa: S105 - the secret's name
READ_TOKEN = "INFRA_GITHUB_READ_TOKEN"  # noqa: S105 - the secret's name
WRITE_TOKEN = "INFRA_GITHUB_TOKEN"  # noqa: S105 - the secret's name
VERCEL_TOKEN = "INFRA_VERCEL_TOKEN"  # noqa: S105 - the secret's name


def environment_names(stack: str) -> tuple[str, str, str]:
    """The environments of this repository a stack's CI jobs run in: previews, deploys, drift checks."""
    return (f"infra-{stack}-pr", f"infra-{stack}", f"infra-{stack}-read")


@dataclass(frozen=True)
class CiEnvironment:
    name: str
    purpose: str
    branches: tuple[str, ...]
    """Branches that may run jobs in it; empty means any (pull requests run on refs/pull/N/merge)."""
    reviewers: bool
    """The stack's reviewer teams must approve each job."""
    protection_rules: bool
    """GitHub has protection rules here (reviewers, wait timer, the admin-bypass setting): only then are they sent."""
    writes: bool
    """Only the deploy environment changes anything: its tokens and backend role write, the others only read."""
    secrets: tuple[str, ...]

    def request_body(self) -> dict[str, object]:
        """The body of PUT /repos/{owner}/{repo}/environments/{name} ("Create or update an environment").

        Only what GitHub acts on for this plan: where it has no protection rules, a body naming any of them (even
        `wait_timer: 0`) is refused with 422 (integrations/terraform-provider-github#1311, backstage/backstage#28977),
        and `prevent_self_review` without reviewers is refused too (github-community-projects/safe-settings#628).
        """
        body: dict[str, object] = {
            "deployment_branch_policy": (
                {"protected_branches": False, "custom_branch_policies": True} if self.branches else None
            )
        }
        if self.protection_rules:
            # Nobody, admins included, skips the environment's rules (GitHub's default lets admins bypass them).
            body |= {"wait_timer": 0, "can_admins_bypass": False}
        if self.reviewers:
            body["prevent_self_review"] = True
        return body


@dataclass(frozen=True)
class CiLayout:
    """One stack's CI environments, and how its pull requests are previewed."""

    stack: str
    environments: tuple[CiEnvironment, ...]
    live_pull_request_preview: bool
    """A pull request's `pulumi preview` runs in infra-STACK-pr; otherwise only the offline plan runs for it."""
    dispatch_allowed: bool
    """`workflow_dispatch` may deploy the stack: false where a production tier's deploy environment has no reviewers."""
    summary: str
    """One line for the plan: how pull requests, deploys and drift checks of the stack are gated."""


class CiLayoutError(ValueError):
    """This repository's plan and visibility give its CI no environments at all."""


def reviewers_available(plan: Plan | None, visibility: str) -> bool:
    """Whether GitHub gives this repository's environments reviewers; an unknown plan has them only when public."""
    if plan is None:
        return visibility == "public"
    caps = capabilities(plan, visibility)
    return caps is not None and caps.protection_rules


def layout(
    stack: str, profile: TierProfile, plan: Plan | None, visibility: str, *, backend: str, kms: bool
) -> CiLayout:
    """The stack's CI environments in a repository of `visibility` whose owner is on `plan` (None: not known)."""
    caps = capabilities(plan, visibility) if plan in PLANS else None
    if plan is not None and (caps is None or not caps.environments):
        raise CiLayoutError(
            f"this repository is {visibility} on GitHub {plan}, where it has no environments (GitHub answers 404), so "
            "no stack's CI can hold its credentials apart from the others': a paid plan or a public repository would"
        )
    rules = reviewers_available(plan, visibility)
    gated = profile.approval_gate_required
    backend_token = (ACCESS_TOKEN,) if backend == "cloud" else ()
    key = (() if kms else (PASSPHRASE,)) + backend_token
    read = (*key, READ_TOKEN, VERCEL_TOKEN)
    write = (*key, WRITE_TOKEN, VERCEL_TOKEN)
    previews, deploys, drift = environment_names(stack)
    environments = []
    live = not gated or rules
    if live:
        environments.append(CiEnvironment(previews, "pull-request previews", (), gated, rules, False, read))
    environments.append(CiEnvironment(deploys, "deploys", ("main",), gated and rules, rules, True, write))
    environments.append(CiEnvironment(drift, "drift checks", ("main",), False, rules, False, read))
    if not gated:
        summary = "pull requests preview live, without a reviewer; deploys and drift checks from main"
    elif rules:
        summary = (
            f"pull requests preview live after a reviewer approves {previews}; deploys from main after a reviewer "
            f"approves {deploys}; drift checks from main without one"
        )
    else:
        summary = (
            f"pull requests get the offline plan only: {previews} could have no reviewers here, and a preview runs "
            f"the pull request's code with the stack's key; the live preview runs in the deploy job on main before "
            f"`pulumi up`, and only changes main's ruleset let through deploy (no manual dispatch)"
        )
    return CiLayout(stack, tuple(environments), live, not gated or rules, summary)
