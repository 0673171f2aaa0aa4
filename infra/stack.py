"""One stack's whole deployment, in the order it happens: environment, secrets, Vercel variables, migration."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import pulumi
import pulumi_github as github
import pulumiverse_vercel as vercel

from infra.components.database_roles import DatabaseRoles, DatabaseRolesArgs
from infra.components.environment import DeploymentEnvironment, DeploymentEnvironmentArgs
from infra.components.generated_secrets import GeneratedSecrets, GeneratedSecretsArgs
from infra.components.github_secrets import EnvironmentSecrets, EnvironmentSecretsArgs
from infra.components.migration import DatabaseMigration, DatabaseMigrationArgs
from infra.components.shadow_secret_check import ShadowSecretCheck, ShadowSecretCheckArgs
from infra.components.vercel import VercelVariables, VercelVariablesArgs
from infra.config.settings import Settings
from infra.guard import production_database, repository_visibility
from infra.guard.database_names import Reading, read
from infra.tables.database_roles import (
    DATABASE_LOGIN_BY_ROUTE,
    MIGRATOR,
    OBSERVER,
    SERVER_KEY,
    SLOTS,
    SLOTTED,
    active_slot,
    role_name,
)
from infra.tables.how_to import ROTATE_GENERATED_DATABASE
from infra.tables.routes import EXTRA_SECRETS_KEY, Route
from infra.tables.secret_keys import SECRET_KEYS
from infra.tables.type_tokens import full_key
from tenantguard_db.revisions import head_revision
from tenantguard_db.urls import mask_url

OBSERVER_OUTPUT = "databaseObserverUrl"
"""The drift check's read-only login, a secret output (docs/explanation/generated-credentials.md)."""
GUARDED_SOURCES = frozenset(secret_key.key for secret_key in SECRET_KEYS if secret_key.production_guard)

Gate = pulumi.Output[Sequence[pulumi.Resource]] | None
"""The production-database guard's verdict (production_database.verdict), or None in a tier without the guard."""


def guarded_values(settings: Settings) -> dict[str, Reading]:
    """Every secret value the stack distributes, read by the guard, by the config key that holds it.

    Chosen by value, not by key: an extra secret (or a key added later) naming a database hands it out just as
    CI_DB_URL does, in whatever shape (infra/guard/database_names.py). Keys whose kind is a PostgreSQL URL are
    always read as one, so the guard fails closed should one ever not look like one. Production exports the
    databases and servers its values name; the other stacks compare theirs (production_database.verdict).
    """
    guarded: dict[str, Reading] = {}
    server = settings.database.server
    if server is not None:
        # Generated credentials: the roles, the composed URLs and the administrative connection all name this database
        # (the provider connects to these coordinates, whatever the deploy job's environment says). Never acknowledged.
        guarded[full_key(SERVER_KEY)] = read(server.url(), url=True)
    for route in settings.routes:
        if route.generated or route.name not in settings.secret_values:
            continue
        value = settings.secret_values[route.name].value
        guarded[_config_key(route)] = read(value, url=route.source in GUARDED_SOURCES)
    return guarded


def _config_key(route: Route) -> str:
    """The config key a routed value comes from, as messages name it.

    Settings exist only for a config whose every extra secret name passed validation (infra/config/
    shows no name that did not), so an extra secret's name may be shown.
    """
    if route.source == EXTRA_SECRETS_KEY:
        return f"{full_key(EXTRA_SECRETS_KEY)}.{route.name}"
    return full_key(route.source)


def verdict(settings: Settings) -> Gate:
    """The guard's verdict on every secret value the stack distributes, in a tier with the guard."""
    if not settings.profile.production_guard or settings.production_stack is None:
        return None
    against = production_database.production(settings.production_stack)
    return production_database.verdict(
        guarded_values(settings),
        settings.db_fingerprint_key.value,
        against,
        settings.acknowledged_production_servers,
        settings.stack,
    )


def after(gate: Gate, **options: Any) -> pulumi.ResourceOptions:
    """Resource options that hold the registration until the guard has passed (production_database.verdict
    says how the SDK awaits an Output-valued depends_on before RegisterResource).

    Every top-level resource gets them, explicitly, here. Their children wait too: prepare_resource
    (pulumi/runtime/resource.py, pulumi 3.272) awaits `opts.parent.urn` before the child's
    RegisterResource, and register_resource resolves a failed registration's URN with its error; custom
    resources also await their provider's reference (`_create_provider_ref`). Tests check both: nothing
    but the StackReference is registered when the guard fails, and every resource waits on it.
    """
    return pulumi.ResourceOptions(depends_on=gate, **options)


def secret_values(
    settings: Settings,
    generated: GeneratedSecrets,
    gate: Gate,
    database_urls: Mapping[str, pulumi.Output[str]] | None = None,
) -> dict[str, pulumi.Output[str]]:
    """Every routed secret's value by secret name, each a Pulumi secret, available only once the guard passed.

    `database_urls`: the URLs a stack generating its database credentials composes, by the config key they replace.
    """
    generated_values = generated.by_source()
    database_urls = database_urls or {}
    values: dict[str, pulumi.Output[str]] = {}
    for route in settings.routes:
        if route.generated:
            if route.source in generated_values:
                values[route.name] = generated_values[route.source]
        elif route.source in database_urls:
            values[route.name] = database_urls[route.source]
        else:
            values[route.name] = pulumi.Output.secret(settings.secret_values[route.name].value)
    if gate is None:
        return values
    return {name: production_database.passed(gate, value) for name, value in values.items()}


def build(settings: Settings) -> dict[str, object]:
    """Declare the stack's resources and return its outputs, none of which is a secret value.

    First the guard's verdict: every resource below waits for it, so a stack handed one of production's
    databases (or a fingerprint key that is not production's) registers nothing at all.
    """
    guard = verdict(settings)
    github_provider = github.Provider("github", owner=settings.github_owner, opts=after(guard))
    # Then the repositories as GitHub has them: everything else also waits until their visibility is the declared one.
    found = repository_visibility.look_up(settings.github_owner, settings.repositories, github_provider)
    gate = repository_visibility.visibility_verdict(settings.github_owner, settings.repository_visibility, found, guard)
    vercel_provider = vercel.Provider("vercel", team=settings.vercel_team_id, opts=after(gate))

    rotation = settings.session_key
    generated = GeneratedSecrets(
        "generated",
        GeneratedSecretsArgs(rotation=rotation.rotation, deliver_previous=rotation.previous_delivered),
        after(gate),
    )
    roles = _database_roles(settings, gate)
    database_urls = (
        {key: roles.urls[by_tier[settings.tier]] for key, by_tier in DATABASE_LOGIN_BY_ROUTE.items()} if roles else {}
    )
    # Every value waits until no job can read another copy of a credential (repository, organization, ...).
    check = ShadowSecretCheck(
        "shadow-secrets", ShadowSecretCheckArgs.of(settings, found), after(gate, providers=[github_provider])
    )
    values = {
        name: check.guard(value) for name, value in secret_values(settings, generated, gate, database_urls).items()
    }

    # summary_only: the id is all the program needs; without it the provider pages through every member and
    # repository of the team (data_source_github_team.go, integrations/terraform-provider-github v6.13.0).
    team_lookup = pulumi.InvokeOutputOptions(provider=github_provider)
    team_ids = [
        github.get_team_output(slug=slug, summary_only=True, opts=team_lookup).id.apply(int)
        for slug in settings.reviewer_teams
    ]
    secrets_by_repository = {
        repository: _github_environment(settings, repository, team_ids, values, github_provider, gate=gate)
        for repository in settings.repositories
    }
    variables = _vercel_variables(settings, values, vercel_provider, gate)

    revision = head_revision()
    if settings.run_migrations:
        # After every secret and variable: a migration never runs for an environment left half-provisioned.
        provisioned: list[pulumi.Resource] = [*secrets_by_repository.values(), variables]
        # Generated credentials: as a migrator login (acting as its group, which then owns what the revisions
        # create), once the roles and their rights exist.
        migrator = check.guard(roles.urls[MIGRATOR]) if roles else values["CI_DB_URL"]
        DatabaseMigration(
            "database",
            DatabaseMigrationArgs(
                database_url=migrator, revision=revision, depends_on=[*provisioned, *([roles] if roles else [])]
            ),
            after(gate),
        )
    outputs = _outputs(settings, {r: s.secret_names for r, s in secrets_by_repository.items()}, variables, revision)
    if roles is not None:
        # The drift check's login (infra-drift.yml reads it with the stack's key, which its job holds anyway).
        outputs[OBSERVER_OUTPUT] = roles.urls[OBSERVER]
    return outputs


def _database_roles(settings: Settings, gate: Gate) -> DatabaseRoles | None:
    """A stack generating its database credentials: its roles and their rights, before any URL is handed out."""
    server = settings.database.server
    if server is None:
        return None
    return DatabaseRoles(
        "database-roles",
        DatabaseRolesArgs(stack=settings.stack, tier=settings.tier, server=server, rotation=settings.database.rotation),
        after(gate, protect=settings.profile.protect),
    )


def _github_environment(
    settings: Settings,
    repository: str,
    team_ids: list[pulumi.Output[int]],
    values: dict[str, pulumi.Output[str]],
    provider: github.Provider,
    *,
    gate: Gate,
) -> EnvironmentSecrets:
    """One repository's deployment environment, its protection rules and its environment secrets."""
    profile = settings.profile
    environment = DeploymentEnvironment(
        repository,
        DeploymentEnvironmentArgs(
            repository=repository,
            environment=settings.environment_name,
            reviewer_team_ids=team_ids,
            deployment_branches=settings.deployment_branches,
            protection=settings.protection,
            variables=settings.variables,
        ),
        after(gate, providers=[provider], protect=profile.protect),
    )
    github_values = {r.name: values[r.name] for r in settings.routes if r.github and r.name in values}
    return EnvironmentSecrets(
        f"{repository}-secrets",
        EnvironmentSecretsArgs(repository=repository, environment=environment.name, values=github_values),
        after(gate, providers=[provider], protect=profile.protect),
    )


def _vercel_variables(
    settings: Settings, values: dict[str, pulumi.Output[str]], provider: vercel.Provider, gate: Gate
) -> VercelVariables:
    """The Vercel project's variables for this tier's targets."""
    return VercelVariables(
        "vercel",
        VercelVariablesArgs(
            project_id=settings.vercel_project_id,
            team_id=settings.vercel_team_id,
            targets=settings.profile.vercel_targets,
            git_branch=settings.vercel_git_branch,
            custom_environment_ids=settings.vercel_custom_environment_ids,
            values={r.name: values[r.name] for r in settings.routes if r.vercel and r.name in values},
        ),
        after(gate, providers=[provider], protect=settings.profile.protect),
    )


def _outputs(
    settings: Settings, secret_names: dict[str, list[str]], variables: VercelVariables, revision: str
) -> dict[str, object]:
    """What the stack exports: names, masked URLs and fingerprints, never a secret value."""
    outputs: dict[str, object] = {
        "environmentName": settings.environment_name,
        "githubSecretNames": secret_names,
        "vercelVariableKeys": variables.keys,
        "ciDbUrlMasked": mask_url(_ci_db_url_shown(settings)),
        "databaseCredentials": describe_credentials(settings),
        "migrationRevision": revision,
        "migrationsEnabled": settings.run_migrations,
        "sessionKeyRotation": settings.session_key.describe(),
        "approvalGates": dict.fromkeys(settings.repositories, settings.protection.gate),
    }
    if settings.profile.exports_fingerprint:
        key = settings.db_fingerprint_key.value
        ci_database = settings.database.server.url() if settings.database.server else settings.ci_db_url.value
        outputs |= production_database.exports(guarded_values(settings), ci_database, key)
    return outputs


def _ci_db_url_shown(settings: Settings) -> str:
    """CI_DB_URL without its password: the provided value, or the generated login's URL with no password in it."""
    server = settings.database.server
    if server is None:
        return settings.ci_db_url.value
    return server.url(_handed_out(settings, "ciDbUrl"))


def _handed_out(settings: Settings, key: str) -> str:
    """The login whose URL replaces config key `key` at the stack's rotation."""
    suffix = DATABASE_LOGIN_BY_ROUTE[key][settings.tier]
    return role_name(settings.stack, suffix, active_slot(settings.database.rotation) if suffix in SLOTTED else None)


def describe_credentials(settings: Settings) -> str:
    """Who made the database URLs and, when generated, which logins this rotation hands out."""
    rotation = settings.database.rotation
    if not settings.database.generated:
        return "provided: ciDbUrl and databaseUrl are typed into the stack's config"
    handed = ", ".join(
        f"{route.name} as {_handed_out(settings, route.source)}"
        for route in settings.routes
        if route.source in DATABASE_LOGIN_BY_ROUTE
    )
    other = SLOTS[rotation % 2]
    previous = (
        f"the _{other} logins, handed out at rotation {rotation - 1}, keep working until rotation {rotation + 1}: "
        f"redeploy the app before that one ({ROTATE_GENERATED_DATABASE})"
        if rotation > 1
        else f"the _{other} logins are not handed out yet"
    )
    return f"generated, rotation {rotation}: {handed}; {previous}"
