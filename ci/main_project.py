"""What the CI project reads from the main project: its stack files, tiers, CI layout and token permissions.

The one module of ci/ that imports the main project's packages (infra/, tools/): everything else in ci/ works on the
plain values returned here, so a move of those packages touches only this file.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

from infra.config.settings import Secret as Secret  # noqa: PLC0414 - re-exported for ci/config.py
from infra.tables.database_roles import CREDENTIALS_KEY, GENERATED, SERVER_KEY
from infra.tables.github_plans import PLANS, VISIBILITIES, Plan, capabilities
from infra.tables.tiers import profile_for
from infra.tables.type_tokens import PROJECT
from tools import evaluator, pg_env
from tools.ci_layout import (
    ACCESS_TOKEN,
    APP_OWNER,
    APP_REPOSITORIES,
    BACKEND_ROLE,
    DB_ADMIN_URL,
    PASSPHRASE,
    VERCEL_TOKEN,
    CiLayoutError,
    environment_names,
    layout,
    token_inputs,
)
from tools.plan.stack_files import StackFileError, owner_plan, read_stack_file

MAIN_PROJECT = PROJECT
"""The main project's name: the second part of its stacks' state paths and of their fully qualified names."""
ROOT = evaluator.ROOT
PLAN_NAMES: tuple[str, ...] = PLANS
VISIBILITY_NAMES: tuple[str, ...] = VISIBILITIES
SECRET_NAMES = {
    "passphrase": PASSPHRASE,
    "access_token": ACCESS_TOKEN,
    "vercel_token": VERCEL_TOKEN,
    "db_admin_url": DB_ADMIN_URL,
}
VARIABLE_NAMES = {"role": BACKEND_ROLE, "owner": APP_OWNER, "repositories": APP_REPOSITORIES}


class MainProjectError(ValueError):
    """A stack file the CI project cannot serve; the message names the file and what to change."""


@dataclass(frozen=True)
class Environment:
    """One CI environment of this repository, as tools/ci_layout.py decides it."""

    name: str
    branches: tuple[str, ...]
    reviewers: bool
    protection_rules: bool
    writes: bool
    secrets: tuple[str, ...]
    variables: tuple[str, ...]
    app_key: str
    """The secret holding the private key of the App whose tokens the job mints."""
    app_client_id: str
    """The variable holding that App's client id."""
    token_inputs: dict[str, str]


@dataclass(frozen=True)
class MainStack:
    """What one stack of the main project needs in CI."""

    name: str
    tier: str
    owner: str
    repositories: tuple[str, ...]
    reviewer_teams: tuple[str, ...]
    kms_alias: str | None
    """`alias/NAME` of the AWS KMS key its stack file names as secrets provider; None for a passphrase stack."""
    reads_stack: str | None
    """The stack whose outputs its production-database guard reads (a StackReference), or None."""
    environments: tuple[Environment, ...]
    summary: str
    database_server: str = ""
    """A stack generating its database credentials: its databaseServer, which its DB_ADMIN_URL must name; else ""."""


def pull_request_environment(stack: str) -> str:
    """The name a stack's pull-request preview environment has (or would have) in this repository."""
    return environment_names(stack)[0]


def plan_of(owner: str, directory: Path = ROOT) -> Plan | None:
    """The GitHub plan the stack files give `owner`, if any names it."""
    return owner_plan(owner, directory)


def has_rulesets(plan: str, visibility: str) -> bool | None:
    """Whether a repository of this visibility on this plan can have branch rulesets; None: no such repository."""
    caps = capabilities(plan, visibility) if plan in PLANS else None  # type: ignore[arg-type,unused-ignore]
    return None if caps is None else caps.rulesets


def kms_alias(stack: str, region: str, directory: Path = ROOT) -> str | None:
    """The KMS alias a stack file names as its secrets provider (None for a passphrase stack).

    Pulumi takes a `secretsprovider` other than empty, `passphrase` or `default` as a cloud KMS provider that
    decrypts the stack's `encryptedkey` and reads no passphrase (pulumi/pulumi@1b5949891b3c: GetSecretsManager in
    pkg/cmd/pulumi/stack/secrets.go, NewCloudSecretsManager in pkg/secrets/cloud/manager.go). This project makes
    the key, so the stack file must name it by an alias of this region (`awskms://alias/NAME?region=REGION`).
    """
    path = evaluator.stack_file(stack, directory)
    document = evaluator.load_stack_yaml(path.read_text()) or {}
    provider = document.get("secretsprovider") if isinstance(document, dict) else None
    if not isinstance(provider, str) or provider in ("", "passphrase", "default"):
        return None
    parts = urlsplit(provider)
    alias = f"{parts.netloc}{parts.path}"
    wanted = f"awskms://alias/tenantguard-{stack}?region={region}"
    if parts.scheme != "awskms" or not alias.startswith("alias/") or alias == "alias/":
        raise MainProjectError(
            f"{path.name}: secretsprovider must be an AWS KMS alias this project makes, e.g. {wanted} "
            f"(the workflows reach AWS only, and the key is made here)"
        )
    named = parse_qs(parts.query).get("region", [""])[0]
    if named != region:
        raise MainProjectError(
            f"{path.name}: secretsprovider names region {named or '(none)'}, but awsRegion is {region}: "
            f"name the key as {wanted}"
        )
    return alias


def _strings(value: Any) -> tuple[str, ...]:
    return tuple(str(item) for item in value or [])


def main_stacks(
    repository: str,
    visibility: str,
    plan: Plan | None,
    *,
    backend: str,
    region: str,
    directory: Path = ROOT,
) -> tuple[MainStack, ...]:
    """Every stack file of the main project, with the environments its CI needs in `repository`."""
    stacks = []
    for name in evaluator.known_stacks(directory):
        try:
            config = read_stack_file(name, directory)
        except StackFileError as error:
            raise MainProjectError(str(error)) from None
        profile = profile_for(str(config.get("tier", "")))
        if profile is None:
            raise MainProjectError(f"Pulumi.{name}.yaml names no tier the main project knows")
        alias = kms_alias(name, region, directory)
        try:
            generated = config.get(CREDENTIALS_KEY) == GENERATED
            ci = layout(
                name, profile, plan, visibility, backend=backend, kms=alias is not None, generated_credentials=generated
            )
        except CiLayoutError as refused:
            raise MainProjectError(f"{repository}: {refused}") from None
        reference = str(config.get("productionStack") or "")
        environments = tuple(
            Environment(
                name=environment.name,
                branches=environment.branches,
                reviewers=environment.reviewers,
                protection_rules=environment.protection_rules,
                writes=environment.writes,
                secrets=environment.secrets,
                variables=environment.variables,
                app_key=environment.app_key,
                app_client_id=environment.app_client_id,
                token_inputs=token_inputs(writes=environment.writes),
            )
            for environment in ci.environments
        )
        stacks.append(
            MainStack(
                name=name,
                tier=profile.tier,
                owner=str(config.get("githubOwner", "")),
                repositories=_strings(config.get("repositories")),
                reviewer_teams=_strings(config.get("reviewerTeams")),
                kms_alias=alias,
                reads_stack=reference.rsplit("/", 1)[-1] if reference else None,
                environments=environments,
                summary=ci.summary,
                database_server=str(config.get(SERVER_KEY) or "") if generated else "",
            )
        )
    return tuple(stacks)


def production_reviewer_teams(directory: Path = ROOT) -> tuple[str, ...]:
    """The reviewer teams of the production-tier stacks: the code owners of what main's deploys run."""
    teams: list[str] = []
    for name in evaluator.known_stacks(directory):
        config = read_stack_file(name, directory)
        if config.get("tier") == "production":
            teams += [team for team in _strings(config.get("reviewerTeams")) if team not in teams]
    return tuple(teams)


def admin_url_problem(url: str, database_server: str) -> str | None:
    """Why `url` cannot be the DB_ADMIN_URL of a stack whose databaseServer is `database_server`, or None."""
    return pg_env.admin_url_problem(url, database_server)
