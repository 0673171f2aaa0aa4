"""The production-database guard's config: the stack it compares with (required where the tier has the guard, refused
elsewhere), and the values acknowledged to name one of production's database servers."""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence

from infra.config.schema import declared_config
from infra.guard.production_database import ACKNOWLEDGED_KEY
from infra.tables.routes import EXTRA_NAME, EXTRA_SECRETS_KEY
from infra.tables.tiers import PROFILES, TierProfile
from infra.tables.type_tokens import PROJECT, full_key

# Pulumi stack references: `stack`, `org/stack` or `org/project/stack` (DIY backends: `organization/<project>/<stack>`).
_STACK_REFERENCE = re.compile(r"(?:[A-Za-z0-9][A-Za-z0-9_.-]{0,99}/){0,2}[A-Za-z0-9_.-]{1,100}")


def problems(reference: str, profile: TierProfile) -> list[str]:
    if not reference:
        if profile.production_guard:
            # Never silently off: the first deploy brings production up first (docs/tutorial/first-deploy.md).
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


_EXTRA_KEY = re.compile(rf"{PROJECT}:{EXTRA_SECRETS_KEY}\.{EXTRA_NAME.pattern}")


def acknowledged_servers(
    acknowledged: Mapping[str, str], guarded_keys: Sequence[str], profile: TierProfile
) -> tuple[dict[str, str], list[str]]:
    """The acknowledgements by full config key (`tenantguard-infra:extraSecrets.NAME`, the project prefix optional),
    and their problems: a key that is not one of the stack's secrets, one given twice, a missing reason."""
    name = full_key(ACKNOWLEDGED_KEY)
    if acknowledged and not profile.production_guard:
        return {}, [
            f"{name} is only read by tiers with the production-database guard "
            f"({', '.join(p.tier for p in PROFILES.values() if p.production_guard)}); remove it from {profile.tier}"
        ]
    normalised: dict[str, str] = {}
    problems = []
    for position, (entry, reason) in enumerate(acknowledged.items(), start=1):
        key = entry if entry.startswith(f"{PROJECT}:") else full_key(entry)
        # Only a config key is named: an entry of any other shape may be a value pasted in the wrong place.
        shown = key in guarded_keys or _EXTRA_KEY.fullmatch(key) or key in map(full_key, declared_config())
        where = f"{name}[{entry!r}]" if shown else f"{name}: entry {position} of {len(acknowledged)}"
        if key not in guarded_keys:
            problems.append(
                f"{where} is not a secret this stack distributes; expected one of {', '.join(guarded_keys)}"
            )
        elif key in normalised:
            problems.append(f"{where} is acknowledged twice (with and without the {PROJECT}: prefix)")
        if not reason.strip():
            problems.append(f"{where} needs a reason (why the value names production's server, until when)")
        normalised[key] = reason.strip()
    return normalised, problems
