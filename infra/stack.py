"""One stack's whole deployment, in the order it happens: environment, secrets, Vercel variables, migration."""

from __future__ import annotations

import pulumi
import pulumi_github as github
import pulumiverse_vercel as vercel

from infra import production_guard
from infra.config import Settings, full_key
from infra.environment import DeploymentEnvironment, DeploymentEnvironmentArgs
from infra.generated import GeneratedSecrets, GeneratedSecretsArgs
from infra.github_secrets import EnvironmentSecrets, EnvironmentSecretsArgs
from infra.migration import DatabaseMigration, DatabaseMigrationArgs
from infra.secret_keys import SECRET_KEYS
from infra.shadow_secrets import ShadowSecretCheck, ShadowSecretCheckArgs
from infra.vercel import VercelVariables, VercelVariablesArgs
from tenantguard_db.revisions import head_revision
from tenantguard_db.urls import mask_url

GUARDED_SOURCES = frozenset(secret_key.key for secret_key in SECRET_KEYS if secret_key.production_guard)


def secret_values(settings: Settings, generated: GeneratedSecrets) -> dict[str, pulumi.Output[str]]:
    """Every routed secret's value by secret name, each a Pulumi secret.

    In a tier with the production-database guard, guarded sources are checked before they are
    routed anywhere: nothing that uses them is written when they name production's database.
    """
    key = settings.db_fingerprint_key.value
    against = None
    if settings.profile.production_guard and settings.production_stack is not None:
        against = production_guard.production(settings.production_stack)
    generated_values = generated.by_source()
    values: dict[str, pulumi.Output[str]] = {}
    for route in settings.routes:
        if route.generated:
            if route.source in generated_values:
                values[route.name] = generated_values[route.source]
            continue
        secret = settings.secret_values[route.name].value
        value = pulumi.Output.secret(secret)
        if against is not None and route.source in GUARDED_SOURCES:
            own = production_guard.fingerprint(secret, key)
            value = production_guard.checked(
                full_key(route.source), value, own, production_guard.key_check(key), against
            )
        values[route.name] = value
    return values


def build(settings: Settings) -> dict[str, object]:
    """Declare the stack's resources and return its outputs, none of which is a secret value."""
    github_provider = github.Provider("github", owner=settings.github_owner)
    vercel_provider = vercel.Provider("vercel", team=settings.vercel_team_id)

    rotation = settings.session_key
    generated = GeneratedSecrets(
        "generated", GeneratedSecretsArgs(rotation=rotation.rotation, deliver_previous=rotation.previous_delivered)
    )
    # Every value waits until no job can read another copy of a credential (repository, organization, ...).
    check = ShadowSecretCheck(
        "shadow-secrets", ShadowSecretCheckArgs.of(settings), pulumi.ResourceOptions(providers=[github_provider])
    )
    values = {name: check.guard(value) for name, value in secret_values(settings, generated).items()}

    team_ids = [
        github.get_team_output(slug=slug, opts=pulumi.InvokeOutputOptions(provider=github_provider)).id.apply(int)
        for slug in settings.reviewer_teams
    ]
    secrets_by_repository = {
        repository: _github_environment(settings, repository, team_ids, values, github_provider)
        for repository in settings.repositories
    }
    variables = _vercel_variables(settings, values, vercel_provider)

    revision = head_revision()
    if settings.run_migrations:
        # After every secret and variable: a migration never runs for an environment left half-provisioned.
        provisioned = [*secrets_by_repository.values(), variables]
        DatabaseMigration(
            "database",
            DatabaseMigrationArgs(database_url=values["CI_DB_URL"], revision=revision, depends_on=provisioned),
        )
    return _outputs(settings, {r: s.secret_names for r, s in secrets_by_repository.items()}, variables, revision)


def _github_environment(
    settings: Settings,
    repository: str,
    team_ids: list[pulumi.Output[int]],
    values: dict[str, pulumi.Output[str]],
    provider: github.Provider,
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
            prevent_self_review=settings.prevent_self_review,
            wait_timer_minutes=settings.wait_timer_minutes,
            admins_bypass=profile.admins_bypass,
            variables=settings.variables,
        ),
        pulumi.ResourceOptions(providers=[provider], protect=profile.protect),
    )
    github_values = {r.name: values[r.name] for r in settings.routes if r.github and r.name in values}
    return EnvironmentSecrets(
        f"{repository}-secrets",
        EnvironmentSecretsArgs(repository=repository, environment=environment.name, values=github_values),
        pulumi.ResourceOptions(providers=[provider], protect=profile.protect),
    )


def _vercel_variables(
    settings: Settings, values: dict[str, pulumi.Output[str]], provider: vercel.Provider
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
        pulumi.ResourceOptions(providers=[provider], protect=settings.profile.protect),
    )


def _outputs(
    settings: Settings, secret_names: dict[str, list[str]], variables: VercelVariables, revision: str
) -> dict[str, object]:
    """What the stack exports: names, masked URLs and fingerprints, never a secret value."""
    outputs: dict[str, object] = {
        "environmentName": settings.environment_name,
        "githubSecretNames": secret_names,
        "vercelVariableKeys": variables.keys,
        "ciDbUrlMasked": mask_url(settings.ci_db_url.value),
        "migrationRevision": revision,
        "migrationsEnabled": settings.run_migrations,
        "sessionKeyRotation": settings.session_key.describe(),
    }
    if settings.profile.exports_fingerprint:
        key = settings.db_fingerprint_key.value
        guarded = [settings.secret_values[r.name].value for r in settings.routes if r.source in GUARDED_SOURCES]
        outputs[production_guard.FINGERPRINTS_OUTPUT] = [production_guard.fingerprint(url, key) for url in guarded]
        outputs[production_guard.FINGERPRINT_OUTPUT] = production_guard.fingerprint(settings.ci_db_url.value, key)
        outputs[production_guard.KEY_CHECK_OUTPUT] = production_guard.key_check(key)
    return outputs
