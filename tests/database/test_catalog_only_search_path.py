"""What the migrator group (CI_DB_URL) may plant in schema public never runs as another role: the administrative
login the provider uses (its search_path pinned by tools/pg_env.py before each deploy), the observer the drift check
uses (pinned by the privilege table), and nobody else may create there at all (PUBLIC's CREATE revoked)."""

from __future__ import annotations

import psycopg
import pytest
from psycopg import errors, sql

from infra.tables.database_roles import APP, MIGRATOR, OBSERVER
from tenantguard_db import migrate
from tenantguard_db.local_postgres import USER, LocalPostgres
from tests.database.generated_roles import GeneratedStack
from tools import pg_env

# A trojan aggregate as an attacker holding CI_DB_URL would plant it: an exact match for the provider's unqualified
# `array_agg(privilege_type)` (text), beating pg_catalog's polymorphic one, that records who ran it.
TRAP = """
CREATE TABLE public.ran_as (who text);
GRANT INSERT ON public.ran_as TO PUBLIC;
CREATE FUNCTION public.trap(state text[], value text) RETURNS text[] LANGUAGE plpgsql AS $$
BEGIN
  INSERT INTO public.ran_as VALUES (current_user);
  RETURN pg_catalog.array_append(state, value);
END $$;
GRANT EXECUTE ON FUNCTION public.trap(text[], text) TO PUBLIC;
CREATE AGGREGATE public.array_agg(text) (SFUNC = public.trap, STYPE = text[]);
"""
# The provider's grant read, as resource_postgresql_grant.go sends it (readDatabaseRolePrivileges).
PROVIDER_READ = (
    "SELECT array_agg(privilege_type) FROM (SELECT (aclexplode(datacl)).* FROM pg_database "
    "WHERE datname = current_database()) AS privileges"
)


@pytest.fixture
def trapped(postgres: LocalPostgres) -> GeneratedStack:
    stack = GeneratedStack.make(postgres)
    migrate.upgrade(stack.url(stack.handed_out(MIGRATOR)), migrate.head_revision())
    with stack.connect(stack.handed_out(MIGRATOR)) as migrator:
        migrator.execute(TRAP)
    return stack


def superuser_url(stack: GeneratedStack) -> str:
    """A self-hosted server's administrator: a superuser, whom no privilege check stops from resolving public's."""
    return stack.postgres.url(stack.roles.database)


def ran_as(stack: GeneratedStack) -> list[str]:
    with psycopg.connect(superuser_url(stack), autocommit=True) as superuser:
        return [str(row[0]) for row in superuser.execute("SELECT who FROM public.ran_as").fetchall()]


def provider_read(url: str) -> None:
    with psycopg.connect(url, autocommit=True) as admin:
        admin.execute(PROVIDER_READ)


def test_without_the_pin_a_superuser_administrator_runs_what_the_migrator_planted(trapped: GeneratedStack) -> None:
    # The hazard itself, so the next test cannot pass for another reason.
    provider_read(superuser_url(trapped))
    assert set(ran_as(trapped)) == {USER}  # once per row it aggregated


@pytest.mark.parametrize("administrator", ["superuser", "CREATEDB CREATEROLE owner of the database"])
def test_once_pinned_the_administrator_resolves_the_catalog_s_aggregate(
    trapped: GeneratedStack, administrator: str
) -> None:
    url = superuser_url(trapped) if administrator == "superuser" else trapped.admin_url()
    assert pg_env.pin_search_path(url) is None
    provider_read(url)
    with psycopg.connect(url, autocommit=True) as admin:
        assert admin.execute("SHOW search_path").fetchone() == ("pg_catalog, pg_temp",)
    assert ran_as(trapped) == []
    # Idempotent: every deploy runs it.
    assert pg_env.pin_search_path(url) is None


def test_a_database_setting_does_not_outrank_the_pin(trapped: GeneratedStack) -> None:
    assert pg_env.pin_search_path(trapped.admin_url()) is None
    with psycopg.connect(superuser_url(trapped), autocommit=True) as superuser:
        superuser.execute(
            sql.SQL("ALTER DATABASE {} SET search_path TO public").format(sql.Identifier(trapped.roles.database))
        )
    with psycopg.connect(trapped.admin_url(), autocommit=True) as admin:
        assert admin.execute("SHOW search_path").fetchone() == ("pg_catalog, pg_temp",)


def test_the_observer_resolves_the_catalog_s_aggregate(trapped: GeneratedStack) -> None:
    with trapped.connect(trapped.login(OBSERVER)) as observer:
        assert observer.execute("SHOW search_path").fetchone() == ("pg_catalog, pg_temp",)
        observer.execute(PROVIDER_READ)
    assert ran_as(trapped) == []


def test_a_failed_pin_names_no_part_of_the_url(trapped: GeneratedStack) -> None:
    wrong = trapped.admin_url().replace("@127.0.0.1", "x@127.0.0.1")
    problem = pg_env.pin_search_path(wrong)
    assert problem is not None
    assert "127.0.0.1" not in problem
    assert "tg_test_admin" not in problem


@pytest.mark.parametrize("suffix", [APP, OBSERVER])
def test_only_the_migrator_group_creates_in_schema_public_even_after_an_upgrade_from_postgresql_14(
    postgres: LocalPostgres, suffix: str
) -> None:
    stack = GeneratedStack.make(postgres)
    login = stack.handed_out(suffix) if suffix == APP else stack.login(suffix)
    # What a database upgraded or restored from PostgreSQL 14 or older keeps; the stack's rights take it away.
    with psycopg.connect(superuser_url(stack), autocommit=True) as superuser:
        superuser.execute("GRANT CREATE ON SCHEMA public TO PUBLIC")
    with stack.connect(login) as session:
        session.execute("CREATE FUNCTION public.planted() RETURNS int LANGUAGE sql AS 'SELECT 1'")  # the hazard
    stack.as_admin(stack.roles.database_rights())
    with stack.connect(login) as session, pytest.raises(errors.InsufficientPrivilege):
        session.execute("CREATE FUNCTION public.planted_again() RETURNS int LANGUAGE sql AS 'SELECT 1'")
