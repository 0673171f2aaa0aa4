"""The advisory locks that serialize runs on one pull request and on the template, and how long a run waits for one
(TENANTGUARD_MIGRATION_LOCK_WAIT, read as the migrations read it)."""

from __future__ import annotations

import contextlib
import hashlib
from collections.abc import Iterator

import psycopg
from psycopg import sql

from tenantguard_db import session
from tenantguard_db.preview_db.console import log_to_stderr
from tenantguard_db.preview_db.errors import PreviewDbError, UsageError
from tenantguard_db.preview_db.names import PullRequest
from tenantguard_db.preview_db.server import Connection, Server, connect, statement_limits

# Advisory locks live in the maintenance (base) database every run connects to (env.py's migration lock lives
# in each migrated database). A legacy name's lock is the two-key (namespace, PR number), as the version before
# repository ids took it, so an older checkout still running serializes with this one on those names; a
# repository's pull request locks one int8 key hashed from its name (pr_lock_keys).
PR_LOCK_NAMESPACE = 0x7E4A_5052

# Held through a template build, so two runs on main never build at once.
TEMPLATE_BUILD_LOCK = 0x7E4A_6E47_0B17_7E00

# Shared by each clone, exclusive for the template swap: CREATE DATABASE ... TEMPLATE fails if the
# template is being dropped or renamed under it.
TEMPLATE_CLONE_LOCK = 0x7E4A_6E47_0C10_7E00


def read_lock_wait() -> session.Duration:
    """TENANTGUARD_MIGRATION_LOCK_WAIT, read exactly as the migrations read it (tenantguard_db.session)."""
    try:
        return session.read(session.LOCK_WAIT)
    except session.LimitError as refused:
        raise UsageError(str(refused)) from None


def pr_lock_keys(server: Server, pr: PullRequest) -> tuple[int, ...]:
    """The advisory lock key(s) of a pull request's runs. Two pull requests whose hashes collided would only
    wait for each other (and prune would keep one for a night), never touch each other's database."""
    if pr.repository is None:
        return (PR_LOCK_NAMESPACE, pr.number)
    digest = hashlib.sha256(server.pr_name(pr).encode()).digest()
    return (int.from_bytes(digest[:8], "big", signed=True),)


def set_lock_wait(connection: Connection) -> None:
    """Bound this session's waits for a lock (advisory ones included) by TENANTGUARD_MIGRATION_LOCK_WAIT."""
    connection.execute("SELECT set_config('lock_timeout', %s, false)", (read_lock_wait().text,))


@contextlib.contextmanager
def advisory_lock(connection: Connection, what: str, *keys: int, shared: bool = False) -> Iterator[None]:
    """Hold the advisory lock `keys` (shared or exclusive) for the block; a wait past the lock wait fails naming
    `what`."""
    kind = "_shared" if shared else ""
    arguments = advisory_lock_arguments(keys)
    try:
        connection.execute(sql.SQL(f"SELECT pg_advisory_lock{kind}({{}})").format(arguments), keys)
    except psycopg.errors.LockNotAvailable:
        raise PreviewDbError(
            f"gave up waiting for {what} after {read_lock_wait()} ({session.LOCK_WAIT.variable}); another run holds it"
        ) from None
    try:
        yield
    finally:
        # A session that died has released its locks already; its error is the one worth reporting.
        with contextlib.suppress(psycopg.Error):
            connection.execute(sql.SQL(f"SELECT pg_advisory_unlock{kind}({{}})").format(arguments), keys)


def advisory_lock_arguments(keys: tuple[int, ...]) -> sql.Composable:
    """pg_advisory_lock's arguments: two int4 keys, or one int8."""
    return sql.SQL(", ").join(sql.SQL("%s::int4" if len(keys) == 2 else "%s::int8") for _ in keys)


@contextlib.contextmanager
def pr_lock_if_free(connection: Connection, keys: tuple[int, ...]) -> Iterator[bool]:
    """The pull request's lock (pr_lock_keys), if no run holds it: a run creating or migrating that pull request
    means it is alive, and between creating its role and its database the role only looks orphaned."""
    row = connection.execute(
        sql.SQL("SELECT pg_try_advisory_lock({})").format(advisory_lock_arguments(keys)), keys
    ).fetchone()
    free = bool(row and row[0])
    try:
        yield free
    finally:
        if free:
            connection.execute(sql.SQL("SELECT pg_advisory_unlock({})").format(advisory_lock_arguments(keys)), keys)


# env.py's migration lock as pg_locks shows a bigint advisory key: its high half in classid, its low half in objid.
MIGRATION_LOCK_ROWS = sql.SQL(
    "l.locktype = 'advisory' AND l.granted AND l.objsubid = 1 "
    "AND l.database = (SELECT oid FROM pg_catalog.pg_database WHERE datname = current_database()) "
    "AND l.classid::bigint = (%(key)s::bigint >> 32) AND l.objid::bigint = (%(key)s::bigint & 4294967295)"
)


def release_own_migration_lock(url: str, role: str, name: str) -> None:
    """As the pull request's role (`url`, its own, with the password only this run knows, its sessions just ended):
    roll back the transactions it left prepared in its database (PREPARE TRANSACTION keeps locks with no session to
    end), saying which held env.py's migration lock; then refuse, saying who, if anything still holds that lock."""
    with connect(url, **statement_limits()) as own:
        prepared = own.execute(
            sql.SQL(
                # A prepared transaction's locks carry no pid; they share a virtual transaction with the lock on
                # its own transaction id.
                "SELECT p.gid, EXISTS (SELECT 1 FROM pg_catalog.pg_locks l JOIN pg_catalog.pg_locks x "
                "ON x.virtualtransaction = l.virtualtransaction AND x.locktype = 'transactionid' "
                "AND x.transactionid = p.transaction WHERE l.pid IS NULL AND {}) "
                "FROM pg_catalog.pg_prepared_xacts p "
                "WHERE p.owner = current_user AND p.database = current_database() ORDER BY p.prepared"
            ).format(MIGRATION_LOCK_ROWS),
            {"key": session.MIGRATION_LOCK_ID},
        ).fetchall()
        for gid, held_the_lock in prepared:
            own.execute(sql.SQL("ROLLBACK PREPARED {}").format(sql.Literal(gid)))
            what = f"held the migration lock of {name}" if held_the_lock else f"left a transaction prepared in {name}"
            log_to_stderr(f"role {role} (the pull request's own) {what} ({gid!r}); rolled back")
        holder = own.execute(
            sql.SQL(
                "SELECT l.pid, a.usename FROM pg_catalog.pg_locks l "
                "LEFT JOIN pg_catalog.pg_stat_activity a ON a.pid = l.pid WHERE {}"
            ).format(MIGRATION_LOCK_ROWS),
            {"key": session.MIGRATION_LOCK_ID},
        ).fetchone()
    if holder is not None:
        pid, user = holder
        if pid is None:
            who, end = "a transaction another role left prepared", "rolls it back (ROLLBACK PREPARED)"
        else:
            who = f"a session (pid {pid}) of " + (
                f"role {role}, the pull request's own," if user == role else f"role {user},"
            )
            end = f"ends it (SELECT pg_terminate_backend({pid});)"
        raise PreviewDbError(
            f"the migration lock of {name} is held by {who} even after the role's sessions were ended: no migration "
            "can run there.",
            hint=f"An administrator {end}, then this runs again.",
        )
