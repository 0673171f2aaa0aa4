"""Alembic against a real PostgreSQL started by a fixture: upgrades, downgrades, failures, concurrency."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy.pool import NullPool

from alembic import command
from tenantguard_db import migrate
from tenantguard_db.local_postgres import LocalPostgres
from tenantguard_db.models import Base
from tenantguard_db.urls import sqlalchemy_url
from tests.alembic_cli import ROOT, alembic_cli, alembic_in_process, migrations_with

ALEMBIC = [sys.executable, "-m", "alembic"]
REVISIONS = ["0001", "0002", "0003"]


def tables(url: str) -> set[str]:
    engine = sa.create_engine(sqlalchemy_url(url), poolclass=NullPool)
    try:
        return set(sa.inspect(engine).get_table_names())
    finally:
        engine.dispose()


def version_rows(url: str) -> list[str]:
    engine = sa.create_engine(sqlalchemy_url(url), poolclass=NullPool)
    try:
        with engine.connect() as connection:
            return list(connection.execute(sa.text("SELECT version_num FROM alembic_version")).scalars())
    finally:
        engine.dispose()


def test_the_script_directory_has_one_head_and_a_linear_history() -> None:
    script = ScriptDirectory.from_config(migrate.alembic_config())
    assert script.get_heads() == ["0003"]
    assert [rev.revision for rev in reversed(list(script.walk_revisions()))] == REVISIONS
    assert migrate.head_revision() == "0003"


def test_upgrade_from_empty_with_the_work_order_command(database: str) -> None:
    result = alembic_cli("upgrade", "head", url=database)
    assert result.returncode == 0, result.stderr
    assert {"tenants", "users", "audit_events", "alembic_version"} <= tables(database)
    assert version_rows(database) == ["0003"]


def test_upgrade_at_head_does_nothing(database: str) -> None:
    assert migrate.upgrade(database, "head") == "0003"
    result = alembic_in_process("upgrade", "head", url=database)
    assert result.returncode == 0
    assert "already at head 0003" in result.stderr  # the run's log lines are here
    assert "Running upgrade" not in result.stderr
    assert version_rows(database) == ["0003"]


def test_upgrade_from_an_intermediate_revision(database: str) -> None:
    assert migrate.upgrade(database, "0001") == "0001"
    assert "users" not in tables(database)
    result = alembic_in_process("upgrade", "head", url=database)
    assert "Running upgrade 0001 -> 0002" in result.stderr
    assert version_rows(database) == ["0003"]


def test_downgrade_to_base_and_back(database: str) -> None:
    config = migrate.alembic_config(database)
    command.upgrade(config, "head")
    for target, remaining in (("0002", {"users"}), ("0001", {"tenants"}), ("base", set())):
        command.downgrade(config, target)
        assert tables(database) - {"alembic_version"} >= remaining
        assert "audit_events" not in tables(database)
    assert tables(database) - {"alembic_version"} == set()
    command.upgrade(config, "head")
    assert migrate.current_revision(database) == "0003"


def test_models_match_the_migrated_schema(database: str) -> None:
    migrate.upgrade(database, "head")
    engine = sa.create_engine(sqlalchemy_url(database), poolclass=NullPool)
    try:
        with engine.connect() as connection:
            differences = compare_metadata(MigrationContext.configure(connection), Base.metadata)
    finally:
        engine.dispose()
    assert differences == []


def test_email_is_unique_per_tenant_not_globally(database: str) -> None:
    migrate.upgrade(database, "head")
    engine = sa.create_engine(sqlalchemy_url(database), poolclass=NullPool)
    try:
        with engine.begin() as connection:
            connection.execute(sa.text("INSERT INTO tenants (slug, name) VALUES ('a', 'A'), ('b', 'B')"))
            connection.execute(
                sa.text("INSERT INTO users (tenant_id, email) SELECT id, 'ops@example.com' FROM tenants")
            )
        with pytest.raises(sa.exc.IntegrityError), engine.begin() as connection:
            connection.execute(sa.text("INSERT INTO users (tenant_id, email) SELECT 1, 'ops@example.com'"))
    finally:
        engine.dispose()


@pytest.fixture
def failing_revision(tmp_path: Path) -> Path:
    """A copy of the migrations with a fourth revision that fails after doing some work."""
    return migrations_with(
        tmp_path,
        """
op.add_column("tenants", sa.Column("plan", sa.Text()))
op.execute("SELECT 1 / 0")
""",
    )


def test_a_failing_revision_leaves_the_last_good_revision(database: str, failing_revision: Path) -> None:
    result = alembic_in_process("upgrade", "head", url=database, cwd=failing_revision)
    assert result.returncode != 0
    assert "division by zero" in result.stdout + result.stderr
    assert version_rows(database) == ["0003"]
    engine = sa.create_engine(sqlalchemy_url(database), poolclass=NullPool)
    try:
        columns = {column["name"] for column in sa.inspect(engine).get_columns("tenants")}
    finally:
        engine.dispose()
    assert "plan" not in columns


def test_two_concurrent_upgrades_serialize_on_the_lock(database: str) -> None:
    environment = {**os.environ, "CI_DB_URL": database}
    runners = [
        subprocess.Popen(
            [*ALEMBIC, "upgrade", "head"], cwd=ROOT, env=environment, stdout=subprocess.PIPE, stderr=subprocess.PIPE
        )
        for _ in range(2)
    ]
    outputs = [runner.communicate(timeout=120) for runner in runners]
    assert [runner.returncode for runner in runners] == [0, 0], outputs
    assert version_rows(database) == ["0003"]
    # Exactly one of them did the work; the other found the database at head.
    assert sum(b"Running upgrade  -> 0001" in err for _, err in outputs) == 1


@pytest.mark.slow
def test_wrong_password_fails_without_showing_it(postgres: LocalPostgres) -> None:
    wrong = "WrongPw5uY8"
    result = alembic_cli("upgrade", "head", url=postgres.url(password=wrong))
    assert result.returncode != 0
    assert "password authentication failed" in result.stdout + result.stderr
    assert wrong not in result.stdout + result.stderr
    assert postgres.password not in result.stdout + result.stderr


@pytest.mark.slow
def test_no_url_says_which_variables_are_read() -> None:
    result = alembic_cli("upgrade", "head")
    assert result.returncode != 0
    assert "set CI_DB_URL (or DATABASE_URL)" in result.stdout + result.stderr
    assert "Traceback" not in result.stdout + result.stderr


def test_database_url_is_the_fallback(database: str) -> None:
    result = alembic_in_process("upgrade", "head", DATABASE_URL=database)
    assert result.returncode == 0, result.stderr
    assert version_rows(database) == ["0003"]


def test_bad_timeout_setting_is_refused_by_name(database: str) -> None:
    result = alembic_in_process("upgrade", "head", url=database, TENANTGUARD_LOCK_TIMEOUT="forever")
    assert result.returncode != 0
    assert "TENANTGUARD_LOCK_TIMEOUT='forever' is not a duration" in result.stdout + result.stderr
    assert "alembic_version" not in tables(database)


def test_timeout_overrides_reach_the_migration(database: str) -> None:
    result = alembic_in_process("upgrade", "head", url=database, TENANTGUARD_STATEMENT_TIMEOUT="2min")
    assert result.returncode == 0, result.stderr
    sql = alembic_in_process("upgrade", "head", "--sql", TENANTGUARD_LOCK_TIMEOUT="1234ms").stdout
    assert "SET lock_timeout = '1234ms'" in sql


def test_a_statement_over_the_timeout_is_cancelled_and_rolled_back(database: str, tmp_path: Path) -> None:
    slow_revision = migrations_with(tmp_path, 'op.execute("SELECT pg_sleep(5)")')
    result = alembic_in_process(
        "upgrade", "head", url=database, cwd=slow_revision, TENANTGUARD_STATEMENT_TIMEOUT="200ms"
    )
    assert result.returncode != 0
    assert "statement timeout" in result.stdout + result.stderr
    assert "ran longer than 200ms (TENANTGUARD_STATEMENT_TIMEOUT)" in result.stdout + result.stderr
    assert version_rows(database) == ["0003"]


def test_offline_sql_needs_no_database() -> None:
    result = alembic_in_process("upgrade", "head", "--sql")
    assert result.returncode == 0, result.stderr
    assert "SET statement_timeout = '5min';" in result.stdout
    assert result.stdout.count("BEGIN;") == len(REVISIONS)
    assert "CREATE TABLE audit_events" in result.stdout
