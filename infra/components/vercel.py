"""Sensitive Vercel project environment variables for one stack's targets."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import pulumi
import pulumiverse_vercel as vercel


@dataclass(frozen=True)
class VercelVariablesArgs:
    project_id: str
    team_id: str | None
    targets: Sequence[str]
    """Vercel targets (preview, production); ignored when custom environments are given."""
    git_branch: str | None
    """Restricts preview variables to deployments of this branch."""
    custom_environment_ids: Sequence[str]
    values: Mapping[str, pulumi.Input[str]]
    """Variable values by key."""


class VercelVariables(pulumi.ComponentResource):
    """One sensitive ProjectEnvironmentVariable per key, all with the same targets."""

    keys: list[str]
    """The variable keys, in the order they were declared."""

    def __init__(self, name: str, args: VercelVariablesArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("tenantguard:vercel:VercelVariables", name, None, opts)
        self.keys = list(args.values)
        custom = list(args.custom_environment_ids)
        for key, value in args.values.items():
            vercel.ProjectEnvironmentVariable(
                f"{name}-{key}",
                project_id=args.project_id,
                team_id=args.team_id,
                key=key,
                value=pulumi.Output.secret(value),
                sensitive=True,
                targets=None if custom else list(args.targets),
                custom_environment_ids=custom or None,
                git_branch=args.git_branch,
                # Vercel refuses a second variable with the same key and targets (ENV_ALREADY_EXISTS).
                opts=pulumi.ResourceOptions(parent=self, delete_before_replace=True),
            )
        self.register_outputs({"keys": self.keys})
