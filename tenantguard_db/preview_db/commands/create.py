"""create: a pull request's database, owned by its own role, cloned from the template or migrated from base in a
process that holds nothing but that role's URL, and that URL handed out."""

from __future__ import annotations

import secrets

import psycopg

from tenantguard_db.preview_db.console import log_to_stderr
from tenantguard_db.preview_db.databases import create_closed, drop_database, hand_over_objects, open_for_migration
from tenantguard_db.preview_db.errors import (
    WORK_ORDER,
    PreviewDbError,
    RevisionsFailedError,
    UsageError,
    database_error,
)
from tenantguard_db.preview_db.handout import PASSWORD_BYTES, UrlDestinations
from tenantguard_db.preview_db.locks import (
    TEMPLATE_CLONE_LOCK,
    advisory_lock,
    pr_lock_keys,
    release_own_migration_lock,
    set_lock_wait,
)
from tenantguard_db.preview_db.metadata import (
    LAYOUT,
    ROLE_KIND,
    TEMPLATE_KIND,
    TEMPLATE_OWNER_KIND,
    Meta,
    PrDatabaseState,
    find_database,
    find_role,
    our_role_meta,
    require_our_pr_database,
    set_role_meta,
    utc_now,
)
from tenantguard_db.preview_db.names import PullRequest
from tenantguard_db.preview_db.privileges import require_privileges, warn_createrole_reach
from tenantguard_db.preview_db.revisions import Revisions, UpgradeFailed, migrated_meta, read_revision
from tenantguard_db.preview_db.roles import (
    drop_role,
    ensure_pr_role,
    forget_password,
    other_reachable_databases,
    rotate_password,
)
from tenantguard_db.preview_db.server import Connection, Server


def create(server: Server, pr: PullRequest, revisions: Revisions, destinations: UrlDestinations) -> str:
    """Create or migrate the pull request's database, owned by its role, and migrate it as that role with a new
    password (the previous deployment's sessions and password end first: nothing it holds can stop the migration).
    With somewhere to put it (`destinations`), the URL carrying that password is handed out; without, the role is left
    with no password at all."""
    if pr.repository is None:
        # A legacy name may be another repository's pull request of the same number: never create or reuse one.
        raise UsageError("create needs --repository-id: a legacy name (no repository) is never created")
    name = server.pr_name(pr)
    role = server.pr_role(pr)
    password = secrets.token_urlsafe(PASSWORD_BYTES)
    url = server.deployment_url(pr, password)  # the pull request's own: its migrations run with it, in the worker
    destinations.mask_in_log(url, password)
    with server.maintenance_session() as connection:
        set_lock_wait(connection)
        require_privileges(connection, "CREATEDB", "CREATEROLE")
        warn_createrole_reach(connection)
        with advisory_lock(connection, f"the lock of {pr}", *pr_lock_keys(server, pr)):
            found_role = find_role(connection, role)
            found = find_database(connection, name)
            state = None if found is None else require_our_pr_database(found, found_role, server, pr)
            ensure_pr_role(connection, server, pr, found_role)
            # Before anything else: the previous deployment's sessions and password end here, and whatever they held.
            rotate_password(connection, server, role, password)
            meta = (
                state.meta
                if state is not None and keep_database(connection, server, pr, state, revisions=revisions, url=url)
                else None
            )
            fresh = meta is None
            if meta is None:
                # What the role's comment records is its database's: made now.
                meta = Meta(
                    kind=ROLE_KIND, base=server.base, pr=pr.number, repository=pr.repository, created_at=utc_now()
                )
                clone_or_create(connection, server, name, role, revisions)
                set_role_meta(connection, role, meta)
            try:
                reached = revisions.upgrade(url, password)
            except UpgradeFailed as error:
                raise failed_migration(
                    connection, server, pr, revisions=revisions, meta=meta, error=error, fresh=fresh
                ) from None
            set_role_meta(connection, role, migrated_meta(meta, revisions, reached))
            if not destinations.hands_out:
                forget_password(connection, role)
            elsewhere = other_reachable_databases(connection, role, name)
    log_to_stderr(f"{name} is at {reached}; its deployment connects as role {role}, which owns it")
    if elsewhere:
        log_to_stderr(
            f"role {role} can also connect to {', '.join(elsewhere)}: PUBLIC holds CONNECT there (PostgreSQL's "
            f"default for every database); the one-time SQL in {WORK_ORDER} takes it away"
        )
    if not destinations.hands_out:
        log_to_stderr(
            f"no URL handed out (neither --url-to-file PATH nor --github-output): role {role} was migrated with a "
            "password used for this run only and now has none, so the deployment made before has lost its access; "
            "either option hands out a URL with a new password"
        )
    else:
        destinations.write_url(name, url)
    return name


def keep_database(
    connection: Connection, server: Server, pr: PullRequest, state: PrDatabaseState, *, revisions: Revisions, url: str
) -> bool:
    """Whether the pull request's existing database is migrated in place (opened for its role's migration), or
    dropped to be made again: made when the CI role owned it, at a revision the checkout's history lacks, or migrated
    with revision files that have changed since."""
    name, role = server.pr_name(pr), server.pr_role(pr)
    reason: str | None
    if state.owned_by_ci_role:
        reason = (
            "it was made when the CI role owned the pull-request databases; from now on role "
            f"{role} owns it and everything in it"
        )
    else:
        open_for_migration(connection, name, role)
        release_own_migration_lock(url, role, name)
        reason = revisions.why_not_from(read_revision(url, name), state.meta.fingerprint)
    if reason is None:
        log_to_stderr(f"{name} exists; migrating it to {revisions.head}")
        return True
    log_to_stderr(f"{name} is recreated: {reason}")
    drop_database(connection, server, name)
    return False


def failed_migration(
    connection: Connection,
    server: Server,
    pr: PullRequest,
    *,
    revisions: Revisions,
    meta: Meta,
    error: UpgradeFailed,
    fresh: bool,
) -> PreviewDbError:
    """What is left after a revision failed, and the error saying so: a database at its last good revision, with its
    role's password handed to nobody; or, when this run made it and no revision held, neither database nor role."""
    name, role = server.pr_name(pr), server.pr_role(pr)
    failure = f"migrating {name} to {revisions.head} failed: {error}"
    if not error.known:
        forget_password(connection, role)
        return PreviewDbError(f"{failure}; then the revision it is at could not be read")
    if fresh and error.reached is None:
        drop_database(connection, server, name)
        drop_role(connection, server, role)
        return RevisionsFailedError(f"{failure}; {name} was new and nothing of it is left (nor of its role)")
    set_role_meta(connection, role, migrated_meta(meta, revisions, error.reached))
    forget_password(connection, role)
    return RevisionsFailedError(
        f"{failure}; it stays at {error.reached or 'no revision'}, and role {role} has no password until a run succeeds"
    )


def clone_or_create(connection: Connection, server: Server, name: str, role: str, revisions: Revisions) -> None:
    """The pull request's database, owned by its role: a clone of the template (its objects handed to the role) when
    the checkout descends from it; otherwise an empty one (from template0, which no role can have changed)."""
    with advisory_lock(connection, "the template (being rebuilt)", TEMPLATE_CLONE_LOCK, shared=True):
        revision, reason = template_to_clone(connection, server, revisions)
        if reason is None:
            try:
                create_closed(connection, name, server.template, owner=role)
            except psycopg.Error as error:
                raise database_error(error, server.url, f"cannot clone {server.template}") from None
            try:
                hand_over_objects(connection, server, name, server.template_owner, role)
            except BaseException:
                # Half a clone (objects its role cannot alter) must not pass for its database next time.
                drop_database(connection, server, name)
                raise
            log_to_stderr(f"{name} created from {server.template} at {revision}; everything in it is role {role}'s")
            return
    try:
        create_closed(connection, name, "template0", owner=role)
    except psycopg.Error as error:
        raise database_error(error, server.url, f"cannot create {name}") from None
    log_to_stderr(f"{name} created empty and migrated from base: {reason}")


def template_to_clone(connection: Connection, server: Server, revisions: Revisions) -> tuple[str | None, str | None]:
    """The template's revision, and why it cannot be cloned for this checkout (None when it can)."""
    found = find_database(connection, server.template)
    meta = found.meta if found is not None and found.owned_by_us else None
    if meta is None or meta.kind != TEMPLATE_KIND or meta.base != server.base or meta.revision is None:
        return None, f"no template {server.template} built from main (the template subcommand, run on main)"
    owner = find_role(connection, server.template_owner)
    if meta.layout != LAYOUT or owner is None or our_role_meta(owner, server, None, TEMPLATE_OWNER_KIND) is None:
        return meta.revision, (
            f"{server.template} was built when the CI role owned everything in it; the template subcommand, run on "
            "main, rebuilds it"
        )
    why = revisions.why_not_from(meta.revision, meta.fingerprint)
    if why is not None:
        return meta.revision, (
            f"{server.template} cannot be cloned: {why} (a pull request behind main, or one that edited main's "
            "revisions, starts empty; merging main lets the next database be cloned)"
        )
    return meta.revision, None
