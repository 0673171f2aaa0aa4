"""The IAM role one CI environment's jobs assume with GitHub's OIDC token, and what it may do."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

import pulumi
import pulumi_aws as aws

from ci.iam import ROLE_PATH, role_name, trust_policy


@dataclass(frozen=True)
class CiRoleArgs:
    environment: str
    """The CI environment whose jobs (and only those) may assume it."""
    repository: str
    """This repository, OWNER/REPO."""
    provider_arn: pulumi.Input[str]
    """GitHub's OIDC identity provider in the account."""
    policy: pulumi.Input[dict[str, Any]]
    """What the role may do (ci/iam.py builds it)."""


class CiRole(pulumi.ComponentResource):
    """A role whose trust admits one subject, `repo:OWNER/REPO:environment:NAME`, and an inline policy of its own."""

    arn: pulumi.Output[str]
    """What the environment's PULUMI_BACKEND_ROLE variable holds."""
    trust: pulumi.Output[str]
    """The trust policy, as sent (the tests and the IAM linter read it)."""
    permissions: pulumi.Output[str]
    """The inline policy, as sent."""

    def __init__(self, name: str, args: CiRoleArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("tenantguard:ci_role:CiRole", name, None, opts)
        child = pulumi.ResourceOptions(parent=self)
        trust = pulumi.Output.from_input(args.provider_arn).apply(
            lambda arn: json.dumps(trust_policy(arn, args.repository, args.environment))
        )
        role = aws.iam.Role(
            f"{name}-role",
            name=role_name(args.environment),
            path=ROLE_PATH,
            description=f"CI jobs of {args.repository} in its environment {args.environment}",
            assume_role_policy=trust,
            # A job lasts at most an hour of AWS calls between refreshes; the action asks for an hour by default.
            max_session_duration=3600,
            opts=child,
        )
        permissions = pulumi.Output.from_input(args.policy).apply(json.dumps)
        aws.iam.RolePolicy(f"{name}-policy", role=role.id, policy=permissions, opts=child)
        self.arn = role.arn
        self.trust = trust
        self.permissions = permissions
        self.register_outputs({"arn": self.arn, "trust": self.trust, "permissions": self.permissions})
