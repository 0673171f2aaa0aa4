"""Secrets the program generates itself, different in every stack by construction."""

from __future__ import annotations

from dataclasses import dataclass

import pulumi
import pulumi_random as random

SESSION_KEY_LENGTH = 64


@dataclass(frozen=True)
class GeneratedSecretsArgs:
    rotation: str
    """Changing this value generates new secrets on the next `pulumi up`."""


class GeneratedSecrets(pulumi.ComponentResource):
    """The app's session signing key, from pulumi-random."""

    session_key: pulumi.Output[str]
    """The session signing key, always a Pulumi secret."""

    def __init__(self, name: str, args: GeneratedSecretsArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("tenantguard:generated:GeneratedSecrets", name, None, opts)
        password = random.RandomPassword(
            f"{name}-session-key",
            length=SESSION_KEY_LENGTH,
            special=False,
            keepers={"rotation": args.rotation},
            opts=pulumi.ResourceOptions(parent=self),
        )
        # `result` is secret in a real run only through the provider's schema; say it ourselves.
        self.session_key = pulumi.Output.secret(password.result)
        self.register_outputs({})

    def by_source(self) -> dict[str, pulumi.Output[str]]:
        """Generated values by their scoping-table source name."""
        return {"sessionKey": self.session_key}
