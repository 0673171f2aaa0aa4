"""Secrets the program generates itself, different in every stack by construction.

The session signing key rotates without signing everybody out: two pulumi-random slots alternate.
Rotation N regenerates only the slot N belongs to (odd or even), so the other slot still holds the
key of rotation N-1, which is delivered beside the new one for an overlap window while sessions
signed with it expire.
"""

from __future__ import annotations

from dataclasses import dataclass

import pulumi
import pulumi_random as random

SESSION_KEY_LENGTH = 64
CURRENT = "sessionKey"
PREVIOUS = "previousSessionKey"


@dataclass(frozen=True)
class GeneratedSecretsArgs:
    rotation: int
    """The rotation counter (1, 2, ...); raising it generates a new session key on the next `pulumi up`."""
    deliver_previous: bool
    """Whether the previous rotation's key is still handed out (inside the overlap window)."""


class GeneratedSecrets(pulumi.ComponentResource):
    """The app's session signing key and, for a while after a rotation, the previous one."""

    session_key: pulumi.Output[str]
    """The current session signing key, always a Pulumi secret."""
    previous_session_key: pulumi.Output[str] | None
    """The previous rotation's key while it is delivered, else None."""

    def __init__(self, name: str, args: GeneratedSecretsArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("tenantguard:generated:GeneratedSecrets", name, None, opts)
        # The odd slot keeps the name the key had before rotation existed, so its URN is unchanged.
        slots = {1: f"{name}-session-key", 0: f"{name}-session-key-even"}
        keys: dict[int, pulumi.Output[str]] = {}
        for rotation in (args.rotation, args.rotation - 1):
            if rotation < 1:
                continue
            password = random.RandomPassword(
                slots[rotation % 2],
                length=SESSION_KEY_LENGTH,
                special=False,
                keepers={"rotation": str(rotation)},
                opts=pulumi.ResourceOptions(parent=self),
            )
            # `result` is secret in a real run only through the provider's schema; say it ourselves.
            keys[rotation] = pulumi.Output.secret(password.result)
        self.session_key = keys[args.rotation]
        self.previous_session_key = keys.get(args.rotation - 1) if args.deliver_previous else None
        self.register_outputs({})

    def by_source(self) -> dict[str, pulumi.Output[str]]:
        """Generated values by their routing-table source name; a key not delivered now is absent."""
        values = {CURRENT: self.session_key}
        if self.previous_session_key is not None:
            values[PREVIOUS] = self.previous_session_key
        return values
