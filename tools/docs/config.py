"""docs/reference/config.md: every key Pulumi.yaml and ci/Pulumi.yaml declare, what each tier requires or refuses,
the secret keys with where each is delivered and how to set them, and the names extraSecrets may not take."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from infra.tables.github_plans import PLAN_KEY, VISIBILITY_KEY
from infra.tables.reserved_names import RESERVED
from infra.tables.routes import (
    EXTRA_NAME_RULE,
    EXTRA_ROUTE,
    EXTRA_SECRETS_KEY,
    ROUTES,
    SECRET_NAME_RULE,
    VARIABLES,
    Route,
)
from infra.tables.secret_keys import SECRET_KEYS
from infra.tables.tiers import PROFILES, TierProfile
from infra.tables.type_tokens import PROJECT
from tools.docs.blocks import markdown_body
from tools.docs.markdown import Page, code, codes, prose, table, value

PROJECT_FILE = "Pulumi.yaml"
CI_PROJECT_FILE = "ci/Pulumi.yaml"

GROUPS: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("The stack's tier", ("tier",)),
    (
        "GitHub",
        (
            "githubOwner",
            PLAN_KEY,
            VISIBILITY_KEY,
            "repositories",
            "environmentName",
            "reviewerTeams",
            "deploymentBranches",
            "waitTimerMinutes",
            "preventSelfReview",
            "legacySecretNames",
            "acknowledgedSecrets",
        ),
    ),
    ("Vercel", ("vercelProjectId", "vercelTeamId", "vercelGitBranch", "vercelCustomEnvironmentIds")),
    (
        "Session signing key",
        ("sessionKeyRotation", "sessionKeyPreviousUntil", "sessionKeyRotatedOn", "sessionKeyOverlapDays"),
    ),
    (
        "Database",
        (
            "runMigrations",
            "productionStack",
            "databaseCredentials",
            "databaseServer",
            "databaseRotation",
            "acknowledgedProductionServers",
        ),
    ),
)
"""How the main project's plain keys are grouped on the page; the secret keys have a section of their own, and a key
in no group is listed under "Other keys", so no declared key is ever left off."""


def declared(root: Path, project_file: str) -> dict[str, Mapping[str, Any]]:
    document = yaml.safe_load((root / project_file).read_text())
    return dict(document["config"])


def type_of(spec: Mapping[str, Any]) -> str:
    kind = spec.get("type")
    if kind == "array":
        return f"array of {spec.get('items', {}).get('type', 'any')}"
    if kind is None:
        # Declared without a type (the maps of secrets): named after its default's shape.
        return "object" if isinstance(spec.get("default"), dict) else "any"
    return str(kind)


def default_of(spec: Mapping[str, Any]) -> str:
    return code(value(spec["default"])) if "default" in spec else "required"


def key_table(keys: Mapping[str, Mapping[str, Any]]) -> str:
    rows = [
        (
            code(key),
            type_of(spec),
            default_of(spec),
            "yes" if spec.get("secret") else "each value" if key == EXTRA_SECRETS_KEY else "",
            prose(spec.get("description", "")),
        )
        for key, spec in keys.items()
    ]
    return table(("key", "type", "default", "secret", "description"), rows)


def grouped_keys(keys: Mapping[str, Mapping[str, Any]]) -> str:
    plain = {key: spec for key, spec in keys.items() if not spec.get("secret") and key != EXTRA_SECRETS_KEY}
    sections = []
    placed: set[str] = set()
    for title, names in GROUPS:
        members = {name: plain[name] for name in names if name in plain}
        placed |= set(members)
        if members:
            sections.append(f"### {title}\n\n{key_table(members)}")
    rest = {key: spec for key, spec in plain.items() if key not in placed}
    if rest:
        sections.append(f"### Other keys\n\n{key_table(rest)}")
    secret = {key: spec for key, spec in keys.items() if spec.get("secret") or key == EXTRA_SECRETS_KEY}
    sections.append(
        "### Secrets\n\nSet encrypted, never in plaintext (the commands are below, under "
        "[Setting a stack's secrets](#setting-a-stacks-secrets)).\n\n" + key_table(secret)
    )
    return "\n".join(sections)


@dataclass(frozen=True)
class TierRule:
    """How one field of the tier profiles (infra/tables/tiers.py) bears on config keys, and where it is enforced."""

    keys: tuple[str, ...]
    field: str
    says: Callable[[TierProfile], str]
    enforced_in: str


def _branches(profile: TierProfile) -> str:
    if profile.default_branch_only:
        said = "required: exactly one, the app repositories' default branch"
    elif profile.branches_required:
        said = "required"
    else:
        said = "optional"
    if profile.exact_branches_only:
        return f"{said}; exact names only"
    if not profile.any_branch_allowed:
        return f"{said}; no pattern that any branch could match"
    return said


TIER_RULES: tuple[TierRule, ...] = (
    TierRule(
        ("deploymentBranches",),
        "branches_required, default_branch_only, exact_branches_only, any_branch_allowed",
        _branches,
        "infra/config/rules/github.py",
    ),
    TierRule(
        ("reviewerTeams",),
        "approval_gate_required",
        lambda p: (
            "required: at least one team approves each deployment"
            if p.approval_gate_required
            else "optional; refused where GitHub gives the repositories no environment reviewers (Pro or Team, private)"
        ),
        "infra/config/rules/github.py, infra/config/approval_gate.py",
    ),
    TierRule(
        ("preventSelfReview",),
        "prevent_self_review",
        lambda p: "must be true" if p.prevent_self_review else "as set",
        "infra/config/rules/github.py",
    ),
    TierRule(
        ("environmentName",),
        "environment_name",
        lambda p: (
            f"must be {code(p.environment_name)}"
            if p.environment_name
            else "optional (empty: the stack's name); never another tier's environment"
        ),
        "infra/config/rules/github.py",
    ),
    TierRule(
        ("vercelGitBranch", "vercelCustomEnvironmentIds"),
        "vercel_branch_scope",
        lambda p: "one of the two required, not both" if p.vercel_branch_scope == "required" else "refused",
        "infra/config/rules/vercel.py",
    ),
    TierRule(
        ("productionStack", "acknowledgedProductionServers"),
        "production_guard",
        lambda p: "productionStack required; acknowledgements accepted" if p.production_guard else "refused",
        "infra/config/rules/production_stack.py",
    ),
    TierRule(
        ("ciDbUrl", "databaseUrl", "redisUrl", "databaseServer"),
        "tls_required",
        lambda p: "TLS required: sslmode=require or stricter, rediss://" if p.tls_required else "TLS optional",
        "infra/tables/secret_keys.py, infra/config/rules/database_credentials.py",
    ),
    TierRule(
        ("vercelTeamId",),
        "own_vercel_team",
        lambda p: "a team no stack of another tier uses" if p.own_vercel_team else "may be shared with other tiers",
        "tools/plan/collisions.py",
    ),
)


def tier_rules() -> str:
    tiers = list(PROFILES)
    rows = [
        (codes(rule.keys), *(rule.says(PROFILES[tier]) for tier in tiers), code(rule.field), rule.enforced_in)
        for rule in TIER_RULES
    ]
    return table(("keys", *tiers, "profile field", "enforced in"), rows)


def _vercel_targets(profile: TierProfile) -> str:
    targets = ", ".join(profile.vercel_targets)
    if profile.vercel_branch_scope == "required":
        return f"{targets}, narrowed to vercelGitBranch (or vercelCustomEnvironmentIds instead)"
    return targets


def delivery() -> str:
    rows = [
        (
            tier,
            code(profile.environment_name) if profile.environment_name else "environmentName, else the stack's name",
            _vercel_targets(profile),
        )
        for tier, profile in PROFILES.items()
    ]
    return table(("tier", "GitHub environment (of each repository)", "Vercel targets"), rows)


def _where(route: Route, name: str | None = None) -> tuple[str, str]:
    name = name or route.name
    github = f"environment secret {code(name)}" if route.github else ""
    vercel = f"sensitive variable {code(name)}" if route.vercel else ""
    return github, vercel


def secret_routes() -> str:
    rows = []
    for secret_key in SECRET_KEYS:
        for route in (route for route in ROUTES if route.source == secret_key.key):
            rows.append((code(secret_key.key), secret_key.kind.name, *_where(route), route.purpose))
    for route in ROUTES:
        if route.generated:
            rows.append((f"none: generated ({route.source})", "pulumi-random", *_where(route), route.purpose))
    extra = f"{EXTRA_SECRETS_KEY}.NAME"
    rows.append((code(extra), "any", *_where(EXTRA_ROUTE, "NAME"), EXTRA_ROUTE.purpose))
    return table(("config key", "kind", "GitHub", "Vercel", "purpose"), [tuple(r) for r in rows]) + (
        "\n`NAME` stands for each name in the extraSecrets map: the secret and the variable take that name.\n"
    )


def variables() -> str:
    rows = [(code(variable.name), code(variable.source), variable.purpose) for variable in VARIABLES]
    return table(("GitHub environment variable", "config key", "purpose"), rows)


def set_commands() -> str:
    shared = [key.key for key in SECRET_KEYS if key.shared]
    sections = [f"### {tier}\n\n{markdown_body(tier, profile)}" for tier, profile in PROFILES.items()]
    note = (
        f"Shown for a stack named after its tier; replace the stack name. {codes(shared)} holds the same value on "
        "every stack. Each command asks for the value (none lands in shell history); the comment says what it "
        "expects in that tier.\n\n"
    )
    return note + "\n".join(sections)


def reserved_names() -> str:
    managed = codes(route.name for route in ROUTES)
    rules = (
        f"An extraSecrets name must be {EXTRA_NAME_RULE} (infra/tables/routes.py), a valid GitHub secret name "
        f"({SECRET_NAME_RULE}), none of the managed secrets' names ({managed}), no two of them differing only in "
        "case, and none of the names below, compared in upper case as GitHub compares them "
        "(infra/config/rules/secret_values.py; the first row of infra/tables/reserved_names.py that covers a name is "
        "the one its refusal cites):\n\n"
    )
    rows = [(code(row.name + ("*" if row.prefix else "")), row.does, f"<{row.source}>") for row in RESERVED]
    return rules + table(("name", "why not", "source"), rows)


def body(root: Path) -> str:
    main = declared(root, PROJECT_FILE)
    ci = declared(root, CI_PROJECT_FILE)
    return "\n".join(
        [
            f"Every key of the main project ({code(PROJECT)}, {PROJECT_FILE}) and of the CI project "
            f"({code('tenantguard-ci')}, {CI_PROJECT_FILE}). A key without a default is required; stack files "
            f"hold only what differs from the default. Keys are set with `pulumi config set --stack STACK KEY "
            f"VALUE`, lists and maps with `--path`.\n",
            f"## Main project keys\n\n{grouped_keys(main)}",
            "## What each tier requires or refuses\n\n"
            "From the tier profiles (infra/tables/tiers.py); a stack's config may tighten them, never relax them.\n\n"
            + tier_rules(),
            "## Where each secret goes\n\nEach stack delivers to its own GitHub environment, in each of its "
            "repositories, and to its Vercel project's targets (infra/tables/routes.py):\n\n"
            + delivery()
            + "\n"
            + secret_routes()
            + "\nNon-secret values delivered as GitHub environment variables:\n\n"
            + variables(),
            f"## Setting a stack's secrets\n\n{set_commands()}",
            f"## extraSecrets names\n\n{reserved_names()}",
            f"## CI project keys\n\nThe CI project ({CI_PROJECT_FILE}) is run by an administrator from `ci/`; its "
            "keys are per repository, everything per stack comes from the main project's stack files.\n\n"
            + key_table(ci),
        ]
    )


PAGE = Page(
    "docs/reference/config.md",
    "Configuration",
    "every config key of both projects, what each tier requires or refuses, the secrets and where they go",
    (
        PROJECT_FILE,
        CI_PROJECT_FILE,
        "infra/tables/tiers.py",
        "infra/tables/secret_keys.py",
        "infra/tables/routes.py",
        "infra/tables/reserved_names.py",
    ),
    body,
)
