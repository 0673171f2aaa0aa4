"""Every GitHub request the stacks imply, for each plan, visibility and tier, against the rules GitHub applies."""

from __future__ import annotations

import json
from collections.abc import Callable

import pytest

from infra.config.approval_gate import protection
from infra.tables.github_plans import PLANS, VISIBILITIES, Plan, capabilities
from infra.tables.tiers import PROFILES, TIERS
from tests.fakes import fake_secrets, least_config
from tools import evaluator, github_requests
from tools.github_listings import GitHubListings

Run = Callable[..., evaluator.Evaluation]
REPOSITORIES = ("tenantguard", "tenantguard-worker")
TEAM_PRIVATE = capabilities("team", "private")
ENTERPRISE = capabilities("enterprise", "private")


def evaluate(
    tier: str, plan: Plan, visibility: str, production_reference: dict[str, dict[str, object]]
) -> evaluator.Evaluation:
    profile = PROFILES[tier]  # type: ignore[index]
    stack = f"least-{tier}"
    secrets = fake_secrets(stack, profile.tier)
    values = {**least_config(profile, plan), "repositoryVisibility": visibility, **secrets}
    values["repositories"] = json.dumps(list(REPOSITORIES))
    listings = GitHubListings(visibility=dict.fromkeys(REPOSITORIES, visibility))
    return evaluator.evaluate(stack, values, set(secrets), stack_outputs=production_reference, github_secrets=listings)


def refused(tier: str, plan: Plan, visibility: str) -> bool:
    """Whether the least configuration of the tier is refused for this plan and visibility."""
    profile = PROFILES[tier]  # type: ignore[index]
    decided = protection(
        profile,
        plan,
        visibility,
        reviewer_teams=("ops",) if profile.approval_gate_required else (),
        wait_timer_minutes=0,
        prevent_self_review=True,
        branches=("main",),
    )
    return isinstance(decided, str)


@pytest.mark.slow
@pytest.mark.parametrize("tier", TIERS)
@pytest.mark.parametrize("plan", PLANS)
@pytest.mark.parametrize("visibility", VISIBILITIES)
def test_every_request_is_one_github_accepts_and_acts_on_or_the_stack_is_refused(
    tier: str, plan: Plan, visibility: str, production_reference: dict[str, dict[str, object]]
) -> None:
    caps = capabilities(plan, visibility)
    if not refused(tier, plan, visibility):
        evaluation = evaluate(tier, plan, visibility, production_reference)
        assert github_requests.violations(evaluation, caps, organization=plan != "pro") == []
        return
    # Refused before any resource, naming what to change: never a request GitHub would refuse or ignore.
    assert caps is None or not caps.environments or (tier == "production" and plan == "pro")
    with pytest.raises(evaluator.ProgramFailedError) as failure:
        evaluate(tier, plan, visibility, production_reference)
    assert failure.value.resources == {}
    assert "tenantguard-infra:githubPlan" in str(failure.value)


def body(**fields: object) -> dict[str, object]:
    return {"wait_timer": 0, "reviewers": None, "can_admins_bypass": True, "prevent_self_review": False} | fields


@pytest.mark.parametrize(
    ("sent", "caps", "retried", "rule"),
    [
        (body(prevent_self_review=True), ENTERPRISE, True, github_requests.PREVENT_SELF_REVIEW_NEEDS_REVIEWERS),
        (body(reviewers=[{"type": "Team", "id": 1}]), TEAM_PRIVATE, True, github_requests.NO_PROTECTION_RULES),
        (body(wait_timer=5), TEAM_PRIVATE, True, github_requests.NO_PROTECTION_RULES),
        (body(can_admins_bypass=False), TEAM_PRIVATE, True, github_requests.DROPPED_SILENTLY),
        (body(), TEAM_PRIVATE, False, github_requests.NO_PROTECTION_RULES),
        (body(), capabilities("free", "private"), True, github_requests.NO_ENVIRONMENTS),
        (
            body(reviewers=[{"type": "Team", "id": i} for i in range(7)]),
            ENTERPRISE,
            True,
            github_requests.TOO_MANY_REVIEWERS,
        ),
    ],
    ids=["self-review", "reviewers", "wait-timer", "bypass-dropped", "by-hand", "free-private", "seven-reviewers"],
)
def test_each_rule_catches_what_github_would_refuse_or_ignore(
    sent: dict[str, object], caps: object, retried: bool, rule: github_requests.Rule
) -> None:
    assert rule in github_requests.environment_violations(sent, caps, retried=retried)  # type: ignore[arg-type]


def test_a_body_github_accepts_breaks_no_rule() -> None:
    assert github_requests.environment_violations(body(), TEAM_PRIVATE, retried=True) == []
    assert github_requests.environment_violations({"deployment_branch_policy": None}, TEAM_PRIVATE, retried=False) == []
    reviewed = body(reviewers=[{"type": "Team", "id": 1}], prevent_self_review=True, can_admins_bypass=False)
    assert github_requests.environment_violations(reviewed, ENTERPRISE, retried=True) == []


# --- what the runs cost ---------------------------------------------------------------------------------------------


def existing(run_stack: Run, stack: str, overrides: dict[str, str] | None = None) -> evaluator.Evaluation:
    """The stack as a later run sees it: its environment exists (so its secrets are listed too)."""
    listings = GitHubListings(environments={repository: {stack: []} for repository in REPOSITORIES})
    return run_stack(stack, overrides, github_secrets=listings)


@pytest.mark.parametrize("stack", ["preview", "staging", "production"])
def test_runs_of_an_unchanged_stack_only_read(run_stack: Run, stack: str) -> None:
    evaluation = existing(run_stack, stack)
    assert github_requests.preview(evaluation).writes == 0
    assert github_requests.refreshing_preview(evaluation).writes == 0
    # Each managed resource is read once more by a refresh.
    managed = [urn for urn in evaluation.resources if evaluator.resource_type(urn) in github_requests.COSTS]
    extra = github_requests.refreshing_preview(evaluation).reads - github_requests.preview(evaluation).reads
    assert extra == len(managed)


def test_an_extra_secret_costs_one_read_per_repository_on_refresh_and_one_write_on_creation(run_stack: Run) -> None:
    one = existing(run_stack, "staging")
    secrets = json.loads(fake_secrets("staging")["extraSecrets"])
    two = existing(run_stack, "staging", {"extraSecrets": json.dumps({**secrets, "ANTHROPIC_API_KEY": "sk-ant-x1"})})
    repositories = len(REPOSITORIES)
    refresh = github_requests.refreshing_preview(two).reads - github_requests.refreshing_preview(one).reads
    assert refresh == repositories
    assert TEAM_PRIVATE is not None
    created = github_requests.first_up(two, TEAM_PRIVATE)
    before = github_requests.first_up(one, TEAM_PRIVATE)
    assert (created.reads - before.reads, created.writes - before.writes) == (3 * repositories, repositories)


def test_on_team_with_private_repositories_each_environment_is_written_twice_on_creation(
    evaluated: dict[str, evaluator.Evaluation],
) -> None:
    evaluation = evaluated["production"]
    assert TEAM_PRIVATE is not None
    assert ENTERPRISE is not None
    team = github_requests.first_up(evaluation, TEAM_PRIVATE)
    enterprise = github_requests.first_up(evaluation, ENTERPRISE)
    assert team.writes - enterprise.writes == len(REPOSITORIES)
