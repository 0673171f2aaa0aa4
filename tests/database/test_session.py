"""The TENANTGUARD_* limits as read from the environment: one accepted value and one refusal per rule."""

from __future__ import annotations

import re

import pytest

from tenantguard_db import session
from tenantguard_db.session import CONNECT_TIMEOUT, LIMITS, LOCK_TIMEOUT, LimitError, Limits, parse_duration
from tests.alembic_cli import ROOT


def test_the_defaults_are_accepted() -> None:
    limits = Limits.from_environment({})
    assert limits.statement_settings() == {"lock_timeout": "5s", "statement_timeout": "5min"}
    assert limits.lock_wait.text == "10min"
    assert limits.client_check_interval.milliseconds == 1000


@pytest.mark.parametrize(
    ("value", "milliseconds"), [("500ms", 500), ("5s", 5000), ("2min", 120_000), ("1h", 3_600_000)]
)
def test_durations_with_a_unit_are_accepted(value: str, milliseconds: int) -> None:
    assert parse_duration(LOCK_TIMEOUT, value).milliseconds == milliseconds


def test_an_empty_variable_means_the_default() -> None:
    # CI passes an unset repository variable as an empty string.
    limits = Limits.from_environment({LOCK_TIMEOUT.variable: " ", CONNECT_TIMEOUT.variable: ""})
    assert limits.lock_timeout.text == LOCK_TIMEOUT.default
    assert limits.connect_args("postgresql://ci@db/tg?connect_timeout=30") == {}


def test_zero_needs_no_unit() -> None:
    assert parse_duration(LOCK_TIMEOUT, "0").milliseconds == 0


@pytest.mark.parametrize(
    ("value", "says"),
    [
        ("5", "has no unit (PostgreSQL would read it as 5 ms)"),
        ("5 s", "is not a duration"),
        ("-5s", "is not a duration"),
        ("1.5s", "is not a duration"),
        ("600h", "is longer than PostgreSQL allows"),
    ],
)
def test_a_postgres_duration_is_refused_by_name(value: str, says: str) -> None:
    with pytest.raises(LimitError, match=re.escape(f"TENANTGUARD_LOCK_TIMEOUT={value!r} {says}")):
        parse_duration(LOCK_TIMEOUT, value)


@pytest.mark.parametrize(("value", "says"), [("1500ms", "whole seconds"), ("1s", "at least 2s"), ("10", "no unit")])
def test_a_connect_timeout_libpq_cannot_take_is_refused(value: str, says: str) -> None:
    with pytest.raises(LimitError, match=says):
        parse_duration(CONNECT_TIMEOUT, value)


@pytest.mark.parametrize("limit", LIMITS, ids=[limit.variable for limit in LIMITS])
def test_every_limit_refuses_a_bare_number(limit: session.Limit) -> None:
    with pytest.raises(LimitError, match=f"{limit.variable}='5' has no unit"):
        Limits.from_environment({limit.variable: "5"})


def test_the_connect_timeout_applies_by_default() -> None:
    assert Limits.from_environment({}).connect_args("postgresql://ci@db/tg") == {"connect_timeout": 10}


def test_a_connect_timeout_in_the_url_is_kept_unless_the_variable_is_set() -> None:
    url = "postgresql://ci@db/tg?sslmode=require&connect_timeout=30"
    assert Limits.from_environment({}).connect_args(url) == {}
    assert Limits.from_environment({CONNECT_TIMEOUT.variable: "5s"}).connect_args(url) == {"connect_timeout": 5}


def test_the_docs_list_every_limit_with_its_default() -> None:
    readme = (ROOT / "docs" / "explanation" / "migrations.md").read_text()
    for limit in LIMITS:
        assert f"| `{limit.variable}` | {limit.default} |" in readme


def test_every_limit_is_read_by_limits() -> None:
    # A limit added to the table but not to Limits would be documented and never applied.
    variables = {limit.variable for limit in LIMITS}
    limits = Limits.from_environment(dict.fromkeys(variables, "0"))
    assert all(value.milliseconds == 0 for value in vars(limits).values() if isinstance(value, session.Duration))
    assert len([value for value in vars(limits).values() if isinstance(value, session.Duration)]) == len(LIMITS)
