"""Reads IAM documents as AWS evaluates them, for the questions the tests ask of every role.

- Who can assume a role: the GitHub OIDC subjects its trust policy admits, computed from its statements and
  conditions (IAM User Guide, "Policy evaluation logic"; "Condition operators"), never from how it was built. Only
  `StringEquals` yields a finite set; `StringLike` with `*` or `?`, a missing `sub` condition, a `ForAnyValue:`/
  `ForAllValues:` qualifier or an operator this module does not model counts as unbounded.
- What a role can do: each allowed action, wildcards expanded against the IAM action list policy_sentry ships, with
  the access level AWS's Service Authorization Reference gives it (Read, List, Write, Permissions management,
  Tagging).
"""

from __future__ import annotations

import fnmatch
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from policy_sentry.querying.actions import get_action_data, get_actions_for_service

from ci.iam import AUDIENCE, GITHUB_OIDC_HOST

SUB = f"{GITHUB_OIDC_HOST}:sub"
AUD = f"{GITHUB_OIDC_HOST}:aud"
WEB_IDENTITY = "sts:AssumeRoleWithWebIdentity"
READ_LEVELS = frozenset({"Read", "List"})
ENCRYPTING = frozenset(
    {
        "kms:Encrypt",
        "kms:ReEncryptFrom",
        "kms:ReEncryptTo",
        "kms:GenerateDataKey",
        "kms:GenerateDataKeyPair",
        "kms:GenerateDataKeyPairWithoutPlaintext",
        "kms:GenerateDataKeyWithoutPlaintext",
    }
)
"""KMS calls that make ciphertext (a new data key included): what `pulumi stack init` needs, never CI."""
DECRYPT = "kms:Decrypt"
"""AWS files Decrypt under Write (it is a cryptographic operation), though it changes nothing: the one action a
reading role may hold above Read and List, the stack's key being how it reads its config."""


@dataclass(frozen=True)
class Subjects:
    """The OIDC subjects that can assume a role: a finite set, or unbounded (with why)."""

    exact: frozenset[str]
    unbounded: tuple[str, ...] = ()

    @property
    def only(self) -> str | None:
        """The one subject, when exactly one can assume the role."""
        return next(iter(self.exact)) if len(self.exact) == 1 and not self.unbounded else None


def _as_list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value]


def _actions_match(patterns: Iterable[str], action: str) -> bool:
    return any(fnmatch.fnmatchcase(action.lower(), pattern.lower()) for pattern in patterns)


def assumable_subjects(trust: Mapping[str, Any], provider_arn: str) -> Subjects:
    """The subjects of `provider_arn`'s tokens (audience sts.amazonaws.com) the trust policy lets assume the role."""
    exact: set[str] = set()
    unbounded: list[str] = []
    for number, statement in enumerate(_as_list(trust.get("Statement", [])), start=1):
        if statement.get("Effect") != "Allow":
            # A Deny only narrows; the Allow statements bound who can assume the role.
            continue
        if "NotPrincipal" in statement or "NotAction" in statement:
            unbounded.append(f"statement {number}: NotPrincipal or NotAction admits everything not named")
            continue
        principal = statement.get("Principal", {})
        federated = _as_list(principal.get("Federated", [])) if isinstance(principal, dict) else [principal]
        if provider_arn not in federated and "*" not in federated:
            continue
        if not _actions_match(_as_list(statement.get("Action", [])), WEB_IDENTITY):
            continue
        found = _statement_subjects(statement.get("Condition", {}))
        if isinstance(found, str):
            unbounded.append(f"statement {number}: {found}")
        else:
            exact |= found
    return Subjects(frozenset(exact), tuple(unbounded))


def _statement_subjects(condition: Mapping[str, Any]) -> frozenset[str] | str:
    """The subjects one statement admits, or why they are not a finite set."""
    subjects: frozenset[str] | None = None
    audience_checked = False
    for operator, keys in condition.items():
        for key, values in keys.items():
            if key not in (SUB, AUD):
                continue
            if operator != "StringEquals":
                return f"{key} is compared with {operator}, which is not an exact comparison"
            listed = frozenset(str(value) for value in _as_list(values))
            if key == AUD:
                if AUDIENCE not in listed:
                    return frozenset()  # no token GitHub issues for AWS carries another audience
                audience_checked = True
            else:
                subjects = listed if subjects is None else subjects & listed
    if not audience_checked:
        return f"no StringEquals condition on {AUD}"
    if subjects is None:
        return f"no StringEquals condition on {SUB}: every repository's jobs"
    return subjects


def allowed_actions(policy: Mapping[str, Any]) -> dict[str, str]:
    """Every action the policy's Allow statements grant (wildcards expanded), with its access level."""
    granted: dict[str, str] = {}
    for statement in _as_list(policy.get("Statement", [])):
        if statement.get("Effect") != "Allow":
            continue
        if "NotAction" in statement:
            granted["NotAction"] = "Unbounded"
            continue
        for pattern in _as_list(statement.get("Action", [])):
            service, _, _ = str(pattern).partition(":")
            candidates = get_actions_for_service(service) if "*" in pattern or "?" in pattern else [pattern]
            for action in candidates:
                if fnmatch.fnmatchcase(action.lower(), str(pattern).lower()):
                    granted[action] = access_level(action)
    return granted


def access_level(action: str) -> str:
    service, _, name = action.partition(":")
    data = get_action_data(service, name).get(service, [])
    levels = {str(entry["access_level"]) for entry in data if str(entry["action"]).lower() == action.lower()}
    return levels.pop() if len(levels) == 1 else "Unknown"


def beyond_reading(policy: Mapping[str, Any]) -> dict[str, str]:
    """The actions a reading role must not hold: any above Read and List (except Decrypt), any that encrypts."""
    return {
        action: level
        for action, level in allowed_actions(policy).items()
        if action in ENCRYPTING or (level not in READ_LEVELS and action != DECRYPT)
    }
