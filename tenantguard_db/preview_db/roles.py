"""The roles this command makes: each pull request's (it owns that pull request's database and is its deployment's
login), made confined, given a new password with its sessions ended, locked out and dropped whatever it was granted;
and the template owner role."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator

import psycopg
from psycopg import sql

from tenantguard_db.preview_db.console import log_to_stderr
from tenantguard_db.preview_db.databases import roll_back_prepared_transactions
from tenantguard_db.preview_db.errors import PreviewDbError, database_error
from tenantguard_db.preview_db.metadata import (
    ROLE_KIND,
    TEMPLATE_OWNER_KIND,
    ExistingRole,
    Meta,
    find_role,
    require_our_role,
    set_role_meta,
    utc_now,
)
from tenantguard_db.preview_db.names import PullRequest
from tenantguard_db.preview_db.server import Connection, Server

# A preview app's pool per serverless instance stays small; the limit keeps one preview from taking
# the server's connections from the others and from CI. The migration takes one or two of them.
PR_ROLE_CONNECTION_LIMIT = 10

# How often, and how long each time, change_role waits for a role's own rows.
CHANGE_ROLE_TRIES = 5
CHANGE_ROLE_WAIT = "2s"

# How long to wait for each ended session to be gone (pg_terminate_backend's timeout, PostgreSQL 14+): until then it
# may still hold its locks.
SESSION_END_WAIT_MS = 10_000

# What every role this command makes is: member of nothing, nothing beyond logging in (CREATE ROLE's defaults, said
# out loud). INHERIT, since owning a database makes a role a member of pg_database_owner there, which owns schema
# public, and only an inheriting member may create in it; require_confined() refuses any membership granted besides.
# A non-superuser may not even name SUPERUSER, REPLICATION or BYPASSRLS in ALTER ROLE (PostgreSQL 15: "must be
# superuser to ... change superuser attribute"): require_confined() checks those instead.
CONFINED = "NOCREATEDB NOCREATEROLE INHERIT"


def ensure_pr_role(connection: Connection, server: Server, pr: PullRequest, found: ExistingRole | None) -> None:
    """The pull request's role: created with no password and no login (nobody logs in as it until rotate_password),
    or, if it exists and is ours (find_role: our comment, our grant), held to the attributes below; a role of that name
    we did not create is refused."""
    role = server.pr_role(pr)
    name = sql.Identifier(role)
    if found is None:
        connection.execute(
            sql.SQL(
                "CREATE ROLE {} NOLOGIN NOSUPERUSER " + CONFINED + " NOREPLICATION NOBYPASSRLS CONNECTION LIMIT {} "
                "PASSWORD NULL"
            ).format(name, sql.Literal(PR_ROLE_CONNECTION_LIMIT))
        )
        meta = Meta(kind=ROLE_KIND, base=server.base, pr=pr.number, repository=pr.repository, created_at=utc_now())
        set_role_meta(connection, role, meta)
        grant_to_ourselves(connection, role)
        log_to_stderr(f"role {role} created")
        return
    require_our_role(found, server, pr)
    require_confined(connection, role)
    change_role(
        connection,
        role,
        sql.SQL("ALTER ROLE {} " + CONFINED + " CONNECTION LIMIT {}").format(
            name, sql.Literal(PR_ROLE_CONNECTION_LIMIT)
        ),
    )


def grant_to_ourselves(connection: Connection, role: str) -> None:
    """Make the CI role a member of `role`, by its own grant (what find_role recognises ours by). Membership is what
    lets the CI role drop the databases the role owns, end its sessions and hand objects to it (PostgreSQL requires
    the privileges of the owner for each). It gives the CI role nothing it lacks, and `role` nothing at all.
    PostgreSQL 16 lets the creator do this through the ADMIN OPTION it gets on the role (commit e5b8a4c098ad,
    createrole_self_grant); tested here on 15 only."""
    connection.execute(sql.SQL("GRANT {} TO CURRENT_USER").format(sql.Identifier(role)))


def ensure_template_owner(connection: Connection, server: Server) -> None:
    """The role that owns every object in the template: no login but while a template is built (build_template gives
    it a password for that run alone), member of nothing, owner of no database."""
    role = server.template_owner
    found = find_role(connection, role)
    if found is not None:
        require_our_role(found, server, None, TEMPLATE_OWNER_KIND)
        require_confined(connection, role)
        change_role(
            connection,
            role,
            sql.SQL("ALTER ROLE {} NOLOGIN " + CONFINED + " PASSWORD NULL").format(sql.Identifier(role)),
        )
        return
    connection.execute(
        sql.SQL("CREATE ROLE {} NOLOGIN NOSUPERUSER " + CONFINED + " NOREPLICATION NOBYPASSRLS PASSWORD NULL").format(
            sql.Identifier(role)
        )
    )
    set_role_meta(connection, role, Meta(kind=TEMPLATE_OWNER_KIND, base=server.base, created_at=utc_now()))
    grant_to_ourselves(connection, role)
    log_to_stderr(f"role {role} created (it owns what is in the template)")


def require_confined(connection: Connection, role: str) -> None:
    """Refuse a role that holds more than this command grants (an administrator gave it more by hand)."""
    row = connection.execute(
        "SELECT r.rolsuper, r.rolreplication, r.rolbypassrls, "
        "ARRAY(SELECT g.rolname FROM pg_catalog.pg_auth_members m JOIN pg_catalog.pg_roles g ON g.oid = m.roleid "
        "WHERE m.member = r.oid ORDER BY 1)::text[] "
        "FROM pg_catalog.pg_roles r WHERE r.rolname = %s",
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


def rotate_password(connection: Connection, server: Server, role: str, password: str) -> None:
    """Give the role a new password and its defaults back, then end its sessions: from here only this run knows how
    to log in as it, and nothing it did in a session (a lock held, a setting) outlives this.

    The statement carries a SCRAM verifier computed here by libpq (PQencryptPasswordConn, what psql's
    \\password uses), never the password: ALTER ROLE's docs warn a cleartext password may end up in the
    server's log."""
    try:
        verifier = connection.pgconn.encrypt_password(password.encode(), role.encode())
    except psycopg.Error as error:
        raise database_error(error, server.url, f"cannot set the password of role {role}") from None
    name = sql.Identifier(role)
    change_role(
        connection,
        role,
        sql.SQL("ALTER ROLE {} LOGIN PASSWORD {}").format(name, sql.Literal(verifier.decode())),
        sql.SQL("ALTER ROLE {} RESET ALL").format(name),
    )


def lock_out(connection: Connection, role: str) -> None:
    """No password and no login for the role, and none of its sessions left: whatever becomes of it next."""
    change_role(connection, role, sql.SQL("ALTER ROLE {} NOLOGIN PASSWORD NULL").format(sql.Identifier(role)))


def change_role(connection: Connection, role: str, *statements: sql.Composed) -> None:
    """Run `statements` (ALTER ROLE on `role`) in one transaction once the role's sessions are ended, then end those
    that got in before it committed. A transaction of the role's own (an ALTER ROLE of its password or settings left
    open) holds the rows these change: each try waits CHANGE_ROLE_WAIT for them, and the next ends the sessions again,
    so a role reconnecting in a loop would have to win every race."""
    for _ in range(CHANGE_ROLE_TRIES):
        end_role_sessions(connection, role)
        try:
            with connection.transaction():
                connection.execute("SELECT pg_catalog.set_config('lock_timeout', %s, true)", (CHANGE_ROLE_WAIT,))
                for statement in statements:
                    connection.execute(statement)
        except psycopg.errors.LockNotAvailable:
            continue
        end_role_sessions(connection, role)
        return
    raise PreviewDbError(
        f"role {role} could not be changed: each time its sessions were ended, a new one held its role's row again "
        f"({CHANGE_ROLE_TRIES} tries)."
    )


def forget_password(connection: Connection, role: str) -> None:
    """No password for the role: the one this run set was handed to nobody."""
    connection.execute(sql.SQL("ALTER ROLE {} PASSWORD NULL").format(sql.Identifier(role)))


def end_role_sessions(connection: Connection, role: str) -> None:
    """End every session of `role`, waiting for each to be gone (so its locks are released)."""
    connection.execute(
        "SELECT pg_catalog.pg_terminate_backend(pid, %s) FROM pg_catalog.pg_stat_activity WHERE usename = %s",
        (SESSION_END_WAIT_MS, role),
    )


def drop_role(connection: Connection, server: Server, role: str) -> None:
    """Drop the role (locked out first), after taking back, in each database, whatever anyone granted it there (a
    pull request's role can grant its own objects, large objects and default privileges to any role): DROP ROLE
    refuses while any of that remains. A role that still cannot be dropped is left locked out, never with a password."""
    lock_out(connection, role)
    release_dependencies(connection, server, role)
    try:
        connection.execute(sql.SQL("DROP ROLE IF EXISTS {}").format(sql.Identifier(role)))
    except psycopg.errors.DependentObjectsStillExist as error:
        raise database_error(
            error, server.url, f"role {role} (locked out: no login, no password) cannot be dropped"
        ) from None


def release_dependencies(connection: Connection, server: Server, role: str) -> None:
    """DROP OWNED BY `role` in every database where something names it, and for the server-wide objects (databases'
    privileges) in this one; a database the CI role cannot connect to is left to an administrator (the hint)."""
    rows = connection.execute(
        "SELECT DISTINCT d.datname FROM pg_catalog.pg_shdepend s JOIN pg_catalog.pg_database d ON d.oid = s.dbid "
        "WHERE s.refclassid = 'pg_catalog.pg_authid'::pg_catalog.regclass "
        "AND s.refobjid = (SELECT oid FROM pg_catalog.pg_roles WHERE rolname = %s) ORDER BY 1",
        (role,),
    ).fetchall()
    here = str(connection.info.dbname)
    drop_owned = sql.SQL("DROP OWNED BY {}").format(sql.Identifier(role))
    for (database,) in rows:
        if database == here:
            continue
        try:
            with (
                held_off(connection, server, str(database)) as pr_database,
                server.session(str(database), connection.info.server_version) as inside,
            ):
                # In a pull request's database, what its role built on what `role` owned there goes too: that is
                # its own doing. Anywhere else, an administrator's object is never dropped along.
                inside.execute(drop_owned + (sql.SQL(" CASCADE") if pr_database else sql.SQL("")))
        except (PreviewDbError, psycopg.Error) as error:
            said = error if isinstance(error, PreviewDbError) else database_error(error, server.url, "DROP OWNED")
            raise PreviewDbError(
                f"role {role} (locked out: no login, no password) is named in database {database}, where the CI "
                f"role cannot take it back: {said}",
                hint=f"An administrator runs DROP OWNED BY {role}; in {database}, then drop or prune runs again.",
            ) from None
    # What it holds on databases themselves (CONNECT granted by a database's owner) is taken back from here; those
    # owners are held off too, since an ALTER DATABASE of theirs left open holds the row that changes.
    granting = connection.execute(
        "SELECT DISTINCT d.datname FROM pg_catalog.pg_shdepend s JOIN pg_catalog.pg_database d ON d.oid = s.objid "
        "WHERE s.dbid = 0 AND s.classid = 'pg_catalog.pg_database'::pg_catalog.regclass "
        "AND s.refclassid = 'pg_catalog.pg_authid'::pg_catalog.regclass "
        "AND s.refobjid = (SELECT oid FROM pg_catalog.pg_roles WHERE rolname = %s) ORDER BY 1",
        (role,),
    ).fetchall()
    with contextlib.ExitStack() as holding:
        for (database,) in granting:
            holding.enter_context(held_off(connection, server, str(database)))
        connection.execute(drop_owned)


@contextlib.contextmanager
def held_off(connection: Connection, server: Server, database: str) -> Iterator[bool]:
    """For the block (told True): when `database` is a pull request's (owned by the role of its name, which the CI
    role is a member of), its role cannot log in, every session there the CI role may end is ended, the transactions
    left prepared there are rolled back, and the CI role may connect (its owner may have set a connection limit). A
    transaction left open could otherwise hold, for ever, the rows DROP OWNED must change. Its login comes back
    after. Any other database is left as it is (told False)."""
    owner = pr_database_owner(connection, server, database)
    if owner is None:
        yield False
        return
    row = connection.execute("SELECT rolcanlogin FROM pg_catalog.pg_roles WHERE rolname = %s", (owner,)).fetchone()
    could_log_in = bool(row and row[0])
    change_role(connection, owner, sql.SQL("ALTER ROLE {} NOLOGIN").format(sql.Identifier(owner)))
    try:
        connection.execute(
            "SELECT pg_catalog.pg_terminate_backend(pid, %s) FROM pg_catalog.pg_stat_activity WHERE datname = %s "
            "AND pid <> pg_catalog.pg_backend_pid() AND pg_catalog.pg_has_role(usesysid, 'USAGE')",
            (SESSION_END_WAIT_MS, database),
        )
        connection.execute(
            sql.SQL("ALTER DATABASE {} WITH ALLOW_CONNECTIONS true CONNECTION LIMIT -1").format(
                sql.Identifier(database)
            )
        )
        roll_back_prepared_transactions(connection, server, database)
        yield True
    finally:
        if could_log_in:
            connection.execute(sql.SQL("ALTER ROLE {} LOGIN").format(sql.Identifier(owner)))


def pr_database_owner(connection: Connection, server: Server, database: str) -> str | None:
    """The pull request's role that owns `database`, if it is one as this command makes them (the role of its name,
    which the CI role is a member of): the CI role may then act as its owner."""
    if server.pr_from_name(database) is None:
        return None
    row = connection.execute(
        "SELECT pg_catalog.pg_get_userbyid(datdba) = datname AND pg_catalog.pg_has_role(datdba, 'USAGE') "
        "FROM pg_catalog.pg_database WHERE datname = %s",
        (database,),
    ).fetchone()
    return database if row and row[0] else None


def other_reachable_databases(connection: Connection, role: str, own: str) -> list[str]:
    """The other databases `role` may connect to: those where PUBLIC still holds CONNECT (PostgreSQL's default)."""
    rows = connection.execute(
        "SELECT datname FROM pg_catalog.pg_database WHERE datallowconn AND datname <> %s "
        "AND pg_catalog.has_database_privilege(%s, oid, 'CONNECT') ORDER BY datname",
        (own, role),
    ).fetchall()
    return [str(name) for (name,) in rows]
