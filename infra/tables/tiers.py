"""What each tier of stack is held to: one frozen profile per tier, read by config validation and the stack.

"How does production differ from staging?" is answered by reading PROFILES, and nowhere else.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Literal

Tier = Literal["preview", "staging", "production"]
TIERS: tuple[Tier, ...] = ("preview", "staging", "production")
CLAIMS_PRODUCTION = frozenset({"prod", "production", "prd", "live"})
"""Words that make a stack or environment name read as production; no stack of another tier may use them."""


@dataclass(frozen=True)
class TierProfile:
    """The rules one tier's stacks follow; a stack's config may tighten them, never relax them."""

    tier: Tier
    protect: bool
    """Pulumi `protect` on the environments, branch rules, secrets and Vercel variables."""
    admins_bypass: bool
    """Whether repository admins may skip the environment's reviewers and branch rules."""
    approval_gate_required: bool
    """Each deployment needs an approval by the stack's reviewer teams: environment reviewers where the GitHub plan
    has them, otherwise a branch ruleset that lets only approved changes reach the deploying branches
    (infra/config/approval_gate.py). The teams are required in config either way."""
    prevent_self_review: bool
    """Self-review is always prevented where reviewers approve; when False, `preventSelfReview` decides."""
    branches_required: bool
    """`deploymentBranches` must name the branches that may deploy."""
    exact_branches_only: bool
    """Branch patterns must be exact names: no wildcard at all."""
    any_branch_allowed: bool
    """A pattern without a fixed prefix (`*`, `*-*`, `{staging,*}`) may open the environment to every branch."""
    default_branch_only: bool
    """Only the app repositories' default branch may use the environment: it holds what no pull request's own job
    may hold (the per-pull-request database manager's credential), so its jobs are the default-branch workflow's
    (`pull_request_target`, judged against the default branch since 2025-12-08, `push` and `schedule`)."""
    environment_name: str | None
    """The GitHub environment's fixed name (the policy pack and workflows know it), or None for the stack's."""
    tls_required: bool
    """Database URLs need sslmode=require or stricter, Redis URLs rediss://."""
    vercel_targets: tuple[str, ...]
    """Vercel targets the stack's variables land in."""
    vercel_branch_scope: Literal["required", "refused"]
    """Whether a Vercel git branch (or custom environment) must narrow the targets, or may not be given."""
    production_guard: bool
    """CI_DB_URL is compared with the production stack's database fingerprint, and refused on a match."""
    exports_fingerprint: bool
    """The stack exports its database fingerprint for the other stacks to compare against."""
    deploys_last: bool
    """CI deploys it after every stack of the other tiers, and only once they succeeded."""
    copyable: bool
    """`tools.bootstrap` may copy it into a new stack of the same tier."""
    own_vercel_team: bool
    """No stack of another tier may use its Vercel team: Vercel tokens reach a whole team (the provider
    reads the team, so a project-scoped token cannot serve it), never one target, so a token that can
    write another tier's variables could write this tier's (`tools.plan` checks it across stacks)."""


PROFILES: dict[Tier, TierProfile] = {
    profile.tier: profile
    for profile in (
        # Pull request previews: the app's default-branch workflow makes each pull request's database and deploys
        # its files (no pull-request code runs in that job), no approval; values land in Vercel's preview target.
        TierProfile(
            tier="preview",
            protect=False,
            admins_bypass=True,
            approval_gate_required=False,
            prevent_self_review=False,
            branches_required=True,
            exact_branches_only=True,
            any_branch_allowed=False,
            default_branch_only=True,
            environment_name=None,
            tls_required=False,
            vercel_targets=("preview",),
            vercel_branch_scope="refused",
            production_guard=True,
            exports_fingerprint=False,
            deploys_last=False,
            copyable=True,
            own_vercel_team=False,
        ),
        # Staging: named branches deploy; values reach only the staging branch's preview deployments
        # (or a Vercel custom environment), never every preview.
        TierProfile(
            tier="staging",
            protect=False,
            admins_bypass=True,
            approval_gate_required=False,
            prevent_self_review=False,
            branches_required=True,
            exact_branches_only=False,
            any_branch_allowed=False,
            default_branch_only=False,
            environment_name=None,
            tls_required=False,
            vercel_targets=("preview",),
            vercel_branch_scope="required",
            production_guard=True,
            exports_fingerprint=False,
            deploys_last=False,
            copyable=True,
            own_vercel_team=False,
        ),
        # Production: exact branches, team approval that nobody skips (admins included) or gives
        # themselves, TLS everywhere, protected resources, Vercel's production target only.
        TierProfile(
            tier="production",
            protect=True,
            admins_bypass=False,
            approval_gate_required=True,
            prevent_self_review=True,
            branches_required=True,
            exact_branches_only=True,
            any_branch_allowed=False,
            default_branch_only=False,
            environment_name="production",
            tls_required=True,
            vercel_targets=("production",),
            vercel_branch_scope="refused",
            production_guard=False,
            exports_fingerprint=True,
            deploys_last=True,
            copyable=False,
            own_vercel_team=True,
        ),
    )
}


def profile_for(tier: str) -> TierProfile | None:
    """The profile of a tier named in config, or None when no tier has that name."""
    return next((profile for profile in PROFILES.values() if profile.tier == tier), None)


_WORD = re.compile(r"[A-Z]+(?![a-z])|[A-Z]?[a-z]+|[0-9]+")
"""A word of a name: a run of capitals (an acronym), a capitalised or lower-case run, or a number; anything
else (`-`, `.`, `_`) separates words, and so do camelCase and letter/digit boundaries."""


def production_claims(name: str) -> tuple[str, ...]:
    """The words of `name` that claim production, in any casing: `prod-eu`, `Prod2`, `ProdEU`, `liveEU` ->
    prod or live. A word is only ever whole: `preprod`, `product` and `reproduce` claim nothing."""
    # Both readings: camelCase words (`ProdEU`), and each separated part in one casing (`pROD`, `PrOd`),
    # where a camelCase split would cut a word that is only oddly cased.
    words = {word.casefold() for word in _WORD.findall(name)}
    words |= {word for part in re.split(r"[^A-Za-z0-9]+", name.casefold()) for word in _WORD.findall(part)}
    return tuple(sorted(CLAIMS_PRODUCTION & words))
