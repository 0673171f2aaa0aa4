"""What each GitHub plan and visibility gives an environment: the table, the decision, and the real program."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from infra.config.approval_gate import Protection, protection
from infra.tables import type_tokens as types
from infra.tables.github_plans import CAPABILITIES, PLANS, VISIBILITIES, Plan, capabilities
from infra.tables.tiers import PROFILES, TIERS
from tests.helpers import assert_no_secret
from tools import evaluator
from tools.github_listings import GitHubListings

Run = Callable[..., evaluator.Evaluation]
TEAMS = ("platform-ops", "security")
REPOSITORIES = ("tenantguard", "tenantguard-worker")


def decide(
    tier: str, plan: Plan, visibility: str, *, teams: tuple[str, ...] = TEAMS, wait: int = 0
) -> Protection | str:
    profile = PROFILES[tier]  # type: ignore[index]
    return protection(
        profile,
        plan,
        visibility,
        reviewer_teams=teams if profile.approval_gate_required else (),
        wait_timer_minutes=wait,
        prevent_self_review=True,
        branches=("main",),
    )


def test_the_table_names_every_plan_and_visibility() -> None:
    assert set(CAPABILITIES) == {(plan, visibility) for plan in PLANS for visibility in VISIBILITIES}


@pytest.mark.parametrize("plan", PLANS)
def test_public_repositories_have_everything_on_every_plan(plan: Plan) -> None:
    caps = capabilities(plan, "public")
    assert caps is not None
    assert (caps.environments, caps.protection_rules, caps.rulesets) == (True, True, True)


@pytest.mark.parametrize(
    ("plan", "environments", "protection_rules"),
    [("free", False, False), ("pro", True, False), ("team", True, False), ("enterprise", True, True)],
)
def test_private_repositories_get_protection_rules_only_on_enterprise(
    plan: Plan, environments: bool, protection_rules: bool
) -> None:
    caps = capabilities(plan, "private")
    assert caps is not None
    assert (caps.environments, caps.protection_rules) == (environments, protection_rules)


def test_internal_repositories_exist_only_on_enterprise() -> None:
    assert [plan for plan in PLANS if capabilities(plan, "internal") is not None] == ["enterprise"]


# --- the decision ---------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("tier", TIERS)
@pytest.mark.parametrize("plan", PLANS)
@pytest.mark.parametrize("visibility", VISIBILITIES)
def test_every_decision_sends_only_what_github_keeps_or_refuses_naming_the_keys(
    tier: str, plan: Plan, visibility: str
) -> None:
    decided = decide(tier, plan, visibility)
    caps = capabilities(plan, visibility)
    if isinstance(decided, str):
        assert "tenantguard-infra:githubPlan" in decided or "tenantguard-infra:repositoryVisibility" in decided
        assert caps is None or not caps.environments or (tier == "production" and plan == "pro")
        return
    assert caps is not None
    assert caps.environments
    # "Required reviewers must have at least one reviewer to set prevent_self_review" (safe-settings#628).
    assert not decided.prevent_self_review or decided.reviewers
    if not caps.protection_rules:
        # Whatever else were sent, go-github's retry would drop it: only GitHub's own values are declared.
        assert (decided.reviewers, decided.prevent_self_review, decided.wait_timer_minutes) == (False, False, 0)
        assert decided.can_admins_bypass is True
    if PROFILES[tier].approval_gate_required:  # type: ignore[index]
        assert decided.reviewers or decided.ruleset
        assert decided.ruleset is not caps.protection_rules


def test_production_on_team_with_private_repositories_is_gated_by_the_ruleset() -> None:
    decided = decide("production", "team", "private")
    assert isinstance(decided, Protection)
    assert decided.ruleset
    assert decided.gate.startswith("ruleset on main: a pull request approved by each of platform-ops, security")


def test_production_on_enterprise_keeps_its_reviewers_and_nobody_bypasses_them() -> None:
    decided = decide("production", "enterprise", "private", wait=5)
    assert decided == Protection(
        reviewers=True,
        prevent_self_review=True,
        wait_timer_minutes=5,
        can_admins_bypass=False,
        ruleset=False,
        gate="environment reviewers: platform-ops, security; self-review blocked; wait timer 5 min; "
        "admins cannot bypass",
    )


@pytest.mark.parametrize(
    ("case", "says"),
    [
        (("production", "team", "private", 5, TEAMS), "waitTimerMinutes is 5, but GitHub has no wait timers"),
        (("staging", "pro", "private", 1, ()), "waitTimerMinutes is 1, but GitHub has no wait timers"),
        (
            ("staging", "team", "private", 0, ("qa",)),
            "reviewerTeams names teams, but GitHub has no environment reviewers",
        ),
        (("preview", "free", "private", 0, ()), "GitHub gives private repositories on free no environments"),
        (("production", "free", "private", 0, TEAMS), "a paid plan"),
        (("staging", "team", "internal", 0, ()), "internal repositories exist only in organizations on Enterprise"),
        (("production", "pro", "private", 0, TEAMS), "a personal account (pro) has no teams"),
        (("production", "pro", "public", 0, TEAMS), "a personal account (pro) has no teams"),
        (("staging", "pro", "public", 0, ("qa",)), "takes no reviewer teams there"),
    ],
)
def test_what_the_plan_cannot_give_is_refused_never_dropped(
    case: tuple[str, Plan, str, int, tuple[str, ...]], says: str
) -> None:
    tier, plan, visibility, wait, teams = case
    decided = protection(
        PROFILES[tier],  # type: ignore[index]
        plan,
        visibility,
        reviewer_teams=teams,
        wait_timer_minutes=wait,
        prevent_self_review=True,
        branches=("main",),
    )
    assert isinstance(decided, str)
    assert says in decided


# --- the real program -----------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("overrides", "says"),
    [
        (
            {"githubPlan": "free"},
            "tenantguard-infra:githubPlan is free and tenantguard-infra:repositoryVisibility private (tenantguard, "
            "tenantguard-worker): GitHub gives private repositories on free no environments",
        ),
        ({"githubPlan": "gold"}, "tenantguard-infra:githubPlan must be one of free, pro, team, enterprise"),
        ({"githubPlan": None}, "tenantguard-infra:githubPlan is required"),
        ({"repositoryVisibility": "secret"}, "tenantguard-infra:repositoryVisibility must be one of public, private"),
        ({"waitTimerMinutes": "5"}, "tenantguard-infra:waitTimerMinutes is 5, but GitHub has no wait timers"),
    ],
)
def test_a_stack_the_plan_cannot_serve_registers_nothing(
    run_stack: Run, overrides: dict[str, str | None], says: str
) -> None:
    with pytest.raises(evaluator.ProgramFailedError) as failure:
        run_stack("production", overrides)
    assert says in str(failure.value)
    assert failure.value.resources == {}
    assert_no_secret("production", [str(failure.value)])


@pytest.mark.parametrize(("plan", "visibility"), [("team", "public"), ("enterprise", "private"), ("free", "public")])
def test_where_reviewers_exist_production_keeps_them_and_needs_no_ruleset(
    run_stack: Run, plan: str, visibility: str
) -> None:
    listings = GitHubListings(visibility=dict.fromkeys(REPOSITORIES, visibility))
    evaluation = run_stack(
        "production", {"githubPlan": plan, "repositoryVisibility": visibility}, github_secrets=listings
    )
    for environment in evaluation.named(types.ENVIRONMENT).values():
        assert environment["reviewers"]
        assert (environment["preventSelfReview"], environment["canAdminsBypass"]) == (True, False)
    assert evaluation.named(types.RULESET) == {}
    assert set(evaluation.outputs["approvalGates"]) == set(REPOSITORIES)
    assert all(gate.startswith("environment reviewers: ") for gate in evaluation.outputs["approvalGates"].values())


@pytest.mark.parametrize("stack", ["preview", "staging"])
def test_no_tier_without_reviewers_asks_to_block_self_review(run_stack: Run, stack: str) -> None:
    for plan, visibility in (("team", "private"), ("team", "public"), ("enterprise", "private")):
        listings = GitHubListings(visibility=dict.fromkeys(REPOSITORIES, visibility))
        evaluation = run_stack(stack, {"githubPlan": plan, "repositoryVisibility": visibility}, github_secrets=listings)
        for environment in evaluation.named(types.ENVIRONMENT).values():
            assert environment["preventSelfReview"] is False
            assert not environment.get("reviewers")


def test_the_stack_outputs_say_which_gate_each_repository_has(evaluated: dict[str, evaluator.Evaluation]) -> None:
    gates = evaluated["production"].outputs["approvalGates"]
    assert set(gates) == set(REPOSITORIES)
    assert all(gate.startswith("ruleset on main: ") for gate in gates.values())
