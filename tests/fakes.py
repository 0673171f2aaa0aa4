"""Fake config for evaluating the real program: the stack files plus distinctive fake secrets, for the tests and the
benchmarks (never for production code: the offline plan has its own placeholders, tools/plan/placeholders.py).

Every value is built from the secret-key table (infra/tables/secret_keys.py), so a new secret key gets a
fake and a leak needle without anyone writing one.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from pathlib import Path

from infra.tables.routes import EXTRA_SECRETS_KEY
from infra.tables.secret_keys import EXTRA_SECRETS_EXAMPLE, SECRET_KEYS
from infra.tables.tiers import PROFILES, TIERS, Tier, TierProfile
from tools import evaluator

PRODUCTION_STACK_NAME = "organization/tenantguard-infra/production"
"""What the example stack files name in `productionStack`."""
SHARED = "shared"
"""Stands for the stack in the secret part of a key that every stack holds alike."""


def secret_part(key: str, stack: str) -> str:
    """A distinctive string for one secret of one stack: the leak tests search for it everywhere."""
    digest = hashlib.sha256(f"{key}/{stack}".encode()).hexdigest()[:6]
    return f"Leak{key[:1].upper()}{key[1:]}{stack.capitalize()}{digest}"


def stack_tier(stack: str, values: Mapping[str, str] | None = None) -> Tier:
    """The tier a stack's config names; a stack without a valid one is treated as preview."""
    tier = (values if values is not None else evaluator.stack_config(stack)).get("tier", "")
    return next((known for known in TIERS if known == tier), "preview")


def secret_values(stack: str, tier: Tier, secret: str | None = None, domain: str | None = None) -> dict[str, str]:
    """Valid values for every secret config key: around `secret`, or each key's distinctive secret part."""
    profile = PROFILES[tier]
    domain = domain or f"{stack}.internal"
    values = {
        secret_key.key: secret_key.sample(
            secret or secret_part(secret_key.key, SHARED if secret_key.shared else stack), domain, profile
        )
        for secret_key in SECRET_KEYS
    }
    values[EXTRA_SECRETS_KEY] = json.dumps({EXTRA_SECRETS_EXAMPLE: secret or secret_part(EXTRA_SECRETS_EXAMPLE, stack)})
    return values


def fake_secrets(stack: str, tier: Tier | None = None) -> dict[str, str]:
    """Secret config for `stack` (its stack file's tier unless given); every secret part is distinctive."""
    return secret_values(stack, tier or stack_tier(stack))


def needles(stack: str) -> list[str]:
    """Strings that must never appear outside a Pulumi secret for `stack`."""
    parts = [secret_part(key.key, SHARED if key.shared else stack) for key in SECRET_KEYS]
    # The mocks' RandomPassword result stands for the generated session key.
    return [*parts, secret_part(EXTRA_SECRETS_EXAMPLE, stack), "RandomGen"]


def stack_values(stack: str, overrides: Mapping[str, str | None] | None = None) -> tuple[dict[str, str], set[str]]:
    """The stack file's config plus fake secrets, and the keys that are secret; an override of None removes the key."""
    config = evaluator.stack_config(stack)
    secrets = fake_secrets(stack, stack_tier(stack, config))
    values = {**config, **secrets}
    for key, value in (overrides or {}).items():
        if value is None:
            values.pop(key, None)
        else:
            values[key] = value
    return values, set(secrets)


def least_config(profile: TierProfile, plan: str = "team") -> dict[str, str]:
    """The loosest configuration a tier accepts: only what its profile requires."""
    values = {
        "tier": profile.tier,
        "githubOwner": "tenantguard",
        "repositories": json.dumps(["app"]),
        "githubPlan": plan,
        "vercelProjectId": "prj_least",
        "preventSelfReview": "false" if not profile.prevent_self_review else "true",
    }
    if profile.approval_gate_required:
        values["reviewerTeams"] = json.dumps(["ops"])
    if profile.branches_required:
        values["deploymentBranches"] = json.dumps(["main"])
    if profile.environment_name:
        values["environmentName"] = profile.environment_name
    if profile.vercel_branch_scope == "required":
        values["vercelGitBranch"] = "least"
    if profile.production_guard:
        values["productionStack"] = PRODUCTION_STACK_NAME
    return values


def generated_server(stack: str, tier: Tier | None = None) -> str:
    """A stack's databaseServer: its own database, credential-free, TLS where the tier wants it."""
    tls = "?sslmode=require" if PROFILES[tier or stack_tier(stack)].tls_required else ""
    return f"postgresql://db.{stack}.internal:5432/tenantguard{tls}"


def generated_overrides(stack: str, rotation: int = 1, server: str | None = None) -> dict[str, str | None]:
    """Config overrides that switch a stack to generated database credentials: no typed URL, a server, a counter."""
    return {
        "databaseCredentials": "generated",
        "databaseServer": server or generated_server(stack),
        "databaseRotation": str(rotation),
        "ciDbUrl": None,
        "databaseUrl": None,
    }


def admin_url(stack: str, server: str | None = None) -> str:
    """A fake DB_ADMIN_URL for the stack's database: its password is a distinctive leak needle."""
    where = (server or generated_server(stack)).removeprefix("postgresql://")
    return f"postgresql://tg_admin:{secret_part('dbAdminUrl', stack)}@{where}"


def generate_in_stack_file(directory: Path, stack: str) -> None:
    """Switch a copy of a stack file to generated database credentials, as an operator would (README runbook)."""
    path = evaluator.stack_file(stack, directory)
    path.write_text(
        f"{path.read_text()}  tenantguard-infra:databaseCredentials: generated\n"
        f"  tenantguard-infra:databaseServer: {generated_server(stack)}\n"
    )
