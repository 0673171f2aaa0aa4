"""The S3 bucket that holds every stack's state, this project's own included, and its guard rails."""

from __future__ import annotations

import json
from dataclasses import dataclass

import pulumi
import pulumi_aws as aws

from ci.iam import bucket_policy


@dataclass(frozen=True)
class StateBucketArgs:
    bucket: str
    """The bucket's name: the first-deploy command made it bare, and this adopts it."""
    noncurrent_version_days: int


class StateBucket(pulumi.ComponentResource):
    """Versioned, encrypted, private, TLS-only; replaced versions expire after a stated time.

    The chicken and egg: this project's own state lives in the bucket it manages, so the bucket exists before the
    first `pulumi up` (docs/tutorial/ makes it with one `aws s3api create-bucket`, then `pulumi login`s to
    it). The `import_` option adopts it: on the first run the engine reads the bucket and takes it into the state
    instead of creating one, and on every later run, the ID in the state being the same, it is an ordinary resource
    (pulumi/pulumi@1b5949891b3c pkg/resource/deploy/step_generator.go: `isImport := goal.Custom && goal.ID != ""
    && (old == nil || old.External || oldImportID != goal.ID)`). The inputs are only its name, which is what a bare
    bucket has, so the import's diff is empty (docs/architecture/deployment-execution/import.md: the import fails on
    any difference). Protected and retained: a `pulumi destroy` of this project never deletes the state it stands on.
    """

    name: pulumi.Output[str]
    """The bucket's name."""
    arn: pulumi.Output[str]
    """The bucket's ARN."""

    def __init__(self, name: str, args: StateBucketArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("tenantguard:state_bucket:StateBucket", name, None, opts)
        bucket = aws.s3.Bucket(
            f"{name}-bucket",
            bucket=args.bucket,
            opts=pulumi.ResourceOptions(parent=self, import_=args.bucket, protect=True, retain_on_delete=True),
        )
        child = pulumi.ResourceOptions(parent=self, depends_on=[bucket])
        # Every replaced or deleted state object stays restorable (S3 User Guide, "Using versioning in S3 buckets").
        aws.s3.BucketVersioning(
            f"{name}-versioning",
            bucket=bucket.id,
            versioning_configuration=aws.s3.BucketVersioningVersioningConfigurationArgs(status="Enabled"),
            opts=child,
        )
        # SSE-S3: encrypted at rest with a key S3 manages. The secrets in state are already encrypted with each stack's
        # own key (passphrase or KMS); a bucket-wide KMS key would be one more key every role needs, separating nothing.
        aws.s3.BucketServerSideEncryptionConfiguration(
            f"{name}-encryption",
            bucket=bucket.id,
            rules=[
                aws.s3.BucketServerSideEncryptionConfigurationRuleArgs(
                    apply_server_side_encryption_by_default=aws.s3.BucketServerSideEncryptionConfigurationRuleApplyServerSideEncryptionByDefaultArgs(
                        sse_algorithm="AES256"
                    )
                )
            ],
            opts=child,
        )
        aws.s3.BucketPublicAccessBlock(
            f"{name}-public-access-block",
            bucket=bucket.id,
            block_public_acls=True,
            block_public_policy=True,
            ignore_public_acls=True,
            restrict_public_buckets=True,
            opts=child,
        )
        # ACLs off: only policies grant access (S3 User Guide, "Controlling ownership of objects").
        aws.s3.BucketOwnershipControls(
            f"{name}-ownership",
            bucket=bucket.id,
            rule=aws.s3.BucketOwnershipControlsRuleArgs(object_ownership="BucketOwnerEnforced"),
            opts=child,
        )
        aws.s3.BucketPolicy(
            f"{name}-tls-only",
            bucket=bucket.id,
            policy=json.dumps(bucket_policy(args.bucket)),
            opts=child,
        )
        aws.s3.BucketLifecycleConfiguration(
            f"{name}-lifecycle",
            bucket=bucket.id,
            rules=[
                aws.s3.BucketLifecycleConfigurationRuleArgs(
                    id="expire-replaced-state-versions",
                    status="Enabled",
                    filter=aws.s3.BucketLifecycleConfigurationRuleFilterArgs(prefix=""),
                    noncurrent_version_expiration=aws.s3.BucketLifecycleConfigurationRuleNoncurrentVersionExpirationArgs(
                        noncurrent_days=args.noncurrent_version_days
                    ),
                    abort_incomplete_multipart_upload=aws.s3.BucketLifecycleConfigurationRuleAbortIncompleteMultipartUploadArgs(
                        days_after_initiation=7
                    ),
                )
            ],
            opts=child,
        )
        self.name = bucket.bucket
        self.arn = bucket.arn
        self.register_outputs({"name": self.name, "arn": self.arn})
