"""A Pulumi Cloud team and its access token for one CI environment (backend cloud)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import pulumi
import pulumi_pulumiservice as pulumiservice


@dataclass(frozen=True)
class CloudTokenArgs:
    organization: str
    environment: str
    project: str
    stack: str
    writes: bool
    also_reads: Sequence[str] = ()
    """Other stacks of the project it reads: production's, for the guard's StackReference."""


class CloudToken(pulumi.ComponentResource):
    """A team per CI environment, with Stack Write on its stack for deploys and Stack Read otherwise ("Stack Read:
    ... Allows for running previews", Pulumi's permission sets), and a team access token: the environment's
    PULUMI_ACCESS_TOKEN. Teams and team tokens need a Pulumi Cloud edition that has teams (Team, Enterprise or
    Business Critical)."""

    token: pulumi.Output[str]
    """The team token, secret."""

    def __init__(self, name: str, args: CloudTokenArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("tenantguard:cloud_token:CloudToken", name, None, opts)
        child = pulumi.ResourceOptions(parent=self)
        team = pulumiservice.Team(
            f"{name}-team",
            organization_name=args.organization,
            name=args.environment,
            display_name=args.environment,
            description=f"CI jobs of the GitHub environment {args.environment}",
            team_type="pulumi",
            opts=child,
        )
        grants = [(args.stack, args.writes), *((stack, False) for stack in args.also_reads)]
        for stack, writes in grants:
            pulumiservice.TeamStackPermission(
                f"{name}-{stack}",
                organization=args.organization,
                project=args.project,
                stack=stack,
                team=team.name,
                permission=(
                    pulumiservice.TeamStackPermissionScope.EDIT
                    if writes
                    else pulumiservice.TeamStackPermissionScope.READ
                ),
                opts=child,
            )
        token = pulumiservice.TeamAccessToken(
            f"{name}-token",
            organization_name=args.organization,
            team_name=team.name,
            name=args.environment,
            description=f"PULUMI_ACCESS_TOKEN of the GitHub environment {args.environment}",
            opts=child,
        )
        self.token = pulumi.Output.secret(token.value)
        self.register_outputs({})
