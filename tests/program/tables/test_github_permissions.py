"""The GitHub token permissions: a row for every call the program makes, read-only where it only reads."""

from __future__ import annotations

import json
from collections.abc import Callable

from infra.tables.github_permissions import BY_TOKEN, read_token_permissions, write_token_permissions
from tools import evaluator, github_listings
from tools.github_listings import GitHubListings, OrgSecret

Run = Callable[..., evaluator.Evaluation]


def github_calls(evaluation: evaluator.Evaluation) -> set[str]:
    """Every GitHub invoke and resource type an evaluation used (providers aside)."""
    types = {evaluator.resource_type(urn) for urn in evaluation.resources}
    tokens = {invoke.token for invoke in evaluation.invokes}
    return {token for token in types | tokens if token.startswith("github:")}


def test_every_call_of_every_stack_has_its_permissions(
    evaluated: dict[str, evaluator.Evaluation], run_stack: Run
) -> None:
    calls = set().union(*(github_calls(evaluation) for evaluation in evaluated.values()))
    # The calls only some organizations cause: `selected` organization secrets whose names matter, and an
    # environment that already exists (its secrets are listed), and production's reviewers on Enterprise.
    selected = GitHubListings(
        organization=[OrgSecret("DB_URL", "selected", ("tenantguard",))],
        dependabot_organization=[OrgSecret("DB_URL", "selected", ("tenantguard",))],
        environments={"tenantguard": {"production": ["CI_DB_URL"]}},
    )
    calls |= github_calls(run_stack("production", {"acknowledgedSecrets": _acknowledged()}, github_secrets=selected))
    calls |= github_calls(run_stack("production", {"githubPlan": "enterprise"}))
    assert github_listings.ORGANIZATION_SECRET_REPOSITORIES in calls
    assert github_listings.GET_ENVIRONMENT_SECRETS in calls
    assert sorted(calls - set(BY_TOKEN)) == []


def _acknowledged() -> str:
    entries = {
        "tenantguard/organization/DB_URL": "migrating",
        "tenantguard/dependabot-organization/DB_URL": "migrating",
    }
    return json.dumps(entries)


def test_the_read_only_token_can_write_nothing() -> None:
    assert {permission.access for permission in read_token_permissions()} == {"read"}


def test_the_write_token_writes_only_environments_and_their_administration() -> None:
    written = sorted(p.name for p in write_token_permissions() if p.access == "write")
    assert written == ["Administration", "Environments"]
    # Everything the read token may, the write token may too.
    names = {(p.scope, p.name) for p in write_token_permissions()}
    assert {(p.scope, p.name) for p in read_token_permissions()} <= names


def test_listing_an_environment_needs_actions_read() -> None:
    # REST "Get an environment": fine-grained tokens need repository "Actions": read (private repositories).
    (read,) = BY_TOKEN["github:index/getRestApi:getRestApi"].reads
    assert str(read[1]) == 'repository "Actions": read'
