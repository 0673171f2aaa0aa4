"""Turns a stack's Pulumi config into one typed, validated Settings object; the only module that reads config."""

from __future__ import annotations

from collections.abc import Collection, Mapping
from typing import Any

import pulumi
from pulumi.runtime import config as runtime_config

from infra.config.approval_gate import Protection, protection
from infra.config.errors import ConfigError
from infra.config.rules import database_credentials, github, production_stack, secret_values, session_key, vercel
from infra.config.rules.shadow_secrets import acknowledgement_problems, legacy_name_problems
from infra.config.schema import typed_values
from infra.config.settings import Secret, SessionKeyRotation, Settings
from infra.guard.production_database import ACKNOWLEDGED_KEY as ACKNOWLEDGED_SERVERS_KEY
from infra.guard.shadow_secrets import ACKNOWLEDGED_KEY, LEGACY_KEY
from infra.tables.github_plans import PLAN_KEY, PLANS, VISIBILITIES, VISIBILITY_KEY
from infra.tables.routes import EXTRA_NAME, EXTRA_SECRETS_KEY, ROUTES, VARIABLES, secret_name_problem
from infra.tables.secret_keys import SECRET_KEYS
from infra.tables.tiers import TIERS, TierProfile, profile_for
from infra.tables.type_tokens import PROJECT, full_key


def parse(stack: str, values: Mapping[str, Any], secret: Collection[str]) -> Settings:
    """Validate a stack's config (keys without the project prefix) and build its Settings.

    `secret` names the keys whose values are stored encrypted. Raises ConfigError listing every
    problem; no message contains a value that is stored as a secret (nor, for simplicity, any value).
    Nothing here reads the clock: one config builds the same Settings on any day.
    """
    typed, problems = typed_values(stack, values, secret)
    if problems:
        # Later rules assume the keys exist with their declared types.
        raise ConfigError(stack, problems)

    profile = profile_for(typed["tier"])
    if profile is None:
        raise ConfigError(stack, [f"{full_key('tier')} must be one of {', '.join(TIERS)}"])
    problems += github.problems(stack, typed, profile)
    problems += vercel.problems(typed, profile)
    problems += production_stack.problems(typed["productionStack"], profile)
    problems += session_key.problems(stack, typed, values)
    secrets = {secret_key.key: Secret(typed[secret_key.key]) for secret_key in SECRET_KEYS}
    problems += database_credentials.problems(stack, typed, secrets, profile)
    # A stack that generates its database credentials holds no typed URL for them: the stack composes them.
    secrets = {key: value for key, value in secrets.items() if key not in database_credentials.replaced_keys(typed)}
    problems += secret_values.problems(stack, secrets, profile)
    problems += secret_values.extra_problems(stack, typed[EXTRA_SECRETS_KEY], EXTRA_SECRETS_KEY in secret)
    extras = {name: Secret(value) for name, value in typed[EXTRA_SECRETS_KEY].items()}
    routed = {route.name: secrets[route.source] for route in ROUTES if route.source in secrets}
    problems += secret_values.limit_problems(routed, extras)
    github_names = [route.name for route in ROUTES if route.github] + list(extras)
    problems += legacy_name_problems(full_key(LEGACY_KEY), typed[LEGACY_KEY], github_names)
    problems += acknowledgement_problems(
        full_key(ACKNOWLEDGED_KEY), typed[ACKNOWLEDGED_KEY], typed["repositories"], github_names
    )
    # Only names extra_problems accepted are listed: a name that is not one may be a value pasted in its place.
    # The administrative connection (databaseServer) is never listed: it may not reach production's server at all.
    guarded_keys = [full_key(route.source) for route in ROUTES if not route.generated and route.source in secrets] + [
        f"{full_key(EXTRA_SECRETS_KEY)}.{name}"
        for name in typed[EXTRA_SECRETS_KEY]
        if EXTRA_NAME.fullmatch(name) and secret_name_problem(name) is None
    ]
    acknowledged_servers, acknowledgement_trouble = production_stack.acknowledged_servers(
        typed[ACKNOWLEDGED_SERVERS_KEY], guarded_keys, profile
    )
    problems += acknowledgement_trouble
    gate = _gate(typed, profile)
    if isinstance(gate, str):
        problems.append(gate)
    if problems or not isinstance(gate, Protection):
        raise ConfigError(stack, problems)

    return Settings(
        stack=stack,
        profile=profile,
        github_owner=typed["githubOwner"],
        github_plan=typed[PLAN_KEY],
        repository_visibility=typed[VISIBILITY_KEY],
        repositories=typed["repositories"],
        environment_name=profile.environment_name or typed["environmentName"] or stack,
        reviewer_teams=typed["reviewerTeams"],
        deployment_branches=typed["deploymentBranches"],
        protection=gate,
        vercel_project_id=typed["vercelProjectId"],
        vercel_team_id=typed["vercelTeamId"] or None,
        vercel_git_branch=typed["vercelGitBranch"] or None,
        vercel_custom_environment_ids=typed["vercelCustomEnvironmentIds"],
        session_key=_session_key(typed),
        run_migrations=typed["runMigrations"],
        production_stack=typed["productionStack"] or None,
        variables={v.name: typed[v.source] for v in VARIABLES if typed[v.source]},
        secret_values={**routed, **extras},
        db_fingerprint_key=secrets["dbFingerprintKey"],
        legacy_secret_names=typed[LEGACY_KEY],
        acknowledged_secrets=typed[ACKNOWLEDGED_KEY],
        database=database_credentials.credentials(typed),
        acknowledged_production_servers=acknowledged_servers,
    )


def _gate(typed: Mapping[str, Any], profile: TierProfile) -> Protection | str | None:
    """What the plan and visibility let the environments have, or a problem naming the keys to change (None: an
    unknown plan or visibility, which the GitHub rules report)."""
    if typed[PLAN_KEY] not in PLANS or typed[VISIBILITY_KEY] not in VISIBILITIES:
        return None
    return protection(
        profile,
        typed[PLAN_KEY],
        typed[VISIBILITY_KEY],
        reviewer_teams=typed["reviewerTeams"],
        wait_timer_minutes=typed["waitTimerMinutes"],
        prevent_self_review=profile.prevent_self_review or typed["preventSelfReview"],
        branches=typed["deploymentBranches"],
        repositories=typed["repositories"],
    )


def _session_key(typed: Mapping[str, Any]) -> SessionKeyRotation:
    return SessionKeyRotation(
        rotation=int(typed["sessionKeyRotation"]),
        previous_until=session_key.parse_date(typed[session_key.PREVIOUS_UNTIL] or ""),
    )


def load() -> Settings:
    """The current stack's Settings, read from the Pulumi runtime's config."""
    prefix = f"{PROJECT}:"
    # pulumi.Config can read a key but not list them; unknown keys are found in the runtime's own map.
    present = {**runtime_config.get_config_env(), **runtime_config.CONFIG.get()}
    secret_env = set(runtime_config.get_config_secret_keys_env())
    values = {key[len(prefix) :]: value for key, value in present.items() if key.startswith(prefix)}
    secret = {key for key in values if runtime_config.is_config_secret(full_key(key)) or full_key(key) in secret_env}
    return parse(pulumi.get_stack(), values, secret)
