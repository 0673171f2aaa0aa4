"""Turns a stack's Pulumi config into one typed, validated Settings object; the only module that reads config."""

from __future__ import annotations

import functools
import json
import re
from collections.abc import Callable, Collection, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, cast
from urllib.parse import parse_qs, urlsplit

import pulumi
import yaml
from pulumi.runtime import config as runtime_config

from infra.scoping import (
    EXTRA_SECRETS_KEY,
    ROUTES,
    TIERS,
    Route,
    Tier,
    routes_for,
    secret_name_problem,
    table_problems,
)

PROJECT = "tenantguard-infra"
PROJECT_FILE = Path(__file__).resolve().parent.parent / "Pulumi.yaml"

POSTGRES_SCHEMES = ("postgresql", "postgres")
REDIS_SCHEMES = ("redis", "rediss")
STRICT_SSLMODES = ("require", "verify-ca", "verify-full")
MAX_REVIEWERS = 6
MAX_WAIT_TIMER_MINUTES = 43_200
MIN_FINGERPRINT_KEY_LENGTH = 16

_GITHUB_LOGIN = re.compile(r"^[A-Za-z0-9](?:[A-Za-z0-9-]{0,38})$")
_REPOSITORY = re.compile(r"^[A-Za-z0-9_.-]{1,100}$")
_ENVIRONMENT = re.compile(r"^[A-Za-z0-9_.-]{1,255}$")
_TEAM_SLUG = re.compile(r"^[a-z0-9][a-z0-9_-]*$")
_BRANCH = re.compile(r"^[^\s~^:?\\\[]+$")
_VERCEL_PROJECT = re.compile(r"^prj_[A-Za-z0-9]+$")
_VERCEL_TEAM = re.compile(r"^team_[A-Za-z0-9]+$")
_VERCEL_CUSTOM_ENV = re.compile(r"^env_[A-Za-z0-9]+$")


class ConfigError(ValueError):
    """Every problem found in a stack's configuration, one line each; never contains a secret value."""

    def __init__(self, stack: str, problems: list[str]) -> None:
        self.stack = stack
        self.problems = problems
        lines = "\n".join(f"  - {problem}" for problem in problems)
        super().__init__(f"stack {stack!r} has invalid configuration:\n{lines}")


@dataclass(frozen=True)
class Secret:
    """A secret config value; its repr never shows the value."""

    value: str = field(repr=False)

    def __repr__(self) -> str:
        return "Secret(***)"

    __str__ = __repr__


@dataclass(frozen=True)
class Settings:
    """One stack's validated configuration."""

    stack: str
    tier: Tier
    github_owner: str
    repositories: tuple[str, ...]
    environment_name: str
    reviewer_teams: tuple[str, ...]
    deployment_branches: tuple[str, ...]
    wait_timer_minutes: int
    prevent_self_review: bool
    vercel_project_id: str
    vercel_team_id: str | None
    vercel_git_branch: str | None
    vercel_custom_environment_ids: tuple[str, ...]
    session_key_rotation: str
    run_migrations: bool
    production_stack: str | None
    secrets: Mapping[str, Secret]
    """Secret config values by config key (ciDbUrl, ...)."""
    extra_secrets: Mapping[str, Secret]
    """Extra secrets (LLM provider keys) by secret name."""

    @property
    def is_production(self) -> bool:
        return self.tier == "production"

    @property
    def ci_db_url(self) -> Secret:
        return self.secrets["ciDbUrl"]

    @property
    def db_fingerprint_key(self) -> Secret:
        return self.secrets["dbFingerprintKey"]

    @functools.cached_property
    def routes(self) -> tuple[Route, ...]:
        """The scoping table's rows for this stack, extra secrets included."""
        return routes_for(tuple(self.extra_secrets))

    def source_value(self, source: str) -> Secret:
        """The config secret a scoping-table source names (`ciDbUrl` or `extraSecrets.NAME`)."""
        if source.startswith(f"{EXTRA_SECRETS_KEY}."):
            return self.extra_secrets[source.split(".", 1)[1]]
        return self.secrets[source]


@functools.cache
def declared_config() -> Mapping[str, Mapping[str, Any]]:
    """The `config:` block of Pulumi.yaml: every key the program accepts, with type, default and secrecy."""
    project = yaml.safe_load(PROJECT_FILE.read_text())
    return cast(Mapping[str, Mapping[str, Any]], project["config"])


def full_key(key: str) -> str:
    return f"{PROJECT}:{key}"


def secret_keys() -> tuple[str, ...]:
    return tuple(key for key, spec in declared_config().items() if spec.get("secret"))


def _set_secret_command(key: str) -> str:
    return f"set it with `pulumi config set --secret {key} <value>`"


def _coerce(key: str, spec: Mapping[str, Any], raw: Any, problems: list[str]) -> Any:  # noqa: PLR0911, PLR0912 - one flat branch per declared type reads best
    """The raw config value (a string, as Pulumi passes it, or already decoded) as its declared type."""
    declared = spec.get("type", "object")
    name = full_key(key)
    if declared == "string":
        if not isinstance(raw, str):
            problems.append(f"{name} must be a string")
            return None
        return raw
    if declared == "integer":
        if isinstance(raw, bool):
            problems.append(f"{name} must be a whole number, not true/false")
            return None
        try:
            return int(raw)
        except (TypeError, ValueError):
            problems.append(f"{name} must be a whole number")
            return None
    if declared == "boolean":
        if isinstance(raw, bool):
            return raw
        if isinstance(raw, str) and raw.lower() in ("true", "false"):
            return raw.lower() == "true"
        problems.append(f"{name} must be true or false")
        return None
    value = raw
    if isinstance(raw, str):
        try:
            value = json.loads(raw)
        except json.JSONDecodeError:
            value = None
    if declared == "array":
        if not isinstance(value, list) or not all(isinstance(item, str) for item in value):
            problems.append(f"{name} must be a list of strings")
            return None
        return tuple(value)
    if not isinstance(value, dict) or not all(isinstance(item, str) for item in value.values()):
        problems.append(f"{name} must be a map of names to string values")
        return None
    return value


def parse(stack: str, values: Mapping[str, Any], secret: Collection[str]) -> Settings:
    """Validate a stack's config (keys without the project prefix) and build its Settings.

    `secret` names the keys whose values are stored encrypted. Raises ConfigError listing every
    problem; no message contains a secret value.
    """
    declared = declared_config()
    problems = list(table_problems(frozenset(declared)))

    unknown = sorted(set(values) - set(declared))
    for key in unknown:
        problems.append(f"{full_key(key)} is not a known key; accepted keys: {', '.join(sorted(declared))}")

    typed: dict[str, Any] = {}
    for key, spec in declared.items():
        if key in values:
            typed[key] = _coerce(key, spec, values[key], problems)
        elif "default" in spec:
            typed[key] = _coerce(key, spec, spec["default"], problems)
        elif spec.get("secret"):
            problems.append(f"{full_key(key)} is required: {_set_secret_command(key)}")
        else:
            problems.append(f"{full_key(key)} is required: set it in Pulumi.{stack}.yaml ({spec['description']})")
        if spec.get("secret") and key in values and key not in secret:
            problems.append(f"{full_key(key)} must be a secret, not plaintext: {_set_secret_command(key)}")

    if problems:
        # Later rules assume the keys exist with their declared types.
        raise ConfigError(stack, problems)

    tier = typed["tier"]
    if tier not in TIERS:
        raise ConfigError(stack, [f"{full_key('tier')} must be one of {', '.join(TIERS)}"])
    _check_github(stack, typed, tier, problems)
    _check_vercel(typed, tier, problems)
    secrets = {key: Secret(typed[key]) for key in declared if declared[key].get("secret")}
    _check_secrets(secrets, tier, problems)
    extras = _check_extra_secrets(typed[EXTRA_SECRETS_KEY], EXTRA_SECRETS_KEY in secret, problems)
    if problems:
        raise ConfigError(stack, problems)

    return Settings(
        stack=stack,
        tier=tier,
        github_owner=typed["githubOwner"],
        repositories=typed["repositories"],
        environment_name=typed["environmentName"] or stack,
        reviewer_teams=typed["reviewerTeams"],
        deployment_branches=typed["deploymentBranches"],
        wait_timer_minutes=typed["waitTimerMinutes"],
        prevent_self_review=typed["preventSelfReview"],
        vercel_project_id=typed["vercelProjectId"],
        vercel_team_id=typed["vercelTeamId"] or None,
        vercel_git_branch=typed["vercelGitBranch"] or None,
        vercel_custom_environment_ids=typed["vercelCustomEnvironmentIds"],
        session_key_rotation=typed["sessionKeyRotation"],
        run_migrations=typed["runMigrations"],
        production_stack=typed["productionStack"] or None,
        secrets=secrets,
        extra_secrets=extras,
    )


def _check_pattern(
    key: str, values: Collection[str], pattern: re.Pattern[str], accepted: str, problems: list[str]
) -> None:
    for value in values:
        if not pattern.match(value):
            problems.append(f"{full_key(key)}: {value!r} is not accepted; expected {accepted}")


def _check_github(stack: str, typed: Mapping[str, Any], tier: Tier, problems: list[str]) -> None:
    _check_pattern(
        "githubOwner", [typed["githubOwner"]], _GITHUB_LOGIN, "a GitHub organization or user login", problems
    )
    repositories = typed["repositories"]
    if not repositories:
        problems.append(f"{full_key('repositories')} must list at least one repository")
    if len(set(repositories)) != len(repositories):
        problems.append(f"{full_key('repositories')} lists a repository twice")
    _check_pattern(
        "repositories", repositories, _REPOSITORY, "repository names (letters, digits, '.', '_', '-')", problems
    )
    if typed["environmentName"]:
        _check_pattern(
            "environmentName", [typed["environmentName"]], _ENVIRONMENT, "letters, digits, '.', '_', '-'", problems
        )
    if tier == "production" and (typed["environmentName"] or stack) != "production":
        # The policy pack and the workflows know the production environment by this name.
        problems.append(f"{full_key('environmentName')} must be 'production' in production (set it explicitly)")

    teams = typed["reviewerTeams"]
    _check_pattern("reviewerTeams", teams, _TEAM_SLUG, "team slugs (lowercase letters, digits, '-', '_')", problems)
    if len(teams) > MAX_REVIEWERS:
        problems.append(f"{full_key('reviewerTeams')} lists {len(teams)} teams; GitHub accepts at most {MAX_REVIEWERS}")
    if tier == "production" and not teams:
        problems.append(
            f"{full_key('reviewerTeams')} must name at least one team in production (deployments need approval)"
        )

    branches = typed["deploymentBranches"]
    _check_pattern("deploymentBranches", branches, _BRANCH, "git branch names or fnmatch patterns", problems)
    if tier != "preview" and not branches:
        problems.append(f"{full_key('deploymentBranches')} must name the branches that may deploy to {tier}")
    if tier == "production" and any("*" in branch for branch in branches):
        problems.append(
            f"{full_key('deploymentBranches')} must name exact branches in production (e.g. main), no wildcards"
        )

    wait = typed["waitTimerMinutes"]
    if not 0 <= wait <= MAX_WAIT_TIMER_MINUTES:
        problems.append(f"{full_key('waitTimerMinutes')} must be between 0 and {MAX_WAIT_TIMER_MINUTES}")
    if tier == "production" and not typed["preventSelfReview"]:
        problems.append(f"{full_key('preventSelfReview')} must be true in production")


def _check_vercel(typed: Mapping[str, Any], tier: Tier, problems: list[str]) -> None:
    _check_pattern(
        "vercelProjectId", [typed["vercelProjectId"]], _VERCEL_PROJECT, "a Vercel project id (prj_...)", problems
    )
    if typed["vercelTeamId"]:
        _check_pattern("vercelTeamId", [typed["vercelTeamId"]], _VERCEL_TEAM, "a Vercel team id (team_...)", problems)
    custom = typed["vercelCustomEnvironmentIds"]
    _check_pattern(
        "vercelCustomEnvironmentIds", custom, _VERCEL_CUSTOM_ENV, "Vercel custom environment ids (env_...)", problems
    )
    git_branch = typed["vercelGitBranch"]
    if git_branch:
        _check_pattern("vercelGitBranch", [git_branch], _BRANCH, "a git branch name", problems)
    if tier == "staging" and not (git_branch or custom):
        problems.append(
            f"{full_key('vercelGitBranch')} (or vercelCustomEnvironmentIds) is required in staging, "
            "so staging values reach only staging deployments and not every preview"
        )
    if tier != "staging":
        for key in ("vercelGitBranch", "vercelCustomEnvironmentIds"):
            if typed[key]:
                problems.append(f"{full_key(key)} is only accepted in staging; {tier} uses the {tier} target")


def _check_secrets(secrets: Mapping[str, Secret], tier: Tier, problems: list[str]) -> None:
    checks: dict[str, Callable[[str, str, Tier, list[str]], None]] = {
        "ciDbUrl": _check_postgres_url,
        "databaseUrl": _check_postgres_url,
        "redisUrl": _check_redis_url,
        "vercelToken": _check_token,
        "dbFingerprintKey": _check_fingerprint_key,
    }
    for key, secret in secrets.items():
        if not secret.value.strip():
            problems.append(f"{full_key(key)} is empty: {_set_secret_command(key)}")
            continue
        checks[key](full_key(key), secret.value, tier, problems)


def _url_parts(name: str, url: str, schemes: tuple[str, ...], problems: list[str]) -> Any:
    try:
        parts = urlsplit(url)
        parts.port  # noqa: B018 - urlsplit only checks the port when it is read
    except ValueError:
        problems.append(f"{name} is not a valid URL; expected {schemes[0]}://user:password@host:port/...")
        return None
    if parts.scheme not in schemes:
        shown = parts.scheme if re.fullmatch(r"[a-z][a-z0-9+.-]{0,20}", parts.scheme) else "?"
        problems.append(f"{name} has scheme {shown!r}; accepted: {', '.join(s + '://' for s in schemes)}")
        return None
    if not parts.hostname:
        problems.append(f"{name} has no host; expected {schemes[0]}://user:password@host:port/...")
        return None
    return parts


def _check_postgres_url(name: str, url: str, tier: Tier, problems: list[str]) -> None:
    parts = _url_parts(name, url, POSTGRES_SCHEMES, problems)
    if parts is None:
        return
    if not parts.path.strip("/"):
        problems.append(f"{name} has no database name; expected postgresql://user:password@host:port/DATABASE")
    if tier == "production":
        sslmode = parse_qs(parts.query).get("sslmode", [""])[-1]
        if sslmode not in STRICT_SSLMODES:
            problems.append(f"{name} must set sslmode to one of {', '.join(STRICT_SSLMODES)} in production")


def _check_redis_url(name: str, url: str, tier: Tier, problems: list[str]) -> None:
    parts = _url_parts(name, url, REDIS_SCHEMES, problems)
    if parts is not None and tier == "production" and parts.scheme != "rediss":
        problems.append(f"{name} must use rediss:// (TLS) in production")


def _check_token(name: str, token: str, tier: Tier, problems: list[str]) -> None:
    if any(character.isspace() for character in token):
        problems.append(f"{name} contains whitespace; paste the token alone")


def _check_fingerprint_key(name: str, key: str, tier: Tier, problems: list[str]) -> None:
    if len(key) < MIN_FINGERPRINT_KEY_LENGTH:
        problems.append(
            f"{name} must be at least {MIN_FINGERPRINT_KEY_LENGTH} characters (e.g. `openssl rand -hex 32`)"
        )


def _check_extra_secrets(extras: Mapping[str, str], is_secret: bool, problems: list[str]) -> dict[str, Secret]:
    name = full_key(EXTRA_SECRETS_KEY)
    if extras and not is_secret:
        problems.append(
            f"{name} values must be secrets: set each with "
            f"`pulumi config set --secret --path '{EXTRA_SECRETS_KEY}.NAME' <value>`"
        )
    managed = {route.name.upper() for route in ROUTES}
    seen: set[str] = set()
    for secret_name, value in extras.items():
        if (problem := secret_name_problem(secret_name)) is not None:
            problems.append(f"{name}: {problem}")
        elif secret_name.upper() in managed:
            problems.append(f"{name}: {secret_name!r} is managed by this program already; choose another name")
        elif secret_name.upper() in seen:
            problems.append(
                f"{name}: {secret_name!r} differs from another name only in case; GitHub treats them as one"
            )
        if not value.strip():
            problems.append(f"{name}: {secret_name!r} is empty")
        seen.add(secret_name.upper())
    return {secret_name: Secret(value) for secret_name, value in extras.items()}


def load() -> Settings:
    """The current stack's Settings, read from the Pulumi runtime's config."""
    prefix = f"{PROJECT}:"
    # pulumi.Config can read a key but not list them; unknown keys are found in the runtime's own map.
    present = {**runtime_config.get_config_env(), **runtime_config.CONFIG.get()}
    secret_env = set(runtime_config.get_config_secret_keys_env())
    values = {key[len(prefix) :]: value for key, value in present.items() if key.startswith(prefix)}
    secret = {key for key in values if runtime_config.is_config_secret(full_key(key)) or full_key(key) in secret_env}
    return parse(pulumi.get_stack(), values, secret)
