"""The policies of TenantGuard's pack, each a named validator over one resource's inputs."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from pulumi_policy import EnforcementLevel, Policy, ReportViolation, ResourceValidationArgs, ResourceValidationPolicy

from infra.routes import ROUTES
from infra.type_tokens import ENVIRONMENT, ENVIRONMENT_SECRET, VERCEL_VARIABLE

MANAGED_NAMES = frozenset(route.name.upper() for route in ROUTES)
# Places a managed secret must never be: repository- or organization-wide, or readable as a variable.
WRONG_PLACES = {
    "github:index/actionsSecret:ActionsSecret": "secretName",
    "github:index/actionsOrganizationSecret:ActionsOrganizationSecret": "secretName",
    "github:index/dependabotSecret:DependabotSecret": "secretName",
    "github:index/dependabotOrganizationSecret:DependabotOrganizationSecret": "secretName",
    "github:index/codespacesSecret:CodespacesSecret": "secretName",
    "github:index/actionsVariable:ActionsVariable": "variableName",
    "github:index/actionsEnvironmentVariable:ActionsEnvironmentVariable": "variableName",
    "github:index/actionsOrganizationVariable:ActionsOrganizationVariable": "variableName",
}
PRODUCTION = "production"


def environment_secrets_only(args: ResourceValidationArgs, report: ReportViolation) -> None:
    field = WRONG_PLACES.get(args.resource_type)
    if field is None:
        return
    name = str(args.props.get(field) or "")
    if name.upper() in MANAGED_NAMES:
        report(
            f"{name} is managed as a GitHub environment secret only; do not declare it here ({args.resource_type})",
            None,
        )


def secret_values_are_secret(args: ResourceValidationArgs, report: ReportViolation) -> None:
    props = args.props
    if args.resource_type == ENVIRONMENT_SECRET:
        if props.get("plaintextValue") is not None or props.get("encryptedValue") is not None:
            report("use `value` (or `valueEncrypted`), not the deprecated plaintextValue/encryptedValue", None)
        if props.get("value") is None and props.get("valueEncrypted") is None:
            report("the secret has no value", None)
    if args.resource_type == VERCEL_VARIABLE and props.get("sensitive") is not True:
        report(f"Vercel variable {props.get('key')} must be sensitive=True so nobody can read it back", None)


def production_environment_protected(args: ResourceValidationArgs, report: ReportViolation) -> None:
    if args.resource_type != ENVIRONMENT or args.props.get("environment") != PRODUCTION:
        return
    props = args.props
    reviewers = props.get("reviewers") or []
    if not any((reviewer.get("teams") or reviewer.get("users")) for reviewer in reviewers):
        report("the production environment needs required reviewers", None)
    if props.get("preventSelfReview") is not True:
        report("the production environment must prevent self-review", None)
    if props.get("canAdminsBypass") is not False:
        report("the production environment must not let admins bypass its protection", None)
    policy: Mapping[str, Any] = props.get("deploymentBranchPolicy") or {}
    if not (policy.get("customBranchPolicies") or policy.get("protectedBranches")):
        report("the production environment must restrict which branches deploy to it", None)


def production_targets_are_exclusive(args: ResourceValidationArgs, report: ReportViolation) -> None:
    if args.resource_type != VERCEL_VARIABLE:
        return
    targets = list(args.props.get("targets") or [])
    if PRODUCTION in targets and (targets != [PRODUCTION] or args.props.get("customEnvironmentIds")):
        report(
            f"Vercel variable {args.props.get('key')} targets production and also {targets}: split it per target", None
        )


POLICIES: list[Policy] = [
    ResourceValidationPolicy(
        name="managed-secrets-only-as-environment-secrets",
        description="The managed secret names (CI_DB_URL, ...) exist only as GitHub environment secrets.",
        validate=environment_secrets_only,
        enforcement_level=EnforcementLevel.MANDATORY,
    ),
    ResourceValidationPolicy(
        name="secret-values-are-secret",
        description="GitHub secrets use the current value argument; Vercel variables are sensitive.",
        validate=secret_values_are_secret,
        enforcement_level=EnforcementLevel.MANDATORY,
    ),
    ResourceValidationPolicy(
        name="production-environment-protected",
        description="Production has required reviewers, prevents self-review and admin bypass, restricts branches.",
        validate=production_environment_protected,
        enforcement_level=EnforcementLevel.MANDATORY,
    ),
    ResourceValidationPolicy(
        name="vercel-production-targets-exclusive",
        description="A Vercel variable that targets production targets nothing else.",
        validate=production_targets_are_exclusive,
        enforcement_level=EnforcementLevel.MANDATORY,
    ),
]
