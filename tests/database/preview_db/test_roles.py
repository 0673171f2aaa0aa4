"""Each pull request's own role: it reaches its own database's tables and nothing else, and only its newest password
works."""

from __future__ import annotations

import json
from pathlib import Path

import psycopg
import pytest
from psycopg import sql
from psycopg.conninfo import conninfo_to_dict

from tenantguard_db import migrate
from tenantguard_db.preview_db.metadata import Meta
from tenantguard_db.preview_db.roles import PR_ROLE_CONNECTION_LIMIT
from tenantguard_db.preview_db.server import Connection
from tenantguard_db.preview_db.status_codes import EXIT_FAILED
from tenantguard_db.revision_files import checkout, revision_file
from tenantguard_db.session import MIGRATION_LOCK_ID
from tests.database.preview_db.harness import IN_REPO, REPO, ROLE, SERVER_DATABASES, Preview, tables


def assert_each_refused(connection: Connection, statements: tuple[str, ...]) -> None:
    """Every statement fails for lack of privilege (the connection is in autocommit: each fails alone)."""
    for statement in statements:
        with pytest.raises(psycopg.errors.InsufficientPrivilege):
            connection.execute(statement)


def test_the_prs_role_owns_its_database_and_everything_in_it_and_holds_nothing_else(preview: Preview) -> None:
    preview.template()
    preview.create(1)
    role = f"{preview.base}_pr_{REPO}_1"
    row = preview.admin.execute(
        "SELECT rolcanlogin, rolsuper, rolcreatedb, rolcreaterole, rolreplication, rolbypassrls, rolconnlimit, "
        "shobj_description(oid, 'pg_authid') FROM pg_roles WHERE rolname = %s",
        (role,),
    ).fetchone()
    assert row is not None
    assert row[:7] == (True, False, False, False, False, False, PR_ROLE_CONNECTION_LIMIT)
    meta = Meta.parse(row[7])
    assert meta is not None
    assert (meta.kind, meta.base, meta.pr, meta.repository, meta.revision) == ("role", preview.base, 1, REPO, "0003")
    member_of = preview.admin.execute(
        "SELECT count(*) FROM pg_auth_members WHERE member = (SELECT oid FROM pg_roles WHERE rolname = %s)", (role,)
    ).fetchone()
    assert member_of == (0,)
    assert preview.owner(role) == role
    # Only its owner may connect: no CONNECT or TEMPORARY for PUBLIC, nor for anyone else.
    grantees = preview.admin.execute(
        "SELECT DISTINCT pg_get_userbyid(a.grantee) FROM pg_database d, aclexplode(d.datacl) a WHERE d.datname = %s",
        (role,),
    ).fetchall()
    assert grantees == [(role,)]
    with psycopg.connect(preview.inside(1)) as inside:
        owners = inside.execute(
            "SELECT DISTINCT pg_get_userbyid(relowner) FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace "
            "WHERE n.nspname = 'public' UNION SELECT pg_get_userbyid(nspowner) FROM pg_namespace "
            "WHERE nspname = 'public'"
        ).fetchall()
        assert owners == [(role,)]


def test_one_prs_deployment_cannot_connect_to_drop_or_alter_another_prs_database(preview: Preview) -> None:
    first = preview.create(1)
    second = preview.create(2)
    other = f"{preview.base}_pr_{REPO}_2"
    with pytest.raises(psycopg.OperationalError, match=f'permission denied for database "{other}"'):
        psycopg.connect(first, dbname=other).close()
    with psycopg.connect(first, autocommit=True) as pr_1:
        assert_each_refused(
            pr_1,
            (
                f"DROP DATABASE {other}",
                f"DROP DATABASE {other} WITH (FORCE)",
                f"ALTER DATABASE {other} RENAME TO stolen",
                f"ALTER DATABASE {other} OWNER TO {preview.base}_pr_{REPO}_1",
                f"ALTER DATABASE {other} WITH CONNECTION LIMIT 0",
                f"GRANT CONNECT ON DATABASE {other} TO {preview.base}_pr_{REPO}_1",
                f"ALTER ROLE {other} PASSWORD 'mine-now'",
                f"DROP ROLE {other}",
                f"GRANT {other} TO {preview.base}_pr_{REPO}_1",
                f"CREATE ROLE {preview.base}_pr_{REPO}_99 LOGIN",
                f"CREATE DATABASE {preview.base}_pr_{REPO}_99",
            ),
        )
    with psycopg.connect(second) as pr_2:
        assert pr_2.execute("SELECT current_database()").fetchone() == (other,)


def test_no_prs_deployment_can_connect_to_or_change_the_template(preview: Preview) -> None:
    preview.template()
    deployment = preview.create(1)
    template = f"{preview.base}_pr_template"
    with pytest.raises(psycopg.OperationalError):
        psycopg.connect(deployment, dbname=template).close()
    # Even with connections allowed again (only its owner, the CI role, can), the pull request's role could not.
    assert preview.admin.execute(
        "SELECT has_database_privilege(%s, %s, 'CONNECT')", (f"{preview.base}_pr_{REPO}_1", template)
    ).fetchone() == (False,)
    with psycopg.connect(deployment, autocommit=True) as pr_1:
        assert_each_refused(
            pr_1,
            (
                f"ALTER DATABASE {template} WITH ALLOW_CONNECTIONS true",
                f"ALTER DATABASE {template} WITH IS_TEMPLATE false",
                f"ALTER DATABASE {template} RENAME TO stolen",
                f"DROP DATABASE {template}",
            ),
        )
        pr_1.execute("CREATE TABLE planted (id int)")  # in its own database: nothing a clone of the template carries
    preview.create(2)
    assert tables(preview.inside(2)) == tables(preview.inside(1)) - {"planted"}


def said_reachable(stderr: str, role: str) -> set[str]:
    """The other databases create says `role` can connect to."""
    prefix = f"preview-db: role {role} can also connect to "
    lines = [line.removeprefix(prefix) for line in stderr.splitlines() if line.startswith(prefix)]
    return set(lines[0].partition(":")[0].split(", ")) if lines else set()


def test_the_base_database_is_closed_to_pr_roles_once_the_one_time_sql_ran(preview: Preview) -> None:
    deployment = preview.create(1)
    with pytest.raises(psycopg.OperationalError, match=f'permission denied for database "{preview.base}"'):
        psycopg.connect(deployment, dbname=preview.base).close()
    for database in SERVER_DATABASES:
        with pytest.raises(psycopg.OperationalError, match=f'permission denied for database "{database}"'):
            psycopg.connect(deployment, dbname=database).close()


def test_without_the_one_time_sql_a_prs_role_can_connect_to_the_base_database_and_create_says_so(
    preview: Preview, tmp_path: Path
) -> None:
    # PostgreSQL's default: PUBLIC, so every role, may connect to every new database.
    preview.admin.execute(sql.SQL("GRANT CONNECT ON DATABASE {} TO PUBLIC").format(sql.Identifier(preview.base)))
    assert migrate.upgrade(preview.url, "head") == "0003"
    target = tmp_path / "url"
    result = preview.run("create", *IN_REPO, "--pr", "1", "--url-to-file", str(target))
    assert result.code == 0, result.stderr
    assert preview.base in said_reachable(result.stderr, f"{preview.base}_pr_{REPO}_1")
    # Connected, but the tables are the CI role's and PUBLIC was granted none of them.
    with (
        psycopg.connect(target.read_text(), dbname=preview.base) as inside,
        pytest.raises(psycopg.errors.InsufficientPrivilege),
    ):
        inside.execute("SELECT * FROM tenants")
    preview.admin.execute(sql.SQL("REVOKE CONNECT ON DATABASE {} FROM PUBLIC").format(sql.Identifier(preview.base)))
    again = preview.run("create", *IN_REPO, "--pr", "1")
    assert preview.base not in said_reachable(again.stderr, f"{preview.base}_pr_{REPO}_1")


def test_a_prs_role_reads_and_writes_its_own_tables_including_those_of_its_later_revisions(
    preview: Preview, tmp_path: Path
) -> None:
    preview.template()
    notes = "CREATE TABLE notes (id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY, body text)"
    pr = checkout(tmp_path, "a", ("a004", "0003", notes))
    deployment = preview.create(1, "--config", str(pr))
    with psycopg.connect(deployment) as app:
        app.execute("INSERT INTO tenants (slug, name) VALUES ('acme', 'Acme')")
        app.execute("UPDATE tenants SET name = 'Acme Ltd' WHERE slug = 'acme'")
        app.execute("INSERT INTO notes (body) VALUES ('from the first push')")
        assert app.execute("SELECT name FROM tenants").fetchall() == [("Acme Ltd",)]
    # The next push adds a revision creating another table, with a serial (its sequence needs USAGE).
    (pr.parent / "alembic" / "versions" / "a005_a.py").write_text(
        revision_file("a005", "a004", "CREATE TABLE labels (id serial PRIMARY KEY, name text)")
    )
    deployment = preview.create(1, "--config", str(pr))
    with psycopg.connect(deployment) as app:
        assert app.execute("INSERT INTO labels (name) VALUES ('new') RETURNING id").fetchone() == (1,)
        assert app.execute("SELECT body FROM notes").fetchall() == [("from the first push",)]
        app.execute("DELETE FROM tenants WHERE slug = 'acme'")
        assert app.execute("SELECT version_num FROM alembic_version").fetchall() == [("a005",)]


def test_a_prs_role_changes_its_own_schema_but_not_its_database_its_role_or_what_is_recorded_of_it(
    preview: Preview,
) -> None:
    deployment = preview.create(1)
    role = f"{preview.base}_pr_{REPO}_1"
    with psycopg.connect(deployment, autocommit=True) as app:
        app.execute("ALTER TABLE tenants ADD COLUMN its_own int")
        app.execute("UPDATE alembic_version SET version_num = 'zzzz'")
        app.execute(f"COMMENT ON DATABASE {role} IS 'not what create recorded'")
        assert_each_refused(
            app,
            (
                f"ALTER DATABASE {role} RENAME TO stolen",
                f"ALTER DATABASE {role} OWNER TO {ROLE}",
                f"ALTER ROLE {role} CREATEDB",
                f"ALTER ROLE {role} CONNECTION LIMIT -1",
                f"COMMENT ON ROLE {role} IS 'forged'",
                f"GRANT pg_execute_server_program TO {role}",
                f"GRANT {role} TO {ROLE}",
                "COPY (SELECT 1) TO PROGRAM 'true'",
                "ALTER SYSTEM SET log_statement = 'none'",
                f"CREATE ROLE {preview.base}_pr_{REPO}_99 LOGIN",
                f"CREATE DATABASE {preview.base}_pr_{REPO}_99",
            ),
        )
    listed = json.loads(preview.run("list", "--json").stdout)
    assert [(row["database"], row["revision"]) for row in listed["databases"]] == [(role, "0003")]


def test_a_second_create_invalidates_the_previous_password_and_ends_its_sessions(preview: Preview) -> None:
    first = preview.create(1)
    with psycopg.connect(first) as old_deployment:
        second = preview.create(1)
        with pytest.raises(psycopg.OperationalError):
            old_deployment.execute("SELECT 1")
    assert conninfo_to_dict(first)["password"] != conninfo_to_dict(second)["password"]
    with pytest.raises(psycopg.OperationalError, match="password authentication failed"):
        psycopg.connect(first).close()
    with psycopg.connect(second) as new_deployment:
        assert new_deployment.execute("SELECT count(*) FROM tenants").fetchone() == (0,)


def test_the_password_reaches_the_server_only_as_a_scram_verifier(preview: Preview) -> None:
    # With every statement of the CI role logged, the log shows the ALTER ROLE but never the password.
    preview.admin.execute(sql.SQL("ALTER ROLE {} SET log_statement = 'all'").format(sql.Identifier(ROLE)))
    try:
        deployment = preview.create(1)
    finally:
        preview.admin.execute(sql.SQL("ALTER ROLE {} RESET log_statement").format(sql.Identifier(ROLE)))
    log = (preview.postgres.directory / "log").read_text(errors="replace")
    assert f'ALTER ROLE "{preview.base}_pr_{REPO}_1" LOGIN PASSWORD \'SCRAM-SHA-256$' in log
    assert str(conninfo_to_dict(deployment)["password"]) not in log


def test_a_prs_role_given_more_by_hand_gets_no_url(preview: Preview, tmp_path: Path) -> None:
    preview.create(1)
    preview.admin.execute(sql.SQL("GRANT pg_read_all_data TO {}").format(sql.Identifier(f"{preview.base}_pr_{REPO}_1")))
    target = tmp_path / "not-written"
    result = preview.run("create", *IN_REPO, "--pr", "1", "--url-to-file", str(target))
    assert result.code == EXIT_FAILED
    assert f"role {preview.base}_pr_{REPO}_1 holds membership in pg_read_all_data" in result.stderr
    assert not target.exists()


def test_a_prs_role_holding_the_migration_lock_cannot_keep_its_password(
    preview: Preview, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    old = preview.create(1)
    monkeypatch.setenv("TENANTGUARD_MIGRATION_LOCK_WAIT", "2s")
    target = tmp_path / "new-url"
    with psycopg.connect(old, autocommit=True) as holder:
        # The deployment holds env.py's migration lock in its own database, so no migration ever gets it.
        holder.execute("SELECT pg_advisory_lock(%s)", (MIGRATION_LOCK_ID,))
        result = preview.run("create", *IN_REPO, "--pr", "1", "--url-to-file", str(target))
        assert result.code == 0, result.stderr
        with pytest.raises(psycopg.OperationalError):
            holder.execute("SELECT 1")
    with pytest.raises(psycopg.OperationalError, match="password authentication failed"):
        psycopg.connect(old).close()
    with psycopg.connect(target.read_text()) as new:
        assert new.execute("SELECT current_user").fetchone() == (f"{preview.base}_pr_{REPO}_1",)


def test_a_migration_lock_the_prs_role_left_in_a_prepared_transaction_is_released_and_said(
    preview: Preview, monkeypatch: pytest.MonkeyPatch
) -> None:
    old = preview.create(1)
    monkeypatch.setenv("TENANTGUARD_MIGRATION_LOCK_WAIT", "2s")
    with psycopg.connect(old, autocommit=True) as holder:
        holder.execute("BEGIN")
        holder.execute("SELECT pg_advisory_xact_lock(%s)", (MIGRATION_LOCK_ID,))
        holder.execute("PREPARE TRANSACTION 'kept-the-lock'")
    result = preview.run("create", *IN_REPO, "--pr", "1", "--url-to-file", str(preview.tmp / "url"))
    assert result.code == 0, result.stderr
    role = f"{preview.base}_pr_{REPO}_1"
    assert f"role {role} (the pull request's own) held the migration lock of {role}" in result.stderr
    assert preview.admin.execute("SELECT count(*) FROM pg_prepared_xacts").fetchone() == (0,)


def test_settings_a_prs_role_gave_itself_or_its_database_do_not_stop_its_next_migration(
    preview: Preview, tmp_path: Path
) -> None:
    deployment = preview.create(1)
    role = f"{preview.base}_pr_{REPO}_1"
    with psycopg.connect(deployment, autocommit=True) as app:
        for statement in (
            f"ALTER ROLE {role} SET default_transaction_read_only = on",
            f"ALTER ROLE {role} IN DATABASE {role} SET statement_timeout = '1ms'",
            f"ALTER DATABASE {role} SET search_path = nowhere",
            f"ALTER DATABASE {role} WITH CONNECTION LIMIT 0 IS_TEMPLATE true",
        ):
            app.execute(statement)
    pr = checkout(tmp_path, "a", ("a004", "0003", "ALTER TABLE tenants ADD COLUMN plan text"))
    result = preview.run("create", *IN_REPO, "--pr", "1", "--config", str(pr))
    assert result.code == 0, result.stderr
    assert preview.revision(role) == "a004"
    settings = preview.admin.execute(
        "SELECT count(*) FROM pg_db_role_setting WHERE setrole = (SELECT oid FROM pg_roles WHERE rolname = %s) "
        "OR setdatabase = (SELECT oid FROM pg_database WHERE datname = %s)",
        (role, role),
    )
    assert settings.fetchone() == (0,)


@pytest.mark.parametrize(
    "statement",
    ["ALTER ROLE {role} PASSWORD 'kept-for-myself'", "ALTER ROLE {role} SET work_mem = '1MB'"],
    ids=["password", "setting"],
)
def test_a_prs_role_holding_its_own_role_in_an_open_transaction_cannot_keep_its_password(
    preview: Preview, tmp_path: Path, statement: str
) -> None:
    old = preview.create(1)
    holding = psycopg.connect(old)
    holding.execute(statement.format(role=f"{preview.base}_pr_{REPO}_1"))
    holding.commit()
    # Then again, left uncommitted: it holds the very rows that giving the role a new password (and its defaults back)
    # changes.
    holding.execute(statement.format(role=f"{preview.base}_pr_{REPO}_1"))
    target = tmp_path / "new-url"
    result = preview.run("create", *IN_REPO, "--pr", "1", "--url-to-file", str(target))
    with pytest.raises(psycopg.OperationalError):
        holding.execute("SELECT 1")
    holding.close()
    assert result.code == 0, result.stderr
    with pytest.raises(psycopg.OperationalError, match="password authentication failed"):
        psycopg.connect(old).close()
    with psycopg.connect(target.read_text()) as new:
        assert new.execute("SELECT current_user").fetchone() == (f"{preview.base}_pr_{REPO}_1",)
