"""The policy pack: every resource of the real stacks passes; each rule has a failing case."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pulumi_github
import pytest

from policy.rules import GITHUB_NAME_FIELDS, POLICIES, VERCEL_NAME_FIELDS
from tests.program.policy_harness import evaluation_violations, stack_violations, violations
from tools import evaluator

SITE_PACKAGES = Path(pulumi_github.__file__).resolve().parent.parent

POLICY_NAMES = [policy.name for policy in POLICIES]


def test_the_pack_has_the_six_mandatory_policies() -> None:
    assert POLICY_NAMES == [
        "managed-secrets-only-as-environment-secrets",
        "one-environment-per-stack",
        "delivered-secrets-only-in-their-place",
        "secret-values-are-secret",
        "production-environment-protected",
        "vercel-production-targets-exclusive",
    ]


def test_every_resource_of_every_stack_passes(evaluated: dict[str, evaluator.Evaluation]) -> None:
    for evaluation in evaluated.values():
        assert evaluation_violations(evaluation) == {}


PRODUCTION_ENV = {
    "repository": "tenantguard",
    "environment": "production",
    "reviewers": [{"teams": [1]}],
    "preventSelfReview": True,
    "canAdminsBypass": False,
    "deploymentBranchPolicy": {"customBranchPolicies": True, "protectedBranches": False},
}
VARIABLE = {"key": "REDIS_URL", "value": "v", "sensitive": True, "targets": ["production"], "projectId": "prj_1"}


@pytest.mark.parametrize(
    ("policy", "resource_type", "props", "says"),
    [
        (
            "managed-secrets-only-as-environment-secrets",
            "github:index/actionsSecret:ActionsSecret",
            {"secretName": "CI_DB_URL", "value": "v"},
            "environment secret only",
        ),
        (
            "managed-secrets-only-as-environment-secrets",
            "github:index/actionsOrganizationSecret:ActionsOrganizationSecret",
            {"secretName": "vercel_token", "visibility": "all"},
            "environment secret only",
        ),
        (
            "managed-secrets-only-as-environment-secrets",
            "github:index/actionsVariable:ActionsVariable",
            {"variableName": "REDIS_URL", "value": "v"},
            "environment secret only",
        ),
        (
            "managed-secrets-only-as-environment-secrets",
            "github:index/actionsEnvironmentVariable:ActionsEnvironmentVariable",
            {"variableName": "DATABASE_URL", "value": "v", "environment": "preview"},
            "environment secret only",
        ),
        (
            "secret-values-are-secret",
            "github:index/actionsEnvironmentSecret:ActionsEnvironmentSecret",
            {"secretName": "CI_DB_URL", "plaintextValue": "v", "environment": "preview"},
            "deprecated",
        ),
        (
            "secret-values-are-secret",
            "vercel:index/projectEnvironmentVariable:ProjectEnvironmentVariable",
            {**VARIABLE, "sensitive": False},
            "sensitive=True",
        ),
        (
            "production-environment-protected",
            "github:index/repositoryEnvironment:RepositoryEnvironment",
            {**PRODUCTION_ENV, "reviewers": []},
            "required reviewers",
        ),
        (
            "production-environment-protected",
            "github:index/repositoryEnvironment:RepositoryEnvironment",
            {**PRODUCTION_ENV, "preventSelfReview": False},
            "self-review",
        ),
        (
            "production-environment-protected",
            "github:index/repositoryEnvironment:RepositoryEnvironment",
            {**PRODUCTION_ENV, "canAdminsBypass": True},
            "admins bypass",
        ),
        (
            "production-environment-protected",
            "github:index/repositoryEnvironment:RepositoryEnvironment",
            {**PRODUCTION_ENV, "deploymentBranchPolicy": None},
            "name the exact branches",
        ),
        (
            "vercel-production-targets-exclusive",
            "vercel:index/projectEnvironmentVariable:ProjectEnvironmentVariable",
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
        (
            "github:index/repositoryEnvironment:RepositoryEnvironment",
            {**PRODUCTION_ENV, "environment": "preview", "reviewers": []},
        ),
        ("vercel:index/projectEnvironmentVariable:ProjectEnvironmentVariable", {**VARIABLE, "targets": ["preview"]}),
    ],
)
def test_unrelated_resources_pass(resource_type: str, props: dict[str, Any]) -> None:
    assert violations(resource_type, props) == {}


def wrong_place(resource_type: str, name: str) -> dict[str, Any]:
    """A resource of `resource_type` giving `name` a value (or a grant) somewhere it does not belong."""
    if resource_type in GITHUB_NAME_FIELDS:
        return {GITHUB_NAME_FIELDS[resource_type]: name, "value": "v", "repository": "tenantguard"}
    field, listed = VERCEL_NAME_FIELDS[resource_type]
    entry = {field: name, "value": "v", "sensitive": True, "targets": ["preview"]}
    return {listed: [entry]} if listed else entry


WRONG_PLACES = sorted([*GITHUB_NAME_FIELDS, *VERCEL_NAME_FIELDS])


@pytest.mark.parametrize("resource_type", WRONG_PLACES)
def test_a_managed_name_in_any_other_place_is_refused(resource_type: str) -> None:
    found = violations(resource_type, wrong_place(resource_type, "ci_db_url"))
    assert list(found) == ["managed-secrets-only-as-environment-secrets"]


@pytest.mark.parametrize("resource_type", WRONG_PLACES)
def test_an_unrelated_name_in_those_places_passes(resource_type: str) -> None:
    assert violations(resource_type, wrong_place(resource_type, "UNRELATED_SETTING")) == {}


def test_every_github_resource_that_names_a_secret_or_variable_is_covered() -> None:
    """Read from the installed SDK: a new secret-bearing resource type must be added to the pack."""
    covered = set(GITHUB_NAME_FIELDS) | {"github:index/actionsEnvironmentSecret:ActionsEnvironmentSecret"}
    found = set()
    for module in (SITE_PACKAGES / "pulumi_github").glob("*.py"):
        text = module.read_text()
        if '__props__.__dict__["secret_name"]' in text or '__props__.__dict__["variable_name"]' in text:
            found.update(re.findall(r"super\(\w+, __self__\).__init__\(\s*'([^']+)'", text))
    assert found
    assert found <= covered, sorted(found - covered)


STACK: list[tuple[str, dict[str, Any]]] = [
    (
        "github:index/actionsEnvironmentSecret:ActionsEnvironmentSecret",
        {"secretName": "OPENAI_API_KEY", "value": "v", "environment": "preview"},
    ),
    (
        "vercel:index/projectEnvironmentVariable:ProjectEnvironmentVariable",
        {"key": "ANTHROPIC_API_KEY", "value": "v", "sensitive": True, "targets": ["preview"]},
    ),
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
    assert list(found["r2"]) == ["delivered-secrets-only-in-their-place"]


def test_names_the_stack_does_not_deliver_may_live_elsewhere() -> None:
    resource_type = "github:index/actionsSecret:ActionsSecret"
    assert stack_violations([*STACK, (resource_type, wrong_place(resource_type, "SENTRY_AUTH_TOKEN"))]) == {}


BRANCH_POLICY = "github:index/repositoryEnvironmentDeploymentPolicy:RepositoryEnvironmentDeploymentPolicy"


@pytest.mark.parametrize(
    ("props", "says"),
    [
        ({"environment": "production", "branchPattern": "*"}, "no wildcards"),
        ({"environment": "Production", "branchPattern": "release/*"}, "no wildcards"),
        ({"environment": "production", "branchPattern": "{main,dev}"}, "no wildcards"),
        ({"environment": "production", "tagPattern": "v*"}, "never from tags"),
    ],
)
def test_production_branch_rules_are_exact_names(props: dict[str, Any], says: str) -> None:
    found = violations(BRANCH_POLICY, {"repository": "tenantguard", **props})
    assert list(found) == ["production-environment-protected"]
    assert says in found["production-environment-protected"][0]


def test_exact_production_branches_and_staging_patterns_pass() -> None:
    assert violations(BRANCH_POLICY, {"environment": "production", "branchPattern": "main"}) == {}
    assert violations(BRANCH_POLICY, {"environment": "staging", "branchPattern": "release/*"}) == {}


def test_production_is_recognised_in_any_casing() -> None:
    found = violations(
        "github:index/repositoryEnvironment:RepositoryEnvironment",
        {**PRODUCTION_ENV, "environment": "PRODUCTION", "reviewers": []},
    )
    assert list(found) == ["production-environment-protected"]


def test_protected_branches_alone_do_not_protect_production() -> None:
    only_protected = {
        **PRODUCTION_ENV,
        "deploymentBranchPolicy": {"customBranchPolicies": False, "protectedBranches": True},
    }
    found = violations("github:index/repositoryEnvironment:RepositoryEnvironment", only_protected)
    assert list(found) == ["production-environment-protected"]


def test_a_stack_writing_secrets_into_two_environments_is_refused() -> None:
    secret = "github:index/actionsEnvironmentSecret:ActionsEnvironmentSecret"
    stack = [
        (secret, {"secretName": "CI_DB_URL", "value": "v", "environment": "staging"}),
        (secret, {"secretName": "REDIS_URL", "value": "v", "environment": "Staging"}),
        (secret, {"secretName": "CI_DB_URL", "value": "v", "environment": "production"}),
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
    assert list(violations(resource_type, props)) == ["secret-values-are-secret"]
    assert violations(resource_type, {**props, "value": "prj_7QvZk2mN4pXr8sT1uW3yA5bC"}) == {}


def test_a_deployment_may_not_carry_a_managed_name() -> None:
    deployment = "vercel:index/deployment:Deployment"
    assert list(violations(deployment, {"environment": {"CI_DB_URL": "v"}})) == [
        "managed-secrets-only-as-environment-secrets"
    ]
    assert violations(deployment, {"environment": {"FEATURE_FLAG": "on"}}) == {}
