"""The GitHub API requests a stack's runs make, and the rules GitHub applies to them, from what the program declared.

    ./scripts/uv run python bench/github_requests.py      # the counts for every stack file (bench/RESULTS.md)

Everything here is read from the provider's source (integrations/terraform-provider-github v6.13.0, which
pulumi-github 6.15 wraps unmodified, with google/go-github v88): the request each resource's Create and Read send,
what each data source's Read sends, and when the engine calls them (pulumi/pulumi-terraform-bridge: `pulumi
preview` calls Check and Diff, which send nothing for these resources, and runs every invoke; a refresh calls each
resource's Read once; the provider configures once per run, sending `GET /orgs/{owner}`). Counts assume every list
fits one page (at most 100 secrets, 30 environments) and no retry; bench/RESULTS.md states them with their sources.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from infra.tables.github_plans import Capabilities
from infra.tables.type_tokens import (
    BRANCH_POLICY,
    ENVIRONMENT,
    ENVIRONMENT_SECRET,
    ENVIRONMENT_VARIABLE,
    GET_TEAM,
    RULESET,
)
from tools import evaluator
from tools.github_listings import (
    DEPENDABOT_ORGANIZATION_SECRET_REPOSITORIES,
    GET_ACTIONS_SECRETS,
    GET_DEPENDABOT_ORGANIZATION_SECRETS,
    GET_DEPENDABOT_SECRETS,
    GET_ENVIRONMENT_SECRETS,
    GET_ORGANIZATION_SECRETS,
    GET_REPOSITORY,
    GET_REST_API,
    ORGANIZATION_SECRET_REPOSITORIES,
)

CONFIGURE_READS = 1
"""`GET /orgs/{owner}` when the provider configures, once per run (provider.go configureProviderMeta)."""


@dataclass(frozen=True)
class Cost:
    """What one resource costs on GitHub, per operation: (reads, writes)."""

    refresh: int
    """Reads of its Read, which a refresh calls once."""
    create: tuple[int, int]
    """Reads and writes of its Create (several read the repository or read the value back after writing)."""


COSTS: Mapping[str, Cost] = {
    # PUT .../environments/{env}, then GET /repos/{o}/{r} for its id; Read: GET .../environments/{env}.
    ENVIRONMENT: Cost(refresh=1, create=(1, 1)),
    # POST .../deployment-branch-policies, then GET /repos/{o}/{r}; Read: GET .../deployment-branch-policies/{id}.
    BRANCH_POLICY: Cost(refresh=1, create=(1, 1)),
    # POST .../variables, GET /repos/{o}/{r}, then GET .../variables/{name} after 1 s; Read: one GET.
    ENVIRONMENT_VARIABLE: Cost(refresh=1, create=(2, 1)),
    # GET /repos/{o}/{r}, GET .../secrets/public-key, PUT .../secrets/{name}, GET .../secrets/{name}; Read: one GET.
    ENVIRONMENT_SECRET: Cost(refresh=1, create=(3, 1)),
    # GET /repos/{o}/{r} (archived?), POST .../rulesets; Read: GET .../rulesets/{id}.
    RULESET: Cost(refresh=1, create=(1, 1)),
}
"""resource_github_repository_environment.go, ..._environment_deployment_policy.go, resource_github_actions_
environment_variable.go, resource_github_actions_environment_secret.go, resource_github_repository_ruleset.go."""

INVOKE_READS: Mapping[str, int] = {
    GET_REPOSITORY: 1,  # GET /repos/{o}/{r} (more only for a repository with Pages or a detected licence)
    GET_REST_API: 1,  # GET /repos/{o}/{r}/environments/{env}
    GET_ACTIONS_SECRETS: 1,
    GET_DEPENDABOT_SECRETS: 1,
    GET_ENVIRONMENT_SECRETS: 2,  # GET /repos/{o}/{r} for the id, then the list
    GET_ORGANIZATION_SECRETS: 1,
    GET_DEPENDABOT_ORGANIZATION_SECRETS: 1,
    GET_TEAM: 1,  # with summary_only: the team alone (3 without, for a team of at most 100 members and repositories)
}
READ_RESOURCES: Mapping[str, int] = {
    # `.get(..., secret_name=...)`: the bridge refreshes it (1 list), also in preview; refreshed again by a refresh.
    ORGANIZATION_SECRET_REPOSITORIES: 1,
    DEPENDABOT_ORGANIZATION_SECRET_REPOSITORIES: 1,
}


@dataclass(frozen=True)
class Requests:
    reads: int
    writes: int

    @property
    def points(self) -> int:
        """GitHub's secondary-limit points: 1 per GET, 5 per POST/PATCH/PUT/DELETE ("Rate limits for the REST API")."""
        return self.reads + 5 * self.writes


def _lookups(evaluation: evaluator.Evaluation) -> int:
    invokes = sum(INVOKE_READS.get(invoke.token, 0) for invoke in evaluation.invokes)
    unknown = {invoke.token for invoke in evaluation.invokes if invoke.token.startswith("github:")} - set(INVOKE_READS)
    if unknown:
        raise KeyError(f"no request count for {sorted(unknown)}: add them to INVOKE_READS")
    reads = sum(READ_RESOURCES.get(evaluator.resource_type(urn), 0) for urn in evaluation.resources)
    return CONFIGURE_READS + invokes + reads


def _managed(evaluation: evaluator.Evaluation) -> list[str]:
    types = [evaluator.resource_type(urn) for urn in evaluation.resources]
    github = [t for t in types if t.startswith("github:") and t not in READ_RESOURCES]
    unknown = set(github) - set(COSTS)
    if unknown:
        raise KeyError(f"no request count for {sorted(unknown)}: add them to COSTS")
    return github


def preview(evaluation: evaluator.Evaluation) -> Requests:
    """`pulumi preview` of an existing stack without refresh: the provider's configure and every lookup."""
    return Requests(_lookups(evaluation), 0)


def refreshing_preview(evaluation: evaluator.Evaluation) -> Requests:
    """`pulumi preview --refresh` (the drift check), and `pulumi up --refresh` of an unchanged stack: one Read more
    per managed resource and per read one; nothing is written."""
    refreshed = sum(COSTS[token].refresh for token in _managed(evaluation))
    refreshed += sum(READ_RESOURCES.get(evaluator.resource_type(urn), 0) for urn in evaluation.resources)
    return Requests(_lookups(evaluation) + refreshed, 0)


def first_up(evaluation: evaluator.Evaluation, caps: Capabilities) -> Requests:
    """The first `pulumi up` (one pass, as pulumi/actions runs it): every resource created.

    Where the plan has no protection rules, each environment's PUT is answered 422 and go-github sends it again
    with the branch policy alone (repos_environments.go createNewEnvNoEnterprise): one write more each.
    """
    managed = _managed(evaluation)
    reads = _lookups(evaluation) + sum(COSTS[token].create[0] for token in managed)
    writes = sum(COSTS[token].create[1] for token in managed)
    if not caps.protection_rules:
        writes += managed.count(ENVIRONMENT)
    return Requests(reads, writes)


# --- the rules GitHub applies ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Rule:
    name: str
    source: str


PREVENT_SELF_REVIEW_NEEDS_REVIEWERS = Rule(
    "prevent_self_review needs reviewers",
    'GitHub answers 422 "Required reviewers must have at least one reviewer to set prevent_self_review" '
    "(github-community-projects/safe-settings#628)",
)
NO_ENVIRONMENTS = Rule(
    "no environments on this plan and visibility",
    "github/docs data/reusables/gated-features/environments.md; GitHub answers 404 (go-github repos_environments.go)",
)
NO_PROTECTION_RULES = Rule(
    "no reviewers or wait timers on this plan and visibility",
    '"If you are on a GitHub Free, GitHub Pro, or GitHub Team plan, other deployment protection rules, such as a '
    'wait timer or required reviewers, are only available for public repositories" (gated-features/environments.md); '
    "GitHub answers 422 (integrations/terraform-provider-github#1262, #1311)",
)
DROPPED_SILENTLY = Rule(
    "a value GitHub drops without an error",
    "on a 422 for an environment without reviewers and wait timer, go-github v88 createNewEnvNoEnterprise sends the "
    "branch policy alone, so can_admins_bypass and prevent_self_review keep GitHub's defaults (true, false)",
)
NO_RULESETS = Rule(
    "no rulesets on this plan and visibility",
    '"Rulesets are available in public repositories with GitHub Free [...], and in public and private repositories '
    'with GitHub Pro, GitHub Team, and GitHub Enterprise Cloud" (github/docs data/reusables/gated-features/'
    "repo-rules.md)",
)
NO_TEAMS = Rule(
    "teams exist only in organizations",
    'a personal account (GitHub Pro) has no teams: GET /orgs/{owner}/teams/{slug} answers 404, and "This rule is not '
    'available on user-owned repositories as they do not contain teams" (docs, "Available rules for rulesets")',
)
TOO_MANY_REVIEWERS = Rule(
    "at most six reviewers",
    '"You can list up to six users or teams as reviewers" (docs, "Deployments and environments")',
)


def environment_body(inputs: Mapping[str, Any]) -> dict[str, Any]:
    """The PUT body the provider sends for a RepositoryEnvironment's inputs: go-github always sends wait_timer (0
    when unset), reviewers, can_admins_bypass and deployment_branch_policy, and prevent_self_review when set
    (repos_environments.go CreateUpdateEnvironment; resource_github_repository_environment.go sets both flags)."""
    reviewers = [
        {"type": "Team", "id": team} for reviewer in inputs.get("reviewers") or [] for team in reviewer.get("teams", [])
    ]
    return {
        "wait_timer": int(inputs.get("waitTimer") or 0),
        "reviewers": reviewers or None,
        "can_admins_bypass": inputs.get("canAdminsBypass", True) is not False,
        "deployment_branch_policy": inputs.get("deploymentBranchPolicy"),
        "prevent_self_review": inputs.get("preventSelfReview") is True,
    }


def environment_violations(body: Mapping[str, Any], caps: Capabilities | None, *, retried: bool) -> list[Rule]:
    """What GitHub would refuse or ignore in one environment's PUT body.

    `retried`: the request goes through go-github, which retries a 422 without reviewers and wait timer with the
    branch policy alone; a body built by hand (`gh api`) is refused outright instead.
    """
    if caps is None or not caps.environments:
        return [NO_ENVIRONMENTS]
    found = []
    reviewers = body.get("reviewers") or []
    if body.get("prevent_self_review") is True and not reviewers:
        found.append(PREVENT_SELF_REVIEW_NEEDS_REVIEWERS)
    if len(reviewers) > 6:
        found.append(TOO_MANY_REVIEWERS)
    if not caps.protection_rules:
        protection_fields = {"wait_timer", "reviewers", "can_admins_bypass", "prevent_self_review"} & set(body)
        if reviewers or body.get("wait_timer"):
            found.append(NO_PROTECTION_RULES)
        elif retried and (body.get("can_admins_bypass") is False or body.get("prevent_self_review") is True):
            found.append(DROPPED_SILENTLY)
        elif not retried and protection_fields:
            found.append(NO_PROTECTION_RULES)
    return found


def violations(evaluation: evaluator.Evaluation, caps: Capabilities | None, *, organization: bool) -> list[str]:
    """Every request the evaluated stack implies that GitHub would refuse or ignore, one line each with its rule."""
    found = []
    if not organization and any(invoke.token == GET_TEAM for invoke in evaluation.invokes):
        found.append(f"getTeam: {NO_TEAMS.name} ({NO_TEAMS.source})")
    for urn, inputs in evaluation.inputs.items():
        token = evaluator.resource_type(urn)
        name = evaluator.resource_name(urn)
        if token == ENVIRONMENT:
            for rule in environment_violations(environment_body(inputs), caps, retried=True):
                found.append(f"{name}: {rule.name} ({rule.source})")
            if not organization and any(reviewer.get("teams") for reviewer in inputs.get("reviewers") or []):
                found.append(f"{name}: {NO_TEAMS.name} ({NO_TEAMS.source})")
        elif token in (RULESET,):
            if caps is None or not caps.rulesets:
                found.append(f"{name}: {NO_RULESETS.name} ({NO_RULESETS.source})")
            reviewers = ((inputs.get("rules") or {}).get("pullRequest") or {}).get("requiredReviewers")
            if reviewers and not organization:
                found.append(f"{name}: required reviewers are teams, which only organizations have")
        elif token in (ENVIRONMENT_SECRET, ENVIRONMENT_VARIABLE, BRANCH_POLICY) and (
            caps is None or not caps.environments
        ):
            found.append(f"{name}: {NO_ENVIRONMENTS.name} ({NO_ENVIRONMENTS.source})")
    return found
