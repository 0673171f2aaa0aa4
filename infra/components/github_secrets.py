"""GitHub Actions secrets of one deployment environment: never repository- or organization-wide."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import pulumi
import pulumi_github as github


@dataclass(frozen=True)
class EnvironmentSecretsArgs:
    repository: str
    environment: pulumi.Input[str]
    """Name of the environment the secrets belong to (DeploymentEnvironment.name, which carries the
    dependency on it: GitHub answers 404 until the environment exists)."""
    values: Mapping[str, pulumi.Input[str]]
    """Secret values by secret name."""


class EnvironmentSecrets(pulumi.ComponentResource):
    """One ActionsEnvironmentSecret per name, scoped to exactly one environment."""

    secret_names: list[str]
    """Names of the secrets, in the order they were declared."""

    def __init__(self, name: str, args: EnvironmentSecretsArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("tenantguard:github_secrets:EnvironmentSecrets", name, None, opts)
        self.secret_names = list(args.values)
        for secret_name, value in args.values.items():
            github.ActionsEnvironmentSecret(
                f"{name}-{secret_name}",
                repository=args.repository,
                environment=args.environment,
                secret_name=secret_name,
                value=pulumi.Output.secret(value),
                opts=pulumi.ResourceOptions(
                    parent=self,
                    # Same name in the same place: the old secret must go before the new one is made.
                    delete_before_replace=True,
                ),
            )
        self.register_outputs({"secret_names": self.secret_names})
