"""Alembic environment: one advisory lock per run, a transaction per revision, bounded lock and statement waits."""

from __future__ import annotations

import os
import re
from logging.config import fileConfig

from alembic.util import CommandError
from sqlalchemy import MetaData, create_engine, text
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.pool import NullPool

from alembic import context
from tenantguard_db.urls import MissingDatabaseUrlError, mask_error, sqlalchemy_url, url_from_environment

# Any fixed 64-bit number works as long as every runner of these migrations agrees on it.
MIGRATION_LOCK_ID = 0x7E4A_6E47_0A11_B1C0 & 0x7FFF_FFFF_FFFF_FFFF

TIMEOUTS = {
    # variable: (PostgreSQL setting, default)
    "TENANTGUARD_LOCK_TIMEOUT": ("lock_timeout", "5s"),
    "TENANTGUARD_STATEMENT_TIMEOUT": ("statement_timeout", "5min"),
}
LOCK_WAIT_VARIABLE = "TENANTGUARD_MIGRATION_LOCK_WAIT"
LOCK_WAIT_DEFAULT = "10min"
_DURATION = re.compile(r"^\d+(ms|s|min|h)?$")

config = context.config
if config.config_file_name is not None and config.attributes.get("configure_logger", True):
    # Keep the loggers of a host process (the Pulumi program, the tests) working.
    fileConfig(config.config_file_name, disable_existing_loggers=False)


def models_needed() -> bool:
    """Autogenerate and `alembic check` compare against the models; upgrades and downgrades never read them."""
    if config.attributes.get("skip_models"):
        return False
    command = getattr(config.cmd_opts, "cmd", (None,))[0]
    return getattr(command, "__name__", "") not in ("upgrade", "downgrade")


target_metadata: MetaData | None = None
if models_needed():
    # Importing the ORM costs ~0.2 s, a fifth of a CLI upgrade (bench/RESULTS.md): only when compared.
    from tenantguard_db.models import Base

    target_metadata = Base.metadata


def duration(variable: str, default: str) -> str:
    value = os.environ.get(variable, default).strip()
    if not _DURATION.match(value):
        raise CommandError(f"{variable}={value!r} is not a duration; use e.g. 500ms, 5s, 2min or 0 for no limit")
    return value


def session_settings() -> dict[str, str]:
    return {setting: duration(variable, default) for variable, (setting, default) in TIMEOUTS.items()}


def database_url() -> str:
    url = config.attributes.get("database_url")
    if url:
        return str(url)
    try:
        return url_from_environment()
    except MissingDatabaseUrlError as missing:
        raise CommandError(str(missing)) from None


def run_migrations_offline() -> None:
    """Print the SQL for review (`alembic upgrade head --sql`); no URL or database needed."""
    context.configure(
        url="postgresql://",
        target_metadata=target_metadata,
        literal_binds=True,
        dialect_opts={"paramstyle": "named"},
        transaction_per_migration=True,
    )
    # Emitted first so the script, run by hand, waits no longer than a CI run would.
    for setting, value in session_settings().items():
        context.execute(f"SET {setting} = '{value}'")
    with context.begin_transaction():
        context.run_migrations()


def run_migrations_online() -> None:
    settings = session_settings()
    lock_wait = duration(LOCK_WAIT_VARIABLE, LOCK_WAIT_DEFAULT)
    given = config.attributes.get("connection")
    if isinstance(given, Engine):
        # A caller that owns the engine (pytest-alembic) gets the same lock and settings.
        with given.connect() as connection:
            _migrate_locked(connection, settings, lock_wait)
        return
    url = database_url()
    engine = None
    try:
        engine = create_engine(sqlalchemy_url(url), poolclass=NullPool)
        with engine.connect() as connection:
            _migrate_locked(connection, settings, lock_wait)
    except CommandError as error:
        raise CommandError(mask_error(error, url)) from None
    except Exception as error:
        # Errors from the driver can quote the URL; the CLI prints only this message.
        raise CommandError(f"migration failed: {type(error).__name__}: {mask_error(error, url)}") from None
    finally:
        if engine is not None:
            engine.dispose()


def _migrate_locked(connection: Connection, settings: dict[str, str], lock_wait: str) -> None:
    # Runners (parallel deploys, a rerun) queue on a session advisory lock; the second finds the
    # database at head and does nothing. lock_timeout bounds that wait, then the DDL's own waits.
    connection.execute(text("SELECT set_config('lock_timeout', :wait, false)"), {"wait": lock_wait})
    connection.execute(text("SELECT pg_advisory_lock(:id)"), {"id": MIGRATION_LOCK_ID})
    try:
        for setting, value in settings.items():
            connection.execute(text("SELECT set_config(:setting, :value, false)"), {"setting": setting, "value": value})
        # Commit the autobegun transaction, or Alembic would treat it as external and never commit.
        connection.commit()
        context.configure(
            connection=connection,
            target_metadata=target_metadata,
            transaction_per_migration=True,
        )
        with context.begin_transaction():
            context.run_migrations()
    finally:
        if connection.in_transaction():
            connection.rollback()
        connection.execute(text("SELECT pg_advisory_unlock(:id)"), {"id": MIGRATION_LOCK_ID})
        connection.commit()


if context.is_offline_mode():
    run_migrations_offline()
else:
    run_migrations_online()
