"""The AWS KMS key of a stack whose file names `awskms://alias/...` as its secrets provider."""

from __future__ import annotations

import json
from dataclasses import dataclass

import pulumi
import pulumi_aws as aws

from ci.iam import key_policy


@dataclass(frozen=True)
class StackKeyArgs:
    alias: str
    """`alias/NAME`, as the stack file's secretsprovider names it."""
    account_id: pulumi.Input[str]


class StackKey(pulumi.ComponentResource):
    """A symmetric key, rotated yearly, under the alias the stack file names; the roles' policies decide its users.

    Protected: deleting it would leave the stack's `encryptedkey`, and so every secret in its file and state,
    undecryptable (a scheduled deletion can be cancelled within the window, AWS KMS "Deleting AWS KMS keys").
    """

    arn: pulumi.Output[str]
    """The key's ARN: what the roles' policies name."""

    def __init__(self, name: str, args: StackKeyArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("tenantguard:stack_key:StackKey", name, None, opts)
        key = aws.kms.Key(
            f"{name}-key",
            description=f"Pulumi secrets provider ({args.alias})",
            enable_key_rotation=True,
            deletion_window_in_days=30,
            policy=pulumi.Output.from_input(args.account_id).apply(lambda account: json.dumps(key_policy(account))),
            opts=pulumi.ResourceOptions(parent=self, protect=True),
        )
        aws.kms.Alias(
            f"{name}-alias", name=args.alias, target_key_id=key.key_id, opts=pulumi.ResourceOptions(parent=self)
        )
        self.arn = key.arn
        self.register_outputs({"arn": self.arn})
