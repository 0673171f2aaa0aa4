"""The policies of TenantGuard's pack: what a value is and where it lands, and how production is gated.

The pack checks the program independently: it reads the routing table's names, the type tokens and the
stack's own config (its legacy names and extra secrets), never the tier profiles it checks. Each policy's
validator lives with its concern: placement.py (names), values.py (values), production.py (the gate),
stack_config.py (the config it needs).
"""

from __future__ import annotations

from pulumi_policy import EnforcementLevel, Policy, ResourceValidationPolicy, StackValidationPolicy

from policy.placement import (
    credential_names_in_their_place,
    delivered_names_stay_in_their_place,
    one_environment_per_stack,
    production_targets_are_exclusive,
)
from policy.production import (
    production_approval_gate,
    production_branches_exact,
    production_is_declared,
    self_review_needs_reviewers,
)
from policy.stack_config import legacy_names_received
from policy.values import no_credential_in_plaintext, secret_values_are_secret

MANDATORY = EnforcementLevel.MANDATORY

POLICIES: list[Policy] = [
    ResourceValidationPolicy(
        name="credential-names-in-their-place",
        description="A managed secret's name (extra secrets included) only in its environment secret or sensitive "
        "Vercel variable; legacy names and look-alikes nowhere; in any type of any provider.",
        validate=credential_names_in_their_place,
        enforcement_level=MANDATORY,
    ),
    StackValidationPolicy(
        name="delivered-secrets-only-in-their-place",
        description="A name the stack delivers has no other copy in the stack, whether or not its config names it.",
        validate=delivered_names_stay_in_their_place,
        enforcement_level=MANDATORY,
    ),
    StackValidationPolicy(
        name="one-environment-per-stack",
        description="A stack's GitHub environment secrets all belong to its own environment.",
        validate=one_environment_per_stack,
        enforcement_level=MANDATORY,
    ),
    ResourceValidationPolicy(
        name="no-credential-in-plaintext",
        description="No credential-shaped value (password URL, libpq password, token, key, NAME=value of a credential) "
        "in any input that is not a secret's place.",
        validate=no_credential_in_plaintext,
        enforcement_level=MANDATORY,
    ),
    ResourceValidationPolicy(
        name="secret-values-are-secret",
        description="GitHub secrets take a current argument and a real value (a sealed box when pre-encrypted); "
        "the program's Vercel variables are sensitive.",
        validate=secret_values_are_secret,
        enforcement_level=MANDATORY,
    ),
    ResourceValidationPolicy(
        name="production-branches-exact",
        description="Production deploys from exact branch names (either branch-policy type), never tags or wildcards.",
        validate=production_branches_exact,
        enforcement_level=MANDATORY,
    ),
    StackValidationPolicy(
        name="production-approval-gate",
        description="Per repository, production has required reviewers (no self-review, no admin bypass) or, "
        "without reviewers or wait timer, an active branch ruleset requiring a team's approval.",
        validate=production_approval_gate,
        enforcement_level=MANDATORY,
    ),
    StackValidationPolicy(
        name="production-environment-declared",
        description="Secrets, variables and branch rules of a production environment only where the stack declares "
        "that environment (so its gate is checked).",
        validate=production_is_declared,
        enforcement_level=MANDATORY,
    ),
    ResourceValidationPolicy(
        name="self-review-needs-reviewers",
        description="No environment sets preventSelfReview without reviewers: GitHub refuses it.",
        validate=self_review_needs_reviewers,
        enforcement_level=MANDATORY,
    ),
    ResourceValidationPolicy(
        name="vercel-production-targets-exclusive",
        description="A Vercel variable that targets production targets nothing else.",
        validate=production_targets_are_exclusive,
        enforcement_level=MANDATORY,
    ),
    StackValidationPolicy(
        name="legacy-names-from-stack-config",
        description="The pack received the stack's legacySecretNames (the Pulumi CLI passes the stack's config).",
        validate=legacy_names_received,
        enforcement_level=MANDATORY,
    ),
]
