"""A GitHub deployment environment in one repository, with its reviewers and branch rules."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import pulumi
import pulumi_github as github


@dataclass(frozen=True)
class DeploymentEnvironmentArgs:
    repository: str
    environment: str
    reviewer_team_ids: Sequence[pulumi.Input[int]]
    """Ids of the teams that must approve a deployment; empty means no approval."""
    deployment_branches: Sequence[str]
    """Branch patterns that may deploy; empty means any branch."""
    prevent_self_review: bool
    wait_timer_minutes: int
    admins_bypass: bool
    """Whether repository admins may skip the reviewers and branch rules (GitHub's default is yes)."""
    variables: Mapping[str, str] = field(default_factory=dict)
    """Non-secret configuration the environment's jobs read as `vars.NAME` (ids, never credentials)."""


class DeploymentEnvironment(pulumi.ComponentResource):
    """`repository`'s deployment environment; secrets scoped to it live in EnvironmentSecrets."""

    name: pulumi.Output[str]
    """The environment's name as GitHub knows it; resources given it wait for the environment to exist."""

    def __init__(self, name: str, args: DeploymentEnvironmentArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("tenantguard:environment:DeploymentEnvironment", name, None, opts)
        child = pulumi.ResourceOptions(parent=self)

        branch_policy = None
        if args.deployment_branches:
            # Exactly one of the two flags may be true; named patterns are the precise one.
            branch_policy = github.RepositoryEnvironmentDeploymentBranchPolicyArgs(
                protected_branches=False, custom_branch_policies=True
            )
        environment = github.RepositoryEnvironment(
            f"{name}-environment",
            repository=args.repository,
            environment=args.environment,
            reviewers=(
                [github.RepositoryEnvironmentReviewerArgs(teams=list(args.reviewer_team_ids))]
                if args.reviewer_team_ids
                else None
            ),
            # GitHub refuses the flag without reviewers (422 "Required reviewers must have at least one reviewer to
            # set prevent_self_review"): there is nobody to keep from approving their own deployment.
            prevent_self_review=args.prevent_self_review and bool(args.reviewer_team_ids),
            wait_timer=args.wait_timer_minutes,
            can_admins_bypass=args.admins_bypass,
            deployment_branch_policy=branch_policy,
            opts=child,
        )
        self.name = environment.environment
        for pattern in args.deployment_branches:
            github.RepositoryEnvironmentDeploymentPolicy(
                f"{name}-branch-{pattern}",
                repository=args.repository,
                environment=self.name,
                branch_pattern=pattern,
                opts=child,
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
