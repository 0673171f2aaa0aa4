"""The scoping table: its rows are valid, and a bad row is caught."""

from __future__ import annotations

import pytest

from infra import config, scoping


def test_the_table_names_only_known_sources_and_valid_unique_names() -> None:
    assert scoping.table_problems(frozenset(config.declared_config())) == []


@pytest.mark.parametrize(
    ("row", "says"),
    [
        (scoping.Route("CI_DB_URL", "ciDbUrll", True, False, ""), "unknown source 'ciDbUrll'"),
        (scoping.Route("GITHUB_TOKEN", "ciDbUrl", True, False, ""), "GITHUB_"),
        (scoping.Route("redis_url", "redisUrl", True, False, ""), "listed twice"),
        (scoping.Route("NOWHERE", "redisUrl", False, False, ""), "delivered nowhere"),
    ],
)
def test_a_bad_row_is_reported(monkeypatch: pytest.MonkeyPatch, row: scoping.Route, says: str) -> None:
    monkeypatch.setattr(scoping, "ROUTES", (*scoping.ROUTES, row))
    problems = scoping.table_problems(frozenset(config.declared_config()))
    assert any(says in problem for problem in problems), problems


def test_every_tier_has_vercel_targets_and_only_production_targets_production() -> None:
    assert set(scoping.VERCEL_TARGETS) == set(scoping.TIERS)
    for tier, targets in scoping.VERCEL_TARGETS.items():
        assert ("production" in targets) is (tier == "production")


def test_pulumi_yaml_declares_every_secret_as_secret() -> None:
    declared = config.declared_config()
    for route in scoping.ROUTES:
        if not route.generated:
            assert declared[route.source].get("secret") is True, route.source
    for key, spec in declared.items():
        assert spec.get("description"), key
