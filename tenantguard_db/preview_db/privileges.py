"""What the CI role (the manager: CI_DB_URL's role) must hold, checked before anything changes, and what CREATEROLE lets
it reach besides.

The manager's rights, per subcommand (the one-time SQL grants them:
workorders/WO-ci-secrets.md#one-time-sql-for-the-preview-role-an-administrator-once; pulumi-postgresql's Role and
Grant resources can declare the same):

    every subcommand  LOGIN; CONNECT on the base database (CI_DB_URL's), where the advisory locks live; NOSUPERUSER,
                      NOREPLICATION, NOBYPASSRLS, member of no role: none of that is ever needed.
    list              nothing more: it reads the shared catalogs (pg_database, pg_roles, their comments) only.
    create            CREATEDB (the pull request's database) and CREATEROLE (its role: CREATE, ALTER ... PASSWORD,
                      COMMENT ON ROLE, and GRANT <role> TO itself). Through that membership, which it grants itself,
                      it owns each pull request's database as far as PostgreSQL's checks go (DROP DATABASE, ALTER
                      DATABASE, REASSIGN OWNED, ending the role's sessions); and through its membership in the template
                      owner role it hands a clone's objects over.
    template          CREATEDB (the build) and CREATEROLE (the template owner role: created once, given a password
                      for each build and none afterwards).
    drop, prune       CREATEROLE (DROP ROLE, and ALTER ROLE ... NOLOGIN first) and the memberships create granted; no
                      CREATEDB (dropping a database takes its owner's privileges only). Without CREATEROLE they still
                      drop databases but stop before a role (require_privileges says so).
    connections       two of its own at once per run (the base database, and a new clone or a database to clean up),
                      plus the worker's, which count against the pull request's role (CONNECTION LIMIT 10) or the
                      template owner's: CONNECTION LIMIT 50 on the manager leaves room for about 20 runs at once.

CREATEROLE on PostgreSQL 15 and older also lets its holder alter any role that is not a superuser (passwords
included) and grant itself membership in any of them, predefined roles such as pg_execute_server_program (COPY ...
TO PROGRAM: a shell as the server's user), pg_read_server_files and pg_write_server_files among them: almost a
superuser. It cannot make or change a superuser, nor give REPLICATION or BYPASSRLS. PostgreSQL 16 limits it to the
roles it created (ADMIN OPTION) and to attributes it holds itself. Hence: the manager credential only ever in jobs
that run no pull-request code, and a server for previews alone.
"""

from __future__ import annotations

from psycopg import sql

from tenantguard_db.preview_db.console import log_to_stderr
from tenantguard_db.preview_db.errors import WORK_ORDER, PreviewDbError
from tenantguard_db.preview_db.server import Connection

WHY_NEEDED = {
    "CREATEDB": "which creating databases needs",
    "CREATEROLE": "which each pull request's own login role needs",
}


def require_privileges(connection: Connection, *privileges: str) -> None:
    """Stop before changing anything when the CI role lacks one of `privileges` (keys of WHY_NEEDED), naming each."""
    row = connection.execute(
        "SELECT current_user, rolsuper OR rolcreatedb, rolsuper OR rolcreaterole FROM pg_roles "
        "WHERE rolname = current_user"
    ).fetchone()
    role = str(row[0]) if row else "the preview role"
    held = {"CREATEDB": bool(row and row[1]), "CREATEROLE": bool(row and row[2])}
    missing = [privilege for privilege in privileges if not held[privilege]]
    if missing:
        lacks = " and the ".join(f"{privilege} privilege ({WHY_NEEDED[privilege]})" for privilege in missing)
        grants = " ".join(
            sql.SQL("ALTER ROLE {} " + privilege + ";").format(sql.Identifier(role)).as_string(connection)
            for privilege in missing
        )
        raise PreviewDbError(
            f"role {role} lacks the {lacks}.", hint=f"An administrator runs once: {grants} (see {WORK_ORDER})"
        )


def warn_createrole_reach(connection: Connection) -> None:
    """Say so when CREATEROLE reaches further than the pull requests' roles: before PostgreSQL 16 it lets a role
    alter any non-superuser role and grant itself any non-superuser role's membership (PostgreSQL 16 release
    notes, "Restrict the privileges of CREATEROLE roles"; the PostgreSQL 15 docs, "Role Attributes", call such
    roles almost superusers)."""
    version = connection.info.server_version
    row = connection.execute("SELECT current_user, rolsuper FROM pg_roles WHERE rolname = current_user").fetchone()
    if version < 160000 and row is not None and not row[1]:
        log_to_stderr(
            f"PostgreSQL {version // 10000}: CREATEROLE lets role {row[0]} grant itself almost any privilege on "
            "this server, not only manage the pull requests' roles (PostgreSQL 16 limits it to the roles it "
            f"created); keep this server for previews and CI_DB_URL for the preview jobs ({WORK_ORDER})"
        )
        others = [
            str(name)
            for (name,) in connection.execute(
                "SELECT rolname FROM pg_catalog.pg_roles WHERE rolcreaterole AND NOT rolsuper "
                "AND rolname <> current_user ORDER BY 1"
            ).fetchall()
        ]
        if others:
            log_to_stderr(
                f"role{'s' if len(others) > 1 else ''} {', '.join(others)} also hold{'' if len(others) > 1 else 's'} "
                f"CREATEROLE: on PostgreSQL {version // 10000} each can change or take over every pull request's role "
                "here; nothing this command checks can tell"
            )
