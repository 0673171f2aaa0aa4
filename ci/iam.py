"""The IAM and S3 policy documents of the CI project, as plain JSON: one function per kind of document, and the name
of the role each CI environment assumes.

Every document is built here from plain values and nowhere else, so the tests, the IAM linter (parliament) and the
policy pack read exactly what `pulumi up` sends. AWS's rules they rely on:

- GitHub's OIDC token for a job that names an environment has the subject `repo:OWNER/REPO:environment:NAME` and,
  for `aws-actions/configure-aws-credentials`, the audience `sts.amazonaws.com` (GitHub docs, "About security
  hardening with OpenID Connect", example subject claims; "Configuring OpenID Connect in Amazon Web Services").
- A role trusting an OIDC provider is assumed with `sts:AssumeRoleWithWebIdentity`, its conditions on the
  provider's `:aud` and `:sub` keys (IAM User Guide, "Creating a role for web identity or OIDC federation";
  "Available keys for AWS OIDC federation"). `StringEquals` compares exactly; `StringLike` would read `*` and `?`
  as wildcards (IAM User Guide, "String condition operators"), so only `StringEquals` is used.
- S3 answers a request for a missing object with 403 instead of 404 unless the caller may `s3:ListBucket`
  (S3 API Reference, GetObject, "Permissions"); `s3:prefix` narrows ListBucket to the listed prefixes (S3 User
  Guide, "Example: Allow a user to list objects only under a prefix"): the backend lists one prefix per stack
  (backend_layout.state_listing) and its lock directory.
- `aws:SecureTransport` is false for a request made over plain HTTP (IAM User Guide, global condition keys;
  S3 User Guide, "Enforce encryption of data in transit").
- An `awskms://` secrets provider calls KMS only to decrypt the stack's data key: `Decrypt` when a stack is loaded,
  `Encrypt` only when a new data key is made by `pulumi stack init` or `change-secrets-provider`
  (pulumi/pulumi@1b5949891b3c pkg/secrets/cloud/manager.go, generateNewDataKey and newCloudSecretsManager), which
  an administrator runs. So a deploy needs `kms:Decrypt` and nothing more of its key: writing state encrypts
  locally with the data key.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from ci.backend_layout import (
    META,
    lock_directory,
    state_listing,
    state_objects,
    written_directories,
    written_objects,
)

VERSION = "2012-10-17"
GITHUB_OIDC_HOST = "token.actions.githubusercontent.com"
GITHUB_OIDC_URL = f"https://{GITHUB_OIDC_HOST}"
AUDIENCE = "sts.amazonaws.com"
"""The audience aws-actions/configure-aws-credentials asks GitHub for (its `audience` input's default)."""
Document = dict[str, Any]


ROLE_PATH = "/tenantguard-infra/"
MAX_ROLE_NAME = 64
"""IAM role names are at most 64 characters (IAM User Guide, "IAM object quotas")."""


def role_name(environment: str) -> str:
    """The name of the role a CI environment's jobs assume: the environment's name, which fits unless a stack name is
    long; then its start and a digest of the whole."""
    if len(environment) <= MAX_ROLE_NAME:
        return environment
    digest = hashlib.sha256(environment.encode()).hexdigest()[:8]
    return f"{environment[: MAX_ROLE_NAME - 9]}-{digest}"


def subject(repository: str, environment: str) -> str:
    """The `sub` claim of a job of `repository` (OWNER/REPO) that names `environment`."""
    return f"repo:{repository}:environment:{environment}"


def trust_policy(provider_arn: str, repository: str, environment: str) -> Document:
    """Only jobs that name `environment` in `repository` may assume the role: one subject, compared exactly."""
    return {
        "Version": VERSION,
        "Statement": [
            {
                "Effect": "Allow",
                "Principal": {"Federated": provider_arn},
                "Action": "sts:AssumeRoleWithWebIdentity",
                "Condition": {
                    "StringEquals": {
                        f"{GITHUB_OIDC_HOST}:aud": AUDIENCE,
                        f"{GITHUB_OIDC_HOST}:sub": subject(repository, environment),
                    }
                },
            }
        ],
    }


@dataclass(frozen=True)
class StateAccess:
    """What one CI environment's role reaches of the state bucket and the KMS keys."""

    bucket: str
    project: str
    stack: str
    writes: bool
    also_reads: tuple[str, ...] = ()
    """Other stacks of the same project whose state it reads: production's, for the guard's StackReference."""
    key_arns: tuple[str, ...] = ()
    """KMS keys it decrypts with: its stack's, where the stack file names one."""


def _objects(bucket: str, keys: Sequence[str]) -> list[str]:
    return [f"arn:aws:s3:::{bucket}/{key}" for key in keys]


def role_policy(access: StateAccess) -> Document:
    """Read (get, list its prefix) its own stack's state and what it references; the deploy role also writes it."""
    bucket, project = access.bucket, access.project
    read_stacks = (access.stack, *access.also_reads)
    readable = [META] + [key for stack in read_stacks for key in state_objects(project, stack)]
    prefixes = [state_listing(project, stack) for stack in read_stacks]
    statements: list[Document] = []
    if bucket:
        if access.writes:
            prefixes.append(lock_directory(project, access.stack))
        statements += [
            {"Sid": "ReadState", "Effect": "Allow", "Action": "s3:GetObject", "Resource": _objects(bucket, readable)},
            {
                "Sid": "FindState",
                "Effect": "Allow",
                "Action": "s3:ListBucket",
                "Resource": f"arn:aws:s3:::{bucket}",
                "Condition": {"StringEquals": {"s3:prefix": prefixes}},
            },
        ]
        if access.writes:
            directories = [f"{directory}*" for directory in written_directories(project, access.stack)]
            statements.append(
                {
                    "Sid": "WriteState",
                    "Effect": "Allow",
                    "Action": "s3:PutObject",
                    "Resource": _objects(bucket, [*written_objects(project, access.stack), *directories]),
                }
            )
            # Unlock deletes the lock; a changed compression deletes the state's old encoding (state.go).
            statements.append(
                {
                    "Sid": "ReleaseLockAndOldEncoding",
                    "Effect": "Allow",
                    "Action": "s3:DeleteObject",
                    "Resource": _objects(
                        bucket, [*state_objects(project, access.stack), f"{lock_directory(project, access.stack)}*"]
                    ),
                }
            )
    if access.key_arns:
        statements.append(
            {"Sid": "DecryptStackKey", "Effect": "Allow", "Action": "kms:Decrypt", "Resource": list(access.key_arns)}
        )
    return {"Version": VERSION, "Statement": statements}


def bucket_policy(bucket: str) -> Document:
    """Refuse every request to the state bucket that is not made over TLS, whoever makes it."""
    return {
        "Version": VERSION,
        "Statement": [
            {
                "Sid": "TlsOnly",
                "Effect": "Deny",
                "Principal": "*",
                "Action": "s3:*",
                "Resource": [f"arn:aws:s3:::{bucket}", f"arn:aws:s3:::{bucket}/*"],
                "Condition": {"Bool": {"aws:SecureTransport": "false"}},
            }
        ],
    }


def key_policy(account_id: str) -> Document:
    """The default key policy, written out: the account's IAM policies decide who uses the key.

    Without it no IAM policy could grant `kms:Decrypt` on the key (AWS KMS Developer Guide, "Default key policy":
    "Allows access to the AWS account and enables IAM policies"); the roles' own policies then name this key only.
    """
    return {
        "Version": VERSION,
        "Statement": [
            {
                "Sid": "EnableIamPolicies",
                "Effect": "Allow",
                "Principal": {"AWS": f"arn:aws:iam::{account_id}:root"},
                "Action": "kms:*",
                "Resource": "*",
            }
        ],
    }


# What refreshing the CI project's own resources reads (the reads of pulumi-aws 7.51's resources, which wrap the
# Terraform AWS provider: each resource's Read). Nothing here writes, decrypts with, or lists the contents of
# anything; the bucket's reads include HeadBucket, which S3 authorizes as s3:ListBucket.
DRIFT_BUCKET_READS = (
    "s3:GetBucket*",
    "s3:GetEncryptionConfiguration",
    "s3:GetLifecycleConfiguration",
    "s3:GetReplicationConfiguration",
    "s3:GetAccelerateConfiguration",
)
DRIFT_IAM_READS = ("iam:GetRole", "iam:GetRolePolicy", "iam:ListRolePolicies", "iam:ListAttachedRolePolicies")
DRIFT_KMS_READS = ("kms:DescribeKey", "kms:GetKeyPolicy", "kms:GetKeyRotationStatus", "kms:ListResourceTags")


def drift_policy(
    access: StateAccess, *, role_arns: Sequence[str], provider_arn: str, key_arns: Sequence[str]
) -> Document:
    """The CI project's own drift check: read its state, and read (never change) what it manages in AWS."""
    document = role_policy(access)
    statements: list[Document] = document["Statement"]
    statements.append(
        {"Sid": "ReadRoles", "Effect": "Allow", "Action": list(DRIFT_IAM_READS), "Resource": list(role_arns)}
    )
    statements.append(
        {
            "Sid": "ReadOidcProvider",
            "Effect": "Allow",
            "Action": "iam:GetOpenIDConnectProvider",
            "Resource": provider_arn,
        }
    )
    if access.bucket:
        statements.append(
            {
                "Sid": "ReadBucketSettings",
                "Effect": "Allow",
                "Action": [*DRIFT_BUCKET_READS, "s3:ListBucket"],
                "Resource": f"arn:aws:s3:::{access.bucket}",
            }
        )
    if key_arns:
        statements.append(
            {"Sid": "ReadKeys", "Effect": "Allow", "Action": list(DRIFT_KMS_READS), "Resource": list(key_arns)}
        )
        # ListAliases takes no resource: it is authorized on "*" only (Service Authorization Reference, AWS KMS).
        statements.append({"Sid": "ListAliases", "Effect": "Allow", "Action": "kms:ListAliases", "Resource": "*"})
    return document
