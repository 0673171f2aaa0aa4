"""template: the database every pull request's is cloned from, built aside at this checkout's head, then swapped in."""

from __future__ import annotations

from psycopg import sql

from tenantguard_db import migrate
from tenantguard_db.preview_db.console import log_to_stderr
from tenantguard_db.preview_db.databases import drop_database, restrict_database
from tenantguard_db.preview_db.errors import RevisionsFailedError
from tenantguard_db.preview_db.locks import TEMPLATE_BUILD_LOCK, TEMPLATE_CLONE_LOCK, advisory_lock, set_lock_wait
from tenantguard_db.preview_db.metadata import (
    TEMPLATE_BUILD_KIND,
    TEMPLATE_KIND,
    Meta,
    find_database,
    require_our_database,
    set_database_meta,
    utc_now,
)
from tenantguard_db.preview_db.privileges import require_privileges
from tenantguard_db.preview_db.revisions import Revisions, migrated_meta
from tenantguard_db.preview_db.server import Server


def build_template(server: Server, revisions: Revisions) -> str:
    """Bring the template to this checkout's head (run it on main): build aside, then swap under the lock."""
    with server.maintenance_session() as connection:
        set_lock_wait(connection)
        require_privileges(connection, "CREATEDB")
        with advisory_lock(connection, "the template build lock", TEMPLATE_BUILD_LOCK):
            current = find_database(connection, server.template)
            meta = current.meta if current else None
            if (
                meta is not None
                and meta.kind == TEMPLATE_KIND
                and meta.base == server.base
                and meta.revision == revisions.head
                and meta.fingerprint == revisions.fingerprint(revisions.head)
            ):
                restrict_database(connection, server.template)  # one built before PUBLIC lost CONNECT
                log_to_stderr(f"{server.template} is already at {revisions.head}")
                return server.template
            if current is not None and (
                meta is None or meta.base != server.base or meta.kind not in (TEMPLATE_KIND, TEMPLATE_BUILD_KIND)
            ):
                require_our_database(current, server, TEMPLATE_KIND)
            leftover = find_database(connection, server.template_build)
            if leftover is not None:
                require_our_database(leftover, server, TEMPLATE_BUILD_KIND)
                drop_database(connection, server.template_build)
            built = Meta(kind=TEMPLATE_BUILD_KIND, base=server.base, created_at=utc_now())
            connection.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(server.template_build)))
            # Kept through the rename: no pull request's role may connect to what every clone copies.
            restrict_database(connection, server.template_build)
            set_database_meta(connection, server.template_build, built)
            build_url = server.ci_url_for(server.template_build)
            try:
                reached = revisions.upgrade(build_url)
            except migrate.MigrationError as error:
                drop_database(connection, server.template_build)
                raise RevisionsFailedError(
                    f"building the template at {revisions.head} failed; {server.template} is unchanged: {error}"
                ) from None
            with advisory_lock(connection, "the template clone lock", TEMPLATE_CLONE_LOCK):
                if current is not None:
                    drop_database(connection, server.template, template=True)
                connection.execute(
                    sql.SQL("ALTER DATABASE {} RENAME TO {}").format(
                        sql.Identifier(server.template_build), sql.Identifier(server.template)
                    )
                )
                # Nobody may connect to a template: CREATE DATABASE ... TEMPLATE fails while anyone is.
                connection.execute(
                    sql.SQL("ALTER DATABASE {} WITH IS_TEMPLATE true ALLOW_CONNECTIONS false").format(
                        sql.Identifier(server.template)
                    )
                )
                finished = Meta(kind=TEMPLATE_KIND, base=server.base, created_at=utc_now())
                set_database_meta(connection, server.template, migrated_meta(finished, revisions, reached))
    log_to_stderr(f"{server.template} rebuilt at {reached}")
    return server.template
