"""Turns a stack's Pulumi config into one typed, validated Settings object; the only module that reads config."""

from __future__ import annotations

import functools
import json
import re
from collections.abc import Collection, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, cast

import pulumi
import yaml
from pulumi.runtime import config as runtime_config

from infra.routes import EXTRA_SECRETS_KEY, ROUTES, Route, routes_for, secret_name_problem, table_problems
from infra.secret_keys import BY_KEY, SECRET_KEYS, set_secret_command
from infra.tiers import PROFILES, TIERS, Tier, TierProfile

PROJECT = "tenantguard-infra"
PROJECT_FILE = Path(__file__).resolve().parent.parent / "Pulumi.yaml"

MAX_REVIEWERS = 6
MAX_WAIT_TIMER_MINUTES = 43_200

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
    profile: TierProfile
    """The rules of the stack's tier (infra/tiers.py)."""
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
    secret_values: Mapping[str, Secret]
    """Every configured secret that is routed somewhere, by secret name (CI_DB_URL, ..., the extra secrets)."""
    db_fingerprint_key: Secret

    @property
    def tier(self) -> Tier:
        return self.profile.tier

    @property
    def ci_db_url(self) -> Secret:
        return self.secret_values["CI_DB_URL"]

    @functools.cached_property
    def routes(self) -> tuple[Route, ...]:
        """The scoping table's rows for this stack, extra secrets included."""
        managed = {route.name for route in ROUTES}
        return routes_for(tuple(name for name in self.secret_values if name not in managed))


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
    return f"set it with `{set_secret_command(key)}`"


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
    profile = PROFILES[tier]
    _check_github(stack, typed, profile, problems)
    _check_vercel(typed, profile, problems)
    secrets = {secret_key.key: Secret(typed[secret_key.key]) for secret_key in SECRET_KEYS}
    _check_secrets(secrets, profile, problems)
    extras = _check_extra_secrets(typed[EXTRA_SECRETS_KEY], EXTRA_SECRETS_KEY in secret, problems)
    if problems:
        raise ConfigError(stack, problems)

    routed = {route.name: secrets[route.source] for route in ROUTES if route.source in secrets}
    return Settings(
        stack=stack,
        profile=profile,
        github_owner=typed["githubOwner"],
        repositories=typed["repositories"],
        environment_name=profile.environment_name or typed["environmentName"] or stack,
        reviewer_teams=typed["reviewerTeams"],
        deployment_branches=typed["deploymentBranches"],
        wait_timer_minutes=typed["waitTimerMinutes"],
        prevent_self_review=profile.prevent_self_review or typed["preventSelfReview"],
        vercel_project_id=typed["vercelProjectId"],
        vercel_team_id=typed["vercelTeamId"] or None,
        vercel_git_branch=typed["vercelGitBranch"] or None,
        vercel_custom_environment_ids=typed["vercelCustomEnvironmentIds"],
        session_key_rotation=typed["sessionKeyRotation"],
        run_migrations=typed["runMigrations"],
        production_stack=typed["productionStack"] or None,
        secret_values={**routed, **extras},
        db_fingerprint_key=secrets["dbFingerprintKey"],
    )


def _check_pattern(
    key: str, values: Collection[str], pattern: re.Pattern[str], accepted: str, problems: list[str]
) -> None:
    for value in values:
        if not pattern.match(value):
            problems.append(f"{full_key(key)}: {value!r} is not accepted; expected {accepted}")


def _check_github(stack: str, typed: Mapping[str, Any], profile: TierProfile, problems: list[str]) -> None:
    tier = profile.tier
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
    fixed = profile.environment_name
    if fixed is not None and (typed["environmentName"] or stack) != fixed:
        # The policy pack and the workflows know this tier's environment by this name.
        problems.append(f"{full_key('environmentName')} must be {fixed!r} in {tier} (set it explicitly)")

    teams = typed["reviewerTeams"]
    _check_pattern("reviewerTeams", teams, _TEAM_SLUG, "team slugs (lowercase letters, digits, '-', '_')", problems)
    if len(teams) > MAX_REVIEWERS:
        problems.append(f"{full_key('reviewerTeams')} lists {len(teams)} teams; GitHub accepts at most {MAX_REVIEWERS}")
    if profile.reviewers_required and not teams:
        problems.append(
            f"{full_key('reviewerTeams')} must name at least one team in {tier} (deployments need approval)"
        )

    branches = typed["deploymentBranches"]
    _check_pattern("deploymentBranches", branches, _BRANCH, "git branch names or fnmatch patterns", problems)
    if profile.branches_required and not branches:
        problems.append(f"{full_key('deploymentBranches')} must name the branches that may deploy to {tier}")
    if profile.exact_branches_only and any("*" in branch for branch in branches):
        problems.append(
            f"{full_key('deploymentBranches')} must name exact branches in {tier} (e.g. main), no wildcards"
        )

    wait = typed["waitTimerMinutes"]
    if not 0 <= wait <= MAX_WAIT_TIMER_MINUTES:
        problems.append(f"{full_key('waitTimerMinutes')} must be between 0 and {MAX_WAIT_TIMER_MINUTES}")
    if profile.prevent_self_review and not typed["preventSelfReview"]:
        problems.append(f"{full_key('preventSelfReview')} must be true in {tier}")


def _check_vercel(typed: Mapping[str, Any], profile: TierProfile, problems: list[str]) -> None:
    tier = profile.tier
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
    if profile.vercel_branch_scope == "required" and not (git_branch or custom):
        problems.append(
            f"{full_key('vercelGitBranch')} (or vercelCustomEnvironmentIds) is required in {tier}, "
            f"so {tier} values reach only {tier} deployments and not every preview"
        )
    if profile.vercel_branch_scope == "refused":
        for key in ("vercelGitBranch", "vercelCustomEnvironmentIds"):
            if typed[key]:
                accepted = [p.tier for p in PROFILES.values() if p.vercel_branch_scope != "refused"]
                problems.append(
                    f"{full_key(key)} is only accepted in {', '.join(accepted)}; "
                    f"{tier} uses the {', '.join(profile.vercel_targets)} target"
                )


def _check_secrets(secrets: Mapping[str, Secret], profile: TierProfile, problems: list[str]) -> None:
    for key, secret in secrets.items():
        if not secret.value.strip():
            problems.append(f"{full_key(key)} is empty: {_set_secret_command(key)}")
            continue
        problems.extend(BY_KEY[key].kind.validate(full_key(key), secret.value, profile))


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
