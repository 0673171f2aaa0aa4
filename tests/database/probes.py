"""Looking at a live PostgreSQL from the side, for the fault tests: backends, the migration lock, polling."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import TypeVar

import sqlalchemy as sa
from sqlalchemy.pool import NullPool

from tenantguard_db.session import MIGRATION_LOCK_ID
from tenantguard_db.urls import sqlalchemy_url

T = TypeVar("T")


def wait_for(probe: Callable[[], T | None], within: float, what: str) -> T:
    """Poll `probe` until it returns something other than None or False; fail after `within` seconds."""
    deadline = time.monotonic() + within
    while True:
        value = probe()
        if value is not None and value is not False:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"still waiting after {within}s for {what}")
        time.sleep(0.05)


@contextmanager
def session(url: str) -> Iterator[sa.Connection]:
    """One autocommit connection of our own to the database at `url`."""
    engine = sa.create_engine(sqlalchemy_url(url), poolclass=NullPool, isolation_level="AUTOCOMMIT")
    try:
        with engine.connect() as connection:
            yield connection
    finally:
        engine.dispose()


def backend_running(url: str, fragment: str) -> int | None:
    """The pid of a backend whose current query contains `fragment`, if any."""
    with session(url) as connection:
        pid = connection.execute(
            sa.text(
                "SELECT pid FROM pg_stat_activity"
                " WHERE state = 'active' AND query LIKE :like AND pid <> pg_backend_pid()"
            ),
            {"like": f"%{fragment}%"},
        ).scalar()
    return None if pid is None else int(pid)


def backend_alive(url: str, pid: int) -> bool:
    with session(url) as connection:
        return bool(
            connection.execute(sa.text("SELECT count(*) FROM pg_stat_activity WHERE pid = :pid"), {"pid": pid}).scalar()
        )


def take_migration_lock(connection: sa.Connection) -> bool:
    """Try the runners' advisory lock on this session without waiting; True when it is now ours."""
    return bool(connection.execute(sa.text("SELECT pg_try_advisory_lock(:id)"), {"id": MIGRATION_LOCK_ID}).scalar())


def terminate(url: str, pid: int) -> None:
    """End a backend a failed test left behind, so it does not hold locks for the rest of the session."""
    with session(url) as connection:
        connection.execute(sa.text("SELECT pg_terminate_backend(:pid)"), {"pid": pid})
