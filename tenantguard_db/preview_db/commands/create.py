"""create: a pull request's database, cloned from the template or migrated from base, and its role's URL handed out."""

from __future__ import annotations

import psycopg
from psycopg import sql

from tenantguard_db import migrate
from tenantguard_db.preview_db.console import log_to_stderr
from tenantguard_db.preview_db.databases import drop_database, restrict_database
from tenantguard_db.preview_db.errors import (
    WORK_ORDER,
    PreviewDbError,
    RevisionsFailedError,
    UsageError,
    database_error,
)
from tenantguard_db.preview_db.handout import Handout, UrlDestinations
from tenantguard_db.preview_db.locks import TEMPLATE_CLONE_LOCK, advisory_lock, pr_lock_keys, set_lock_wait
from tenantguard_db.preview_db.metadata import (
    PR_DATABASE_KIND,
    TEMPLATE_KIND,
    Meta,
    find_database,
    require_our_database,
    set_database_meta,
    utc_now,
)
from tenantguard_db.preview_db.names import PullRequest
from tenantguard_db.preview_db.privileges import require_privileges, warn_createrole_reach
from tenantguard_db.preview_db.revisions import Revisions, migrated_meta, read_revision
from tenantguard_db.preview_db.roles import (
    ensure_pr_role,
    grant_table_access,
    other_reachable_databases,
    set_role_password,
)
from tenantguard_db.preview_db.server import Connection, Server


def create(server: Server, pr: PullRequest, revisions: Revisions, destinations: UrlDestinations) -> str:
    """Create or migrate the pull request's database as the CI role; when `destinations` has somewhere to put it, hand
    out a URL for the pull request's own role with a new password (the previous deployment's stops working).
    Without, the role's password is left alone: a new one nobody receives would only cut off the deployment."""
    if pr.repository is None:
        # A legacy name may be another repository's pull request of the same number: never create or reuse one.
        raise UsageError("create needs --repository-id: a legacy name (no repository) is never created")
    name = server.pr_name(pr)
    role = server.pr_role(pr)
    url = server.ci_url_for(name)  # the CI role's: it owns the database and runs the migrations
    handout = Handout.new(server, pr, destinations)
    with server.maintenance_session() as connection:
        set_lock_wait(connection)
        require_privileges(connection, "CREATEDB", "CREATEROLE")
        warn_createrole_reach(connection)
        with advisory_lock(connection, f"the lock of {pr}", *pr_lock_keys(server, pr)):
            found = find_database(connection, name)
            meta = None if found is None else require_our_database(found, server, PR_DATABASE_KIND, pr)
            ensure_pr_role(connection, server, pr)
            if meta is not None:
                reason = revisions.why_not_from(read_revision(url, name), meta.fingerprint)
                if reason is None:
                    log_to_stderr(f"{name} exists; migrating it to {revisions.head}")
                else:
                    log_to_stderr(f"{name} is recreated: {reason}")
                    drop_database(connection, name)
                    meta = None
            if meta is None:
                meta = Meta(
                    kind=PR_DATABASE_KIND,
                    base=server.base,
                    pr=pr.number,
                    repository=pr.repository,
                    created_at=utc_now(),
                )
                clone_or_create(connection, server, name, revisions)
                set_database_meta(connection, name, meta)
            # Every run, so a database made before roles existed (PUBLIC could connect) is closed too.
            restrict_database(connection, name, role)
            try:
                reached = revisions.upgrade(url)
            except migrate.MigrationError as error:
                failure = f"migrating {name} to {revisions.head} failed: {error}"
                try:
                    reached = read_revision(url, name)
                except PreviewDbError as unreadable:
                    raise PreviewDbError(f"{failure}; then {unreadable}") from None
                set_database_meta(connection, name, migrated_meta(meta, revisions, reached))
                raise RevisionsFailedError(f"{failure}; it stays at {reached or 'no revision'}") from None
            set_database_meta(connection, name, migrated_meta(meta, revisions, reached))
            grant_table_access(server, name, role)
            if handout is not None:
                set_role_password(connection, server, role, handout.password)
            elsewhere = other_reachable_databases(connection, role, name)
    log_to_stderr(f"{name} is at {reached}; its deployment connects as role {role}")
    if elsewhere:
        log_to_stderr(
            f"role {role} can also connect to {', '.join(elsewhere)}: PUBLIC holds CONNECT there (PostgreSQL's "
            f"default for every database); the one-time SQL in {WORK_ORDER} takes it away"
        )
    if handout is None:
        log_to_stderr(
            f"no URL handed out (neither --url-to-file PATH nor --github-output): the password of role {role} is "
            "unchanged, so a deployment made before keeps its access; either option hands out a URL with a new "
            "password, which ends the previous deployment's access"
        )
    else:
        destinations.write_url(name, handout.url)
    return name


def clone_or_create(connection: Connection, server: Server, name: str, revisions: Revisions) -> None:
    """Clone the template when the checkout descends from it; otherwise an empty database, migrated from base."""
    with advisory_lock(connection, "the template (being rebuilt)", TEMPLATE_CLONE_LOCK, shared=True):
        found = find_database(connection, server.template)
        meta = found.meta if found else None
        if meta is None or meta.kind != TEMPLATE_KIND or meta.base != server.base or meta.revision is None:
            reason = f"no template {server.template} built from main (the template subcommand, run on main)"
        else:
            why = revisions.why_not_from(meta.revision, meta.fingerprint)
            if why is None:
                clone = sql.SQL("CREATE DATABASE {} TEMPLATE {}")
                try:
                    connection.execute(clone.format(sql.Identifier(name), sql.Identifier(server.template)))
                except psycopg.Error as error:
                    raise database_error(error, server.url, f"cannot clone {server.template}") from None
                log_to_stderr(f"{name} created from {server.template} at {meta.revision}")
                return
            reason = (
                f"{server.template} cannot be cloned: {why} (a pull request behind main, or one that edited "
                "main's revisions, starts empty; merging main lets the next database be cloned)"
            )
    try:
        connection.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    except psycopg.Error as error:
        raise database_error(error, server.url, f"cannot create {name}") from None
    log_to_stderr(f"{name} created empty and migrated from base: {reason}")
