"""Fixtures of the preview command's tests, on a real PostgreSQL, as a non-superuser role holding only CREATEDB and
CREATEROLE, after the work order's one-time SQL."""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import quote

import psycopg
import pytest
from psycopg import sql

from tenantguard_db.local_postgres import LocalPostgres
from tenantguard_db.preview_db.server import Connection
from tests.database.preview_db.harness import FAKE_PASSWORD, ROLE, SERVER_DATABASES, Preview

_bases = itertools.count(1)


@pytest.fixture(scope="package")
def admin(postgres: LocalPostgres) -> Iterator[Connection]:
    """A superuser session, for what only an administrator does (roles, foreign databases)."""
    with psycopg.connect(postgres.url("postgres"), autocommit=True) as connection:
        # The work order's one-time SQL for the preview role and the server (the base database's part is
        # in the preview fixture: each test has its own base).
        # A package fixture is set up again when a worker's tests leave the package and come back (xdist's
        # `--dist loadscope` orders them so): the role then exists already, on the same server.
        exists = connection.execute("SELECT 1 FROM pg_roles WHERE rolname = %s", (ROLE,)).fetchone()
        if exists is None:
            connection.execute(sql.SQL("CREATE ROLE {}").format(sql.Identifier(ROLE)))
        connection.execute(
            sql.SQL("ALTER ROLE {} LOGIN PASSWORD {} CREATEDB CREATEROLE").format(
                sql.Identifier(ROLE), sql.Literal(FAKE_PASSWORD)
            )
        )
        every = sql.SQL(", ").join(map(sql.Identifier, SERVER_DATABASES))
        connection.execute(sql.SQL("REVOKE CONNECT ON DATABASE {} FROM PUBLIC").format(every))
        try:
            yield connection
        finally:
            # The server outlives this package: give the other tests PostgreSQL's defaults back.
            connection.execute(sql.SQL("GRANT CONNECT ON DATABASE {} TO PUBLIC").format(every))


@pytest.fixture
def preview(
    postgres: LocalPostgres,
    admin: Connection,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
) -> Preview:
    """A fresh base database per test (so the names derived from it are the test's own), as CI_DB_URL."""
    base = f"pv{next(_bases)}"
    admin.execute(sql.SQL("CREATE DATABASE {} OWNER {}").format(sql.Identifier(base), sql.Identifier(ROLE)))
    # The work order's one-time SQL for the base database (the shared preview app's role would get CONNECT too).
    admin.execute(sql.SQL("REVOKE CONNECT ON DATABASE {} FROM PUBLIC").format(sql.Identifier(base)))
    url = f"postgresql://{ROLE}:{quote(FAKE_PASSWORD, safe='')}@127.0.0.1:{postgres.port}/{base}"
    monkeypatch.setenv("CI_DB_URL", url)
    monkeypatch.delenv("DATABASE_URL", raising=False)
    monkeypatch.delenv("GITHUB_OUTPUT", raising=False)
    return Preview(postgres, admin, base, url, capsys, tmp_path)
