"""Alembic environment: one advisory lock per run, a transaction per revision, bounded waits, plain messages."""

from __future__ import annotations

import contextlib
import logging
from logging.config import fileConfig
from typing import Any

from alembic.util import CommandError
from sqlalchemy import MetaData, create_engine, text
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.exc import DBAPIError
from sqlalchemy.pool import NullPool

from alembic import context
from tenantguard_db.session import (
    LOCK_WAIT,
    MIGRATION_LOCK_ID,
    STATEMENT_TIMEOUT,
    Duration,
    LimitError,
    Limits,
    connect_problem,
    is_lock_timeout,
    shown,
    statement_problem,
)
from tenantguard_db.urls import (
    MissingDatabaseUrlError,
    UnsafeUrlError,
    mask_error,
    parse_postgres_url,
    sqlalchemy_url,
    url_and_variable_from_environment,
)

# Commands that only read the database: their failures are not "migration failed".
READ_ONLY_COMMANDS = {"current", "check", "history", "heads", "branches", "show"}

log = logging.getLogger("alembic.env")
config = context.config
if config.config_file_name is not None and config.attributes.get("configure_logger", True):
    # Keep the loggers of a host process (the Pulumi program, the tests) working.
    fileConfig(config.config_file_name, disable_existing_loggers=False)
    # Once logging is configured, alembic's CLI reports each CommandError twice: logged by
    # alembic.util.messaging, then printed as "FAILED: ..." (err() in alembic/util/messaging.py, called
    # by CommandLine.run_cmd in alembic/config.py). The FAILED line is the one alembic always prints.
    logging.getLogger("alembic.util.messaging").setLevel(logging.CRITICAL)


def command_name() -> str:
    """The alembic command running: from the CLI's arguments, or as tenantguard_db.migrate names it."""
    command = getattr(config.cmd_opts, "cmd", (None,))[0]
    return str(getattr(command, "__name__", "") or config.attributes.get("command", ""))


def models_needed() -> bool:
    """Autogenerate and `alembic check` compare against the models; upgrades and downgrades never read them."""
    if config.attributes.get("skip_models"):
        return False
    return command_name() not in ("upgrade", "downgrade")


target_metadata: MetaData | None = None
if models_needed():
    # Importing the ORM costs ~0.2 s, a fifth of a CLI upgrade (bench/RESULTS.md): only when compared.
    from tenantguard_db.models import Base

    target_metadata = Base.metadata


def failed(problem: str) -> str:
    name = command_name()
    return f"alembic {name} failed: {problem}" if name in READ_ONLY_COMMANDS else f"migration failed: {problem}"


def checked_limits() -> Limits:
    try:
        return Limits.from_environment()
    except LimitError as refused:
        raise CommandError(str(refused)) from None


def database_url() -> tuple[str, str]:
    """The URL to connect to, and where it came from ("" when the caller passed it in-process)."""
    given = config.attributes.get("database_url")
    if given:
        return str(given), ""
    try:
        url, source = url_and_variable_from_environment()
    except MissingDatabaseUrlError as missing:
        raise CommandError(str(missing)) from None
    try:
        # The driver must connect where the message and the guard say: refuse what it would read otherwise.
        parse_postgres_url(url)
    except UnsafeUrlError as refused:
        raise CommandError(f"{source} {refused}") from None
    return url, source


def run_migrations_offline() -> None:
    """Print the SQL for review (`alembic upgrade head --sql`); no URL or database needed."""
    limits = checked_limits()
    context.configure(
        url="postgresql://",
        target_metadata=target_metadata,
        literal_binds=True,
        dialect_opts={"paramstyle": "named"},
        transaction_per_migration=True,
    )
    # Emitted first so the script, run by hand, waits no longer than a CI run would. The client check
    # is left out: the script may meet a server older than PostgreSQL 14, where it is an error.
    for setting, value in limits.statement_settings().items():
        context.execute(f"SET {setting} = '{value}'")
    with context.begin_transaction():
        context.run_migrations()


def run_migrations_online() -> None:
    limits = checked_limits()
    given = config.attributes.get("connection")
    if isinstance(given, Engine):
        # A caller that owns the engine (pytest-alembic) gets the same lock and settings.
        with given.connect() as connection:
            _migrate_locked(connection, limits)
        return
    url, source = database_url()
    where = shown(url) + (f" (from {source})" if source else "")
    log.info("Database: %s", where)
    engine = None
    try:
        try:
            engine = create_engine(sqlalchemy_url(url), poolclass=NullPool, connect_args=limits.connect_args(url))
            connection = engine.connect()
        except Exception as error:
            raise CommandError(f"cannot connect to {where}: {connect_problem(error, limits, url)}") from None
        with connection:
            _migrate_locked(connection, limits)
    except CommandError as error:
        raise CommandError(mask_error(error, url)) from None
    except Exception as error:
        # Errors from the driver can quote the URL; the CLI prints only this message.
        raise CommandError(mask_error(CommandError(failed(statement_problem(error, limits))), url)) from None
    finally:
        if engine is not None:
            engine.dispose()


def _migrate_locked(connection: Connection, limits: Limits) -> None:
    _watch_for_a_vanished_runner(connection, limits.client_check_interval)
    _take_the_migration_lock(connection, limits.lock_wait)
    try:
        for setting, value in limits.statement_settings().items():
            connection.execute(text("SELECT set_config(:setting, :value, false)"), {"setting": setting, "value": value})
        # Commit the autobegun transaction, or Alembic would treat it as external and never commit.
        connection.commit()
        applied: list[Any] = []
        context.configure(
            connection=connection,
            target_metadata=target_metadata,
            transaction_per_migration=True,
            on_version_apply=lambda **step: applied.append(step["step"]),
        )
        with context.begin_transaction():
            context.run_migrations()
        if command_name() == "upgrade":
            _protect_the_version_table(connection)
        if not applied and command_name() == "upgrade":
            _say_nothing_was_upgraded()
    except BaseException:
        # The error in flight is the one to report, even when the connection is gone and unlocking fails.
        with contextlib.suppress(Exception):
            _release_the_migration_lock(connection)
        raise
    _release_the_migration_lock(connection)


VERSION_TABLE_POLICY = "alembic_version_read_only"


def _protect_the_version_table(connection: Connection) -> None:
    """Only the migrations change which revision the database is at.

    The app's login may UPDATE and DELETE every table of schema public, alembic_version included (the generated
    roles' grant is ON ALL TABLES IN SCHEMA public, re-applied each deploy; a provided app role often has the same),
    and a rewritten row would make the next deploy skip revisions or fail on one already applied. Row security with
    one policy that only reads leaves the row readable to whoever may select it and writable by its owner alone,
    the role running the migrations: owners bypass row security unless it is forced (docs, "Row Security Policies";
    ALTER TABLE, "ENABLE ROW LEVEL SECURITY"). Once per database, by its owner; anyone else is told.
    """
    row = connection.execute(
        text(
            "SELECT c.relrowsecurity, pg_catalog.pg_has_role(c.relowner, 'USAGE') FROM pg_catalog.pg_class c "
            "WHERE c.oid = pg_catalog.to_regclass('alembic_version')"
        )
    ).first()
    if row is not None and not row[0]:
        if row[1]:
            connection.execute(text("ALTER TABLE alembic_version ENABLE ROW LEVEL SECURITY"))
            connection.execute(text(f"CREATE POLICY {VERSION_TABLE_POLICY} ON alembic_version FOR SELECT USING (true)"))
        else:
            log.warning("alembic_version is not this login's: its row stays writable by every role that may write it")
    connection.commit()


def _watch_for_a_vanished_runner(connection: Connection, interval: Duration) -> None:
    # A runner killed mid-statement (SIGKILL, a cancelled CI job) leaves its backend running that
    # statement, holding the migration lock and its table locks until statement_timeout. PostgreSQL 14+
    # checks the client's socket every client_connection_check_interval while a statement runs and
    # ends the session once the client is gone.
    # https://www.postgresql.org/docs/current/runtime-config-connection.html#GUC-CLIENT-CONNECTION-CHECK-INTERVAL
    if interval.milliseconds == 0:
        return
    try:
        with connection.begin_nested():
            connection.execute(
                text("SELECT set_config('client_connection_check_interval', :value, false)"), {"value": interval.text}
            )
    except DBAPIError as unsupported:
        # Older than 14, or a platform without the socket check: run anyway, and say what it costs.
        log.warning(
            "The server cannot watch for a runner that dies (%s): a killed run keeps its locks for up to %s",
            str(unsupported.orig).strip(),
            STATEMENT_TIMEOUT.variable,
        )


def _take_the_migration_lock(connection: Connection, wait: Duration) -> None:
    # Runners (parallel deploys, a rerun) queue on a session advisory lock; the second finds the
    # database at head and does nothing. lock_timeout bounds that wait, then the DDL's own waits.
    connection.execute(text("SELECT set_config('lock_timeout', :wait, false)"), {"wait": wait.text})
    try:
        connection.execute(text("SELECT pg_advisory_lock(:id)"), {"id": MIGRATION_LOCK_ID})
    except DBAPIError as error:
        if not is_lock_timeout(error):
            raise
        connection.rollback()
        raise CommandError(
            f"another migration holds the migration lock (advisory lock {MIGRATION_LOCK_ID}"
            f"{_lock_holder(connection)}); gave up after {wait} ({LOCK_WAIT.variable}). "
            f"Let it finish and run again, or wait longer with {LOCK_WAIT.variable}"
        ) from None


def _lock_holder(connection: Connection) -> str:
    """ ", held by backend pid N" for the session holding the migration lock, when the server says."""
    with contextlib.suppress(DBAPIError):
        # pg_locks splits a bigint advisory key into classid (high half) and objid (low half).
        pid = connection.execute(
            text(
                "SELECT pid FROM pg_locks WHERE locktype = 'advisory' AND granted AND objsubid = 1"
                " AND database = (SELECT oid FROM pg_database WHERE datname = current_database())"
                " AND classid::bigint = :id >> 32 AND objid::bigint = :id & 4294967295"
            ),
            {"id": MIGRATION_LOCK_ID},
        ).scalar()
        connection.rollback()
        if pid is not None:
            return f", held by backend pid {pid}"
    return ""


def _release_the_migration_lock(connection: Connection) -> None:
    if connection.in_transaction():
        connection.rollback()
    connection.execute(text("SELECT pg_advisory_unlock(:id)"), {"id": MIGRATION_LOCK_ID})
    connection.commit()


def _say_nothing_was_upgraded() -> None:
    migration = context.get_context()
    current = sorted(migration.get_current_heads())
    heads = sorted(context.script.get_heads())
    if current == heads:
        log.info("Database already at head %s: nothing to upgrade.", ", ".join(current))
    else:
        log.info("Database at %s: nothing to upgrade.", ", ".join(current) or "base")


if context.is_offline_mode():
    run_migrations_offline()
else:
    run_migrations_online()
