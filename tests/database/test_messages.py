"""What the alembic CLI tells an operator: which variable did what, once per error, in the command's own words.

The command runs in this process (tests/alembic_cli.py: alembic_in_process) where the words are what is
tested, and as its own process where the printing is: each error once.
"""

from __future__ import annotations

import subprocess
from collections.abc import Iterator
from contextlib import contextmanager

import pytest
import sqlalchemy as sa

from tenantguard_db import migrate
from tenantguard_db.local_postgres import LocalPostgres
from tenantguard_db.urls import mask_url
from tests.alembic_cli import alembic_cli, alembic_in_process
from tests.database.probes import session, take_migration_lock

# One PostgreSQL setting and the libpq one here; test_session.py refuses a bare number for every limit.
DURATIONS = ["TENANTGUARD_LOCK_TIMEOUT", "TENANTGUARD_CONNECT_TIMEOUT"]


def output(result: subprocess.CompletedProcess[str]) -> str:
    return result.stdout + result.stderr


def test_a_held_migration_lock_says_who_holds_it_and_how_long_it_waited(database: str) -> None:
    with session(database) as other_runner:
        assert take_migration_lock(other_runner)
        holder = other_runner.execute(sa.text("SELECT pg_backend_pid()")).scalar()
        result = alembic_in_process("upgrade", "head", url=database, TENANTGUARD_MIGRATION_LOCK_WAIT="1s")
    assert result.returncode != 0
    assert "another migration holds the migration lock" in output(result)
    assert f"backend pid {holder}" in output(result)
    assert "gave up after 1s (TENANTGUARD_MIGRATION_LOCK_WAIT)" in output(result)
    assert migrate.current_revision(database) is None


@contextmanager
def table_locked(url: str, table: str) -> Iterator[None]:
    with session(url) as connection:
        connection.execute(sa.text("BEGIN"))
        connection.execute(sa.text(f"LOCK TABLE {table} IN ACCESS EXCLUSIVE MODE"))
        try:
            yield
        finally:
            connection.execute(sa.text("ROLLBACK"))


def test_a_table_lock_wait_that_times_out_names_its_variable(database: str) -> None:
    migrate.upgrade(database, "0001")
    with table_locked(database, "tenants"):
        result = alembic_in_process("upgrade", "head", url=database, TENANTGUARD_LOCK_TIMEOUT="300ms")
    assert result.returncode != 0
    assert "waited 300ms (TENANTGUARD_LOCK_TIMEOUT) for a lock another session holds" in output(result)
    assert migrate.current_revision(database) == "0001"


@pytest.mark.parametrize("variable", DURATIONS)
def test_a_duration_without_a_unit_is_refused(database: str, variable: str) -> None:
    result = alembic_in_process("upgrade", "head", url=database, variables={variable: "5"})
    assert result.returncode != 0
    assert f"{variable}='5' has no unit" in output(result)
    assert migrate.current_revision(database) is None


def test_a_duration_postgresql_cannot_hold_is_refused(database: str) -> None:
    result = alembic_in_process("upgrade", "head", url=database, TENANTGUARD_STATEMENT_TIMEOUT="1000h")
    assert result.returncode != 0
    assert "TENANTGUARD_STATEMENT_TIMEOUT='1000h' is longer than PostgreSQL allows" in output(result)


def test_the_run_says_which_variable_the_url_came_from_masked(postgres: LocalPostgres) -> None:
    url = postgres.create_database("named_source")
    result = alembic_in_process("upgrade", "head", DATABASE_URL=url)
    assert result.returncode == 0, result.stderr
    assert f"{mask_url(url)} (from DATABASE_URL)" in result.stderr
    assert postgres.password not in output(result)


def test_a_connection_error_names_the_variable_and_the_masked_url(postgres: LocalPostgres) -> None:
    url = postgres.url(password="WrongPw5uY8")
    result = alembic_in_process("upgrade", "head", url=url)
    assert result.returncode != 0
    assert f"cannot connect to {mask_url(url)} (from CI_DB_URL)" in output(result)
    assert "WrongPw5uY8" not in output(result)


def test_a_no_op_upgrade_says_the_database_is_already_at_head(database: str) -> None:
    migrate.upgrade(database, "head")
    result = alembic_in_process("upgrade", "head", url=database)
    assert result.returncode == 0, result.stderr
    assert "already at head 0003" in result.stderr


def test_an_upgrade_that_ran_does_not_say_it_was_at_head(database: str) -> None:
    result = alembic_in_process("upgrade", "head", url=database)
    assert result.returncode == 0, result.stderr
    assert "already at head" not in result.stderr


@pytest.mark.slow
@pytest.mark.parametrize(
    ("env", "says"),
    [
        ({}, "no database URL"),
        ({"CI_DB_URL": "postgresql://ci:FakeWrongPw5uY8@127.0.0.1:1/tenantguard"}, "cannot connect to"),
        ({"TENANTGUARD_LOCK_TIMEOUT": "soon"}, "is not a duration"),
    ],
    ids=["no-url", "unreachable", "bad-duration"],
)
def test_each_error_is_printed_once(env: dict[str, str], says: str) -> None:
    result = alembic_cli("upgrade", "head", variables=env)
    assert result.returncode != 0
    assert output(result).count(says) == 1, output(result)


def test_a_failing_read_only_command_does_not_say_migration_failed() -> None:
    result = alembic_in_process("current", url="postgresql://ci@127.0.0.1:1/tenantguard")
    assert result.returncode != 0
    assert "cannot connect to" in output(result)
    assert "migration failed" not in output(result)


def test_a_password_in_the_url_query_is_refused_and_never_shown(postgres: LocalPostgres) -> None:
    # libpq reads password= from the query too, where displays and the guard would not see it: refused.
    database = postgres.create_database("query_password")
    url = (
        f"postgresql://tenantguard@127.0.0.1:{postgres.port}/{database.rsplit('/', 1)[1]}?password={postgres.password}"
    )
    refused = alembic_in_process("upgrade", "head", url=url)
    assert refused.returncode != 0
    assert "CI_DB_URL carries a password in the query string" in output(refused)
    assert postgres.password not in output(refused)
    assert migrate.current_revision(postgres.url(database.rsplit("/", 1)[1])) is None  # nothing ran


@pytest.mark.parametrize(
    "spelling",
    [
        "postgresql://ci:{p}@x@127.0.0.1:1/tg",
        "postgresql://ci:{p}@h1,h2/tg",
        "postgresql://ci:{p}@127.0.0.1/tg?host=h",
        "postgresql://ci%3A{p}@127.0.0.1:1/tenantguard",
        "postgresql://ci:{p}@127.0.0.1:1/tg?sslmode={p}",
    ],
    ids=["raw-at", "several-hosts", "host-in-query", "password-in-user-name", "password-as-sslmode"],
)
def test_a_url_the_driver_would_read_otherwise_is_refused_before_connecting(spelling: str) -> None:
    fake = "FakePw-Rq72"
    result = alembic_in_process("upgrade", "head", url=spelling.format(p=fake))
    assert result.returncode != 0
    assert "CI_DB_URL " in output(result)
    assert "Rq72" not in output(result)
    assert "cannot connect" not in output(result)


def test_the_database_line_hides_a_database_named_like_the_password() -> None:
    fake = "FakePw-Rq72"
    result = alembic_in_process("upgrade", "head", url=f"postgresql://ci:{fake}@127.0.0.1:1/{fake}")
    assert "Database: postgresql://ci:***@127.0.0.1:1/*** (from CI_DB_URL)" in output(result)
    assert "Rq72" not in output(result)


def test_an_unreachable_database_says_where_the_migration_must_run_from(postgres: LocalPostgres) -> None:
    closed = postgres.url("tenantguard_ci").replace(f":{postgres.port}/", ":1/")
    with pytest.raises(migrate.UnreachableDatabaseError) as failure:
        migrate.upgrade(closed, "head")
    assert "INFRA_RUNNERS" in str(failure.value)
    assert "pulumi config set --stack <stack> runMigrations false" in str(failure.value)
    assert postgres.password not in str(failure.value)
