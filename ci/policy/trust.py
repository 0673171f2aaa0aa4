"""A role whose trust admits GitHub's OIDC tokens must name each subject exactly.

`StringLike` reads `*` and `?` as wildcards (IAM User Guide, "String condition operators"), so
`repo:OWNER/REPO:*` admits every branch, pull request and environment of the repository; a missing `sub` condition
admits every repository on GitHub. Only `StringEquals` on `token.actions.githubusercontent.com:sub` (and `:aud`),
with values free of wildcards, is accepted. It reads the inputs only, so it needs nothing from the program.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from pulumi_policy import ResourceValidationArgs

ROLE = "aws:iam/role:Role"
HOST = "token.actions.githubusercontent.com"


def _as_list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value]


def problems(trust: Any) -> list[str]:
    """Why a trust policy admits more than exact GitHub subjects (empty when it does not)."""
    document = json.loads(trust) if isinstance(trust, str) else trust
    found = []
    for number, statement in enumerate(_as_list((document or {}).get("Statement", [])), start=1):
        principal = statement.get("Principal", {})
        federated = _as_list(principal.get("Federated", [])) if isinstance(principal, dict) else [principal]
        if statement.get("Effect") != "Allow" or not any(HOST in str(item) or item == "*" for item in federated):
            continue
        condition = statement.get("Condition", {})
        exact = condition.get("StringEquals", {})
        for operator, keys in condition.items():
            for key in keys:
                if key.startswith(f"{HOST}:") and operator != "StringEquals":
                    found.append(f"statement {number} compares {key} with {operator}: use StringEquals")
        for key in (f"{HOST}:sub", f"{HOST}:aud"):
            values = [str(value) for value in _as_list(exact.get(key, []))]
            if not values:
                found.append(f"statement {number} has no StringEquals on {key}: it admits every repository's jobs")
            for value in values:
                if "*" in value or "?" in value:
                    found.append(f"statement {number} admits the wildcard subject {value!r} through {key}")
    return found


def exact_oidc_subjects(args: ResourceValidationArgs, report_violation: Callable[..., None]) -> None:
    if args.resource_type != ROLE:
        return
    for problem in problems(args.props.get("assumeRolePolicy")):
        report_violation(problem)
