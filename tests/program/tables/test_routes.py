"""The routing table: its rows are valid, and a bad row is caught."""

from __future__ import annotations

import pytest

from infra.config.schema import declared_config
from infra.tables import routes


def test_the_table_names_only_known_sources_and_valid_unique_names() -> None:
    assert routes.table_problems(frozenset(declared_config())) == []


@pytest.mark.parametrize(
    ("row", "says"),
    [
        (routes.Route("CI_DB_URL", "ciDbUrll", True, False, ""), "unknown source 'ciDbUrll'"),
        (routes.Route("GITHUB_TOKEN", "ciDbUrl", True, False, ""), "GITHUB_"),
        (routes.Route("redis_url", "redisUrl", True, False, ""), "listed twice"),
        (routes.Route("NOWHERE", "redisUrl", False, False, ""), "delivered nowhere"),
    ],
)
def test_a_bad_row_is_reported(monkeypatch: pytest.MonkeyPatch, row: routes.Route, says: str) -> None:
    monkeypatch.setattr(routes, "ROUTES", (*routes.ROUTES, row))
    problems = routes.table_problems(frozenset(declared_config()))
    assert any(says in problem for problem in problems), problems


def test_pulumi_yaml_declares_every_secret_as_secret() -> None:
    declared = declared_config()
    for route in routes.ROUTES:
        if not route.generated:
            assert declared[route.source].get("secret") is True, route.source
    for key, spec in declared.items():
        assert spec.get("description"), key
