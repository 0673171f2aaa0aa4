"""Entry point Pulumi runs for `pulumi up --policy-pack policy` from ci/."""

import sys
from pathlib import Path

# The rule lives in this package, two directories below the repository root.
sys.path.insert(0, str(Path(__file__).resolve().parent.parent.parent))

from pulumi_policy import EnforcementLevel, PolicyPack, ResourceValidationPolicy

from ci.policy.trust import exact_oidc_subjects

PolicyPack(
    name="tenantguard-ci-roles",
    policies=[
        ResourceValidationPolicy(
            name="oidc-trust-exact-subject",
            description="A role trusting GitHub's OIDC provider admits exact subjects only: StringEquals on the "
            "provider's sub and aud keys, no wildcard, no other operator.",
            validate=exact_oidc_subjects,
            enforcement_level=EnforcementLevel.MANDATORY,
        )
    ],
)
