"""The policies of TenantGuard's pack: where a managed secret may be, and how production is protected.

The pack checks the program independently: it reads the routing table's names and the type tokens,
never the tier profiles it checks.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from typing import Any

from pulumi_policy import (
    EnforcementLevel,
    Policy,
    ReportViolation,
    ResourceValidationArgs,
    ResourceValidationPolicy,
    StackValidationArgs,
    StackValidationPolicy,
)

from infra.routes import ROUTES
from infra.type_tokens import BRANCH_POLICY, ENVIRONMENT, ENVIRONMENT_SECRET, VERCEL_VARIABLE

MANAGED_NAMES = frozenset(route.name.upper() for route in ROUTES)
PRODUCTION = "production"
_WILDCARD = re.compile(r"[*?\[{]")

# Every other place of the two providers where a secret's name can be given a value that jobs or
# deployments read: repository-, organization- or user-wide secrets (Actions, Dependabot,
# Codespaces), grants of organization secrets to repositories, and variables, which are plaintext.
# From pulumi_github's resources that take `secret_name` or `variable_name` (6.15).
GITHUB_NAME_FIELDS = {
    "github:index/actionsSecret:ActionsSecret": "secretName",
    "github:index/actionsOrganizationSecret:ActionsOrganizationSecret": "secretName",
    "github:index/actionsOrganizationSecretRepositories:ActionsOrganizationSecretRepositories": "secretName",
    "github:index/actionsOrganizationSecretRepository:ActionsOrganizationSecretRepository": "secretName",
    "github:index/dependabotSecret:DependabotSecret": "secretName",
    "github:index/dependabotOrganizationSecret:DependabotOrganizationSecret": "secretName",
    "github:index/dependabotOrganizationSecretRepositories:DependabotOrganizationSecretRepositories": "secretName",
    "github:index/dependabotOrganizationSecretRepository:DependabotOrganizationSecretRepository": "secretName",
    "github:index/codespacesSecret:CodespacesSecret": "secretName",
    "github:index/codespacesOrganizationSecret:CodespacesOrganizationSecret": "secretName",
    "github:index/codespacesOrganizationSecretRepositories:CodespacesOrganizationSecretRepositories": "secretName",
    "github:index/codespacesUserSecret:CodespacesUserSecret": "secretName",
    "github:index/actionsVariable:ActionsVariable": "variableName",
    "github:index/actionsEnvironmentVariable:ActionsEnvironmentVariable": "variableName",
    "github:index/actionsOrganizationVariable:ActionsOrganizationVariable": "variableName",
    "github:index/actionsOrganizationVariableRepositories:ActionsOrganizationVariableRepositories": "variableName",
    "github:index/actionsOrganizationVariableRepository:ActionsOrganizationVariableRepository": "variableName",
}
# pulumiverse_vercel's other variable-bearing resources (5.21): team-wide shared variables, the
# bulk and inline (deprecated) project variables, and Edge Config items, which deployments read.
VERCEL_NAME_FIELDS = {
    "vercel:index/sharedEnvironmentVariable:SharedEnvironmentVariable": ("key", None),
    "vercel:index/projectEnvironmentVariables:ProjectEnvironmentVariables": ("key", "variables"),
    "vercel:index/project:Project": ("key", "environments"),
    "vercel:index/edgeConfigItem:EdgeConfigItem": ("key", None),
}
VERCEL_DEPLOYMENT = "vercel:index/deployment:Deployment"
"""A deployment made by the program, whose `environment` map names its variables (keys) directly."""
PLAIN_VALUE_TYPES = frozenset(
    {
        "github:index/actionsVariable:ActionsVariable",
        "github:index/actionsEnvironmentVariable:ActionsEnvironmentVariable",
        "github:index/actionsOrganizationVariable:ActionsOrganizationVariable",
    }
)
"""Variables: plaintext anyone with read access sees, so no credential may be their value, whatever the name."""
_CREDENTIAL_URL = re.compile(r"[a-z][a-z0-9+.-]*://[^/@\s:]*:[^/@\s]+@", re.IGNORECASE)


def names_in_wrong_places(resource_type: str, props: Mapping[str, Any]) -> Iterator[str]:
    """The secret or variable names a resource gives a value somewhere other than its proper place."""
    if (field := GITHUB_NAME_FIELDS.get(resource_type)) is not None:
        yield str(props.get(field) or "")
    elif resource_type == VERCEL_DEPLOYMENT:
        yield from (str(key) for key in (props.get("environment") or {}))
    elif resource_type in VERCEL_NAME_FIELDS:
        field, listed = VERCEL_NAME_FIELDS[resource_type]
        entries = props.get(listed) or [] if listed else [props]
        for entry in entries:
            if isinstance(entry, Mapping):
                yield str(entry.get(field) or "")


def environment_secrets_only(args: ResourceValidationArgs, report: ReportViolation) -> None:
    for name in names_in_wrong_places(args.resource_type, args.props):
        if name.upper() in MANAGED_NAMES:
            report(
                f"{name} is managed as a GitHub environment secret only (or a sensitive Vercel variable); "
                f"do not declare it here ({args.resource_type})",
                None,
            )


def delivered_names_stay_in_their_place(args: StackValidationArgs, report: ReportViolation) -> None:
    """Names this stack delivers (its extra secrets included) appear in no other place of the stack."""
    delivered = {
        str(resource.props.get("secretName") or "").upper()
        for resource in args.resources
        if resource.resource_type == ENVIRONMENT_SECRET
    } | {
        str(resource.props.get("key") or "").upper()
        for resource in args.resources
        if resource.resource_type == VERCEL_VARIABLE and resource.props.get("sensitive") is True
    }
    delivered.discard("")
    for resource in args.resources:
        for name in names_in_wrong_places(resource.resource_type, resource.props):
            if name.upper() in delivered:
                report(
                    f"{name} is delivered by this stack as an environment secret or sensitive Vercel variable; "
                    f"another copy here ({resource.resource_type}) would be read by jobs or deployments it "
                    "was not meant for",
                    resource.urn,
                )


def one_environment_per_stack(args: StackValidationArgs, report: ReportViolation) -> None:
    """A stack's environment secrets all belong to one environment: the stack's, in any casing."""
    environments: dict[str, list[str]] = {}
    for resource in args.resources:
        if resource.resource_type == ENVIRONMENT_SECRET:
            environments.setdefault(str(resource.props.get("environment") or "").casefold(), []).append(resource.urn)
    if len(environments) > 1:
        for urns in sorted(environments.values(), key=len)[:-1]:
            for urn in urns:
                report(
                    f"this stack writes environment secrets into {len(environments)} environments; a stack's secrets "
                    "belong to its own environment only",
                    urn,
                )


def secret_values_are_secret(args: ResourceValidationArgs, report: ReportViolation) -> None:
    props = args.props
    if args.resource_type in PLAIN_VALUE_TYPES and _CREDENTIAL_URL.search(str(props.get("value") or "")):
        report(
            f"{props.get('variableName')} is a variable, readable in plaintext, and its value holds a password", None
        )
    if args.resource_type == ENVIRONMENT_SECRET:
        if props.get("plaintextValue") is not None or props.get("encryptedValue") is not None:
            report("use `value` (or `valueEncrypted`), not the deprecated plaintextValue/encryptedValue", None)
        if props.get("value") is None and props.get("valueEncrypted") is None:
            report("the secret has no value", None)
    if args.resource_type == VERCEL_VARIABLE and props.get("sensitive") is not True:
        report(f"Vercel variable {props.get('key')} must be sensitive=True so nobody can read it back", None)


def _is_production(environment: Any) -> bool:
    # GitHub environment names ignore case: `Production` is the production environment.
    return str(environment or "").casefold() == PRODUCTION


def production_environment_protected(args: ResourceValidationArgs, report: ReportViolation) -> None:
    props = args.props
    if args.resource_type == BRANCH_POLICY and _is_production(props.get("environment")):
        if props.get("tagPattern"):
            report("the production environment deploys from exact branches, never from tags", None)
        if _WILDCARD.search(str(props.get("branchPattern") or "")):
            report("the production environment's branch patterns must be exact branch names, no wildcards", None)
        return
    if args.resource_type != ENVIRONMENT or not _is_production(props.get("environment")):
        return
    reviewers = props.get("reviewers") or []
    if not any((reviewer.get("teams") or reviewer.get("users")) for reviewer in reviewers):
        report("the production environment needs required reviewers", None)
    if props.get("preventSelfReview") is not True:
        report("the production environment must prevent self-review", None)
    if props.get("canAdminsBypass") is not False:
        report("the production environment must not let admins bypass its protection", None)
    policy: Mapping[str, Any] = props.get("deploymentBranchPolicy") or {}
    if not policy.get("customBranchPolicies"):
        # "Protected branches" is any branch with a protection rule (or every branch when none has one).
        report(
            "the production environment must name the exact branches that deploy to it (custom branch policies)", None
        )


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
    StackValidationPolicy(
        name="one-environment-per-stack",
        description="A stack's GitHub environment secrets all belong to its own environment.",
        validate=one_environment_per_stack,
        enforcement_level=EnforcementLevel.MANDATORY,
    ),
    StackValidationPolicy(
        name="delivered-secrets-only-in-their-place",
        description="A name the stack delivers (extra secrets included) has no other copy in the stack.",
        validate=delivered_names_stay_in_their_place,
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
        description="Production has required reviewers, prevents self-review and admin bypass, exact branches.",
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
