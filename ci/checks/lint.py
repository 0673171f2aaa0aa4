"""The IAM linter (parliament, the AWS IAM policy linter on the package index) over every document the project
sends, with an allow-list: each finding is fixed, or listed here with the reason it does not apply.

    ./scripts/uv run python -m tests.program.ci.lint_policies   # the linter over every document, as the check runs it
"""

from __future__ import annotations

import json
import warnings
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from ci.iam import GITHUB_OIDC_HOST


@dataclass(frozen=True)
class Document:
    kind: str
    """trust (a role's trust policy), identity (a role's inline policy), bucket (an S3 bucket policy) or key."""
    name: str
    document: Mapping[str, Any]


@dataclass(frozen=True)
class Allowed:
    kind: str
    issue: str
    detail: str
    """A substring of the finding's detail that identifies it."""
    reason: str


ALLOWED: tuple[Allowed, ...] = (
    Allowed(
        "trust",
        "MALFORMED",
        "neither Resource nor NotResource",
        'A trust policy has no Resource: the role is the resource (IAM User Guide, "Role trust policies"). '
        "parliament 1.6.4 lints every document as an identity policy (its statement.py says trust policies 'don't "
        "have Resource elements'); lint_documents also lints each trust statement with the role as its Resource, "
        "so the rest of parliament's checks still run on it.",
    ),
    Allowed(
        "trust",
        "UNKNOWN_FEDERATION_SOURCE",
        f"oidc-provider/{GITHUB_OIDC_HOST}",
        "parliament knows the federation sources of Cognito, SAML and a few web identity providers, not an IAM OIDC "
        "provider's ARN, which is how an OIDC provider is named in a trust policy (IAM User Guide, \"Create a role "
        'for OpenID Connect federation").',
    ),
    Allowed(
        "trust",
        "UNKNOWN_CONDITION_FOR_ACTION",
        f"{GITHUB_OIDC_HOST}:",
        "An OIDC provider's own keys, `<provider URL>:aud` and `:sub`, are the documented conditions of "
        'sts:AssumeRoleWithWebIdentity (IAM User Guide, "Available keys for AWS OIDC federation"); parliament\'s '
        "condition list has the global and service keys only.",
    ),
    Allowed(
        "key",
        "RESOURCE_STAR",
        "",
        'A key policy\'s Resource is always "*", meaning the key itself (AWS KMS Developer Guide, "Key policies": '
        '"In a key policy, the value of the Resource element is \\"*\\", which means \'this KMS key\'").',
    ),
)


def _findings(document: Mapping[str, Any]) -> list[tuple[str, str]]:
    with warnings.catch_warnings():
        # parliament imports pkg_resources, which warns of its own deprecation (pyproject.toml pins setuptools<81).
        warnings.simplefilter("ignore", UserWarning)
        from parliament import analyze_policy_string  # noqa: PLC0415 - after silencing that warning

    analysed = analyze_policy_string(json.dumps(document))
    return [(str(finding.issue), json.dumps(finding.detail, default=str)) for finding in analysed.findings]


def _as_resource_bearing(document: Mapping[str, Any], name: str) -> dict[str, Any]:
    """A trust policy with its role as each statement's Resource, so parliament checks its actions and conditions."""
    statements = document.get("Statement", [])
    role = f"arn:aws:iam::123456789012:role/{name}"
    return {**document, "Statement": [{**statement, "Resource": role} for statement in statements]}


def unexplained(documents: Iterable[Document], used: set[Allowed] | None = None) -> list[str]:
    """Every finding no allow-list row explains, one line each: `kind name: ISSUE detail`; `used` collects the rows
    that explained one."""
    lines = []
    for document in documents:
        found = _findings(document.document)
        if document.kind == "trust":
            found += _findings(_as_resource_bearing(document.document, document.name))
        for issue, detail in found:
            rows = [
                row
                for row in ALLOWED
                if row.kind == document.kind and row.issue == issue and row.detail.lower() in detail.lower()
            ]
            if rows:
                if used is not None:
                    used.update(rows)
                continue
            lines.append(f"{document.kind} {document.name}: {issue} {detail}")
    return sorted(set(lines))


KINDS = {
    "aws:iam/role:Role": ("trust", "assumeRolePolicy"),
    "aws:iam/rolePolicy:RolePolicy": ("identity", "policy"),
    "aws:s3/bucketPolicy:BucketPolicy": ("bucket", "policy"),
    "aws:kms/key:Key": ("key", "policy"),
}
"""Each resource type that carries a policy document, and the input holding it (JSON text)."""


def documents_of(inputs: Mapping[str, Mapping[str, Any]]) -> list[Document]:
    """Every policy document among registered resources' inputs (by URN), as sent."""
    found = []
    for urn, values in inputs.items():
        kind = KINDS.get(urn.split("::")[2].rsplit("$", 1)[-1])
        if kind is None:
            continue
        text = values[kind[1]]
        found.append(Document(kind[0], str(values.get("name") or urn.rsplit("::", 1)[1]), json.loads(text)))
    return found
