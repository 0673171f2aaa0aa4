"""docs/how-to/switch-to-generated-credentials.md on a real PostgreSQL: the page's shell lines and SQL, with the
deploy in between played by the SQL tools/role_sql.py renders from the privilege table, run by the page's
non-superuser administrator as pulumi-postgresql runs it (granted the tables' owner around the grants, as the
provider's getRolesToGrant does). The running deployment's login works from the first step to the last."""

from __future__ import annotations

import re
import secrets
from collections.abc import Iterator

import psycopg
import pytest
from psycopg import sql

from infra.tables.database_roles import APP, MIGRATOR
from tenantguard_db import migrate
from tenantguard_db.local_postgres import LocalPostgres
from tests import runbooks
from tests.database.runbooks.provided import OLD, Provided, bash, drop_everything, make_provided, who
from tools.role_sql import Roles, passwords, urls

pytestmark = pytest.mark.slow

PAGE = "how-to/switch-to-generated-credentials.md"
DATABASE = "tenantguard"
"""The page's database name, which its SQL writes out."""
ADMIN = "tg_admin"
STACK = "staging"
OLD_PASSWORDS = {name: secrets.token_hex(12) for name in OLD.values()}
ROLES_LIKE = (ADMIN, "tenantguard_", f"tg_{STACK}_")


@pytest.fixture
def provided(postgres: LocalPostgres) -> Iterator[Provided]:
    drop_everything(postgres, DATABASE, ROLES_LIKE)
    try:
        yield make_provided(postgres, DATABASE, OLD_PASSWORDS)
    finally:
        drop_everything(postgres, DATABASE, ROLES_LIKE)


def steps() -> tuple[list[str], list[str]]:
    """The page's Steps: its shell lines and its SQL blocks, in order."""
    return runbooks.commands(PAGE, "Steps"), runbooks.blocks(PAGE, "Steps")


def first_step(provided: Provided, block: str | None = None) -> str:
    """Step 1 as the master login: the exports, then psql with the block pasted; returns ADMIN_PASSWORD."""
    lines, blocks = steps()
    export, psql = lines[0], lines[1]
    assert export == 'export ADMIN_PASSWORD="$(openssl rand -hex 24)"'
    assert psql == 'psql "$MASTER_URL" -v ON_ERROR_STOP=1 -v password="$ADMIN_PASSWORD"'
    password = bash(f'{export}\nprintf %s "$ADMIN_PASSWORD"', {})
    assert re.fullmatch(r"[0-9a-f]{48}", password)
    bash(psql, {"MASTER_URL": provided.master_url(), "ADMIN_PASSWORD": password}, stdin=block or blocks[0])
    return password


def deploy(provided: Provided, admin_password: str, roles: Roles) -> dict[str, str]:
    """What the merged change's `pulumi up` does to the database, as the administrative login; the URLs it hands out."""
    password = passwords("runbook")
    owner = sql.Identifier(OLD["ci"])  # the tables' owner, which the provider grants itself around each grant
    with psycopg.connect(provided.url(ADMIN, admin_password), autocommit=True) as admin:
        for statement in [
            *roles.server(password, 1),
            sql.SQL("GRANT {} TO CURRENT_USER").format(owner),
            *roles.database_rights(),
            sql.SQL("REVOKE {} FROM CURRENT_USER").format(owner),
        ]:
            admin.execute(statement)
    return dict(urls(roles, "127.0.0.1", provided.postgres.port, password, 1))


def admin_psql(provided: Provided, admin_password: str, block: str) -> str:
    """Step 4's exports and psql line, the URL pointed at the test's server, with `block` pasted."""
    lines, _ = steps()
    export = next(line for line in lines if line.startswith("export ADMIN_URL="))
    psql = 'psql "$ADMIN_URL" -v ON_ERROR_STOP=1'
    assert psql in lines
    url = provided.to_server(bash(f'{export}\nprintf %s "$ADMIN_URL"', {"ADMIN_PASSWORD": admin_password}))
    assert url == provided.url(ADMIN, admin_password)
    return bash(f"{psql} -A -t", {"ADMIN_URL": url}, stdin=block)


def owners(provided: Provided) -> set[str]:
    with psycopg.connect(provided.master_url(), autocommit=True) as master:
        rows = master.execute(
            "SELECT DISTINCT pg_get_userbyid(relowner) FROM pg_class WHERE relnamespace = 'public'::regnamespace"
        ).fetchall()
    return {str(owner) for (owner,) in rows}


def test_the_switch_keeps_the_running_login_working_until_its_roles_are_dropped(provided: Provided) -> None:
    _, (_, reassign, wait, drop) = steps()
    roles = Roles(STACK, "staging", DATABASE)
    migrator, app = roles.name(MIGRATOR), roles.name(APP)
    assert f"tg_{STACK}_migrator" in reassign
    running = psycopg.connect(provided.old_url("app"), autocommit=True)
    running.execute("INSERT INTO tenants (slug, name) VALUES ('acme', 'Acme')")

    admin_password = first_step(provided)
    handed_out = deploy(provided, admin_password, roles)

    # Step 3: the old URLs still work (CONNECT granted by name), and the new app login has the existing tables.
    assert who(provided.old_url("app")) == (OLD["app"], OLD["app"])
    assert who(provided.old_url("ci")) == (OLD["ci"], OLD["ci"])
    assert running.execute("SELECT count(*) FROM tenants").fetchone() == (1,)
    with psycopg.connect(handed_out[roles.name(APP, "a")], autocommit=True) as new_app:
        assert new_app.execute("SELECT current_user, count(*) FROM tenants GROUP BY 1").fetchone() == (app, 1)
    assert owners(provided) == {OLD["ci"]}

    # Step 4: the migrator group owns what the old CI login made; migrations run as a migrator login.
    admin_psql(provided, admin_password, reassign)
    assert owners(provided) == {migrator}
    migrator_url = handed_out[roles.name(MIGRATOR, "a")]
    assert migrate.upgrade(migrator_url, migrate.head_revision()) == migrate.head_revision()
    with psycopg.connect(migrator_url, autocommit=True) as ci:
        ci.execute("CREATE TABLE runbook_probe (id int)")
    assert owners(provided) == {migrator}
    assert running.execute("SELECT count(*) FROM tenants").fetchone() == (1,)

    # Step 5: the wait shows the running deployment's session, then nothing once it is gone; the drop.
    assert admin_psql(provided, admin_password, wait).split() == [f"{OLD['app']}|1"]
    running.close()
    assert admin_psql(provided, admin_password, wait).split() == []
    admin_psql(provided, admin_password, drop)
    with psycopg.connect(provided.master_url(), autocommit=True) as master:
        left = master.execute("SELECT rolname FROM pg_roles WHERE rolname = ANY(%s)", (list(OLD.values()),)).fetchall()
    assert left == []
    with psycopg.connect(handed_out[roles.name(APP, "a")], autocommit=True) as new_app:
        assert new_app.execute("SELECT count(*) FROM tenants").fetchone() == (1,)

    # Verify: the owners and the sessions, as the page queries them.
    (verify,) = runbooks.blocks(PAGE, "Verify")
    with psycopg.connect(handed_out[roles.name(APP, "a")], autocommit=True):
        shown = admin_psql(provided, admin_password, verify).split()
    assert migrator in shown
    assert f"{roles.name(APP, 'a')}|1" in shown


def test_without_connect_granted_by_name_the_deploy_locks_the_running_login_out(provided: Provided) -> None:
    _, blocks = steps()
    without = "\n".join(line for line in blocks[0].splitlines() if not line.startswith("GRANT CONNECT")) + "\n"
    admin_password = first_step(provided, without)
    deploy(provided, admin_password, Roles(STACK, "staging", DATABASE))
    with pytest.raises(psycopg.OperationalError, match="permission denied for database"):
        who(provided.old_url("app"))


def test_the_first_step_closes_the_maintenance_databases_to_an_app_login(provided: Provided) -> None:
    admin_password = first_step(provided)
    deploy(provided, admin_password, Roles(STACK, "staging", DATABASE))
    url = provided.old_url("app").rsplit("/", 1)[0] + "/postgres"
    with pytest.raises(psycopg.OperationalError, match="permission denied for database"):
        who(url)


def test_the_switch_gives_the_migrator_group_no_database_the_old_ci_login_owned(provided: Provided) -> None:
    # Databases are shared objects: a bare REASSIGN OWNED would hand them, server-wide, to the migrator group.
    _, (_, reassign, _, _) = steps()
    other = f"owned_by_ci_{secrets.token_hex(3)}"
    with psycopg.connect(provided.master_url(), autocommit=True) as master:
        master.execute(sql.SQL("CREATE DATABASE {} OWNER {}").format(sql.Identifier(other), sql.Identifier(OLD["ci"])))
    try:
        admin_password = first_step(provided)
        deploy(provided, admin_password, Roles(STACK, "staging", DATABASE))
        admin_psql(provided, admin_password, reassign)
        with psycopg.connect(provided.master_url(), autocommit=True) as master:
            owner = master.execute(
                "SELECT pg_get_userbyid(datdba) FROM pg_database WHERE datname = %s", (other,)
            ).fetchone()
        # The master login of step 1 took it; never the migrator group, which could drop it.
        assert owner is not None
        assert owner[0] not in {OLD["ci"], Roles(STACK, "staging", DATABASE).name(MIGRATOR)}
    finally:
        with psycopg.connect(provided.master_url(), autocommit=True) as master:
            master.execute(sql.SQL("DROP DATABASE IF EXISTS {}").format(sql.Identifier(other)))
