"""Each role's reach, computed from the JSON the project sends (ci/checks/iam_analysis.py), not from how it is built:
who can assume it (exactly one environment's jobs), and what it can do (reading roles never write or encrypt; the
deploy role writes its own stack's objects only)."""

from __future__ import annotations

import json
from typing import Any

import pytest

from ci.checks.iam_analysis import Subjects, allowed_actions, assumable_subjects, beyond_reading
from ci.program import DRIFT_ENVIRONMENT
from tools import evaluator

PROVIDER = "arn:aws:iam::123456789012:oidc-provider/token.actions.githubusercontent.com"
REPOSITORY = "tenantguard/tenantguard-infra"
SHAPES = ("committed", "kms", "cloud", "public")


def roles(evaluation: evaluator.Evaluation) -> dict[str, tuple[dict[str, Any], dict[str, Any]]]:
    """Role name -> (trust policy, inline policy), as sent."""
    trusts = {
        state["name"]: json.loads(state["assumeRolePolicy"]) for state in evaluation.named("aws:iam/role:Role").values()
    }
    policies = {
        name.removesuffix("-policy"): json.loads(state["policy"])
        for name, state in evaluation.named("aws:iam/rolePolicy:RolePolicy").items()
    }
    return {name: (trust, policies[name]) for name, trust in trusts.items()}


def role_of_environment(evaluation: evaluator.Evaluation) -> dict[str, str]:
    """Environment -> the role name its PULUMI_BACKEND_ROLE variable holds (GitHub's side of the pairing)."""
    return {
        state["environment"]: state["value"].rsplit("/", 1)[1]
        for state in evaluation.named("github:index/actionsEnvironmentVariable:ActionsEnvironmentVariable").values()
        if state["variableName"] == "PULUMI_BACKEND_ROLE"
    }


@pytest.mark.parametrize("shape", SHAPES)
def test_each_role_can_be_assumed_by_exactly_the_one_environment_that_names_it(
    configurations: dict[str, evaluator.Evaluation], shape: str
) -> None:
    evaluation = configurations[shape]
    found = roles(evaluation)
    assert found
    for environment, role in role_of_environment(evaluation).items():
        trust, _ = found[role]
        subjects = assumable_subjects(trust, PROVIDER)
        assert subjects.only == f"repo:{REPOSITORY}:environment:{environment}", (shape, role, subjects)
    # And no role exists that no environment uses.
    assert set(found) == set(role_of_environment(evaluation).values())


@pytest.mark.parametrize("shape", SHAPES)
def test_no_reading_role_can_write_or_encrypt(configurations: dict[str, evaluator.Evaluation], shape: str) -> None:
    evaluation = configurations[shape]
    for environment, role in role_of_environment(evaluation).items():
        if environment.endswith(("-pr", "-read")) or environment == DRIFT_ENVIRONMENT:
            _, policy = roles(evaluation)[role]
            assert beyond_reading(policy) == {}, (shape, environment)


def objects(policy: dict[str, Any], action: str) -> set[str]:
    return {
        resource
        for statement in policy["Statement"]
        if action in (statement["Action"] if isinstance(statement["Action"], list) else [statement["Action"]])
        for resource in (statement["Resource"] if isinstance(statement["Resource"], list) else [statement["Resource"]])
    }


def test_the_deploy_role_writes_its_own_stacks_objects_and_nothing_else(committed: evaluator.Evaluation) -> None:
    _, policy = roles(committed)["infra-staging"]
    bucket = "arn:aws:s3:::tenantguard-pulumi-state/"
    written = objects(policy, "s3:PutObject") | objects(policy, "s3:DeleteObject")
    assert written
    for resource in written:
        key = resource.removeprefix(bucket)
        assert key.startswith(
            (
                ".pulumi/stacks/tenantguard-infra/staging.",
                ".pulumi/history/tenantguard-infra/staging/",
                ".pulumi/backups/tenantguard-infra/staging/",
                ".pulumi/locks/organization/tenantguard-infra/staging/",
            )
        ), key
    # Exact names in the stacks directory: a stack named staging.eu is another stack's, never reached by a prefix.
    assert not any(key.endswith("staging.*") or key.endswith("/stacks/tenantguard-infra/*") for key in written)
    levels = set(allowed_actions(policy).values())
    assert levels == {"Read", "List", "Write"}


@pytest.mark.parametrize("stack", ["preview", "staging"])
def test_a_guarded_stacks_roles_read_productions_state_and_nothing_else_of_it(
    committed: evaluator.Evaluation, stack: str
) -> None:
    for environment in (f"infra-{stack}-pr", f"infra-{stack}", f"infra-{stack}-read"):
        _, policy = roles(committed)[environment]
        reached = {resource for statement in policy["Statement"] for resource in statement["Resource"]}
        production = {resource for resource in reached if "production" in resource}
        assert production == {
            f"arn:aws:s3:::tenantguard-pulumi-state/.pulumi/stacks/tenantguard-infra/production.json{suffix}"
            for suffix in ("", ".gz", ".zst")
        }, environment
        assert not production & (objects(policy, "s3:PutObject") | objects(policy, "s3:DeleteObject"))
        # No other stack's objects at all.
        other = "staging" if stack == "preview" else "preview"
        assert not {resource for resource in reached if f"/{other}" in resource}


def test_productions_roles_read_no_other_stack(committed: evaluator.Evaluation) -> None:
    for environment in ("infra-production", "infra-production-read"):
        _, policy = roles(committed)[environment]
        text = json.dumps(policy)
        assert "preview" not in text
        assert "staging" not in text


def test_listing_is_narrowed_to_the_prefixes_the_backend_lists(committed: evaluator.Evaluation) -> None:
    _, policy = roles(committed)["infra-staging-read"]
    (listing,) = [statement for statement in policy["Statement"] if statement["Action"] == "s3:ListBucket"]
    assert listing["Condition"] == {
        "StringEquals": {
            "s3:prefix": [
                ".pulumi/stacks/tenantguard-infra/staging.json",
                ".pulumi/stacks/tenantguard-infra/production.json",
            ]
        }
    }


# The analysis itself, on documents built by hand: one passing baseline, one failing case per rule.
def trust(
    condition: dict[str, Any], principal: str = PROVIDER, action: str = "sts:AssumeRoleWithWebIdentity"
) -> dict[str, Any]:
    return {
        "Statement": [
            {"Effect": "Allow", "Principal": {"Federated": principal}, "Action": action, "Condition": condition}
        ]
    }


EXACT = {
    "StringEquals": {
        "token.actions.githubusercontent.com:aud": "sts.amazonaws.com",
        "token.actions.githubusercontent.com:sub": "repo:o/r:environment:e",
    }
}


def test_an_exact_subject_is_one_subject() -> None:
    assert assumable_subjects(trust(EXACT), PROVIDER) == Subjects(frozenset({"repo:o/r:environment:e"}))


@pytest.mark.parametrize(
    "condition",
    [
        {"StringLike": {"token.actions.githubusercontent.com:sub": "repo:o/r:*"}, **EXACT},
        {"StringEquals": {"token.actions.githubusercontent.com:aud": "sts.amazonaws.com"}},
        {"ForAnyValue:StringEquals": {"token.actions.githubusercontent.com:sub": ["repo:o/r:environment:e"]}},
    ],
    ids=["wildcard", "no-subject", "set-operator"],
)
def test_a_pattern_a_missing_subject_or_an_unmodelled_operator_is_unbounded(condition: dict[str, Any]) -> None:
    subjects = assumable_subjects(trust(condition), PROVIDER)
    assert subjects.unbounded
    assert subjects.only is None


def test_two_subjects_are_not_one() -> None:
    two = {
        "StringEquals": {
            "token.actions.githubusercontent.com:aud": "sts.amazonaws.com",
            "token.actions.githubusercontent.com:sub": ["repo:o/r:environment:e", "repo:o/r:environment:f"],
        }
    }
    assert assumable_subjects(trust(two), PROVIDER).only is None


def test_another_provider_or_action_admits_nobody() -> None:
    assert assumable_subjects(trust(EXACT, principal="arn:aws:iam::1:oidc-provider/x"), PROVIDER).exact == frozenset()
    assert assumable_subjects(trust(EXACT, action="sts:AssumeRole"), PROVIDER).exact == frozenset()


def test_reading_actions_pass_and_writing_or_encrypting_ones_are_found() -> None:
    reading = {
        "Statement": [{"Effect": "Allow", "Action": ["s3:GetObject", "s3:ListBucket", "kms:Decrypt"], "Resource": "*"}]
    }
    assert beyond_reading(reading) == {}
    writing = {"Statement": [{"Effect": "Allow", "Action": ["s3:Put*", "kms:GenerateDataKey"], "Resource": "*"}]}
    found = beyond_reading(writing)
    assert "s3:PutObject" in found
    assert "kms:GenerateDataKey" in found


def test_the_projects_drift_role_reads_every_role_it_refreshes_its_own_included(
    committed: evaluator.Evaluation,
) -> None:
    # A refresh reads each aws.iam.Role and RolePolicy of the project (GetRole, ListRolePolicies, GetRolePolicy, ...).
    _, policy = roles(committed)[DRIFT_ENVIRONMENT]
    (reads,) = [statement for statement in policy["Statement"] if statement.get("Sid") == "ReadRoles"]
    arns = {state["arn"] for state in committed.named("aws:iam/role:Role").values()}
    assert set(reads["Resource"]) == arns
