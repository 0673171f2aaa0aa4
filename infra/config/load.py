"""Turns a stack's Pulumi config into one typed, validated Settings object; the only module that reads config."""

from __future__ import annotations

import datetime
import re
from collections.abc import Collection, Mapping
from typing import Any

import pulumi
from pulumi.runtime import config as runtime_config

from infra.approval_gates import Protection, protection
from infra.config.errors import ConfigError
from infra.config.schema import set_secret_hint, typed_values
from infra.config.settings import Secret, SessionKeyRotation, Settings
from infra.guard.production_database import UnguardableValueError, database_identities
from infra.shadow_secrets import ACKNOWLEDGED_KEY, LEGACY_KEY, acknowledgement_problems, legacy_name_problems
from infra.tables.github_plans import PLAN_KEY, PLANS, VISIBILITIES, VISIBILITY_KEY
from infra.tables.routes import (
    EXTRA_NAME,
    EXTRA_SECRETS_KEY,
    ROUTES,
    SECRET_NAME_RULE,
    VARIABLES,
    secret_name_problem,
)
from infra.tables.secret_keys import BY_KEY, SECRET_KEYS, set_secret_command
from infra.tables.tiers import PROFILES, TIERS, TierProfile, production_claims, profile_for
from infra.tables.type_tokens import PROJECT, full_key

# Limits the providers document; a value past one is refused here, before any resource exists.
MAX_REVIEWERS = 6  # GitHub: "You can list up to six users or teams as reviewers" (docs: deployment environments)
MAX_WAIT_TIMER_MINUTES = 43_200  # GitHub: wait timer "between 0 and 43,200 minutes (30 days)"
MAX_ENVIRONMENT_SECRETS = 100  # GitHub: "Environments can have a maximum of 100 secrets" (docs: secrets limits)
MAX_SECRET_BYTES = 48 * 1024  # GitHub: "Secrets are limited to 48 KB in size" (docs: secrets limits)
PLACEHOLDER_MARK = "..."
"""What the docs' example values hold where the real secret goes; a real value never does."""

# Every pattern is matched whole (re.fullmatch): a trailing newline is not a valid name.
_GITHUB_LOGIN = re.compile(r"[A-Za-z0-9](?:[A-Za-z0-9-]{0,38})")
_REPOSITORY = re.compile(r"[A-Za-z0-9_.-]{1,100}")
_ENVIRONMENT = re.compile(r"[A-Za-z0-9_.-]{1,255}")
_TEAM_SLUG = re.compile(r"[a-z0-9][a-z0-9_-]{0,99}")
_BRANCH = re.compile(r"[^\s~^:?\\\[\x00-\x1f\x7f]{1,255}")
# GitHub matches deployment branch patterns against the ref with Ruby's File.fnmatch (docs: "Deployments and
# environments", Deployment branches and tags: https://docs.github.com/en/actions/reference/workflows-and-actions/
# deployments-and-environments#deployment-branches-and-tags); braces are refused too, whether or not it expands them.
_WILDCARD = re.compile(r"[*?\[\]{}]")
"""fnmatch's special characters, braces included."""
_SCOPED_BRANCH = re.compile(r"[^*?\[\]{}]+|(?:[^*?\[\]{}/]*[A-Za-z0-9][^*?\[\]{}/]*/)+[*?][^\[\]{}]*")
"""An exact branch name (`staging`), or a pattern fixing whole path segments before any wildcard (`release/*`,
`hotfix/v2/*`): each fixed segment holds a letter or digit and ends at a `/`; no braces or brackets anywhere.
A fixed character or two (`s*`, `2026-*`) or a brace (`f{a,*}`) leaves a pattern that a branch anyone with push
access may create can match; a `/`-ended namespace is what a ruleset can reserve (GitHub rulesets' "Restrict
creations" targets ref name patterns: docs.github.com, "Available rules for rulesets")."""
_VERCEL_PROJECT = re.compile(r"prj_[A-Za-z0-9]{1,64}")
_VERCEL_TEAM = re.compile(r"team_[A-Za-z0-9]{1,64}")
_VERCEL_CUSTOM_ENV = re.compile(r"env_[A-Za-z0-9]{1,64}")
# Pulumi stack references: `stack`, `org/stack` or `org/project/stack` (DIY backends: `organization/<project>/<stack>`).
_STACK_REFERENCE = re.compile(r"(?:[A-Za-z0-9][A-Za-z0-9_.-]{0,99}/){0,2}[A-Za-z0-9_.-]{1,100}")
_ROTATION = re.compile(r"[1-9][0-9]{0,5}")
_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")
MAX_OVERLAP_DAYS = 90


def parse(
    stack: str, values: Mapping[str, Any], secret: Collection[str], today: datetime.date | None = None
) -> Settings:
    """Validate a stack's config (keys without the project prefix) and build its Settings.

    `secret` names the keys whose values are stored encrypted. Raises ConfigError listing every
    problem; no message contains a value that is stored as a secret (nor, for simplicity, any value).
    """
    today = today or datetime.date.today()  # once: a run across midnight checks and builds with one date
    typed, problems = typed_values(stack, values, secret)
    if problems:
        # Later rules assume the keys exist with their declared types.
        raise ConfigError(stack, problems)

    profile = profile_for(typed["tier"])
    if profile is None:
        raise ConfigError(stack, [f"{full_key('tier')} must be one of {', '.join(TIERS)}"])
    _check_github(stack, typed, profile, problems)
    _check_vercel(typed, profile, problems)
    _check_production_stack(typed["productionStack"], profile, problems)
    _check_session_key(typed, today, problems)
    secrets = {secret_key.key: Secret(typed[secret_key.key]) for secret_key in SECRET_KEYS}
    _check_secrets(stack, secrets, profile, problems)
    extras = _check_extra_secrets(stack, typed[EXTRA_SECRETS_KEY], EXTRA_SECRETS_KEY in secret, problems)
    routed = {route.name: secrets[route.source] for route in ROUTES if route.source in secrets}
    _check_github_limits(routed, extras, problems)
    github_names = [route.name for route in ROUTES if route.github] + list(extras)
    problems += legacy_name_problems(full_key(LEGACY_KEY), typed[LEGACY_KEY], github_names)
    problems += acknowledgement_problems(
        full_key(ACKNOWLEDGED_KEY), typed[ACKNOWLEDGED_KEY], typed["repositories"], github_names
    )
    gate = _protection(typed, profile, problems)
    if problems or gate is None:
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
        session_key=_session_key(typed, today),
        run_migrations=typed["runMigrations"],
        production_stack=typed["productionStack"] or None,
        variables={v.name: typed[v.source] for v in VARIABLES if typed[v.source]},
        secret_values={**routed, **extras},
        db_fingerprint_key=secrets["dbFingerprintKey"],
        legacy_secret_names=typed[LEGACY_KEY],
        acknowledged_secrets=typed[ACKNOWLEDGED_KEY],
    )


def _check_names(
    key: str,
    values: Collection[str],
    pattern: re.Pattern[str],
    accepted: str,
    problems: list[str],
    *,
    listed: bool = True,
) -> None:
    """Each value matches `pattern` whole, none twice (GitHub compares names case-insensitively).

    A message names the key and the item's position, never the value: it may be something that
    belongs elsewhere, pasted here by mistake.
    """
    seen: set[str] = set()
    for position, value in enumerate(values, start=1):
        where = f"{full_key(key)} (item {position} of {len(values)})" if listed else full_key(key)
        if not pattern.fullmatch(value):
            problems.append(f"{where} is not accepted; expected {accepted}")
        elif value.casefold() in seen:
            problems.append(f"{where} repeats an earlier item (compared case-insensitively); list each once")
        seen.add(value.casefold())


def _check_github(stack: str, typed: Mapping[str, Any], profile: TierProfile, problems: list[str]) -> None:
    tier = profile.tier
    _check_names(
        "githubOwner",
        [typed["githubOwner"]],
        _GITHUB_LOGIN,
        "a GitHub organization or user login",
        problems,
        listed=False,
    )
    repositories = typed["repositories"]
    if not repositories:
        problems.append(f"{full_key('repositories')} must list at least one repository")
    _check_names(
        "repositories", repositories, _REPOSITORY, "repository names (letters, digits, '.', '_', '-')", problems
    )
    if any(repository in (".", "..") for repository in repositories):
        problems.append(f"{full_key('repositories')} lists '.' or '..', which GitHub does not accept as a repository")
    _check_environment_name(typed["environmentName"] or stack, bool(typed["environmentName"]), profile, problems)

    teams = typed["reviewerTeams"]
    _check_names("reviewerTeams", teams, _TEAM_SLUG, "team slugs (lowercase letters, digits, '-', '_')", problems)
    if len(teams) > MAX_REVIEWERS:
        problems.append(f"{full_key('reviewerTeams')} lists {len(teams)} teams; GitHub accepts at most {MAX_REVIEWERS}")
    if profile.approval_gate_required and not teams:
        problems.append(
            f"{full_key('reviewerTeams')} must name at least one team in {tier} (deployments need approval)"
        )
    _check_branches(typed["deploymentBranches"], profile, problems)

    wait = typed["waitTimerMinutes"]
    if not 0 <= wait <= MAX_WAIT_TIMER_MINUTES:
        problems.append(f"{full_key('waitTimerMinutes')} must be between 0 and {MAX_WAIT_TIMER_MINUTES}")
    if profile.prevent_self_review and not typed["preventSelfReview"]:
        problems.append(f"{full_key('preventSelfReview')} must be true in {tier}")
    if typed[PLAN_KEY] not in PLANS:
        problems.append(
            f"{full_key(PLAN_KEY)} must be one of {', '.join(PLANS)} (the plan of {full_key('githubOwner')})"
        )
    if typed[VISIBILITY_KEY] not in VISIBILITIES:
        problems.append(f"{full_key(VISIBILITY_KEY)} must be one of {', '.join(VISIBILITIES)}")


def _protection(typed: Mapping[str, Any], profile: TierProfile, problems: list[str]) -> Protection | None:
    """What the plan and visibility let the environments have, or a problem naming the keys to change."""
    if typed[PLAN_KEY] not in PLANS or typed[VISIBILITY_KEY] not in VISIBILITIES:
        return None  # _check_github said so
    decided = protection(
        profile,
        typed[PLAN_KEY],
        typed[VISIBILITY_KEY],
        reviewer_teams=typed["reviewerTeams"],
        wait_timer_minutes=typed["waitTimerMinutes"],
        prevent_self_review=profile.prevent_self_review or typed["preventSelfReview"],
        branches=typed["deploymentBranches"],
        repositories=typed["repositories"],
    )
    if isinstance(decided, str):
        problems.append(decided)
        return None
    return decided


def _check_environment_name(environment: str, configured: bool, profile: TierProfile, problems: list[str]) -> None:
    tier = profile.tier
    if configured:
        _check_names(
            "environmentName", [environment], _ENVIRONMENT, "letters, digits, '.', '_', '-'", problems, listed=False
        )
    fixed = profile.environment_name
    if fixed is not None and environment != fixed:
        # The policy pack and the workflows know this tier's environment by this name.
        problems.append(f"{full_key('environmentName')} must be {fixed!r} in {tier} (set it explicitly)")
    named_other = False
    for other in PROFILES.values():
        # GitHub environment names ignore case: `Production` is the production environment.
        if other is not profile and other.environment_name and environment.casefold() == other.environment_name:
            named_other = True
            problems.append(
                f"{full_key('environmentName')} (or the stack name it defaults to) names the "
                f"{other.tier} environment, in any casing; a {tier} stack needs an environment of its own"
            )
    claims = production_claims(environment)
    if fixed is None and claims and not named_other:
        # The rule tools.bootstrap applies to stack names: `prod`, `production.`, `live-eu` read as production.
        problems.append(
            f"{full_key('environmentName')} (or the stack name it defaults to) claims production "
            f"({', '.join(claims)}) in a {tier} stack; choose a name that says what it is (e.g. {tier}-eu)"
        )


def _check_branches(branches: tuple[str, ...], profile: TierProfile, problems: list[str]) -> None:
    tier = profile.tier
    _check_names("deploymentBranches", branches, _BRANCH, "git branch names or fnmatch patterns", problems)
    if profile.branches_required and not branches:
        problems.append(f"{full_key('deploymentBranches')} must name the branches that may deploy to {tier}")
    if profile.exact_branches_only and any(_WILDCARD.search(branch) for branch in branches):
        problems.append(
            f"{full_key('deploymentBranches')} must name exact branches in {tier} (e.g. main), no wildcards or braces"
        )
    elif not profile.any_branch_allowed:
        for position, branch in enumerate(branches, start=1):
            if _BRANCH.fullmatch(branch) and not _SCOPED_BRANCH.fullmatch(branch):
                # `*`, `s*`, `2026-*`, `release/v*`, `f{a,*}`: each matches branches anyone who can push may create.
                problems.append(
                    f"{full_key('deploymentBranches')} (item {position} of {len(branches)}) is not accepted in "
                    f"{tier}: give an exact branch name (e.g. {tier}) or whole path segments before any wildcard "
                    "(e.g. release/*, hotfix/v2/*), with no braces or brackets; anyone who can push a matching "
                    f"branch gets {tier}'s secrets, so protect that namespace with a ruleset that limits who can "
                    "create such branches"
                )


def _check_vercel(typed: Mapping[str, Any], profile: TierProfile, problems: list[str]) -> None:
    tier = profile.tier
    _check_names(
        "vercelProjectId",
        [typed["vercelProjectId"]],
        _VERCEL_PROJECT,
        "a Vercel project id (prj_...)",
        problems,
        listed=False,
    )
    if typed["vercelTeamId"]:
        _check_names(
            "vercelTeamId", [typed["vercelTeamId"]], _VERCEL_TEAM, "a Vercel team id (team_...)", problems, listed=False
        )
    custom = typed["vercelCustomEnvironmentIds"]
    _check_names(
        "vercelCustomEnvironmentIds", custom, _VERCEL_CUSTOM_ENV, "Vercel custom environment ids (env_...)", problems
    )
    git_branch = typed["vercelGitBranch"]
    if git_branch:
        _check_names("vercelGitBranch", [git_branch], _BRANCH, "a git branch name", problems, listed=False)
    if profile.vercel_branch_scope == "required" and not (git_branch or custom):
        problems.append(
            f"{full_key('vercelGitBranch')} (or vercelCustomEnvironmentIds) is required in {tier}, "
            f"so {tier} values reach only {tier} deployments and not every preview"
        )
    if profile.vercel_branch_scope == "required" and git_branch and custom:
        # Custom environments replace the targets, and Vercel takes a git branch only with the preview
        # target (REST API, "Create one or more environment variables": gitBranch "must have
        # target=preview"): the pair would fail at `pulumi up`, after the GitHub secrets were written.
        problems.append(
            f"{full_key('vercelGitBranch')} and {full_key('vercelCustomEnvironmentIds')} are both set; give one "
            "of them: a git branch narrows the preview target, custom environments replace the targets"
        )
    if profile.vercel_branch_scope == "refused":
        for key in ("vercelGitBranch", "vercelCustomEnvironmentIds"):
            if typed[key]:
                accepted = [p.tier for p in PROFILES.values() if p.vercel_branch_scope != "refused"]
                problems.append(
                    f"{full_key(key)} is only accepted in {', '.join(accepted)}; "
                    f"{tier} uses the {', '.join(profile.vercel_targets)} target"
                )


def _check_production_stack(reference: str, profile: TierProfile, problems: list[str]) -> None:
    if not reference:
        if profile.production_guard:
            # Never silently off: the first deploy brings production up first (README).
            problems.append(
                f"{full_key('productionStack')} is required in {profile.tier}: name the production stack "
                "(e.g. organization/tenantguard-infra/production) so CI_DB_URL is checked against its database; "
                "deploy production first"
            )
        return
    if not profile.production_guard:
        problems.append(
            f"{full_key('productionStack')} is only read by tiers with the production-database guard "
            f"({', '.join(p.tier for p in PROFILES.values() if p.production_guard)}); remove it from {profile.tier}"
        )
    elif not _STACK_REFERENCE.fullmatch(reference):
        problems.append(
            f"{full_key('productionStack')} is not a stack name; expected organization/<project>/<stack> "
            "(a DIY backend), <org>/<project>/<stack> (Pulumi Cloud) or <stack>"
        )


def _check_session_key(typed: Mapping[str, Any], today: datetime.date, problems: list[str]) -> None:
    if not _ROTATION.fullmatch(typed["sessionKeyRotation"]):
        problems.append(
            f"{full_key('sessionKeyRotation')} must be a whole number from 1 up (raise it by one to rotate)"
        )
        return
    rotated_on = typed["sessionKeyRotatedOn"]
    if rotated_on:
        try:
            date = datetime.date.fromisoformat(rotated_on) if _DATE.fullmatch(rotated_on) else None
        except ValueError:
            date = None
        if date is None:
            problems.append(f"{full_key('sessionKeyRotatedOn')} must be a date written YYYY-MM-DD")
        elif date > today:
            problems.append(f"{full_key('sessionKeyRotatedOn')} is in the future; set the day of the rotation")
    elif int(typed["sessionKeyRotation"]) > 1:
        problems.append(
            f"{full_key('sessionKeyRotatedOn')} is required once sessionKeyRotation is above 1: set it to the day "
            "you raised it (YYYY-MM-DD), so the previous key is delivered for sessionKeyOverlapDays"
        )
    if not 0 <= typed["sessionKeyOverlapDays"] <= MAX_OVERLAP_DAYS:
        problems.append(f"{full_key('sessionKeyOverlapDays')} must be between 0 and {MAX_OVERLAP_DAYS}")


def _session_key(typed: Mapping[str, Any], today: datetime.date) -> SessionKeyRotation:
    rotated_on = typed["sessionKeyRotatedOn"]
    return SessionKeyRotation(
        rotation=int(typed["sessionKeyRotation"]),
        rotated_on=datetime.date.fromisoformat(rotated_on) if rotated_on else None,
        overlap_days=typed["sessionKeyOverlapDays"],
        today=today,
    )


def _check_secrets(stack: str, secrets: Mapping[str, Secret], profile: TierProfile, problems: list[str]) -> None:
    for key, secret in secrets.items():
        if not secret.value.strip():
            problems.append(f"{full_key(key)} is empty: {set_secret_hint(key, stack)}")
            continue
        if secret.value != secret.value.strip():
            problems.append(f"{full_key(key)} starts or ends with whitespace; set the value alone")
            continue
        if PLACEHOLDER_MARK in secret.value:
            problems.append(f"{full_key(key)} still holds the documentation's `...`: {set_secret_hint(key, stack)}")
            continue
        refused = BY_KEY[key].kind.validate(full_key(key), secret.value, profile)
        problems.extend(refused or _unguardable(full_key(key), secret.value))


def _unguardable(where: str, value: str) -> list[str]:
    """A PostgreSQL URL or libpq keyword string, anywhere in the value, that the production-database guard
    could not compare (it reads them as libpq does).

    Refused in every tier, whatever key holds it: production fingerprints every database it distributes,
    and the other stacks compare every one of theirs (infra/stack.py guarded_identities).
    """
    try:
        database_identities(value)
    except UnguardableValueError as refused:
        return [f"{where} {refused}"]
    return []


def _check_github_limits(routed: Mapping[str, Secret], extras: Mapping[str, Secret], problems: list[str]) -> None:
    """What GitHub (the stricter of the two providers) would refuse only after other secrets were written."""
    delivered = [route.name for route in ROUTES if route.github] + list(extras)
    if len(delivered) > MAX_ENVIRONMENT_SECRETS:
        problems.append(
            f"{full_key(EXTRA_SECRETS_KEY)} brings the environment to {len(delivered)} secrets; "
            f"GitHub allows at most {MAX_ENVIRONMENT_SECRETS} per environment"
        )
    sources = {route.name: full_key(route.source) for route in ROUTES}
    for name, secret in {**routed, **extras}.items():
        if len(secret.value.encode()) > MAX_SECRET_BYTES:
            where = sources.get(name, f"{full_key(EXTRA_SECRETS_KEY)} ({name})")
            problems.append(f"{where} is over {MAX_SECRET_BYTES // 1024} KB, GitHub's limit for one secret")


def _check_extra_secrets(
    stack: str, extras: Mapping[str, str], is_secret: bool, problems: list[str]
) -> dict[str, Secret]:
    name = full_key(EXTRA_SECRETS_KEY)
    if extras and not is_secret:
        problems.append(
            f"{name} values must be secrets: set each with "
            f"`{set_secret_command(f'{EXTRA_SECRETS_KEY}.NAME', stack)}` (it asks for the value)"
        )
    managed = {route.name.upper() for route in ROUTES}
    seen: set[str] = set()
    for position, (secret_name, value) in enumerate(extras.items(), start=1):
        if secret_name_problem(secret_name) is not None or not EXTRA_NAME.fullmatch(secret_name):
            # The name is not shown: a value pasted as a name would be printed.
            problems.append(
                f"{name}: name {position} of {len(extras)} is not accepted; extra secret names are upper-case "
                f"letters, digits and _, starting with a letter ({SECRET_NAME_RULE})"
            )
            continue
        if secret_name.upper() in managed:
            problems.append(f"{name}: {secret_name!r} is managed by this program already; choose another name")
        elif secret_name.upper() in seen:
            problems.append(
                f"{name}: {secret_name!r} differs from another name only in case; GitHub treats them as one"
            )
        if not value.strip():
            problems.append(f"{name}: {secret_name!r} is empty")
        elif value != value.strip():
            problems.append(f"{name}: {secret_name!r} starts or ends with whitespace; set the value alone")
        elif PLACEHOLDER_MARK in value:
            problems.append(f"{name}: {secret_name!r} still holds the documentation's `...`; set the real value")
        else:
            problems.extend(_unguardable(f"{name}.{secret_name}", value))
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
