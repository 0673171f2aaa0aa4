"""DatabaseMigration's dynamic provider, called directly against a real PostgreSQL."""

from __future__ import annotations

from typing import Any

import pytest

from alembic import command
from infra.migration import AlembicProvider
from tenantguard_db import migrate
from tenantguard_db.local_postgres import LocalPostgres


def created(database: str, revision: str) -> dict[str, Any]:
    outs = AlembicProvider().create({"database_url": database, "revision": revision}).outs
    assert outs is not None
    return outs


def test_create_upgrades_and_records_the_applied_revision(database: str) -> None:
    assert created(database, "0002")["applied_revision"] == "0002"
    assert migrate.current_revision(database) == "0002"


def test_diff_reports_a_changed_target_revision() -> None:
    provider = AlembicProvider()
    olds = {"database_url": "postgresql://a@h/d", "revision": "0002"}
    assert provider.diff("id", olds, {**olds, "revision": "0003"}).changes is True
    assert provider.diff("id", olds, dict(olds)).changes is False
    assert provider.diff("id", olds, {**olds, "revision": "0003"}).replaces == []


def test_diff_reports_a_moved_database_so_the_new_one_is_migrated() -> None:
    # CI_DB_URL pointed at a new server (a restore, a copy): same revision, but the new database needs it.
    provider = AlembicProvider()
    olds = {"database_url": "postgresql://a@old.internal/d", "revision": "0002"}
    moved = provider.diff("id", olds, {**olds, "database_url": "postgresql://a@new.internal/d"})
    assert moved.changes is True
    assert moved.replaces == []  # an update: delete must never run against either database


def test_update_upgrades_to_the_new_target(database: str) -> None:
    provider = AlembicProvider()
    olds = created(database, "0001")
    result = provider.update("alembic_version", olds, {"database_url": database, "revision": "0003"})
    assert result.outs is not None
    assert result.outs["applied_revision"] == "0003"


def test_read_returns_the_live_revision_so_refresh_shows_drift(database: str) -> None:
    provider = AlembicProvider()
    outs = created(database, "0003")
    command.downgrade(migrate.alembic_config(database), "0001")
    read = provider.read("alembic_version", outs)
    assert read.outs is not None
    assert read.outs["revision"] == "0001"
    assert read.outs["applied_revision"] == "0001"


def test_delete_never_downgrades(database: str) -> None:
    provider = AlembicProvider()
    outs = created(database, "0003")
    provider.delete("alembic_version", outs)
    assert migrate.current_revision(database) == "0003"


def test_failure_surfaces_with_the_password_masked(postgres: LocalPostgres) -> None:
    wrong = "WrongPw5uY8"
    with pytest.raises(migrate.MigrationError) as failure:
        AlembicProvider().create({"database_url": postgres.url(password=wrong), "revision": "0003"})
    assert "password authentication failed" in str(failure.value)
    assert wrong not in str(failure.value)
