"""Alembic driven in-process: the head of the script directory, upgrades, and a database's current revision."""

from __future__ import annotations

import functools
from pathlib import Path

from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import create_engine
from sqlalchemy.pool import NullPool

from alembic import command
from tenantguard_db.session import LimitError, Limits, connect_problem, is_unreachable, shown
from tenantguard_db.urls import mask_error, sqlalchemy_url

ROOT = Path(__file__).resolve().parent.parent
ALEMBIC_INI = ROOT / "alembic.ini"


UNREACHABLE = (
    "this machine cannot reach the database: run `pulumi up` and `pulumi refresh` from a runner inside its "
    "network (in CI the repository variable INFRA_RUNNERS names the runner labels per stack: "
    "docs/explanation/ci-project.md), or turn "
    "the migration off for this stack with `pulumi config set --stack <stack> runMigrations false`"
)


FAILED = (
    "each revision commits alone, so the database stays at the last one that completed and nothing downgrades: "
    "see what ran and fix forward (docs/how-to/failed-production-migration.md#steps)"
)


class MigrationError(RuntimeError):
    """A migration or revision lookup failed; the message never contains the database password."""


class UnreachableDatabaseError(MigrationError):
    """The database server could not be reached from where the migration runs."""


def alembic_config(url: str | None = None) -> Config:
    """Alembic's config for this repository; `url` overrides CI_DB_URL/DATABASE_URL."""
    config = Config(str(ALEMBIC_INI))
    # The host process (Pulumi, pytest) owns logging; env.py must not reconfigure it.
    config.attributes["configure_logger"] = False
    if url is not None:
        config.attributes["database_url"] = url
    return config


def upgrade_config(url: str) -> Config:
    """Alembic's config for an upgrade, which never needs the models."""
    config = alembic_config(url)
    config.attributes["skip_models"] = True
    # env.py words its messages after the command (a no-op upgrade says the database is at head).
    config.attributes["command"] = "upgrade"
    return config


@functools.cache
def head_revision() -> str:
    """The script directory's single head, read from the files alone (no database); read once per process."""
    head = ScriptDirectory.from_config(alembic_config()).get_current_head()
    if head is None:
        raise MigrationError("alembic/versions holds no revision")
    return head


def current_revision(url: str) -> str | None:
    """The revision the database is at, or None for an empty database (`pulumi refresh` asks this)."""
    try:
        limits = Limits.from_environment()
    except LimitError as refused:
        raise MigrationError(str(refused)) from None
    try:
        engine = create_engine(sqlalchemy_url(url), poolclass=NullPool, connect_args=limits.connect_args(url))
        try:
            with engine.connect() as connection:
                return MigrationContext.configure(connection).get_current_revision()
        finally:
            engine.dispose()
    except Exception as error:
        problem = RuntimeError(connect_problem(error, limits, url))
        message = f"cannot read the revision of {shown(url)}: {mask_error(problem, url)}"
        if is_unreachable(error):
            raise UnreachableDatabaseError(f"{message}; {UNREACHABLE}") from None
        raise MigrationError(message) from None


def upgrade(url: str, revision: str) -> str | None:
    """Upgrade the database to `revision` under the migration lock; returns the revision now applied."""
    current_revision(url)  # an unreachable database fails here, saying where to run from
    try:
        command.upgrade(upgrade_config(url), revision)
    except Exception as error:
        raise MigrationError(f"{mask_error(error, url)}; {FAILED}") from None
    return current_revision(url)
