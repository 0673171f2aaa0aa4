"""The policy pack: every resource of the real stacks passes; each placement and value rule has a failing case.

Production's gate is tested in test_production.py, the security review's findings in test_review.py, what
counts as a credential in tests/static/policy/test_credentials.py.
"""

from __future__ import annotations

from typing import Any

import pytest

from infra.config.schema import declared_config
from infra.guard import shadow_secrets
from policy import stack_config
from policy.catalog import CATALOG, Place, Secrecy
from policy.rules import POLICIES
from tests.fake_credentials import fake_github_token
from tests.fakes import stack_values
from tests.program.policy.harness import cli_config, evaluation_violations, stack_violations, violations
from tools import evaluator

NAMES = "credential-names-in-their-place"
DELIVERED = "delivered-secrets-only-in-their-place"
PLAINTEXT = "no-credential-in-plaintext"
SECRET_VALUES = "secret-values-are-secret"
CONFIG = "legacy-names-from-stack-config"

ENVIRONMENT_SECRET = "github:index/actionsEnvironmentSecret:ActionsEnvironmentSecret"
VERCEL_VARIABLE = "vercel:index/projectEnvironmentVariable:ProjectEnvironmentVariable"


def test_the_pack_has_its_eleven_mandatory_policies() -> None:
    assert [policy.name for policy in POLICIES] == [
        NAMES,
        DELIVERED,
        "one-environment-per-stack",
        PLAINTEXT,
        SECRET_VALUES,
        "production-branches-exact",
        "production-approval-gate",
        "production-environment-declared",
        "self-review-needs-reviewers",
        "vercel-production-targets-exclusive",
        CONFIG,
    ]


def test_every_resource_of_every_stack_passes(evaluated: dict[str, evaluator.Evaluation]) -> None:
    for stack, evaluation in evaluated.items():
        values, _ = stack_values(stack)
        assert evaluation_violations(evaluation, values) == {}


VARIABLE = {"key": "REDIS_URL", "value": "v", "sensitive": True, "targets": ["production"], "projectId": "prj_1"}
SECRET = {"repository": "tenantguard", "environment": "preview", "secretName": "CI_DB_URL", "value": "v"}


@pytest.mark.parametrize(
    ("policy", "resource_type", "props", "says"),
    [
        (NAMES, "github:index/actionsSecret:ActionsSecret", {"secretName": "CI_DB_URL", "value": "v"}, "environment"),
        (
            NAMES,
            "github:index/actionsOrganizationSecret:ActionsOrganizationSecret",
            {"secretName": "vercel_token", "visibility": "all", "value": "v"},
            "belongs in a GitHub environment secret only",
        ),
        (NAMES, "github:index/actionsVariable:ActionsVariable", {"variableName": "REDIS_URL", "value": "v"}, "managed"),
        (
            NAMES,
            ENVIRONMENT_SECRET,
            {**SECRET, "secretName": "SESSION_SECRET_KEY"},
            "sensitive Vercel project variable",
        ),
        (NAMES, VERCEL_VARIABLE, {**VARIABLE, "key": "CI_DB_URL"}, "belongs in a GitHub environment secret only"),
        (NAMES, ENVIRONMENT_SECRET, {**SECRET, "secretName": "DATABASE_URL"}, "is a legacy credential name:"),
        (NAMES, ENVIRONMENT_SECRET, {**SECRET, "secretName": "REDIS_URL_OLD"}, "looks like a copy of REDIS_URL:"),
        (SECRET_VALUES, ENVIRONMENT_SECRET, {**SECRET, "value": None, "plaintextValue": "v"}, "deprecated"),
        (SECRET_VALUES, ENVIRONMENT_SECRET, {**SECRET, "value": None}, "the secret has no value:"),
        (SECRET_VALUES, ENVIRONMENT_SECRET, {**SECRET, "value": "  "}, "the secret has no value:"),
        (SECRET_VALUES, ENVIRONMENT_SECRET, {**SECRET, "value": None, "valueEncrypted": "QUJD"}, "sealed box"),
        (
            SECRET_VALUES,
            ENVIRONMENT_SECRET,
            {**SECRET, "value": None, "valueEncrypted": "A" * 68},
            "needs keyId",
        ),
        (SECRET_VALUES, VERCEL_VARIABLE, {**VARIABLE, "key": "FEATURES", "sensitive": False}, "sensitive=True"),
        (
            "vercel-production-targets-exclusive",
            VERCEL_VARIABLE,
            {**VARIABLE, "targets": ["production", "preview"]},
            "split it per target",
        ),
    ],
)
def test_each_rule_reports_its_violation(policy: str, resource_type: str, props: dict[str, Any], says: str) -> None:
    found = violations(resource_type, props)
    assert list(found) == [policy]
    assert says in found[policy][0]


@pytest.mark.parametrize(
    ("resource_type", "props"),
    [
        ("github:index/actionsSecret:ActionsSecret", {"secretName": "UNRELATED_SETTING", "value": "v"}),
        (ENVIRONMENT_SECRET, SECRET),
        (ENVIRONMENT_SECRET, {**SECRET, "value": None, "valueEncrypted": "A" * 68, "keyId": "568250167242549743"}),
        (VERCEL_VARIABLE, {**VARIABLE, "targets": ["preview"]}),
        (VERCEL_VARIABLE, {**VARIABLE, "key": "DATABASE_URL"}),  # legacy as a GitHub secret, managed in Vercel
        ("github:index/actionsVariable:ActionsVariable", {"variableName": "VERCEL_PROJECT_ID", "value": "prj_1"}),
        ("command:local:Command", {"create": "alembic upgrade head", "environment": {"LOG_LEVEL": "info"}}),
    ],
)
def test_unrelated_and_proper_resources_pass(resource_type: str, props: dict[str, Any]) -> None:
    assert violations(resource_type, props) == {}


def _slots() -> list[tuple[str, Any]]:
    return [(resource_type, slot) for resource_type, kind in sorted(CATALOG.items()) for slot in kind.named]


def wrong_place(resource_type: str, name: str) -> dict[str, Any]:
    """A resource of `resource_type` giving `name` a value (or a grant) somewhere it does not belong."""
    (slot,) = CATALOG[resource_type].named
    if slot.name is None:
        return {str(slot.entries): {name: "v"}}
    entry: dict[str, Any] = {slot.name: name, **dict.fromkeys(slot.values[:1], "v")}
    if slot.secrecy is Secrecy.SENSITIVE_FLAG:
        # The one proper place (a sensitive project variable) refuses the name only when it is not sensitive.
        entry |= {"sensitive": slot.place is not Place.VERCEL_PROJECT, "targets": ["preview"]}
    elif slot.place is Place.GITHUB_ENVIRONMENT:
        name_only_in_vercel = "SESSION_SECRET_KEY"
        entry[slot.name] = name_only_in_vercel if name.upper() == "CI_DB_URL" else name
    return {str(slot.entries): [entry]} if slot.entries else entry


NAMED_TYPES = sorted({resource_type for resource_type, _ in _slots()})


@pytest.mark.parametrize("resource_type", NAMED_TYPES)
def test_a_managed_name_in_any_other_place_is_refused(resource_type: str) -> None:
    found = violations(resource_type, wrong_place(resource_type, "ci_db_url"))
    assert NAMES in found


@pytest.mark.parametrize("resource_type", NAMED_TYPES)
def test_an_unrelated_name_in_those_places_passes(resource_type: str) -> None:
    props = wrong_place(resource_type, "UNRELATED_SETTING")
    assert NAMES not in violations(resource_type, props)


STACK: list[tuple[str, dict[str, Any]]] = [
    (ENVIRONMENT_SECRET, {"secretName": "OPENAI_API_KEY", "value": "v", "environment": "preview"}),
    (VERCEL_VARIABLE, {"key": "ANTHROPIC_API_KEY", "value": "v", "sensitive": True, "targets": ["preview"]}),
]


@pytest.mark.parametrize(
    ("resource_type", "name"),
    [
        ("github:index/actionsSecret:ActionsSecret", "OPENAI_API_KEY"),
        ("github:index/actionsOrganizationVariable:ActionsOrganizationVariable", "openai_api_key"),
        ("github:index/actionsEnvironmentVariable:ActionsEnvironmentVariable", "OPENAI_API_KEY"),
        ("vercel:index/sharedEnvironmentVariable:SharedEnvironmentVariable", "ANTHROPIC_API_KEY"),
    ],
)
def test_an_extra_secret_the_stack_delivers_has_no_other_copy(resource_type: str, name: str) -> None:
    found = stack_violations([*STACK, (resource_type, wrong_place(resource_type, name))])
    assert list(found) == ["r2"]
    assert list(found["r2"]) == [DELIVERED]


def test_an_extra_secret_its_config_names_is_refused_by_name_not_twice() -> None:
    config = cli_config({"extraSecrets": {"OPENAI_API_KEY": "sk-fake-openai"}})
    resource_type = "github:index/actionsSecret:ActionsSecret"
    found = stack_violations([*STACK, (resource_type, wrong_place(resource_type, "OPENAI_API_KEY"))], config)
    assert found == {"r2": {NAMES: found["r2"][NAMES]}}


def test_names_the_stack_does_not_deliver_may_live_elsewhere() -> None:
    resource_type = "github:index/actionsSecret:ActionsSecret"
    assert stack_violations([*STACK, (resource_type, wrong_place(resource_type, "SENTRY_AUTH_TOKEN"))]) == {}


def test_a_stack_writing_secrets_into_two_environments_is_refused() -> None:
    stack = [
        (ENVIRONMENT_SECRET, {"secretName": "CI_DB_URL", "value": "v", "environment": "staging"}),
        (ENVIRONMENT_SECRET, {"secretName": "REDIS_URL", "value": "v", "environment": "Staging"}),
        (ENVIRONMENT_SECRET, {"secretName": "CI_DB_URL", "value": "v", "environment": "qa"}),
    ]
    found = stack_violations(stack)
    assert list(found) == ["r2"]
    assert list(found["r2"]) == ["one-environment-per-stack"]


@pytest.mark.parametrize(
    "resource_type",
    [
        "github:index/actionsVariable:ActionsVariable",
        "github:index/actionsEnvironmentVariable:ActionsEnvironmentVariable",
    ],
)
def test_a_variable_whose_value_holds_a_password_is_refused(resource_type: str) -> None:
    props = {"variableName": "DB", "value": "postgresql://ci:fake-pw-Rq7@db/tg", "repository": "tenantguard"}
    assert list(violations(resource_type, props)) == [PLAINTEXT]
    assert violations(resource_type, {**props, "value": "prj_7QvZk2mN4pXr8sT1uW3yA5bC"}) == {}


def test_a_secret_holds_a_credential_in_its_place_but_not_in_its_other_inputs() -> None:
    webhook = "github:index/repositoryWebhook:RepositoryWebhook"
    props: dict[str, Any] = {"repository": "tenantguard", "events": ["push"]}
    token = fake_github_token()
    configuration = {"url": "https://hooks.internal/x", "secret": token}
    assert violations(webhook, {**props, "configuration": configuration}) == {}
    found = violations(webhook, {**props, "configuration": {"url": f"https://hooks.internal/x?token={token}"}})
    assert list(found) == [PLAINTEXT]
    assert "configuration.url holds a GitHub token" in found[PLAINTEXT][0]


def test_a_deployment_may_not_carry_a_managed_name() -> None:
    deployment = "vercel:index/deployment:Deployment"
    assert list(violations(deployment, {"environment": {"CI_DB_URL": "v"}})) == [NAMES]
    assert violations(deployment, {"environment": {"FEATURE_FLAG": "on"}}) == {}


def test_another_providers_resource_is_judged_by_its_values() -> None:
    command = "command:local:Command"
    found = violations(command, {"create": "psql postgresql://app:fake-pw-Zt4@db/tg -c 'select 1'"})
    assert list(found) == [PLAINTEXT]
    assert "create holds a URL with a password" in found[PLAINTEXT][0]
    found = violations(command, {"create": "./deploy", "environment": {"REDIS_URL": "fake-opaque-value"}})
    assert list(found) == [NAMES, PLAINTEXT]
    assert violations(command, {"create": "./deploy", "environment": {"REDIS_URL": "${REDIS_URL}"}}) == {
        NAMES: [found[NAMES][0]]
    }


def test_legacy_names_come_from_the_stacks_config() -> None:
    resource_type = "github:index/dependabotSecret:DependabotSecret"
    props = {"repository": "tenantguard", "secretName": "OLD_DATABASE_DSN", "value": "v"}
    assert violations(resource_type, props) == {}
    overridden = cli_config({"legacySecretNames": ["OLD_DATABASE_DSN"]})
    found = violations(resource_type, props, overridden)
    assert list(found) == [NAMES]
    assert "legacy credential name" in found[NAMES][0]
    assert violations(resource_type, {**props, "secretName": "DB_URL"}, overridden) == {}


def test_a_pack_run_without_the_stacks_config_says_so() -> None:
    found = stack_violations([], config={})
    assert list(found) == ["stack"]
    assert list(found["stack"]) == [CONFIG]
    assert "tenantguard-infra:legacySecretNames" in found["stack"][CONFIG][0]
    assert list(stack_violations([], cli_config({"legacySecretNames": "DB_URL"}))["stack"]) == [CONFIG]


def test_the_pack_reads_the_key_the_program_declares() -> None:
    assert stack_config.LEGACY_KEY == shadow_secrets.LEGACY_KEY
    assert declared_config()[stack_config.LEGACY_KEY]["type"] == "array"
