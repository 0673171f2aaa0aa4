"""One GitHub environment of this repository for a stack's CI jobs, with its branch rule, secrets and variables."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import pulumi
import pulumi_github as github


@dataclass(frozen=True)
class CiEnvironmentArgs:
    repository: str
    """This repository's name (the provider's owner is its owner)."""
    environment: str
    branches: Sequence[str]
    """Branches whose runs may use it; empty: any (pull requests run on refs/pull/N/merge)."""
    reviewer_team_ids: Sequence[pulumi.Input[int]]
    """The stack's reviewer teams, where tools/ci_layout.py gives the environment reviewers; else empty."""
    protection_rules: bool
    """GitHub has protection rules for this repository's plan and visibility."""
    secrets: Mapping[str, pulumi.Input[str]]
    variables: Mapping[str, pulumi.Input[str]] = field(default_factory=dict)


class CiEnvironment(pulumi.ComponentResource):
    """Only what GitHub accepts for the plan is sent, as infra/components/environment.py does.

    The provider sends `can_admins_bypass` and `prevent_self_review` on every write
    (integrations/terraform-provider-github v6.13.0, resource_github_repository_environment.go,
    createUpdateEnvironmentData): `prevent_self_review` is true only with reviewers (GitHub refuses it without,
    github-community-projects/safe-settings#628), and `can_admins_bypass` is false only where the plan has protection
    rules; elsewhere GitHub keeps its default, true, whatever is sent (go-github v88 createNewEnvNoEnterprise).
    """

    name: pulumi.Output[str]
    """The environment's name as GitHub knows it."""

    def __init__(self, name: str, args: CiEnvironmentArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("tenantguard:ci_environment:CiEnvironment", name, None, opts)
        child = pulumi.ResourceOptions(parent=self)
        reviewers = list(args.reviewer_team_ids)
        environment = github.RepositoryEnvironment(
            f"{name}-environment",
            repository=args.repository,
            environment=args.environment,
            reviewers=[github.RepositoryEnvironmentReviewerArgs(teams=reviewers)] if reviewers else None,
            prevent_self_review=bool(reviewers),
            wait_timer=0,
            can_admins_bypass=not args.protection_rules,
            deployment_branch_policy=(
                github.RepositoryEnvironmentDeploymentBranchPolicyArgs(
                    protected_branches=False, custom_branch_policies=True
                )
                if args.branches
                else None
            ),
            opts=child,
        )
        self.name = environment.environment
        for branch in args.branches:
            github.RepositoryEnvironmentDeploymentPolicy(
                f"{name}-branch-{branch}",
                repository=args.repository,
                environment=self.name,
                branch_pattern=branch,
                opts=child,
            )
        for secret, value in args.secrets.items():
            # A secret replaced in place (same name, same environment) must be deleted first (FACTS.md).
            github.ActionsEnvironmentSecret(
                f"{name}-secret-{secret}",
                repository=args.repository,
                environment=self.name,
                secret_name=secret,
                value=pulumi.Output.secret(value),
                opts=pulumi.ResourceOptions(parent=self, delete_before_replace=True),
            )
        for variable, value in args.variables.items():
            github.ActionsEnvironmentVariable(
                f"{name}-var-{variable}",
                repository=args.repository,
                environment=self.name,
                variable_name=variable,
                value=value,
                opts=child,
            )
        self.register_outputs({"name": self.name})
