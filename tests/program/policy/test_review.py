"""The security review's findings, one case each: every one of these passed the pack with no violation.

The review ran them through this harness: secrets under legacy, look-alike or extra secrets' names in
every GitHub place outside an environment; credentials in plaintext variables, committed files and
non-sensitive Vercel values; an empty or made-up environment secret; production's branch rule through
the older branch-policy type; and a command of another provider setting a secret.
"""

from __future__ import annotations

from typing import Any

import pytest

from tests.fake_credentials import fake_vercel_token
from tests.program.policy.harness import cli_config, violations

NAMES = "credential-names-in-their-place"
PLAINTEXT = "no-credential-in-plaintext"
SECRET_VALUES = "secret-values-are-secret"
BRANCHES = "production-branches-exact"


FAKE_DB_URL = "postgresql://app:fake-pw-Zt4@db.internal:5432/tenantguard"

SECRET_PLACES = {
    "github:index/actionsSecret:ActionsSecret": {"repository": "tenantguard", "value": "fake-value"},
    "github:index/actionsOrganizationSecret:ActionsOrganizationSecret": {"visibility": "all", "value": "fake-value"},
    "github:index/dependabotSecret:DependabotSecret": {"repository": "tenantguard", "value": "fake-value"},
    "github:index/dependabotOrganizationSecret:DependabotOrganizationSecret": {
        "visibility": "all",
        "value": "fake-value",
    },
    "github:index/codespacesSecret:CodespacesSecret": {"repository": "tenantguard", "plaintextValue": "fake-value"},
    "github:index/codespacesOrganizationSecret:CodespacesOrganizationSecret": {
        "visibility": "all",
        "plaintextValue": "fake-value",
    },
    "github:index/codespacesUserSecret:CodespacesUserSecret": {"plaintextValue": "fake-value"},
}
WITH_AN_EXTRA_SECRET = cli_config({"extraSecrets": {"OPENAI_API_KEY": "sk-fake-openai"}})


@pytest.mark.parametrize("resource_type", sorted(SECRET_PLACES))
@pytest.mark.parametrize("name", ["DB_URL", "PROD_DB_URL", "POSTGRES_URL", "CI_DB_URL_2", "OPENAI_API_KEY"])
def test_a_secret_outside_an_environment_under_a_credential_name(resource_type: str, name: str) -> None:
    props = {"secretName": name, **SECRET_PLACES[resource_type]}
    found = violations(resource_type, props, WITH_AN_EXTRA_SECRET)
    assert list(found) == [NAMES]
    assert name in found[NAMES][0]


@pytest.mark.parametrize(
    "value",
    [
        pytest.param(fake_vercel_token(), id="bare-vercel-token"),
        pytest.param("host=db.internal user=app password=fake-pw-Zt4 dbname=tenantguard", id="libpq-keywords"),
        pytest.param("postgresql://db.internal/tenantguard?user=app&password=fake-pw-Zt4", id="url-query-password"),
        pytest.param("postgresql://app:fake/pw-Zt4@db.internal/tenantguard", id="url-password-with-slash"),
    ],
)
def test_a_plaintext_variable_holding_a_credential(value: str) -> None:
    props = {"repository": "tenantguard", "variableName": "DEPLOY_SETTING", "value": value}
    found = violations("github:index/actionsVariable:ActionsVariable", props)
    assert list(found) == [PLAINTEXT]


@pytest.mark.parametrize(
    "content",
    [
        pytest.param(f"LOG_LEVEL=info\nDB_URL={FAKE_DB_URL}\n", id="url-with-password"),
        pytest.param("LOG_LEVEL=info\nREDIS_URL=fake-opaque-redis-credential\n", id="managed-name-given-a-value"),
    ],
)
def test_a_committed_env_file_holding_credentials(content: str) -> None:
    props = {"repository": "tenantguard", "file": ".env", "content": content, "branch": "main"}
    found = violations("github:index/repositoryFile:RepositoryFile", props)
    assert list(found) == [PLAINTEXT]


VERCEL_PLAINTEXT: list[Any] = [
    pytest.param(
        "vercel:index/sharedEnvironmentVariable:SharedEnvironmentVariable",
        {"key": "DEPLOY_HOOK", "value": fake_vercel_token(), "sensitive": False, "targets": ["production"]},
        id="shared-variable",
    ),
    pytest.param(
        "vercel:index/projectEnvironmentVariables:ProjectEnvironmentVariables",
        {
            "projectId": "prj_7QvZk2mN4pXr8sT1uW3yA5bC",
            "variables": [{"key": "APP_DB", "value": FAKE_DB_URL, "sensitive": False, "targets": ["production"]}],
        },
        id="bulk-project-variables",
    ),
    pytest.param(
        "vercel:index/project:Project",
        {
            "name": "tenantguard",
            "environments": [{"key": "APP_DB", "value": FAKE_DB_URL, "sensitive": False, "targets": ["preview"]}],
        },
        id="project-inline-environment",
    ),
    pytest.param(
        "vercel:index/edgeConfigItem:EdgeConfigItem",
        {"edgeConfigId": "ecfg_1", "key": "app-db", "value": FAKE_DB_URL},
        id="edge-config-item",
    ),
    pytest.param(
        "vercel:index/deployment:Deployment",
        {"projectId": "prj_7QvZk2mN4pXr8sT1uW3yA5bC", "environment": {"APP_DB": FAKE_DB_URL}},
        id="deployment-environment",
    ),
]


@pytest.mark.parametrize(("resource_type", "props"), VERCEL_PLAINTEXT)
def test_a_non_sensitive_vercel_value_holding_a_credential(resource_type: str, props: dict[str, Any]) -> None:
    found = violations(resource_type, props)
    assert list(found) == [PLAINTEXT]


ENVIRONMENT_SECRET = "github:index/actionsEnvironmentSecret:ActionsEnvironmentSecret"
SECRET = {"repository": "tenantguard", "environment": "preview", "secretName": "CI_DB_URL"}


def test_an_environment_secret_with_an_empty_value() -> None:
    found = violations(ENVIRONMENT_SECRET, {**SECRET, "value": ""})
    assert list(found) == [SECRET_VALUES]


def test_an_environment_secret_with_a_made_up_encrypted_value() -> None:
    made_up = {"valueEncrypted": "fake-not-sealed", "keyId": "568250167242549743"}
    found = violations(ENVIRONMENT_SECRET, {**SECRET, **made_up})
    assert list(found) == [SECRET_VALUES]


def test_production_branch_rule_through_the_older_branch_policy_type() -> None:
    props = {"repository": "tenantguard", "environmentName": "production", "name": "*"}
    found = violations("github:index/repositoryDeploymentBranchPolicy:RepositoryDeploymentBranchPolicy", props)
    # And the environment it writes into is not declared in this one-resource stack: the gate could not be checked.
    assert list(found) == [BRANCHES, "production-environment-declared"]


def test_a_command_of_another_provider_setting_a_legacy_secret() -> None:
    props = {"create": 'gh secret set DB_URL --repo tenantguard/tenantguard --body "$FAKE_URL"', "triggers": []}
    found = violations("command:local:Command", props)
    assert list(found) == [NAMES]
