"""infra/guard/repository_visibility.py: each repository looked up once, its visibility on GitHub the declared one."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from infra.tables import type_tokens as types
from tools import evaluator
from tools.github_listings import GitHubListings

Run = Callable[..., evaluator.Evaluation]
TEAMS = ("platform-ops", "security")
REPOSITORIES = ("tenantguard", "tenantguard-worker")


@pytest.mark.parametrize(
    ("actual", "says"),
    [
        (
            {"tenantguard": "public", "tenantguard-worker": "public"},
            "tenantguard/tenantguard is public, tenantguard/tenantguard-worker is public on GitHub, but "
            "tenantguard-infra:repositoryVisibility is private",
        ),
        (
            {"tenantguard": "private", "tenantguard-worker": "public"},
            "a stack's repositories share one visibility",
        ),
    ],
)
def test_a_repository_whose_visibility_differs_from_the_declared_one_stops_everything(
    run_stack: Run, actual: dict[str, str], says: str
) -> None:
    with pytest.raises(evaluator.ProgramFailedError) as failure:
        run_stack("production", github_secrets=GitHubListings(visibility=actual))
    assert says in str(failure.value)
    assert "nothing was written" in str(failure.value)
    # Only the provider the look-up goes through is registered: no environment, ruleset, secret or variable.
    assert {evaluator.resource_type(urn) for urn in failure.value.resources} <= {
        "pulumi:providers:github",
        "pulumi:pulumi:Stack",
    }


def test_each_repository_is_looked_up_once_and_teams_only_by_summary(
    evaluated: dict[str, evaluator.Evaluation],
) -> None:
    invokes = evaluated["production"].invokes
    lookups = sorted(
        invoke.args["name"] for invoke in invokes if invoke.token == "github:index/getRepository:getRepository"
    )
    assert lookups == sorted(REPOSITORIES)
    teams = [invoke.args for invoke in invokes if invoke.token == types.GET_TEAM]
    assert sorted(team["slug"] for team in teams) == sorted(TEAMS)
    assert all(team["summaryOnly"] is True for team in teams)
