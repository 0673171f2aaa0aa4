"""pytest-alembic's built-in checks (single head, upgrade, models match DDL, up/down consistency)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
import sqlalchemy as sa
from pytest_alembic.tests import (  # noqa: F401 - collected by pytest from here
    test_model_definitions_match_ddl,
    test_single_head_revision,
    test_up_down_consistency,
    test_upgrade,
)
from sqlalchemy.pool import NullPool

from tenantguard_db import migrate
from tenantguard_db.local_postgres import LocalPostgres
from tenantguard_db.urls import sqlalchemy_url


@pytest.fixture
def alembic_config() -> dict[str, Any]:
    return {"file": str(migrate.ALEMBIC_INI)}


@pytest.fixture
def alembic_engine(postgres: LocalPostgres, request: pytest.FixtureRequest) -> Iterator[sa.Engine]:
    name = "pa_" + request.node.name.lower()[:50]
    engine = sa.create_engine(sqlalchemy_url(postgres.create_database(name)), poolclass=NullPool)
    yield engine
    engine.dispose()
