"""Fixtures: a real PostgreSQL server for the session, a fresh database per test."""

from __future__ import annotations

import hashlib
import os
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

from tenantguard_db.local_postgres import LocalPostgres

SHARED_MEMORY = Path("/dev/shm")  # noqa: S108 - LocalPostgres makes a private (mkdtemp) directory in it
# A whole session leaves about 120 databases, 0.9 GB (counted at the end of a run); a container's default
# /dev/shm (64 MB) could not hold them.
SHARED_MEMORY_NEEDED = 2 * 1024**3


def server_parent() -> Path | None:
    """tmpfs when there is room: creating a database is file I/O (about 25 ms there, 85 ms on this machine's disk)."""
    usable = SHARED_MEMORY.is_dir() and os.access(SHARED_MEMORY, os.W_OK)
    return SHARED_MEMORY if usable and shutil.disk_usage(SHARED_MEMORY).free >= SHARED_MEMORY_NEEDED else None


@pytest.fixture(scope="session")
def postgres() -> Iterator[LocalPostgres]:
    """A real PostgreSQL server for the whole session (each xdist worker has its own), on a free loopback port."""
    with LocalPostgres(parent=server_parent()) as server:
        yield server


@pytest.fixture
def database(postgres: LocalPostgres, request: pytest.FixtureRequest) -> str:
    """A new empty database for one test, by URL."""
    # PostgreSQL cuts names at 63 bytes: a short hash of the whole test id keeps parametrized cases apart.
    readable = request.node.name.lower().translate(str.maketrans("[]-.", "____"))[:40]
    name = f"t_{readable}_{hashlib.sha256(request.node.nodeid.encode()).hexdigest()[:8]}"
    return postgres.create_database(name)
