"""The generated roles' rights, proven on a real PostgreSQL with the SQL the privilege table renders to
(tools/role_sql.py): migrations as a migrator login leave everything to the migrator group, the app login has data
rights only, a rotation keeps the running login working until the next one, a dropped login leaves nothing behind."""

from __future__ import annotations

from collections.abc import Iterator

import psycopg
import pytest
from psycopg import errors

from infra.tables.database_roles import APP, MANAGER, MIGRATOR, OBSERVER, SCHEMA
from tenantguard_db import migrate
from tenantguard_db.local_postgres import LocalPostgres
from tests.database.generated_roles import GeneratedStack, close_maintenance_databases

pytestmark = pytest.mark.slow

TABLES = ("alembic_version", "tenants", "users", "audit_events")


@pytest.fixture
def stack(postgres: LocalPostgres) -> GeneratedStack:
    """A staging-tier stack's roles, its database migrated to head by CI_DB_URL's login."""
    made = GeneratedStack.make(postgres)
    migrate.upgrade(made.url(made.handed_out(MIGRATOR)), migrate.head_revision())
    return made


def owners(stack: GeneratedStack) -> dict[str, str]:
    """Every object in schema public (tables, sequences, indexes, constraints' indexes) and the schema, by owner."""
    with psycopg.connect(stack.admin_url(), autocommit=True) as admin:
        rows = admin.execute(
            "SELECT c.relname, pg_get_userbyid(c.relowner) FROM pg_class c"
            " JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = %s"
            " UNION ALL SELECT nspname, pg_get_userbyid(nspowner) FROM pg_namespace"
            " WHERE nspname = %s",
            (SCHEMA, SCHEMA),
        ).fetchall()
    return {str(name): str(owner) for name, owner in rows}


def test_the_migrations_run_as_a_migrator_login_and_the_group_owns_every_object(stack: GeneratedStack) -> None:
    found = owners(stack)
    assert set(TABLES) <= set(found)
    assert set(found.values()) == {stack.login(MIGRATOR)}


def test_a_migrator_login_acts_as_its_group_from_the_start(stack: GeneratedStack) -> None:
    with stack.connect(stack.handed_out(MIGRATOR)) as session:
        users = session.execute("SELECT session_user, current_user").fetchone()
    assert users == (stack.handed_out(MIGRATOR), stack.login(MIGRATOR))


def test_a_migrator_login_that_did_not_switch_to_its_group_cannot_create_anything(stack: GeneratedStack) -> None:
    # NOINHERIT: the safe failure should the per-role setting ever not apply (it is only a WARNING then).
    with stack.connect(stack.handed_out(MIGRATOR)) as session:
        session.execute("SET ROLE NONE")
        with pytest.raises(errors.InsufficientPrivilege):
            session.execute("CREATE TABLE public.stray (id int)")
        with pytest.raises(errors.InsufficientPrivilege):
            session.execute("SELECT * FROM public.tenants")


def test_the_app_login_reads_and_writes_tenant_tables(stack: GeneratedStack) -> None:
    with stack.connect(stack.handed_out(APP)) as app:
        tenant = app.execute("INSERT INTO tenants (slug, name) VALUES ('acme', 'Acme') RETURNING id").fetchone()
        assert tenant is not None
        app.execute("INSERT INTO users (tenant_id, email) VALUES (%s, 'a@acme.test')", tenant)
        app.execute("INSERT INTO audit_events (tenant_id, action) VALUES (%s, 'signed-in')", tenant)
        app.execute("UPDATE users SET display_name = 'A' WHERE tenant_id = %s", tenant)
        assert app.execute("SELECT display_name FROM users").fetchall() == [("A",)]
        app.execute("DELETE FROM tenants WHERE id = %s", tenant)
        assert app.execute("SELECT count(*) FROM users").fetchone() == (0,)


@pytest.mark.parametrize(
    "statement",
    [
        "CREATE TABLE stray (id int)",
        "ALTER TABLE tenants ADD COLUMN stray int",
        "DROP TABLE audit_events",
        "TRUNCATE tenants CASCADE",
        "CREATE INDEX stray ON users (email)",
        "CREATE SCHEMA stray",
        "CREATE TEMPORARY TABLE stray (id int)",
        "CREATE FUNCTION stray() RETURNS int LANGUAGE sql AS 'SELECT 1'",
        "COMMENT ON TABLE tenants IS 'stray'",
    ],
)
def test_the_app_login_cannot_create_alter_or_drop_anything(stack: GeneratedStack, statement: str) -> None:
    with stack.connect(stack.handed_out(APP)) as app, pytest.raises(errors.InsufficientPrivilege):
        app.execute(statement)


def test_a_table_a_later_migration_creates_is_the_app_s_to_use(postgres: LocalPostgres) -> None:
    stack = GeneratedStack.make(postgres)
    migrator = stack.url(stack.handed_out(MIGRATOR))
    migrate.upgrade(migrator, "0002")
    with stack.connect(stack.handed_out(APP)) as app, pytest.raises(errors.UndefinedTable):
        app.execute("SELECT * FROM audit_events")
    migrate.upgrade(migrator, migrate.head_revision())
    with stack.connect(stack.handed_out(APP)) as app:
        # The default privileges of the migrator group cover what it created after the grants.
        tenant = app.execute("INSERT INTO tenants (slug, name) VALUES ('b', 'B') RETURNING id").fetchone()
        app.execute("INSERT INTO audit_events (tenant_id, action) VALUES (%s, 'x')", tenant)


@pytest.fixture
def closed_server(postgres: LocalPostgres) -> Iterator[None]:
    close_maintenance_databases(postgres, closed=True)
    try:
        yield
    finally:
        close_maintenance_databases(postgres, closed=False)


@pytest.mark.parametrize("other", ["postgres", "template1", "another stack's"])
def test_the_app_login_cannot_connect_to_another_database(
    postgres: LocalPostgres, stack: GeneratedStack, closed_server: None, other: str
) -> None:
    neighbour = GeneratedStack.make(postgres)
    database = neighbour.roles.database if other == "another stack's" else other
    url = stack.url(stack.handed_out(APP)).rsplit("/", 1)[0] + f"/{database}"
    with pytest.raises(psycopg.OperationalError, match="permission denied for database"):
        psycopg.connect(url, connect_timeout=5).close()


def test_after_a_rotation_the_old_and_the_new_login_both_work_until_the_next(stack: GeneratedStack) -> None:
    running = stack.handed_out(APP)  # the deployment made at rotation 1 holds this login's URL
    old_url = stack.url(running)
    with stack.connect(running) as open_session:
        stack.rotate()
        assert stack.handed_out(APP) != running
        # New deployments get the other login; the running one keeps its open sessions and can open new ones.
        with stack.connect(stack.handed_out(APP)) as new:
            assert new.execute("SELECT count(*) FROM tenants").fetchone() == (0,)
        psycopg.connect(old_url, connect_timeout=5).close()
        assert open_session.execute("SELECT count(*) FROM tenants").fetchone() == (0,)

        stack.rotate()  # the second rotation before a redeploy: the running login's password changes
        assert stack.handed_out(APP) == running
        with pytest.raises(psycopg.OperationalError, match="password authentication failed"):
            psycopg.connect(old_url, connect_timeout=5).close()
        # A password change ends no session: authentication happens when a connection starts.
        assert open_session.execute("SELECT count(*) FROM tenants").fetchone() == (0,)
    with stack.connect(stack.handed_out(APP)) as fresh:
        assert fresh.execute("SELECT current_user").fetchone() == (stack.login(APP),)


def test_a_rotation_changes_only_the_password_it_hands_out(stack: GeneratedStack) -> None:
    before = {login: stack.url(login) for login in (stack.login(APP, "a"), stack.login(APP, "b"))}
    stack.rotate()
    after = {login: stack.url(login) for login in before}
    assert [login for login in before if before[login] != after[login]] == [stack.handed_out(APP)]


def test_a_dropped_login_leaves_no_object_behind(stack: GeneratedStack) -> None:
    login = stack.handed_out(MIGRATOR)
    with psycopg.connect(stack.admin_url(), autocommit=True) as admin:
        held = admin.execute(
            "SELECT deptype, classid::regclass::text FROM pg_shdepend"
            " WHERE refobjid = (SELECT oid FROM pg_roles WHERE rolname = %s) ORDER BY 1",
            (login,),
        ).fetchall()
    # It owns nothing after the migrations; the one thing naming it is its own CONNECT on the database.
    assert held == [("a", "pg_database")]
    # What deleting its Role does (REASSIGN OWNED, DROP OWNED, DROP ROLE) reassigns nothing and drops only that grant.
    stack.as_admin(stack.roles.drop_login(login))
    assert set(owners(stack).values()) == {stack.login(MIGRATOR)}
    with stack.connect(stack.handed_out(APP)) as app:
        assert app.execute("SELECT count(*) FROM tenants").fetchone() == (0,)
    with stack.connect(stack.other(MIGRATOR)) as migrator:  # the other slot still migrates
        assert migrator.execute("SELECT current_user").fetchone() == (stack.login(MIGRATOR),)


# What a refresh of the provider's resources reads (cyrilgdn/terraform-provider-postgresql at ff936b95: the Read of
# Role, Grant, DefaultPrivileges, Schema), as the drift check's observer login runs it.
REFRESH_READS = (
    "SELECT rolname, rolsuper, rolinherit, rolcreaterole, rolcreatedb, rolcanlogin, rolconnlimit, rolconfig"
    " FROM pg_catalog.pg_roles",
    "SELECT roleid, member FROM pg_catalog.pg_auth_members",
    "SELECT pg_advisory_xact_lock(oid::bigint) FROM pg_roles WHERE rolname = current_user",
    "SELECT datacl FROM pg_catalog.pg_database WHERE datname = current_database()",
    "SELECT nspname, pg_get_userbyid(nspowner), nspacl FROM pg_catalog.pg_namespace",
    "SELECT relname, relacl FROM pg_catalog.pg_class WHERE relnamespace = 'public'::regnamespace",
    "SELECT (aclexplode(defaclacl)).* FROM pg_catalog.pg_default_acl",
)


def test_the_observer_reads_what_a_refresh_reads_and_nothing_else(stack: GeneratedStack) -> None:
    with stack.connect(stack.login(OBSERVER)) as observer:
        for query in REFRESH_READS:
            observer.execute(query).fetchall()
        # Qualified: its search_path is the catalog's only, and the privilege is what is tested.
        for statement in (
            "SELECT * FROM public.tenants",
            "CREATE TABLE public.stray (id int)",
            "DELETE FROM public.alembic_version",
        ):
            with pytest.raises(errors.InsufficientPrivilege):
                observer.execute(statement)


def test_the_preview_manager_runs_the_pull_request_databases_and_nothing_else(
    postgres: LocalPostgres, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    from tenantguard_db.preview_db import cli  # noqa: PLC0415 - only this test needs the preview command

    stack = GeneratedStack.make(postgres, tier="preview")
    migrate.upgrade(stack.url(stack.handed_out(MIGRATOR)), migrate.head_revision())
    monkeypatch.setenv("CI_DB_URL", stack.url(stack.login(MANAGER)))
    monkeypatch.delenv("DATABASE_URL", raising=False)
    for command in (["create", "--repository-id", "7", "--pr", "1"], ["list"], ["drop", "--repository-id", "7"]):
        code = cli.main([*command, "--pr", "1"] if command[0] == "drop" else command)
        assert code == 0, capsys.readouterr().err
    with stack.connect(stack.login(MANAGER)) as manager:
        # Its rights are the command's: no table of the shared preview database, no DDL there.
        for statement in ("SELECT * FROM public.tenants", "CREATE TABLE public.stray (id int)"):
            with pytest.raises(errors.InsufficientPrivilege):
                manager.execute(statement)


@pytest.mark.parametrize(
    "statement",
    ["UPDATE alembic_version SET version_num = '0001'", "DELETE FROM alembic_version"],
)
def test_the_app_login_cannot_move_the_database_s_revision(stack: GeneratedStack, statement: str) -> None:
    # Its grant covers every table of schema public; row security leaves the version row to its owner.
    head = migrate.head_revision()
    with stack.connect(stack.handed_out(APP)) as app:
        app.execute(statement)
        assert app.execute("SELECT version_num FROM alembic_version").fetchall() == [(head,)]
        with pytest.raises(errors.InsufficientPrivilege):
            app.execute("INSERT INTO alembic_version VALUES ('9999')")
    assert migrate.current_revision(stack.url(stack.handed_out(MIGRATOR))) == head
