"""What the mock runtime answers the programs: lookups (GitHub's, AWS's), computed outputs, stack references.

tools/evaluator.py runs the programs under Pulumi's mock runtime with these answers; GitHub's secret-name lookups
come from tools/github_listings.py.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Mapping
from typing import Any

import pulumi

from infra.tables.type_tokens import GET_TEAM, RANDOM_PASSWORD, STACK_REFERENCE
from tools.github_listings import LOOKUPS, READS, GitHubListings


def team_id(slug: str) -> int:
    """A stable stand-in for the id GitHub would return for a team slug."""
    return int(hashlib.sha256(slug.encode()).hexdigest()[:6], 16)


MOCK_AWS_ACCOUNT = "123456789012"
"""The AWS account the mocks answer for (the CI project's ARNs)."""
GET_CALLER_IDENTITY = "aws:index/getCallerIdentity:getCallerIdentity"


def aws_outputs(kind: str, name: str, inputs: Mapping[str, Any]) -> dict[str, Any]:
    """The computed outputs AWS (or Pulumi Cloud) would give the CI project's resources, in their shapes.

    ARN shapes from the IAM User Guide ("IAM identifiers") and the Service Authorization Reference.
    """
    arn = f"arn:aws:{{service}}:{inputs.get('region') or 'eu-west-1'}:{MOCK_AWS_ACCOUNT}:"
    iam = f"arn:aws:iam::{MOCK_AWS_ACCOUNT}:"
    role = inputs.get("name") or name
    computed: dict[str, Callable[[], dict[str, Any]]] = {
        "aws:iam/role:Role": lambda: {"name": role, "arn": f"{iam}role{inputs.get('path') or '/'}{role}"},
        "aws:iam/openIdConnectProvider:OpenIdConnectProvider": lambda: {
            "arn": f"{iam}oidc-provider/{str(inputs['url']).removeprefix('https://')}"
        },
        "aws:kms/key:Key": lambda: {"keyId": f"{name}-id", "arn": f"{arn.format(service='kms')}key/{name}-id"},
        "aws:kms/alias:Alias": lambda: {"arn": f"{arn.format(service='kms')}{inputs['name']}"},
        "aws:s3/bucket:Bucket": lambda: {"arn": f"arn:aws:s3:::{inputs['bucket']}"},
        "pulumiservice:index:TeamAccessToken": lambda: {"value": f"pul-{hashlib.sha256(name.encode()).hexdigest()}"},
    }
    return computed[kind]() if kind in computed else {}


class OfflineMocks(pulumi.runtime.Mocks):
    """Echo inputs back as state; answer the few lookups and computed values the program reads."""

    def __init__(
        self, stack_outputs: Mapping[str, Mapping[str, Any]], github_secrets: GitHubListings | None = None
    ) -> None:
        self.stack_outputs = stack_outputs
        self.github_secrets = github_secrets or GitHubListings()
        """What GitHub's secret-name lookups answer; clean unless given."""

    def new_resource(self, args: pulumi.runtime.MockResourceArgs) -> tuple[str | None, dict[Any, Any]]:
        state = dict(args.inputs)
        if args.typ == STACK_REFERENCE:
            name = args.inputs["name"]
            if name not in self.stack_outputs:
                raise LookupError(f"stack {name!r} is not available")
            state["outputs"] = dict(self.stack_outputs[name])
            state["secretOutputNames"] = []
        if args.typ in READS:
            state.update(self.github_secrets.read(args.typ, str(args.resource_id)))
        state.update(aws_outputs(args.typ, args.name, args.inputs))
        if args.typ == RANDOM_PASSWORD:
            state["result"] = (
                "RandomGen" + hashlib.sha256(args.name.encode()).hexdigest()[: int(args.inputs["length"]) - 9]
            )
        return f"{args.name}-id", state

    def call(self, args: pulumi.runtime.MockCallArgs) -> tuple[dict[Any, Any], list[tuple[str, str]] | None]:
        if args.token == GET_TEAM:
            slug = args.args["slug"]
            return {"id": str(team_id(slug)), "slug": slug, "name": slug, "nodeId": f"T_{slug}"}, []
        if args.token in LOOKUPS:
            return self.github_secrets.call(args.token, args.args)
        if args.token == GET_CALLER_IDENTITY:
            account = MOCK_AWS_ACCOUNT
            return {"accountId": account, "arn": f"arn:aws:iam::{account}:user/admin", "userId": "AIDAMOCK"}, []
        return {}, []
