"""The only reader of the CI project's Pulumi config: one validated Settings, or every problem at once.

Per repository, the keys of ci/Pulumi.yaml; per stack, what the main project's stack files say (main_project.py).
Every message names the key and what is accepted, and never shows a value.
"""

from __future__ import annotations

import json
import re
from collections.abc import Collection, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, cast

import pulumi
import yaml
from pulumi.runtime import config as runtime_config

from ci import main_project
from ci.main_project import PLAN_NAMES, VISIBILITY_NAMES, MainProjectError, MainStack, Secret, has_rulesets

PROJECT = "tenantguard-ci"
PROJECT_FILE = Path(__file__).resolve().parent / "Pulumi.yaml"
BACKENDS = ("s3", "cloud")
APPS = ("read", "write", "drift")

# What AWS and GitHub accept, so a typo fails here rather than halfway through an update.
REPOSITORY = re.compile(r"[A-Za-z0-9](?:[A-Za-z0-9-]{0,38})/[A-Za-z0-9._-]{1,100}")
# S3 User Guide, "General purpose bucket naming rules" (no dots: a dotted name breaks TLS to virtual-hosted URLs).
BUCKET = re.compile(r"[a-z0-9][a-z0-9-]{1,61}[a-z0-9]")
REGION = re.compile(r"[a-z]{2}(?:-gov|-iso[a-z]*)?-[a-z]+-[0-9]")
OIDC_PROVIDER = re.compile(r"arn:aws[a-z-]*:iam::[0-9]{12}:oidc-provider/token\.actions\.githubusercontent\.com")
# A GitHub App's client ID: "Iv1." followed by hex (older Apps) or "Iv23" and letters and digits.
CLIENT_ID = re.compile(r"Iv[0-9A-Za-z.]{8,40}")
PEM = re.compile(r"-----BEGIN (?:RSA )?PRIVATE KEY-----\n.+\n-----END (?:RSA )?PRIVATE KEY-----\n?", re.DOTALL)
RUNNER_LABEL = re.compile(r"[A-Za-z0-9._-]{1,100}")


def full_key(key: str) -> str:
    return f"{PROJECT}:{key}"


class ConfigError(ValueError):
    """Every problem found in the CI project's config, one line each; never contains a value."""

    def __init__(self, stack: str, problems: list[str]) -> None:
        self.problems = problems
        lines = "\n".join(f"  - {problem}" for problem in problems)
        super().__init__(f"stack {stack!r} of {PROJECT} has invalid configuration:\n{lines}")


@dataclass(frozen=True)
class App:
    """A GitHub App: its client ID (public) and private key (the one stored credential)."""

    client_id: str
    key: Secret


@dataclass(frozen=True)
class Settings:
    stack: str
    """This project's own stack (its state, passphrase and drift environment)."""
    repository: str
    visibility: str
    plan: str
    backend: str
    bucket: str
    region: str
    noncurrent_version_days: int
    oidc_provider_arn: str
    runners: Mapping[str, tuple[str, ...]]
    runner_group: str
    """The runner group the `runners` go in (ci/program.py `_runner_group`)."""
    pulumi_organization: str
    apps: Mapping[str, App]
    passphrases: Mapping[str, Secret]
    vercel_tokens: Mapping[str, Secret]
    stacks: tuple[MainStack, ...]
    db_admin_urls: Mapping[str, Secret] = field(default_factory=dict)
    """Each stack generating its database credentials: the administrative login of its database (DB_ADMIN_URL)."""

    @property
    def owner(self) -> str:
        return self.repository.split("/", 1)[0]

    @property
    def repository_name(self) -> str:
        return self.repository.split("/", 1)[1]

    @property
    def needs_aws(self) -> bool:
        """AWS is used for the state bucket, or for a stack whose secrets provider is a KMS key."""
        return self.backend == "s3" or any(stack.kms_alias for stack in self.stacks)


def declared_config() -> Mapping[str, Mapping[str, Any]]:
    return cast(Mapping[str, Mapping[str, Any]], yaml.safe_load(PROJECT_FILE.read_text())["config"])


def _coerce(key: str, spec: Mapping[str, Any], raw: Any, problems: list[str]) -> Any:
    """The value as its declared type: the CLI hands numbers and objects to the program as JSON strings."""
    kind = spec.get("type")
    is_object = kind == "object" or isinstance(spec.get("default"), dict)
    value = raw
    if isinstance(raw, str) and (kind == "integer" or is_object):
        try:
            value = json.loads(raw)
        except ValueError:
            value = raw
    if kind == "integer" and not (isinstance(value, int) and not isinstance(value, bool)):
        problems.append(f"{full_key(key)} must be a whole number")
        return None
    if kind == "string" and not isinstance(value, str):
        problems.append(f"{full_key(key)} must be a string")
        return None
    if is_object and not isinstance(value, dict):
        problems.append(f"{full_key(key)} must be an object (set entries with `pulumi config set --path`)")
        return {}
    return value


REMOVE_A_STACK = "docs/how-to/remove-a-stack.md#steps"
"""The runbook that removes a stack's file first and this project's entries for it last."""


def _leftover(stack: str, key: str, name: str) -> str:
    """What to do about an entry left from a removed stack (or a misspelt name)."""
    return (
        f"if {name} was removed, remove its entry too (`pulumi config rm --stack {stack} --path '{key}.{name}'`, "
        f"{REMOVE_A_STACK}); else correct the name"
    )


def _secrets(
    key: str, values: Mapping[str, Any], *, is_secret: bool, wanted: Collection[str], stack: str, problems: list[str]
) -> dict[str, Secret]:
    """An object of secrets, one per name in `wanted`: each present, non-empty and stored encrypted."""
    command = f"pulumi config set --secret --stack {stack} --path '{key}.NAME'"
    if values and not is_secret:
        problems.append(f"{full_key(key)} values must be secrets: set each with `{command}`")
    found = {}
    for name in sorted(values):
        if name not in wanted:
            problems.append(
                f"{full_key(key)}.{name} names no stack that needs one here ({', '.join(wanted)}): "
                f"{_leftover(stack, key, name)}"
            )
    for name in wanted:
        value = values.get(name)
        if not isinstance(value, str) or not value.strip():
            problems.append(f"{full_key(key)}.{name} is required: `{command.replace('NAME', name)}`")
            continue
        found[name] = Secret(value)
    return found


def _typed(stack: str, values: Mapping[str, Any], secret: Collection[str]) -> dict[str, Any]:
    """Every declared key, present or defaulted, as its declared type; unknown and missing keys refused."""
    declared = declared_config()
    problems = [
        f"{full_key(key)} is not a key of {PROJECT} (ci/Pulumi.yaml declares {', '.join(declared)})"
        for key in sorted(set(values) - set(declared))
    ]
    typed: dict[str, Any] = {}
    for key, spec in declared.items():
        if key in values:
            typed[key] = _coerce(key, spec, values[key], problems)
        elif "default" in spec:
            typed[key] = spec["default"]
        else:
            set_line = f"pulumi -C ci config set --stack {stack}"
            how = f"`{set_line} --secret {key} < FILE`" if spec.get("secret") else f"`{set_line} {key}`"
            problems.append(f"{full_key(key)} is required: {how} ({spec['description']})")
        if spec.get("secret") and key in values and key not in secret:
            problems.append(
                f"{full_key(key)} must be a secret, not plaintext: "
                f"`pulumi -C ci config set --stack {stack} --secret {key}`"
            )
    if problems:
        raise ConfigError(stack, problems)
    return typed


def _repository_problems(typed: Mapping[str, Any], plan: str) -> list[str]:
    problems = []
    if not REPOSITORY.fullmatch(typed["repository"]):
        problems.append(f"{full_key('repository')} must be OWNER/REPO as GitHub spells them")
    if typed["repositoryVisibility"] not in VISIBILITY_NAMES:
        problems.append(f"{full_key('repositoryVisibility')} must be one of {', '.join(VISIBILITY_NAMES)}")
    if typed["githubPlan"] and typed["githubPlan"] not in PLAN_NAMES:
        problems.append(f"{full_key('githubPlan')} must be one of {', '.join(PLAN_NAMES)}")
    elif not plan:
        problems.append(
            f"{full_key('githubPlan')} is required: no stack file gives this repository's owner a plan "
            f"(githubOwner and githubPlan); set it to one of {', '.join(PLAN_NAMES)}"
        )
    return problems


def _backend_problems(typed: Mapping[str, Any]) -> list[str]:
    problems = []
    backend = typed["backend"]
    if backend not in BACKENDS:
        problems.append(f"{full_key('backend')} must be one of {', '.join(BACKENDS)}")
    elif backend == "s3":
        if not BUCKET.fullmatch(typed["stateBucket"]):
            problems.append(
                f"{full_key('stateBucket')} must be an S3 bucket name: 3-63 lower-case letters, digits and '-', "
                "starting and ending with a letter or digit"
            )
        if not REGION.fullmatch(typed["awsRegion"]):
            problems.append(f"{full_key('awsRegion')} must be an AWS region such as eu-west-1 (backend s3)")
    elif not typed["pulumiOrganization"]:
        problems.append(f"{full_key('pulumiOrganization')} is required with backend cloud: the stacks' organization")
    if not 1 <= typed["noncurrentVersionDays"] <= 3650:
        problems.append(f"{full_key('noncurrentVersionDays')} must be between 1 and 3650")
    if typed["oidcProviderArn"] and not OIDC_PROVIDER.fullmatch(typed["oidcProviderArn"]):
        problems.append(
            f"{full_key('oidcProviderArn')} must be an OIDC provider ARN for token.actions.githubusercontent.com, "
            "or empty to create it"
        )
    return problems


def _main_problem(repository: str, visibility: str, plan: str) -> str | None:
    """Why main cannot be protected here, if it cannot: every deploy runs main's code with a stack's key."""
    rulesets = has_rulesets(plan, visibility)
    if rulesets is None:
        return (
            f"{full_key('repositoryVisibility')} is {visibility}, which a repository on GitHub {plan} cannot be "
            "(internal repositories exist only on Enterprise)"
        )
    if not rulesets:
        return (
            f"{repository} is {visibility} on GitHub {plan}, which gives it no rulesets: nothing could protect main, "
            "whose code every deploy runs with each stack's key; a paid plan or a public repository would"
        )
    return None


def _apps(typed: Mapping[str, Any], problems: list[str]) -> dict[str, App]:
    apps = {}
    for role in APPS:
        client_id, key = typed[f"{role}AppClientId"], typed[f"{role}AppKey"]
        if not CLIENT_ID.fullmatch(client_id):
            problems.append(f"{full_key(f'{role}AppClientId')} must be a GitHub App's client ID (Iv...)")
        if not PEM.fullmatch(key):
            problems.append(
                f"{full_key(f'{role}AppKey')} must be the App's private key as GitHub gives it (a PEM file): "
                f"`pulumi -C ci config set --secret --stack ci {role}AppKey < ~/.config/tenantguard/{role}-app.pem` "
                "(docs/how-to/rotate-tokens.md#rotate-a-github-app-private-key)"
            )
        apps[role] = App(client_id, Secret(key))
    return apps


def parse(stack: str, values: Mapping[str, Any], secret: Collection[str], directory: Path | None = None) -> Settings:
    """Validate the config (keys without the project prefix) and build Settings; ConfigError lists every problem.

    `directory` holds the main project's stack files (default: this repository's root).
    """
    directory = directory or main_project.ROOT
    typed = _typed(stack, values, secret)
    repository, visibility, region = typed["repository"], typed["repositoryVisibility"], typed["awsRegion"]
    owner = repository.split("/", 1)[0]
    plan = typed["githubPlan"] or main_project.plan_of(owner, directory) or ""
    problems = _repository_problems(typed, plan) + _backend_problems(typed)
    if problems:
        raise ConfigError(stack, problems)
    if (problem := _main_problem(repository, visibility, plan)) is not None:
        problems.append(problem)
    try:
        stacks = main_project.main_stacks(
            repository, visibility, cast(Any, plan), backend=typed["backend"], region=region, directory=directory
        )
    except MainProjectError as refused:
        raise ConfigError(stack, [*problems, str(refused)]) from None
    if any(main.name == stack for main in stacks):
        problems.append(f"the main project has a stack named {stack!r} too: name this project's stack otherwise")
    if any(main.kms_alias for main in stacks) and not REGION.fullmatch(region):
        problems.append(f"{full_key('awsRegion')} is required: a stack file names an awskms:// key")
    apps = _apps(typed, problems)
    passphrase_stacks = [main.name for main in stacks if main.kms_alias is None] + [stack]
    passphrases = _secrets(
        "passphrases",
        typed["passphrases"],
        is_secret="passphrases" in secret,
        wanted=passphrase_stacks,
        stack=stack,
        problems=problems,
    )
    names = [main.name for main in stacks]
    tokens = _secrets(
        "vercelTokens",
        typed["vercelTokens"],
        is_secret="vercelTokens" in secret,
        wanted=names,
        stack=stack,
        problems=problems,
    )
    admin_urls = _secrets(
        "dbAdminUrls",
        typed["dbAdminUrls"],
        is_secret="dbAdminUrls" in secret,
        wanted=[main.name for main in stacks if main.database_server],
        stack=stack,
        problems=problems,
    )
    problems += _admin_url_problems(stacks, admin_urls)
    runners = _runners(typed["runners"], names, problems, stack)
    if problems:
        raise ConfigError(stack, problems)
    return Settings(
        stack=stack,
        repository=repository,
        visibility=visibility,
        plan=plan,
        backend=typed["backend"],
        bucket=typed["stateBucket"] if typed["backend"] == "s3" else "",
        region=region,
        noncurrent_version_days=typed["noncurrentVersionDays"],
        oidc_provider_arn=typed["oidcProviderArn"],
        runners=runners,
        runner_group=typed["runnerGroup"] or f"{repository.split('/', 1)[1]}-databases",
        pulumi_organization=typed["pulumiOrganization"],
        apps=apps,
        passphrases=passphrases,
        vercel_tokens=tokens,
        stacks=stacks,
        db_admin_urls=admin_urls,
    )


def _admin_url_problems(stacks: Collection[MainStack], admin_urls: Mapping[str, Secret]) -> list[str]:
    """Each DB_ADMIN_URL is a login for the database its stack's databaseServer names, and nothing else."""
    problems = []
    for main in stacks:
        if main.name not in admin_urls:
            continue
        where = f"{full_key('dbAdminUrls')}.{main.name}"
        problem = main_project.admin_url_problem(admin_urls[main.name].value, main.database_server)
        if problem is not None:
            problems.append(f"{where} {problem}")
    return problems


def _runners(
    value: Mapping[str, Any], stacks: Collection[str], problems: list[str], stack: str
) -> dict[str, tuple[str, ...]]:
    runners = {}
    for name, labels in value.items():
        if name not in stacks:
            problems.append(
                f"{full_key('runners')}.{name} names no stack file ({', '.join(stacks)}): "
                f"{_leftover(stack, 'runners', name)}"
            )
        elif (
            not isinstance(labels, list)
            or not labels
            or not all(isinstance(label, str) and RUNNER_LABEL.fullmatch(label) for label in labels)
        ):
            problems.append(f"{full_key('runners')}.{name} must be a list of runner labels")
        else:
            runners[name] = tuple(labels)
    return runners


def load() -> Settings:
    """The current stack's Settings, read from the Pulumi runtime's config."""
    prefix = f"{PROJECT}:"
    present = {**runtime_config.get_config_env(), **runtime_config.CONFIG.get()}
    secret_env = set(runtime_config.get_config_secret_keys_env())
    values = {key[len(prefix) :]: value for key, value in present.items() if key.startswith(prefix)}
    secret = {key for key in values if runtime_config.is_config_secret(full_key(key)) or full_key(key) in secret_env}
    return parse(pulumi.get_stack(), values, secret)
