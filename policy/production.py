"""Production's protection: required reviewers who cannot approve their own deployment, exact branches."""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from pulumi_policy import ReportViolation, ResourceValidationArgs

from infra.type_tokens import BRANCH_POLICY, ENVIRONMENT

PRODUCTION = "production"
_WILDCARD = re.compile(r"[*?\[{]")


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
