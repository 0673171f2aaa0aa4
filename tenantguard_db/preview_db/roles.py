"""Each pull request's own login role: made confined, granted its database's tables and nothing else, given a new
password, dropped."""

from __future__ import annotations

import psycopg
from psycopg import sql

from tenantguard_db.preview_db.console import log_to_stderr
from tenantguard_db.preview_db.errors import WORK_ORDER, PreviewDbError, database_error
from tenantguard_db.preview_db.metadata import ROLE_KIND, Meta, find_role, require_our_role, utc_now
from tenantguard_db.preview_db.names import PullRequest
from tenantguard_db.preview_db.server import Connection, Server

# A preview app's pool per serverless instance stays small; the limit keeps one preview from taking
# the server's connections from the others and from CI.
PR_ROLE_CONNECTION_LIMIT = 10

# What a pull request's role may do with the tables of its own database, and nothing else.
TABLE_PRIVILEGES = sql.SQL("SELECT, INSERT, UPDATE, DELETE")
SEQUENCE_PRIVILEGES = sql.SQL("USAGE, SELECT")

# Written by the CI role's migrations only: the deployment reads it, never moves it.
VERSION_TABLE = "alembic_version"


def ensure_pr_role(connection: Connection, server: Server, pr: PullRequest) -> None:
    """The pull request's role, created without a password (nobody logs in as it until set_role_password) or, if it
    exists and is ours, held to the attributes below; a role of that name we did not create is refused."""
    role = server.pr_role(pr)
    name = sql.Identifier(role)
    found = find_role(connection, role)
    if found is None:
        # NOINHERIT and member of nothing: it holds only what is granted to it by name (restrict_database,
        # grant_table_access), so PUBLIC's defaults are all it shares with other roles.
        connection.execute(
            sql.SQL(
                "CREATE ROLE {} LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOINHERIT NOREPLICATION NOBYPASSRLS "
                "CONNECTION LIMIT {} PASSWORD NULL"
            ).format(name, sql.Literal(PR_ROLE_CONNECTION_LIMIT))
        )
        meta = Meta(kind=ROLE_KIND, base=server.base, pr=pr.number, repository=pr.repository, created_at=utc_now())
        connection.execute(sql.SQL("COMMENT ON ROLE {} IS {}").format(name, sql.Literal(meta.comment())))
        log_to_stderr(f"role {role} created")
    else:
        require_our_role(found, server, pr)
        require_confined(connection, role)
        # A non-superuser may not even name SUPERUSER, REPLICATION or BYPASSRLS in ALTER ROLE (PostgreSQL 15:
        # "must be superuser to ... change superuser attribute"): require_confined() checks those instead.
        connection.execute(
            sql.SQL("ALTER ROLE {} LOGIN NOCREATEDB NOCREATEROLE NOINHERIT CONNECTION LIMIT {}").format(
                name, sql.Literal(PR_ROLE_CONNECTION_LIMIT)
            )
        )
    # The CI role joins the pull request's role, so it may end that role's sessions (pg_terminate_backend and
    # DROP DATABASE ... WITH (FORCE) require membership: "Server Signaling Functions" in the PostgreSQL docs).
    # This gives the CI role nothing it lacks, and the pull request's role nothing at all. PostgreSQL 16 lets
    # the creator do this through the ADMIN OPTION it gets on the role (commit e5b8a4c098ad, createrole_self_grant:
    # "the grant that this feature triggers can also be performed explicitly"); tested here on 15 only.
    connection.execute(sql.SQL("GRANT {} TO CURRENT_USER").format(name))


def require_confined(connection: Connection, role: str) -> None:
    """Refuse a role that holds more than this command grants (an administrator gave it more by hand)."""
    row = connection.execute(
        "SELECT r.rolsuper, r.rolreplication, r.rolbypassrls, "
        "ARRAY(SELECT g.rolname FROM pg_auth_members m JOIN pg_roles g ON g.oid = m.roleid "
        "WHERE m.member = r.oid ORDER BY 1)::text[] "
        "FROM pg_roles r WHERE r.rolname = %s",
        (role,),
    ).fetchone()
    if row is None:
        return
    extra = [
        attribute for attribute, held in zip(("SUPERUSER", "REPLICATION", "BYPASSRLS"), row[:3], strict=True) if held
    ]
    extra += [f"membership in {granted}" for granted in row[3]]
    if extra:
        raise PreviewDbError(
            f"role {role} holds {', '.join(extra)}, which this command never grants; no URL for it is handed out.",
            hint=f"An administrator takes it back (or drops the role, DROP ROLE {role};) and the pull request runs "
            "again.",
        )


def grant_table_access(server: Server, database: str, role: str) -> None:
    """As the CI role that owns and migrates `database`: `role` may use its schemas, read and write its tables and
    use its sequences, read the version table; and it must not be able to create anything there."""
    grantee = sql.Identifier(role)
    with server.session(database) as connection:
        # For what later revisions create: they run as this same role (create, on the next push). Those runs
        # grant everything again below; these cover a revision run by hand as the CI role in between.
        for privileges, kind in ((TABLE_PRIVILEGES, "TABLES"), (SEQUENCE_PRIVILEGES, "SEQUENCES"), (None, "SCHEMAS")):
            connection.execute(
                sql.SQL("ALTER DEFAULT PRIVILEGES GRANT {} ON {} TO {}").format(
                    privileges or sql.SQL("USAGE"), sql.SQL(kind), grantee
                )
            )
        # The schemas the CI role may grant (its own, and public through pg_database_owner), and the relations
        # it owns: what its migrations made. System schemas and anything an administrator owns stay out.
        schemas = connection.execute(
            "SELECT n.nspname FROM pg_namespace n WHERE n.nspname <> 'information_schema' "
            "AND n.nspname NOT LIKE 'pg\\_%' AND has_schema_privilege(n.oid, 'USAGE WITH GRANT OPTION') ORDER BY 1"
        ).fetchall()
        relations = connection.execute(
            "SELECT n.nspname, c.relname, c.relkind FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace "
            "WHERE c.relowner = (SELECT oid FROM pg_roles WHERE rolname = current_user) "
            "AND c.relkind IN ('r', 'p', 'v', 'm', 'f', 'S') AND n.nspname <> 'information_schema' "
            "AND n.nspname NOT LIKE 'pg\\_%' ORDER BY 1, 2"
        ).fetchall()
        version = [sql.Identifier(n, r) for n, r, kind in relations if r == VERSION_TABLE and kind == "r"]
        tables = [sql.Identifier(n, r) for n, r, kind in relations if kind != "S" and r != VERSION_TABLE]
        sequences = [sql.Identifier(n, r) for n, r, kind in relations if kind == "S"]
        grants = [
            ("SCHEMA", sql.SQL("USAGE"), [sql.Identifier(n) for (n,) in schemas]),
            ("TABLE", TABLE_PRIVILEGES, tables),
            ("SEQUENCE", SEQUENCE_PRIVILEGES, sequences),
            ("TABLE", sql.SQL("SELECT"), version),
        ]
        for kind, privileges, objects in grants:
            if objects:
                connection.execute(
                    sql.SQL("GRANT {} ON {} {} TO {}").format(
                        privileges, sql.SQL(kind), sql.SQL(", ").join(objects), grantee
                    )
                )
        if version:
            # Whatever granted more before (the default privileges above, for a version table the CI role
            # creates by hand later), the deployment only reads which revisions ran.
            connection.execute(
                sql.SQL("REVOKE INSERT, UPDATE, DELETE ON TABLE {} FROM {}").format(
                    sql.SQL(", ").join(version), grantee
                )
            )
        creatable = [
            str(name)
            for (name,) in connection.execute(
                "SELECT n.nspname FROM pg_namespace n WHERE has_schema_privilege(%s, n.oid, 'CREATE') ORDER BY 1",
                (role,),
            ).fetchall()
        ]
        row = connection.execute("SELECT has_database_privilege(%s, current_database(), 'CREATE')", (role,)).fetchone()
        if row and row[0]:
            creatable.append(f"database {database} (new schemas)")
        if creatable:
            # Objects it could create would be owned by it and seen by the CI role's next migration (a function
            # named like one a revision calls runs as the CI role).
            raise PreviewDbError(
                f"role {role} could create objects in {', '.join(creatable)} of {database}, because PUBLIC may "
                "(PostgreSQL 14 and older grant CREATE on schema public to PUBLIC); no URL is handed out.",
                hint="An administrator runs REVOKE CREATE ON SCHEMA public FROM PUBLIC; in template1 and in that "
                f"database ({WORK_ORDER})",
            )


def set_role_password(connection: Connection, server: Server, role: str, password: str) -> None:
    """Give the role a new password, then end the sessions opened with the old one: only the newest URL works.

    The statement carries a SCRAM verifier computed here by libpq (PQencryptPasswordConn, what psql's
    \\password uses), never the password: ALTER ROLE's docs warn a cleartext password may end up in the
    server's log."""
    try:
        verifier = connection.pgconn.encrypt_password(password.encode(), role.encode())
    except psycopg.Error as error:
        raise database_error(error, server.url, f"cannot set the password of role {role}") from None
    connection.execute(
        sql.SQL("ALTER ROLE {} PASSWORD {}").format(sql.Identifier(role), sql.Literal(verifier.decode()))
    )
    end_role_sessions(connection, role)


def end_role_sessions(connection: Connection, role: str) -> None:
    connection.execute("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE usename = %s", (role,))


def drop_role(connection: Connection, role: str) -> None:
    """End the role's sessions, then drop it if it exists."""
    end_role_sessions(connection, role)
    connection.execute(sql.SQL("DROP ROLE IF EXISTS {}").format(sql.Identifier(role)))


def other_reachable_databases(connection: Connection, role: str, own: str) -> list[str]:
    """The other databases `role` may connect to: those where PUBLIC still holds CONNECT (PostgreSQL's default)."""
    rows = connection.execute(
        "SELECT datname FROM pg_database WHERE datallowconn AND datname <> %s "
        "AND has_database_privilege(%s, oid, 'CONNECT') ORDER BY datname",
        (own, role),
    ).fetchall()
    return [str(name) for (name,) in rows]
