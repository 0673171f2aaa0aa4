"""Fixtures: a real PostgreSQL server for the session, a fresh database per test."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tenantguard_db.local_postgres import LocalPostgres


@pytest.fixture(scope="session")
def postgres() -> Iterator[LocalPostgres]:
    """A real PostgreSQL server for the whole session, on a free loopback port."""
    with LocalPostgres() as server:
        yield server


@pytest.fixture
def database(postgres: LocalPostgres, request: pytest.FixtureRequest) -> str:
    """A new empty database for one test, by URL."""
    name = "t_" + request.node.name.lower().translate(str.maketrans("[]-.", "____"))[:50]
    return postgres.create_database(name)
