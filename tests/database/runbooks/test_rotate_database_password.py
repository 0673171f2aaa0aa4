"""docs/how-to/rotate-database-password.md on a real PostgreSQL: the page's shell lines (exports, psql, printf) and
SQL run as an operator runs them, by a non-superuser administrator as a managed service gives one.

The provided-credentials rotation keeps the running deployment's login working until the revoke step, and the new
logins act as the old roles from their first statement; the generated one's Verify query tells the logins apart."""

from __future__ import annotations

import re
import secrets
from collections.abc import Iterator

import psycopg
import pytest
from psycopg import errors, sql

from infra.tables.database_roles import APP, MIGRATOR
from tenantguard_db import migrate
from tenantguard_db.local_postgres import LocalPostgres
from tests import runbooks
from tests.database.generated_roles import GeneratedStack
from tests.database.runbooks.provided import OLD, Provided, bash, drop_everything, make_provided, who

pytestmark = pytest.mark.slow

PAGE = "how-to/rotate-database-password.md"
PROVIDED = "Rotate a provided database password"
GENERATED = "Rotate generated database credentials"
ADMIN = "tg_runbook_admin"
ADMIN_PASSWORD = secrets.token_hex(12)
DATABASE = "rb_provided"
OLD_PASSWORDS = {name: secrets.token_hex(12) for name in OLD.values()}
REFUSED = "password authentication failed|is not permitted to log in"
"""With its password gone (NULL), PostgreSQL refuses the password before it looks at LOGIN."""
PSQL = re.compile(r'psql "\$ADMIN_URL" -v ON_ERROR_STOP=1( -v [a-z_]+=("\$[A-Z_]+"|[a-z_]+))+')


@pytest.fixture
def provided(postgres: LocalPostgres) -> Iterator[Provided]:
    """The stack's database with provided logins, and the administrator a managed service gives: CREATEROLE and
    pg_signal_backend, no superuser."""
    drop_everything(postgres, DATABASE, (ADMIN, "tenantguard_"))
    with psycopg.connect(postgres.url("postgres"), autocommit=True) as superuser:
        superuser.execute(
            sql.SQL("CREATE ROLE {} LOGIN CREATEROLE NOSUPERUSER PASSWORD {}").format(
                sql.Identifier(ADMIN), sql.Literal(ADMIN_PASSWORD)
            )
        )
        superuser.execute(sql.SQL("GRANT pg_signal_backend TO {}").format(sql.Identifier(ADMIN)))
    try:
        yield make_provided(postgres, DATABASE, OLD_PASSWORDS, owner=ADMIN)
    finally:
        drop_everything(postgres, DATABASE, (ADMIN, "tenantguard_"))


def admin_url(world: Provided) -> str:
    return world.url(ADMIN, ADMIN_PASSWORD)


def run_psql(line: str, block: str, admin_url: str, exports: dict[str, str] | None = None) -> str:
    """One of the page's psql lines, with the SQL block the page says to paste into it on its standard input."""
    assert PSQL.fullmatch(line), line
    return bash(line, {"ADMIN_URL": admin_url, **(exports or {})}, stdin=block)


def test_a_provided_rotation_keeps_the_running_login_until_the_revoke_and_ends_it_there(provided: Provided) -> None:
    steps = runbooks.commands(PAGE, "Steps", PROVIDED)
    new_logins, wait_for_sessions, revoke = runbooks.blocks(PAGE, "Steps", PROVIDED)
    exports = [line for line in steps if line.startswith("export ")]
    psql_new = [line for line in steps if line.startswith("psql") and "acts_as=" in line]
    psql_revoke = [line for line in steps if line.startswith("psql") and " old=" in line]
    pipes = [line for line in steps if line.startswith("printf ")]
    assert (len(exports), len(psql_new), len(psql_revoke), len(pipes)) == (2, 2, 2, 2)

    # The running deployment: a session of the old app login, open before anything changes.
    running = psycopg.connect(provided.old_url("app"), autocommit=True)
    # Step 1: the exports, then psql once per login with the block pasted.
    made = bash(
        "\n".join(exports) + '\nprintf "%s\\n" "$NEW_APP_LOGIN" "$NEW_APP_PASSWORD" "$NEW_CI_LOGIN" "$NEW_CI_PASSWORD"',
        {},
    ).split()
    values = dict(zip(("NEW_APP_LOGIN", "NEW_APP_PASSWORD", "NEW_CI_LOGIN", "NEW_CI_PASSWORD"), made, strict=True))
    assert re.fullmatch(r"tenantguard_app_\d{8}", values["NEW_APP_LOGIN"])
    assert re.fullmatch(r"[0-9a-f]{48}", values["NEW_APP_PASSWORD"])
    for line in psql_new:
        run_psql(line, new_logins, admin_url(provided), values)

    # Step 2: the URLs the pipes hand to `pulumi config set` (read from standard input).
    urls = {}
    for line in pipes:
        printf, pulumi = line.split(" | ")
        change = runbooks.config_change(pulumi)
        assert change is not None
        assert (change.verb, change.secret, change.asked, change.stack) == ("set", True, True, "staging")
        urls[change.key] = provided.to_server(bash(printf, values))
    assert set(urls) == {"databaseUrl", "ciDbUrl"}

    # The new logins act as the old roles from their first statement.
    assert who(urls["databaseUrl"]) == (values["NEW_APP_LOGIN"], OLD["app"])
    assert who(urls["ciDbUrl"]) == (values["NEW_CI_LOGIN"], OLD["ci"])
    with psycopg.connect(urls["databaseUrl"], autocommit=True) as app:
        app.execute("INSERT INTO tenants (slug, name) VALUES ('acme', 'Acme')")
    with psycopg.connect(urls["ciDbUrl"], autocommit=True) as ci:
        ci.execute("CREATE TABLE runbook_probe (id int)")
        owner = ci.execute("SELECT pg_get_userbyid(relowner) FROM pg_class WHERE relname = 'runbook_probe'").fetchone()
    assert owner == (OLD["ci"],)
    assert migrate.upgrade(urls["ciDbUrl"], migrate.head_revision()) == migrate.head_revision()
    # Until the revoke, the old login keeps working: the running session and new connections alike.
    assert who(provided.old_url("app")) == (OLD["app"], OLD["app"])
    assert running.execute("SELECT count(*) FROM tenants").fetchone() == (1,)

    # Step 4: the wait shows the running deployment's session.
    shown = bash('psql "$ADMIN_URL" -v ON_ERROR_STOP=1 -A -t', {"ADMIN_URL": admin_url(provided)}, wait_for_sessions)
    assert f"{OLD['app']}|1" in shown.split()

    # Step 5: the revoke, for each old login.
    for line in psql_revoke:
        run_psql(line, revoke, admin_url(provided))
    with pytest.raises(psycopg.OperationalError, match=REFUSED):
        who(provided.old_url("app"))
    with pytest.raises(psycopg.OperationalError, match=REFUSED):
        who(provided.old_url("ci"))
    with pytest.raises((errors.AdminShutdown, psycopg.OperationalError)):
        running.execute("SELECT 1")
    running.close()
    # The new logins still work, with the same rights.
    assert who(urls["databaseUrl"]) == (values["NEW_APP_LOGIN"], OLD["app"])
    with psycopg.connect(urls["databaseUrl"], autocommit=True) as app:
        assert app.execute("SELECT count(*) FROM tenants").fetchone() == (1,)

    # Verify: the sessions by login, run as the page shows it.
    (verify,) = runbooks.blocks(PAGE, "Verify", PROVIDED)
    with psycopg.connect(urls["databaseUrl"], autocommit=True):
        shown = bash('psql "$ADMIN_URL" -v ON_ERROR_STOP=1 -A -t', {"ADMIN_URL": admin_url(provided)}, verify)
    assert f"{values['NEW_APP_LOGIN']}|1" in shown.split()
    assert not [row for row in shown.split() if row.startswith(f"{OLD['app']}|")]


def test_the_next_provided_rotation_revokes_the_dated_login_and_keeps_the_role(provided: Provided) -> None:
    new_logins, _, revoke = runbooks.blocks(PAGE, "Steps", PROVIDED)
    line = next(line for line in runbooks.commands(PAGE, "Steps", PROVIDED) if "acts_as=tenantguard_app" in line)
    first = {"NEW_APP_LOGIN": "tenantguard_app_20261207", "NEW_APP_PASSWORD": secrets.token_hex(12)}
    second = {"NEW_APP_LOGIN": "tenantguard_app_20270307", "NEW_APP_PASSWORD": secrets.token_hex(12)}
    for values in (first, second):
        run_psql(line, new_logins, admin_url(provided), values)
    # The page: at the next rotation the old login is the dated one, acts_as stays the role.
    bash(
        f'psql "$ADMIN_URL" -v ON_ERROR_STOP=1 -v old={first["NEW_APP_LOGIN"]}',
        {"ADMIN_URL": admin_url(provided)},
        revoke,
    )
    with pytest.raises(psycopg.OperationalError, match=REFUSED):
        who(provided.url(first["NEW_APP_LOGIN"], first["NEW_APP_PASSWORD"]))
    assert who(provided.url(second["NEW_APP_LOGIN"], second["NEW_APP_PASSWORD"])) == (
        second["NEW_APP_LOGIN"],
        OLD["app"],
    )
    # It owns nothing, so it can be dropped.
    with psycopg.connect(admin_url(provided), autocommit=True) as admin:
        admin.execute(sql.SQL("DROP ROLE {}").format(sql.Identifier(first["NEW_APP_LOGIN"])))


def test_the_generated_verify_query_shows_sessions_by_login(postgres: LocalPostgres) -> None:
    stack = GeneratedStack.make(postgres)
    stack.rotate()  # rotation 2: the _b logins handed out, the _a ones still working
    (query,) = runbooks.blocks(PAGE, "Verify", GENERATED)
    query = query.replace("tg\\_staging\\_", f"tg\\_{stack.roles.stack}\\_")
    with (
        stack.connect(stack.other(APP)),
        stack.connect(stack.handed_out(APP)),
        stack.connect(stack.handed_out(MIGRATOR)),
    ):
        shown = bash('psql "$ADMIN_URL" -v ON_ERROR_STOP=1 -A -t', {"ADMIN_URL": stack.admin_url()}, query)
    assert sorted(shown.split()) == sorted(
        f"{login}|1" for login in (stack.other(APP), stack.handed_out(APP), stack.handed_out(MIGRATOR))
    )
