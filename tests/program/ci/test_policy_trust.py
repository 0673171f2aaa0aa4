"""ci/policy: the pack refuses a role whose trust admits a wildcard or non-StringEquals GitHub subject."""

from __future__ import annotations

import json
import runpy
import sys
from types import SimpleNamespace
from typing import Any

import pulumi_policy
import pytest

from ci.iam import trust_policy
from ci.policy.trust import exact_oidc_subjects
from tools import evaluator

PROVIDER = "arn:aws:iam::123456789012:oidc-provider/token.actions.githubusercontent.com"


def violations(trust: Any, resource_type: str = "aws:iam/role:Role") -> list[str]:
    found: list[str] = []
    args = SimpleNamespace(resource_type=resource_type, props={"assumeRolePolicy": json.dumps(trust)})
    exact_oidc_subjects(args, lambda message, *_: found.append(message))  # type: ignore[arg-type]
    return found


def test_the_projects_own_trust_policy_passes() -> None:
    assert violations(trust_policy(PROVIDER, "o/r", "infra-staging")) == []


def test_every_role_the_project_declares_passes(committed: evaluator.Evaluation) -> None:
    for state in committed.named("aws:iam/role:Role").values():
        assert violations(json.loads(state["assumeRolePolicy"])) == [], state["name"]


def with_condition(condition: dict[str, Any]) -> dict[str, Any]:
    document = trust_policy(PROVIDER, "o/r", "e")
    document["Statement"][0]["Condition"] = condition
    return document


@pytest.mark.parametrize(
    ("condition", "expected"),
    [
        (
            {
                "StringLike": {"token.actions.githubusercontent.com:sub": "repo:o/r:*"},
                "StringEquals": {"token.actions.githubusercontent.com:aud": "sts.amazonaws.com"},
            },
            "compares token.actions.githubusercontent.com:sub with StringLike",
        ),
        (
            {
                "StringEquals": {
                    "token.actions.githubusercontent.com:aud": "sts.amazonaws.com",
                    "token.actions.githubusercontent.com:sub": "repo:o/*",
                }
            },
            "admits the wildcard subject 'repo:o/*'",
        ),
        (
            {"StringEquals": {"token.actions.githubusercontent.com:aud": "sts.amazonaws.com"}},
            "no StringEquals on token.actions.githubusercontent.com:sub",
        ),
    ],
    ids=["string-like", "wildcard-value", "no-subject"],
)
def test_a_wildcard_or_inexact_subject_is_refused(condition: dict[str, Any], expected: str) -> None:
    found = violations(with_condition(condition))
    assert any(expected in message for message in found), found


def test_other_resource_types_are_not_judged() -> None:
    assert violations(with_condition({}), resource_type="aws:iam/policy:Policy") == []


def test_the_pack_loads_with_its_rule(monkeypatch: pytest.MonkeyPatch) -> None:
    made: list[Any] = []
    monkeypatch.setattr(pulumi_policy, "PolicyPack", lambda **kwargs: made.append(kwargs))
    monkeypatch.setattr(sys, "path", list(sys.path))
    runpy.run_path(str(evaluator.ROOT / "ci" / "policy" / "__main__.py"), run_name="__main__")
    (pack,) = made
    assert [policy.name for policy in pack["policies"]] == ["oidc-trust-exact-subject"]
