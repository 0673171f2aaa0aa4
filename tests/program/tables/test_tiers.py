"""The tier profiles: one per tier, production never relaxed, and the least each allows passes the policy pack."""

from __future__ import annotations

from typing import Any

import pytest

from infra.tables import type_tokens as types
from infra.tables.tiers import PROFILES, TIERS, production_claims
from tests.fakes import fake_secrets, least_config
from tests.program.policy.harness import evaluation_violations
from tools import evaluator


def test_every_tier_has_a_profile_and_only_production_targets_production() -> None:
    assert set(PROFILES) == set(TIERS)
    for tier, profile in PROFILES.items():
        assert profile.tier == tier
        assert ("production" in profile.vercel_targets) is (tier == "production")


def test_production_relaxes_nothing() -> None:
    production = PROFILES["production"]
    assert production.protect
    assert not production.admins_bypass
    assert production.approval_gate_required
    assert production.prevent_self_review
    assert production.exact_branches_only
    assert production.tls_required
    assert production.environment_name == "production"
    assert production.vercel_targets == ("production",)


@pytest.mark.parametrize("tier", TIERS)
@pytest.mark.parametrize("plan", ["team", "enterprise"])
def test_the_least_each_profile_allows_passes_the_policy_pack(
    tier: str, plan: str, production_reference: dict[str, dict[str, Any]]
) -> None:
    # On Team production is gated by the ruleset, on Enterprise by environment reviewers: the pack accepts both.
    profile = PROFILES[tier]  # type: ignore[index]
    secrets = fake_secrets(f"least-{tier}", profile.tier)
    values = {**least_config(profile, plan), **secrets}
    evaluation = evaluator.evaluate(f"least-{tier}", values, set(secrets), stack_outputs=production_reference)
    assert evaluation.of_type(types.ENVIRONMENT)
    assert evaluation_violations(evaluation) == {}


@pytest.mark.parametrize("tier", TIERS)
@pytest.mark.parametrize("plan", ["team", "enterprise"])
def test_the_program_applies_its_profile(tier: str, plan: str, production_reference: dict[str, dict[str, Any]]) -> None:
    profile = PROFILES[tier]  # type: ignore[index]
    secrets = fake_secrets(f"least-{tier}", profile.tier)
    values = {**least_config(profile, plan), **secrets}
    evaluation = evaluator.evaluate(f"least-{tier}", values, set(secrets), stack_outputs=production_reference)
    (environment,) = evaluation.named(types.ENVIRONMENT).values()
    if plan == "enterprise":  # private repositories have every protection rule only there
        assert environment["canAdminsBypass"] is profile.admins_bypass
        assert environment["preventSelfReview"] is profile.prevent_self_review
    else:
        assert (environment["canAdminsBypass"], environment["preventSelfReview"]) == (True, False)
    assert bool(evaluation.named(types.RULESET)) is (profile.approval_gate_required and plan == "team")
    protected_types = (types.ENVIRONMENT, types.BRANCH_POLICY, types.ENVIRONMENT_SECRET, types.VERCEL_VARIABLE)
    urns = [urn for token in protected_types for urn in evaluation.urns(token)]
    assert len(urns) > 3
    assert all(evaluation.options[urn].protect is profile.protect for urn in urns)
    for variable in evaluation.named(types.VERCEL_VARIABLE).values():
        assert tuple(variable["targets"]) == profile.vercel_targets


@pytest.mark.parametrize(
    ("name", "claims"),
    [
        ("production.", ("production",)),
        ("Prod-EU", ("prod",)),
        ("live_2", ("live",)),
        ("prd7", ("prd",)),
        ("ProdEU", ("prod",)),
        ("liveEU", ("live",)),
        ("ProductionEU", ("production",)),
        ("euProd", ("prod",)),
        ("PRODEu", ("prod",)),
        ("2prod", ("prod",)),
        ("eu2Live3", ("live",)),
        ("pROD", ("prod",)),
        ("PrOd-eu", ("prod",)),
        ("proD", ("prod",)),
        ("pRoduction", ("production",)),
    ],
)
def test_a_name_claims_production_by_any_of_its_words(name: str, claims: tuple[str, ...]) -> None:
    assert production_claims(name) == claims


@pytest.mark.parametrize(
    "name", ["staging", "preprod", "Preprod", "product", "products", "ProductEU", "reproduce", "staging-eu", "delivery"]
)
def test_a_name_without_a_production_word_claims_nothing(name: str) -> None:
    assert production_claims(name) == ()
