"""The policy pack: every resource of the real stacks passes; each rule has a failing case."""

from __future__ import annotations

from typing import Any

import pytest

from policy.rules import POLICIES
from tests.program.policy_harness import evaluation_violations, violations
from tools import evaluator

POLICY_NAMES = [policy.name for policy in POLICIES]


def test_the_pack_has_the_four_mandatory_policies() -> None:
    assert POLICY_NAMES == [
        "managed-secrets-only-as-environment-secrets",
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
            "restrict which branches",
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
