"""What the CI role does to a whole database: make one closed from its first moment, hand a clone's objects to its
role, open it for a migration, drop it whatever its owner left in it."""

from __future__ import annotations

from psycopg import sql

from tenantguard_db.preview_db.console import log_to_stderr
from tenantguard_db.preview_db.errors import PreviewDbError
from tenantguard_db.preview_db.server import Connection, Server


def create_closed(
    connection: Connection, name: str, template: str, owner: str | None = None, grant: tuple[str, str] | None = None
) -> None:
    """Create `name` from `template`, owned by `owner` (else the CI role), that only its owner (and, with `grant`,
    one more role: privileges, role) may ever connect to.

    PostgreSQL grants CONNECT and TEMPORARY on every new database to PUBLIC, and a clone does not copy its template's
    access rights: the database is created refusing every connection, closed to PUBLIC, and only then opened. A
    session that got in before the REVOKE would have kept its connection."""
    database = sql.Identifier(name)
    owned = sql.SQL(" OWNER {}").format(sql.Identifier(owner)) if owner else sql.SQL("")
    connection.execute(
        sql.SQL("CREATE DATABASE {}{} TEMPLATE {} ALLOW_CONNECTIONS false").format(
            database, owned, sql.Identifier(template)
        )
    )
    connection.execute(sql.SQL("REVOKE ALL ON DATABASE {} FROM PUBLIC").format(database))
    if grant is not None:
        privileges, role = grant
        connection.execute(
            sql.SQL("GRANT {} ON DATABASE {} TO {}").format(sql.SQL(privileges), database, sql.Identifier(role))
        )
    connection.execute(sql.SQL("ALTER DATABASE {} WITH ALLOW_CONNECTIONS true").format(database))


def owns_shared_objects(connection: Connection, role: str) -> bool:
    """Whether `role` owns a database or tablespace: REASSIGN OWNED BY it would hand that over too."""
    row = connection.execute(
        "SELECT count(*) FROM pg_catalog.pg_shdepend WHERE dbid = 0 AND deptype = 'o' "
        "AND refclassid = 'pg_catalog.pg_authid'::pg_catalog.regclass "
        "AND refobjid = (SELECT oid FROM pg_catalog.pg_roles WHERE rolname = %s)",
        (role,),
    ).fetchone()
    return bool(row and row[0])


def hand_over_objects(connection: Connection, server: Server, name: str, owner: str, new_owner: str) -> None:
    """In database `name` (a clone nothing but the CI role has connected to yet): every object of `owner` becomes
    `new_owner`'s, schemas first (their new owner may then create in them, which owning the objects in them needs)."""
    if owns_shared_objects(connection, owner):
        # REASSIGN OWNED moves the databases a role owns as well, wherever they are.
        raise PreviewDbError(
            f"role {owner} owns a database or tablespace; it must own nothing but the objects in the template.",
            hint="An administrator gives them another owner (ALTER DATABASE ... OWNER TO ...), then this runs again.",
        )
    with server.session(name, connection.info.server_version) as inside:
        schemas = inside.execute(
            "SELECT nspname FROM pg_catalog.pg_namespace "
            "WHERE nspowner = (SELECT oid FROM pg_catalog.pg_roles WHERE rolname = %s) ORDER BY 1",
            (owner,),
        ).fetchall()
        for (schema,) in schemas:
            inside.execute(
                sql.SQL("ALTER SCHEMA {} OWNER TO {}").format(sql.Identifier(schema), sql.Identifier(new_owner))
            )
        inside.execute(sql.SQL("REASSIGN OWNED BY {} TO {}").format(sql.Identifier(owner), sql.Identifier(new_owner)))


def open_for_migration(connection: Connection, name: str, role: str) -> None:
    """Undo what the owner of `name` (the pull request's role) may have set on its database, so its migration can
    connect and runs with the server's defaults; and close it to PUBLIC again (its owner may have granted CONNECT; a
    session that got in that way was ended with the role's, or is one of a role the next drop cleans up after)."""
    database = sql.Identifier(name)
    connection.execute(
        sql.SQL("ALTER DATABASE {} WITH ALLOW_CONNECTIONS true CONNECTION LIMIT -1 IS_TEMPLATE false").format(database)
    )
    connection.execute(sql.SQL("ALTER DATABASE {} RESET ALL").format(database))
    connection.execute(sql.SQL("ALTER ROLE {} IN DATABASE {} RESET ALL").format(sql.Identifier(role), database))
    connection.execute(sql.SQL("REVOKE ALL ON DATABASE {} FROM PUBLIC").format(database))
    # Its owner may have revoked its own CONNECT too.
    connection.execute(sql.SQL("GRANT ALL ON DATABASE {} TO {}").format(database, sql.Identifier(role)))


def drop_database(connection: Connection, server: Server, name: str) -> None:
    """Drop `name` if it exists, whatever its owner did to keep it: a template flag, prepared transactions (which
    DROP DATABASE waits for), sessions (ended: FORCE)."""
    row = connection.execute("SELECT datistemplate FROM pg_catalog.pg_database WHERE datname = %s", (name,)).fetchone()
    if row is None:
        return
    database = sql.Identifier(name)
    if row[0]:
        connection.execute(sql.SQL("ALTER DATABASE {} WITH IS_TEMPLATE false").format(database))
    roll_back_prepared_transactions(connection, server, name)
    # FORCE ends the sessions still connected to it (PostgreSQL 13+): those of a pull request's role because the CI
    # role is a member of it (ensure_pr_role).
    connection.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(database))


def roll_back_prepared_transactions(connection: Connection, server: Server, name: str) -> None:
    """Roll back the transactions left prepared in `name` (PREPARE TRANSACTION, where the server allows it): each
    holds its locks with no session to end, and keeps the database from being dropped."""
    prepared = connection.execute(
        "SELECT gid, owner FROM pg_catalog.pg_prepared_xacts WHERE database = %s ORDER BY prepared", (name,)
    ).fetchall()
    if not prepared:
        return
    connection.execute(
        sql.SQL("ALTER DATABASE {} WITH ALLOW_CONNECTIONS true CONNECTION LIMIT -1").format(sql.Identifier(name))
    )
    with server.session(name, connection.info.server_version) as inside:
        for gid, owner in prepared:
            # Only the role that prepared it may finish it: the CI role acts as that role, which it is a member of.
            inside.execute(sql.SQL("SET ROLE {}").format(sql.Identifier(owner)))
            inside.execute(sql.SQL("ROLLBACK PREPARED {}").format(sql.Literal(gid)))
            inside.execute("SET ROLE NONE")
            log_to_stderr(f"{name}: rolled back the transaction role {owner} left prepared ({gid!r})")
