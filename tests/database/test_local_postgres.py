"""The throwaway PostgreSQL server: real password authentication, and nothing left behind on failure."""

from __future__ import annotations

from pathlib import Path

import pytest

from tenantguard_db import migrate
from tenantguard_db.local_postgres import LocalPostgres


def test_the_server_takes_its_password_and_refuses_another(postgres: LocalPostgres) -> None:
    url = postgres.create_database("auth")
    assert migrate.current_revision(url) is None
    with pytest.raises(migrate.MigrationError, match="password authentication failed"):
        migrate.current_revision(postgres.url("auth", password="not-it"))


def test_a_failed_start_says_why_and_removes_its_directory(tmp_path: Path) -> None:
    server = LocalPostgres()
    server.bin = tmp_path  # no initdb here
    with pytest.raises(RuntimeError, match="initdb"):
        server.start()
    assert not server.directory.exists()
