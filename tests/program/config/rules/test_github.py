"""infra/config/rules/github.py: owner, repositories, environment name, reviewers, branches, plan and visibility."""

from __future__ import annotations

import json
from collections.abc import Callable

import pytest

from infra.config.errors import ConfigError
from infra.config.load import parse
from tests.fakes import stack_values
from tests.program.config.refusals import FAKE_CI, FAKE_STAGING_CI, Bad, assert_refused_clearly, ids
from tools import evaluator

CASES = [
    Bad("bad-owner", "preview", {"githubOwner": "tenant guard"}, "githubOwner", "GitHub organization"),
    # Protection rules.
    Bad("production-without-reviewers", "production", {"reviewerTeams": "[]"}, "reviewerTeams", "at least one team"),
    Bad(
        "too-many-reviewers",
        "production",
        {"reviewerTeams": json.dumps([f"team-{n}" for n in range(7)])},
        "reviewerTeams",
        "at most 6",
    ),
    Bad(
        "production-environment-renamed",
        "production",
        {"environmentName": "prod"},
        "environmentName",
        "must be 'production' in production",
    ),
    Bad(
        "production-self-review",
        "production",
        {"preventSelfReview": "false"},
        "preventSelfReview",
        "must be true in production",
    ),
    Bad(
        "production-wildcard-branch",
        "production",
        {"deploymentBranches": '["*"]'},
        "deploymentBranches",
        "no wildcards",
    ),
    Bad(
        "staging-without-branches",
        "staging",
        {"deploymentBranches": "[]"},
        "deploymentBranches",
        "must name the branches",
    ),
    # The preview environment holds the per-pull-request database manager: the default branch's jobs only.
    Bad(
        "preview-from-any-branch",
        "preview",
        {"deploymentBranches": "[]"},
        "deploymentBranches",
        "must name exactly one branch in preview, the app repositories' default branch",
    ),
    Bad(
        "preview-from-two-branches",
        "preview",
        {"deploymentBranches": '["main", "develop"]'},
        "deploymentBranches",
        "must name exactly one branch in preview",
    ),
    Bad("preview-from-a-pattern", "preview", {"deploymentBranches": '["*"]'}, "deploymentBranches", "no wildcards"),
    Bad("wait-timer-too-long", "production", {"waitTimerMinutes": "50000"}, "waitTimerMinutes", "between 0 and 43200"),
    Bad("secret-as-owner", "preview", {"githubOwner": f"{FAKE_CI}!"}, "githubOwner", "not accepted"),
    Bad("secret-as-environment", "preview", {"environmentName": f"{FAKE_CI} x"}, "environmentName", "not accepted"),
    Bad(
        "secret-as-branch",
        "staging",
        {"deploymentBranches": json.dumps([f"{FAKE_STAGING_CI} x"])},
        "deploymentBranches",
        "item 1",
    ),
    # GitHub environment names ignore case: no look-alike of production outside production.
    Bad("preview-named-Production", "preview", {"environmentName": "Production"}, "environmentName", "in any casing"),
    Bad("staging-named-PRODUCTION", "staging", {"environmentName": "PRODUCTION"}, "environmentName", "in any casing"),
    # Nor a name that claims production by one of its words, the rule tools.bootstrap applies to stack names.
    Bad(
        "staging-named-production-dot",
        "staging",
        {"environmentName": "production."},
        "environmentName",
        "(or the stack name it defaults to) claims production (production) in a staging stack; choose a name",
    ),
    Bad(
        "staging-named-prod",
        "staging",
        {"environmentName": "prod"},
        "environmentName",
        "(or the stack name it defaults to) claims production (prod) in a staging stack; choose a name",
    ),
    Bad(
        "preview-named-Live-EU",
        "preview",
        {"environmentName": "Live-EU"},
        "environmentName",
        "(or the stack name it defaults to) claims production (live) in a preview stack; choose a name",
    ),
    Bad(
        "staging-named-ProdEU",
        "staging",
        {"environmentName": "ProdEU"},
        "environmentName",
        "(or the stack name it defaults to) claims production (prod) in a staging stack; choose a name",
    ),
    Bad(
        "staging-named-liveEU",
        "staging",
        {"environmentName": "liveEU"},
        "environmentName",
        "(or the stack name it defaults to) claims production (live) in a staging stack; choose a name",
    ),
    Bad(
        "staging-named-ProductionEU",
        "staging",
        {"environmentName": "ProductionEU"},
        "environmentName",
        "(or the stack name it defaults to) claims production (production) in a staging stack; choose a name",
    ),
    Bad(
        "staging-named-prd2",
        "staging",
        {"environmentName": "prd2"},
        "environmentName",
        "(or the stack name it defaults to) claims production (prd) in a staging stack; choose a name",
    ),
    # Outside the preview tier, an exact name or whole path segments before any wildcard: anything else can
    # match a branch anyone with push access creates.
    Bad(
        "staging-any-branch",
        "staging",
        {"deploymentBranches": '["*"]'},
        "deploymentBranches",
        "(item 1 of 1) is not accepted in staging: give an exact branch name (e.g. staging) or whole path segments "
        "before any wildcard (e.g. release/*, hotfix/v2/*), with no braces or brackets; anyone who can push a "
        "matching branch gets staging's secrets, so protect that namespace with a ruleset that limits who can "
        "create such branches",
    ),
    Bad(
        "staging-any-path",
        "staging",
        {"deploymentBranches": '["**"]'},
        "deploymentBranches",
        "(item 1 of 1) is not accepted in staging: give an exact branch name",
    ),
    Bad(
        "staging-wildcard-dash-wildcard",
        "staging",
        {"deploymentBranches": '["staging", "*-*"]'},
        "deploymentBranches",
        "(item 2 of 2) is not accepted in staging: give an exact branch name",
    ),
    Bad(
        "staging-brace-with-wildcard",
        "staging",
        {"deploymentBranches": '["{staging,*}"]'},
        "deploymentBranches",
        "(item 1 of 1) is not accepted in staging: give an exact branch name",
    ),
    Bad(
        "staging-separator-then-wildcard",
        "staging",
        {"deploymentBranches": '["-*"]'},
        "deploymentBranches",
        "(item 1 of 1) is not accepted in staging: give an exact branch name",
    ),
    Bad(
        "staging-one-letter-then-wildcard",
        "staging",
        {"deploymentBranches": '["s*"]'},
        "deploymentBranches",
        "(item 1 of 1) is not accepted in staging: give an exact branch name",
    ),
    Bad(
        "staging-one-other-letter-then-wildcard",
        "staging",
        {"deploymentBranches": '["x*"]'},
        "deploymentBranches",
        "(item 1 of 1) is not accepted in staging: give an exact branch name",
    ),
    Bad(
        "staging-one-digit-then-wildcard",
        "staging",
        {"deploymentBranches": '["1*"]'},
        "deploymentBranches",
        "(item 1 of 1) is not accepted in staging: give an exact branch name",
    ),
    Bad(
        "staging-letter-then-question-mark",
        "staging",
        {"deploymentBranches": '["a?*"]'},
        "deploymentBranches",
        "(item 1 of 1) is not accepted",
    ),
    Bad(
        "staging-letter-then-brace-with-wildcard",
        "staging",
        {"deploymentBranches": '["f{a,*}"]'},
        "deploymentBranches",
        "(item 1 of 1) is not accepted in staging: give an exact branch name",
    ),
    Bad(
        "staging-date-prefix",
        "staging",
        {"deploymentBranches": '["2026-*"]'},
        "deploymentBranches",
        "(item 1 of 1) is not accepted in staging: give an exact branch name",
    ),
    Bad(
        "staging-brace-alternatives",
        "staging",
        {"deploymentBranches": '["hotfix-{a,b}"]'},
        "deploymentBranches",
        "(item 1 of 1) is not accepted in staging: give an exact branch name",
    ),
    Bad(
        "staging-brace-inside-a-namespace",
        "staging",
        {"deploymentBranches": '["release/{a,b}"]'},
        "deploymentBranches",
        "(item 1 of 1) is not accepted in staging: give an exact branch name",
    ),
    Bad(
        "staging-brace-after-a-namespace-wildcard",
        "staging",
        {"deploymentBranches": '["release/*-{a,b}"]'},
        "deploymentBranches",
        "(item 1 of 1) is not accepted in staging: give an exact branch name",
    ),
    Bad(
        "staging-namespace-without-a-segment",
        "staging",
        {"deploymentBranches": '["/*"]'},
        "deploymentBranches",
        "(item 1 of 1) is not accepted in staging: give an exact branch name",
    ),
    Bad(
        "staging-namespace-segment-of-punctuation",
        "staging",
        {"deploymentBranches": '["-/*"]'},
        "deploymentBranches",
        "(item 1 of 1) is not accepted in staging: give an exact branch name",
    ),
    Bad(
        "staging-partial-segment",
        "staging",
        {"deploymentBranches": '["release/v*"]'},
        "deploymentBranches",
        "(item 1 of 1) is not accepted in staging: give an exact branch name",
    ),
    Bad(
        "production-brace-alternatives",
        "production",
        {"deploymentBranches": '["{main,dev}"]'},
        "deploymentBranches",
        "no wildcards or braces",
    ),
    Bad(
        "production-pattern",
        "production",
        {"deploymentBranches": '["release/*"]'},
        "deploymentBranches",
        "no wildcards",
    ),
    # Values that used to pass and fail later, after resources were registered.
    Bad("owner-with-newline", "preview", {"githubOwner": "tenantguard\n"}, "githubOwner", "not accepted"),
    Bad("dot-dot-repository", "preview", {"repositories": '[".."]'}, "repositories", "'.' or '..'"),
    Bad(
        "repositories-differing-in-case",
        "preview",
        {"repositories": '["tenantguard", "TenantGuard"]'},
        "repositories",
        "repeats an earlier item",
    ),
    Bad(
        "teams-repeated",
        "production",
        {"reviewerTeams": '["security", "security"]'},
        "reviewerTeams",
        "repeats an earlier item",
    ),
    Bad(
        "branches-repeated",
        "staging",
        {"deploymentBranches": '["staging", "Staging"]'},
        "deploymentBranches",
        "repeats an earlier item",
    ),
]


@pytest.mark.parametrize("case", CASES, ids=ids(CASES))
def test_bad_github_config_is_refused_clearly(run_stack: Callable[..., evaluator.Evaluation], case: Bad) -> None:
    assert_refused_clearly(run_stack, case)


def test_a_repository_listed_again_in_another_case_is_refused_at_its_second_spelling() -> None:
    # GitHub repository names ignore case: both entries would declare one repository's environment twice.
    repositories = ["tenantguard", "tenantguard-worker", "TenantGuard-Worker"]
    values, secret = stack_values("staging", {"repositories": json.dumps(repositories)})
    with pytest.raises(ConfigError) as refused:
        parse("staging", values, secret)
    assert refused.value.problems == [
        "tenantguard-infra:repositories (item 3 of 3) repeats an earlier item (compared case-insensitively); "
        "list each once"
    ]


def test_staging_accepts_exact_branches_and_patterns_fixing_whole_path_segments() -> None:
    branches = ["staging", "release-2026", "release/2026-q1", "release/*", "hotfix/v2/*", "team/web/**"]
    values, secret = stack_values("staging", {"deploymentBranches": json.dumps(branches)})
    assert parse("staging", values, secret).deployment_branches == tuple(branches)


def test_an_environment_named_production_in_staging_is_reported_once() -> None:
    values, secret = stack_values("staging", {"environmentName": "PRODUCTION"})
    with pytest.raises(ConfigError) as refused:
        parse("staging", values, secret)
    assert refused.value.problems == [
        "tenantguard-infra:environmentName (or the stack name it defaults to) names the production environment, "
        "in any casing; a staging stack needs an environment of its own"
    ]
