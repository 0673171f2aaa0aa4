"""Production's protection: exact branches, and per repository one of two approval gates.

On GitHub Free, Pro and Team, required reviewers and wait timers exist only in public repositories
(a private one answers 422), so production is gated per repository by either
 (a) required reviewers on its environment, who cannot approve their own deployment, with no admin
     bypass; or
 (b) no reviewers and no wait timer on the environment, and an active branch ruleset on every branch
     production deploys from that requires a team's approval (rulesets.py). `canAdminsBypass` is not
     judged there: on those plans GitHub does not apply it, and the program declares what GitHub keeps.
Either way the environment names its exact branches. GitHub environment names ignore case.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from pulumi_policy import PolicyResource, ReportViolation, ResourceValidationArgs, StackValidationArgs

from infra.tables.type_tokens import BRANCH_POLICY, ENVIRONMENT
from policy.catalog import github
from policy.rulesets import codeowners_file, ruleset_problems
from policy.walk import field, items

OLD_BRANCH_POLICY = github("RepositoryDeploymentBranchPolicy")
RULESET = github("RepositoryRuleset")
FILE = github("RepositoryFile")
PRODUCTION = "production"
_WILDCARD = re.compile(r"[*?\[{]")


def _is_production(environment: Any) -> bool:
    return str(environment or "").casefold() == PRODUCTION


def _same(left: Any, right: Any) -> bool:
    """Repository names ignore case on GitHub."""
    return str(left or "").casefold() == str(right or "").casefold()


def has_reviewers(environment: Any) -> bool:
    return any(
        field(reviewer, "teams") or field(reviewer, "users") for _, reviewer in items(field(environment, "reviewers"))
    )


def branch_rule(resource_type: str, props: Any) -> tuple[Any, str | None, Any] | None:
    """(environment, branch pattern, tag pattern) of either branch-policy type; None for any other type."""
    if resource_type == BRANCH_POLICY:
        return field(props, "environment"), field(props, "branchPattern"), field(props, "tagPattern")
    if resource_type == OLD_BRANCH_POLICY:
        return field(props, "environmentName"), field(props, "name"), None
    return None


def production_branches_exact(args: ResourceValidationArgs, report: ReportViolation) -> None:
    rule = branch_rule(args.resource_type, args.props)
    if rule is None or not _is_production(rule[0]):
        return
    _, branch, tag = rule
    if tag:
        report("the production environment deploys from exact branches, never from tags", None)
    if _WILDCARD.search(str(branch or "")):
        report("the production environment's branch patterns must be exact branch names, no wildcards", None)


def self_review_needs_reviewers(args: ResourceValidationArgs, report: ReportViolation) -> None:
    """GitHub refuses the flag alone, whatever the environment: there is no reviewer to keep from approving."""
    if (
        args.resource_type == ENVIRONMENT
        and field(args.props, "preventSelfReview") is True
        and not has_reviewers(args.props)
    ):
        report(
            'preventSelfReview needs at least one reviewer: GitHub answers 422 "Required reviewers must have at least '
            'one reviewer to set prevent_self_review"; set it false, or add reviewers',
            None,
        )


def _of_type(args: StackValidationArgs, resource_type: str) -> list[PolicyResource]:
    return [resource for resource in args.resources if resource.resource_type == resource_type]


def _reviewers_gate(environment: Any) -> list[str]:
    problems = []
    if field(environment, "preventSelfReview") is not True:
        problems.append("the production environment must prevent self-review")
    if field(environment, "canAdminsBypass") is not False:
        problems.append("the production environment must not let admins bypass its protection")
    return problems


def _ruleset_gate(args: StackValidationArgs, environment: Any) -> list[str]:
    repository = field(environment, "repository")
    problems = []
    if field(environment, "waitTimer"):
        problems.append("a wait timer needs required reviewers on plans without them; remove it (waitTimer 0)")
    branches = [
        branch
        for policy in args.resources
        if (rule := branch_rule(policy.resource_type, policy.props)) is not None
        and _is_production(rule[0])
        and _same(field(policy.props, "repository"), repository)
        and (branch := rule[1])
    ]
    files: list[Mapping[str, Any]] = [
        f.props for f in _of_type(args, FILE) if _same(field(f.props, "repository"), repository)
    ]
    codeowners = codeowners_file(files, branches)
    rulesets = [r.props for r in _of_type(args, RULESET) if _same(field(r.props, "repository"), repository)]
    if not rulesets:
        problems.append(f"no active branch ruleset (RepositoryRuleset) for {repository} in this stack")
        return problems
    judged = [(ruleset_problems(ruleset, branches, codeowners), ruleset) for ruleset in rulesets]
    best, ruleset = min(judged, key=lambda found: len(found[0]))
    name = field(ruleset, "name") or "its ruleset"
    return problems + [f"ruleset {name}: {problem}" for problem in best]


WRITES_INTO_ENVIRONMENT = {
    github("ActionsEnvironmentSecret"): "environment",
    github("ActionsEnvironmentVariable"): "environment",
    BRANCH_POLICY: "environment",
    OLD_BRANCH_POLICY: "environmentName",
}
"""Types that write into a named environment: into production, only into one the stack declares and gates."""


def production_is_declared(args: StackValidationArgs, report: ReportViolation) -> None:
    """A secret, variable or branch rule of a production environment the stack does not declare escapes the gate
    check: the environment may exist unprotected (a workflow naming it creates it so)."""
    declared = {
        str(field(resource.props, "repository") or "").casefold()
        for resource in _of_type(args, ENVIRONMENT)
        if _is_production(field(resource.props, "environment"))
    }
    for resource in args.resources:
        key = WRITES_INTO_ENVIRONMENT.get(resource.resource_type)
        if key is None or not _is_production(field(resource.props, key)):
            continue
        if str(field(resource.props, "repository") or "").casefold() not in declared:
            report(
                "this writes into a production environment the stack does not declare (RepositoryEnvironment): its "
                "approval gate cannot be checked; declare the environment in the same stack",
                resource.urn,
            )


def _declared_branches(args: StackValidationArgs, repository: Any) -> list[Any]:
    return [
        rule[1]
        for policy in args.resources
        if (rule := branch_rule(policy.resource_type, policy.props)) is not None
        and _is_production(rule[0])
        and _same(field(policy.props, "repository"), repository)
    ]


def production_approval_gate(args: StackValidationArgs, report: ReportViolation) -> None:
    for resource in _of_type(args, ENVIRONMENT):
        environment = resource.props
        if not _is_production(field(environment, "environment")):
            continue
        gated = has_reviewers(environment)
        problems = _reviewers_gate(environment) if gated else _ruleset_gate(args, environment)
        policy = field(environment, "deploymentBranchPolicy")
        if not field(policy, "customBranchPolicies"):
            # "Protected branches" is any branch with a protection rule (or every branch when none has one).
            problems.append(
                "the production environment must name the exact branches that deploy to it (custom branch policies)"
            )
        elif not _declared_branches(args, field(environment, "repository")):
            # Branch rules made outside the stack (or unknown here) could admit a branch no ruleset covers.
            problems.append(
                "the production environment's branch rules must be declared in this stack "
                "(RepositoryEnvironmentDeploymentPolicy), so the gate can be checked against every branch it admits"
            )
        gate = "" if gated else f"{field(environment, 'repository')}'s production has no required reviewers, so: "
        for problem in problems:
            report(f"{gate}{problem}", resource.urn)
