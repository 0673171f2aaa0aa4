"""Production's approval gate, per repository: environment reviewers (a), or a branch ruleset (b).

Each gate has a passing baseline and one failing case per clause; so have the rules every environment
and every production branch rule follow.
"""

from __future__ import annotations

import copy
from collections.abc import Callable
from typing import Any

import pytest

from tests.program.policy.harness import stack_violations

ENVIRONMENT = "github:index/repositoryEnvironment:RepositoryEnvironment"
BRANCH_POLICY = "github:index/repositoryEnvironmentDeploymentPolicy:RepositoryEnvironmentDeploymentPolicy"
OLD_BRANCH_POLICY = "github:index/repositoryDeploymentBranchPolicy:RepositoryDeploymentBranchPolicy"
RULESET = "github:index/repositoryRuleset:RepositoryRuleset"
FILE = "github:index/repositoryFile:RepositoryFile"

GATE = "production-approval-gate"
DECLARED = "production-environment-declared"
SELF_REVIEW = "self-review-needs-reviewers"
BRANCHES = "production-branches-exact"


Stack = list[tuple[str, dict[str, Any]]]

CUSTOM_BRANCHES = {"customBranchPolicies": True, "protectedBranches": False}
REVIEWED: Stack = [
    (
        ENVIRONMENT,
        {
            "repository": "tenantguard",
            "environment": "production",
            "reviewers": [{"teams": [8919657]}],
            "preventSelfReview": True,
            "canAdminsBypass": False,
            "waitTimer": 5,
            "deploymentBranchPolicy": CUSTOM_BRANCHES,
        },
    ),
    (BRANCH_POLICY, {"repository": "tenantguard", "environment": "production", "branchPattern": "main"}),
]
"""Gate (a): required reviewers on the environment."""

PULL_REQUEST = {
    "requiredApprovingReviewCount": 1,
    "dismissStaleReviewsOnPush": True,
    "requireLastPushApproval": True,
    "requiredReviewers": [
        {
            "reviewer": {"id": 8919657, "type": "Team"},
            "minimumApprovals": 1,
            "filePatterns": ["*", "**/*", ".*", "**/.*"],
        }
    ],
}
RULED: Stack = [
    (
        ENVIRONMENT,
        {
            "repository": "tenantguard",
            "environment": "production",
            "preventSelfReview": False,
            "canAdminsBypass": True,
            "waitTimer": 0,
            "deploymentBranchPolicy": CUSTOM_BRANCHES,
        },
    ),
    (BRANCH_POLICY, {"repository": "tenantguard", "environment": "production", "branchPattern": "main"}),
    (
        RULESET,
        {
            "repository": "tenantguard",
            "name": "production-branches",
            "target": "branch",
            "enforcement": "active",
            "conditions": {"refName": {"includes": ["~DEFAULT_BRANCH", "refs/heads/main"], "excludes": []}},
            "rules": {"creation": True, "deletion": True, "nonFastForward": True, "pullRequest": PULL_REQUEST},
        },
    ),
]
"""Gate (b): no reviewers, no wait timer, and an active branch ruleset that requires a team's approval."""

CODE_OWNED_PULL_REQUEST = {
    **{key: value for key, value in PULL_REQUEST.items() if key != "requiredReviewers"},
    "requireCodeOwnerReview": True,
}
CODEOWNERS = {"repository": "tenantguard", "file": ".github/CODEOWNERS", "content": "* @tenantguard/platform-ops\n"}


def code_owned() -> Stack:
    """Gate (b) with the team's approval required through CODEOWNERS instead of required reviewers."""
    stack = copy.deepcopy(RULED)
    stack[2][1]["rules"]["pullRequest"] = dict(CODE_OWNED_PULL_REQUEST)
    return [*stack, (FILE, dict(CODEOWNERS))]


def branch_rule(resource_type: str, environment: str, pattern: str) -> dict[str, Any]:
    if resource_type == OLD_BRANCH_POLICY:
        return {"repository": "tenantguard", "environmentName": environment, "name": pattern}
    return {"repository": "tenantguard", "environment": environment, "branchPattern": pattern}


def changed(stack: Stack, index: int, change: Callable[[dict[str, Any]], None]) -> Stack:
    copied = copy.deepcopy(stack)
    change(copied[index][1])
    return copied


def test_reviewers_on_the_environment_pass() -> None:
    assert stack_violations(REVIEWED) == {}


def test_a_ruleset_requiring_a_teams_review_passes() -> None:
    assert stack_violations(RULED) == {}


def test_a_ruleset_requiring_code_owners_with_a_codeowners_file_passes() -> None:
    assert stack_violations(code_owned()) == {}


@pytest.mark.parametrize("path", [".github/CODEOWNERS", "CODEOWNERS", "docs/CODEOWNERS"])
def test_codeowners_may_live_where_github_looks(path: str) -> None:
    stack = code_owned()
    stack[-1][1]["file"] = path
    assert stack_violations(stack) == {}


def _set(key: str, value: Any) -> Callable[[dict[str, Any]], None]:
    return lambda props: props.__setitem__(key, value)


def _drop(key: str) -> Callable[[dict[str, Any]], None]:
    return lambda props: props.pop(key, None)


@pytest.mark.parametrize(
    ("change", "says"),
    [
        pytest.param(_set("preventSelfReview", False), "prevent self-review", id="self-review-allowed"),
        pytest.param(_set("canAdminsBypass", True), "admins bypass", id="admins-bypass"),
        pytest.param(_drop("deploymentBranchPolicy"), "exact branches", id="no-custom-branch-policies"),
    ],
)
def test_each_clause_of_the_reviewers_gate(change: Callable[[dict[str, Any]], None], says: str) -> None:
    found = stack_violations(changed(REVIEWED, 0, change))
    assert list(found) == ["r0"]
    assert list(found["r0"]) == [GATE]
    assert says in " ".join(found["r0"][GATE])


def _rules(change: Callable[[dict[str, Any]], None]) -> Callable[[dict[str, Any]], None]:
    return lambda props: change(props["rules"])


def _pull_request(change: Callable[[dict[str, Any]], None]) -> Callable[[dict[str, Any]], None]:
    return lambda props: change(props["rules"]["pullRequest"])


def _reviewer(change: Callable[[dict[str, Any]], None]) -> Callable[[dict[str, Any]], None]:
    return lambda props: change(props["rules"]["pullRequest"]["requiredReviewers"][0])


def _ref_name(key: str, value: list[str]) -> Callable[[dict[str, Any]], None]:
    return lambda props: props["conditions"]["refName"].__setitem__(key, value)


RULESET_CLAUSES = [
    pytest.param(_set("target", "tag"), "target branch", id="target-tag"),
    pytest.param(_set("enforcement", "evaluate"), "enforcement active", id="enforcement-evaluate"),
    pytest.param(
        _set("bypassActors", [{"actorType": "RepositoryRole", "actorId": 5, "bypassMode": "always"}]),
        "no bypass actors",
        id="bypass-actors",
    ),
    pytest.param(_ref_name("includes", ["~DEFAULT_BRANCH"]), "refs/heads/main", id="branch-not-included"),
    pytest.param(_ref_name("excludes", ["refs/heads/ma*"]), "excludes refs/heads/main", id="branch-excluded"),
    pytest.param(_rules(_drop("deletion")), "deletion", id="deletion-allowed"),
    pytest.param(_rules(_set("nonFastForward", False)), "force pushes", id="force-push-allowed"),
    pytest.param(_rules(_drop("pullRequest")), "pull request", id="no-pull-request-rule"),
    pytest.param(_pull_request(_set("requiredApprovingReviewCount", 0)), "at least one approving", id="no-approval"),
    pytest.param(_pull_request(_set("dismissStaleReviewsOnPush", False)), "dismiss stale", id="stale-reviews-kept"),
    pytest.param(_pull_request(_drop("requireLastPushApproval")), "last push", id="last-push-unapproved"),
    pytest.param(_reviewer(_set("reviewer", {"id": 7, "type": "User"})), "a team", id="reviewer-not-a-team"),
    pytest.param(_reviewer(_set("minimumApprovals", 0)), "a team", id="team-approval-optional"),
    pytest.param(_reviewer(_set("filePatterns", ["src/**"])), "a team", id="team-reviews-some-files"),
    # Read with fnmatch and FNM_PATHNAME, `*` alone leaves nested paths and dotfiles to anyone's approval.
    pytest.param(_reviewer(_set("filePatterns", ["*"])), "a team", id="team-reviews-top-level-files-only"),
    pytest.param(
        _reviewer(_set("filePatterns", ["*", "**/*", ".*", "**/.*", "!*"])), "no negation", id="negated-patterns"
    ),
    pytest.param(_reviewer(_set("minimumApprovals", 1.5)), "a team", id="approvals-not-whole"),
    pytest.param(_rules(_drop("creation")), "rules.creation", id="branch-creation-open"),
]


@pytest.mark.parametrize(("change", "says"), RULESET_CLAUSES)
def test_each_clause_of_the_ruleset_gate(change: Callable[[dict[str, Any]], None], says: str) -> None:
    found = stack_violations(changed(RULED, 2, change))
    assert list(found) == ["r0"]
    assert list(found["r0"]) == [GATE]
    assert says in " ".join(found["r0"][GATE])


@pytest.mark.parametrize(
    ("change", "says"),
    [
        pytest.param(_set("waitTimer", 5), "wait timer", id="wait-timer"),
        pytest.param(_drop("deploymentBranchPolicy"), "exact branches", id="no-custom-branch-policies"),
    ],
)
def test_each_environment_clause_of_the_ruleset_gate(change: Callable[[dict[str, Any]], None], says: str) -> None:
    found = stack_violations(changed(RULED, 0, change))
    assert list(found) == ["r0"]
    assert list(found["r0"]) == [GATE]
    assert says in " ".join(found["r0"][GATE])


def test_prevent_self_review_without_reviewers_is_refused_in_the_ruleset_gate() -> None:
    found = stack_violations(changed(RULED, 0, _set("preventSelfReview", True)))
    assert found == {"r0": {SELF_REVIEW: found["r0"][SELF_REVIEW]}}


@pytest.mark.parametrize(
    ("stack", "says"),
    [
        pytest.param(RULED[:2], "no active branch ruleset", id="no-ruleset"),
        pytest.param([RULED[0], RULED[2]], "branch rules must be declared in this stack", id="branch-rules-elsewhere"),
        pytest.param(changed(RULED, 2, _set("repository", "tenantguard-worker")), "no active", id="other-repository"),
        pytest.param(
            [*RULED, (OLD_BRANCH_POLICY, branch_rule(OLD_BRANCH_POLICY, "production", "fix"))],
            "refs/heads/fix",
            id="older-branch-policy-not-included",
        ),
    ],
)
def test_the_ruleset_must_cover_the_repository_and_every_production_branch(stack: Stack, says: str) -> None:
    found = stack_violations(stack)
    assert list(found) == ["r0"]
    assert list(found["r0"]) == [GATE]
    assert says in " ".join(found["r0"][GATE])


@pytest.mark.parametrize(
    ("change", "says"),
    [
        pytest.param(lambda stack: stack.pop(), "CODEOWNERS", id="no-codeowners-file"),
        pytest.param(lambda stack: stack[-1][1].__setitem__("file", "OWNERS"), "CODEOWNERS", id="not-github-path"),
        pytest.param(
            lambda stack: stack[-1][1].__setitem__("repository", "tenantguard-worker"), "CODEOWNERS", id="other-repo"
        ),
        pytest.param(
            lambda stack: stack[-1][1].__setitem__("content", "/docs/ @tenantguard/writers\n"),
            "CODEOWNERS",
            id="no-owner-for-every-file",
        ),
        pytest.param(lambda stack: stack[-1][1].__setitem__("content", "*\n"), "CODEOWNERS", id="star-without-owner"),
        pytest.param(
            lambda stack: stack[2][1]["rules"]["pullRequest"].__setitem__("requireCodeOwnerReview", False),
            "a team",
            id="code-owner-review-off",
        ),
    ],
)
def test_each_clause_of_the_code_owner_variant(change: Callable[[Stack], Any], says: str) -> None:
    stack = code_owned()
    change(stack)
    found = stack_violations(stack)
    assert list(found) == ["r0"]
    assert list(found["r0"]) == [GATE]
    assert says in " ".join(found["r0"][GATE])


def test_prevent_self_review_without_reviewers_is_refused_in_any_environment() -> None:
    staging = {"repository": "tenantguard", "environment": "staging", "preventSelfReview": True, "waitTimer": 0}
    found = stack_violations([(ENVIRONMENT, staging)])
    assert list(found) == ["r0"]
    assert list(found["r0"]) == [SELF_REVIEW]
    assert "at least one reviewer" in found["r0"][SELF_REVIEW][0]


def test_a_wait_timer_alone_is_left_alone_outside_production() -> None:
    staging = {"repository": "tenantguard", "environment": "staging", "preventSelfReview": False, "waitTimer": 30}
    assert stack_violations([(ENVIRONMENT, staging)]) == {}


def declared(rule: tuple[str, dict[str, Any]]) -> Stack:
    """A production branch rule, with the reviewed production environment it belongs to declared beside it."""
    return [REVIEWED[0], rule]


@pytest.mark.parametrize("resource_type", [BRANCH_POLICY, OLD_BRANCH_POLICY])
@pytest.mark.parametrize("environment", ["production", "Production"])
def test_exact_production_branches_pass(resource_type: str, environment: str) -> None:
    assert stack_violations(declared((resource_type, branch_rule(resource_type, environment, "main")))) == {}


@pytest.mark.parametrize("resource_type", [BRANCH_POLICY, OLD_BRANCH_POLICY])
@pytest.mark.parametrize("pattern", ["*", "release/*", "{main,dev}", "ma?n", "[m]ain"])
def test_production_branch_rules_are_exact_names(resource_type: str, pattern: str) -> None:
    found = stack_violations(declared((resource_type, branch_rule(resource_type, "PRODUCTION", pattern))))
    assert list(found) == ["r1"]
    assert list(found["r1"]) == [BRANCHES]
    assert "no wildcards" in found["r1"][BRANCHES][0]


def test_production_never_deploys_from_tags() -> None:
    props = {"repository": "tenantguard", "environment": "production", "tagPattern": "v*"}
    found = stack_violations(declared((BRANCH_POLICY, props)))
    assert found == {"r1": {BRANCHES: ["the production environment deploys from exact branches, never from tags"]}}


SECRET = "github:index/actionsEnvironmentSecret:ActionsEnvironmentSecret"


@pytest.mark.parametrize(
    "resource",
    [
        (SECRET, {"repository": "tenantguard", "environment": "production", "secretName": "CI_DB_URL", "value": "x"}),
        (BRANCH_POLICY, branch_rule(BRANCH_POLICY, "Production", "main")),
        (OLD_BRANCH_POLICY, branch_rule(OLD_BRANCH_POLICY, "production", "main")),
    ],
    ids=["secret", "branch-rule", "older-branch-rule"],
)
def test_nothing_is_written_into_a_production_environment_the_stack_does_not_declare(
    resource: tuple[str, dict[str, Any]],
) -> None:
    found = stack_violations([resource])
    assert DECLARED in found["r0"]
    assert "does not declare" in found["r0"][DECLARED][0]
    # Declared in another repository does not count: a production environment is per repository.
    elsewhere = changed(REVIEWED[:1], 0, _set("repository", "tenantguard-worker"))
    assert DECLARED in stack_violations([*elsewhere, resource])["r1"]


def test_other_environments_may_use_branch_patterns() -> None:
    for resource_type in (BRANCH_POLICY, OLD_BRANCH_POLICY):
        assert stack_violations([(resource_type, branch_rule(resource_type, "staging", "release/*"))]) == {}
