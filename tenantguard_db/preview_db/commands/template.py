"""template: the database every pull request's is cloned from, built aside at this checkout's head (main's, named by the
default branch's workflow) by the template owner role, then swapped in, closed to everyone."""

from __future__ import annotations

import secrets

from psycopg import sql

from tenantguard_db.preview_db.console import log_to_stderr
from tenantguard_db.preview_db.databases import create_closed, drop_database, owns_shared_objects
from tenantguard_db.preview_db.errors import PreviewDbError, RevisionsFailedError
from tenantguard_db.preview_db.handout import PASSWORD_BYTES
from tenantguard_db.preview_db.locks import TEMPLATE_BUILD_LOCK, TEMPLATE_CLONE_LOCK, advisory_lock, set_lock_wait
from tenantguard_db.preview_db.metadata import (
    LAYOUT,
    TEMPLATE_BUILD_KIND,
    TEMPLATE_KIND,
    ExistingDatabase,
    Meta,
    find_database,
    require_our_database,
    set_database_meta,
    utc_now,
)
from tenantguard_db.preview_db.privileges import require_privileges
from tenantguard_db.preview_db.revisions import Revisions, UpgradeFailed, migrated_meta
from tenantguard_db.preview_db.roles import end_role_sessions, ensure_template_owner, lock_out, rotate_password
from tenantguard_db.preview_db.server import Connection, Server


def build_template(server: Server, revisions: Revisions) -> str:
    """Bring the template to this checkout's head (run it on main): build aside, then swap under the lock."""
    with server.maintenance_session() as connection:
        set_lock_wait(connection)
        require_privileges(connection, "CREATEDB", "CREATEROLE")
        with advisory_lock(connection, "the template build lock", TEMPLATE_BUILD_LOCK):
            current = find_database(connection, server.template)
            if current is not None:
                meta = require_our_template(current, server)
                why = why_rebuilt(connection, server, current, meta, revisions)
                if why is None:
                    log_to_stderr(f"{server.template} is already at {revisions.head}")
                    return server.template
                log_to_stderr(f"{server.template} is rebuilt: {why}")
            ensure_template_owner(connection, server)
            leftover = find_database(connection, server.template_build)
            if leftover is not None:
                require_our_database(leftover, server, TEMPLATE_BUILD_KIND)
                drop_database(connection, server, server.template_build)
            reached = build_aside(connection, server, revisions)
            with advisory_lock(connection, "the template clone lock", TEMPLATE_CLONE_LOCK):
                if current is not None:
                    drop_database(connection, server, server.template)
                swap_in(connection, server, migrated_meta(built_meta(server), revisions, reached))
    log_to_stderr(f"{server.template} rebuilt at {reached}")
    return server.template


def require_our_template(found: ExistingDatabase, server: Server) -> Meta:
    """The template's metadata (or a build's, one a run left half-swapped), or an error leaving another alone."""
    if found.meta is not None and found.meta.kind == TEMPLATE_BUILD_KIND:
        return require_our_database(found, server, TEMPLATE_BUILD_KIND)
    return require_our_database(found, server, TEMPLATE_KIND)


def why_rebuilt(
    connection: Connection, server: Server, found: ExistingDatabase, meta: Meta, revisions: Revisions
) -> str | None:
    """Why the template must be built again, or None when it is at this checkout's head, in this layout, closed."""
    if meta.kind != TEMPLATE_KIND:
        return "an earlier run did not finish swapping it in"
    if meta.layout != LAYOUT:
        return "it was built when the CI role owned everything in it"
    if meta.revision != revisions.head or meta.fingerprint != revisions.fingerprint(revisions.head):
        return f"it is at {meta.revision}, this checkout at {revisions.head}"
    row = connection.execute(
        "SELECT datistemplate AND NOT datallowconn AND datacl IS NOT NULL AND NOT EXISTS "
        "(SELECT 1 FROM pg_catalog.aclexplode(datacl) a WHERE a.grantee <> datdba) "
        "FROM pg_catalog.pg_database WHERE datname = %s",
        (found.name,),
    ).fetchone()
    if not (row and row[0]):
        return "it is not closed to every connection (someone changed it)"
    return None


def built_meta(server: Server) -> Meta:
    return Meta(kind=TEMPLATE_KIND, base=server.base, created_at=utc_now(), layout=LAYOUT)


def build_aside(connection: Connection, server: Server, revisions: Revisions) -> str | None:
    """The next template, in <base>_pr_template_next (the CI role's database), migrated by the template owner role in
    the worker with a password for this build alone: every object in it is that role's. The revision reached."""
    build, owner = server.template_build, server.template_owner
    create_closed(connection, build, "template0", grant=("CONNECT, CREATE", owner))
    set_database_meta(connection, build, Meta(kind=TEMPLATE_BUILD_KIND, base=server.base, created_at=utc_now()))
    with server.session(build, connection.info.server_version) as inside:
        # schema public belongs to the database's owner: the template owner takes it, so a clone can hand it over.
        inside.execute(sql.SQL("ALTER SCHEMA public OWNER TO {}").format(sql.Identifier(owner)))
    password = secrets.token_urlsafe(PASSWORD_BYTES)
    try:
        rotate_password(connection, server, owner, password)
        reached = revisions.upgrade(server.role_url(owner, password, build), password)
    except UpgradeFailed as error:
        drop_database(connection, server, build)
        raise RevisionsFailedError(
            f"building the template at {revisions.head} failed; {server.template} is unchanged: {error}"
        ) from None
    finally:
        lock_out(connection, owner)
    if owns_shared_objects(connection, owner):
        drop_database(connection, server, build)
        raise PreviewDbError(f"role {owner} came to own a database while the template was built; nothing swapped in")
    return reached


def swap_in(connection: Connection, server: Server, meta: Meta) -> None:
    """The build becomes the template: closed to the template owner too, renamed, never to be connected to."""
    build, template = sql.Identifier(server.template_build), sql.Identifier(server.template)
    connection.execute(
        sql.SQL("REVOKE ALL ON DATABASE {} FROM {}").format(build, sql.Identifier(server.template_owner))
    )
    end_role_sessions(connection, server.template_owner)
    connection.execute(sql.SQL("ALTER DATABASE {} RENAME TO {}").format(build, template))
    # Nobody may connect to a template: CREATE DATABASE ... TEMPLATE fails while anyone is.
    connection.execute(sql.SQL("ALTER DATABASE {} WITH IS_TEMPLATE true ALLOW_CONNECTIONS false").format(template))
    set_database_meta(connection, server.template, meta)
