"""Fixtures: a real PostgreSQL server for the session, a fresh database per test."""

from __future__ import annotations

import hashlib
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
    # PostgreSQL cuts names at 63 bytes: a short hash of the whole test id keeps parametrized cases apart.
    readable = request.node.name.lower().translate(str.maketrans("[]-.", "____"))[:40]
    name = f"t_{readable}_{hashlib.sha256(request.node.nodeid.encode()).hexdigest()[:8]}"
    return postgres.create_database(name)
