"""The stack the production-database guard compares with: required where the tier has the guard, refused elsewhere."""

from __future__ import annotations

import re

from infra.tables.tiers import PROFILES, TierProfile
from infra.tables.type_tokens import full_key

# Pulumi stack references: `stack`, `org/stack` or `org/project/stack` (DIY backends: `organization/<project>/<stack>`).
_STACK_REFERENCE = re.compile(r"(?:[A-Za-z0-9][A-Za-z0-9_.-]{0,99}/){0,2}[A-Za-z0-9_.-]{1,100}")


def problems(reference: str, profile: TierProfile) -> list[str]:
    if not reference:
        if profile.production_guard:
            # Never silently off: the first deploy brings production up first (README).
            return [
                f"{full_key('productionStack')} is required in {profile.tier}: name the production stack "
                "(e.g. organization/tenantguard-infra/production) so CI_DB_URL is checked against its database; "
                "deploy production first"
            ]
        return []
    if not profile.production_guard:
        return [
            f"{full_key('productionStack')} is only read by tiers with the production-database guard "
            f"({', '.join(p.tier for p in PROFILES.values() if p.production_guard)}); remove it from {profile.tier}"
        ]
    if not _STACK_REFERENCE.fullmatch(reference):
        return [
            f"{full_key('productionStack')} is not a stack name; expected organization/<project>/<stack> "
            "(a DIY backend), <org>/<project>/<stack> (Pulumi Cloud) or <stack>"
        ]
    return []
