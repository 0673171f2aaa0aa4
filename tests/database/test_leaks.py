"""The leak suite, database side: Alembic's output never shows the password it connected with."""

from __future__ import annotations

import pytest

from tenantguard_db.local_postgres import LocalPostgres
from tests.alembic_cli import alembic_cli


@pytest.mark.slow
def test_alembic_output_holds_no_password(postgres: LocalPostgres) -> None:
    url = postgres.create_database("leaks")
    outputs = []
    for args in (["upgrade", "head"], ["current", "--verbose"], ["history", "--verbose"], ["upgrade", "head"]):
        result = alembic_cli(*args, url=url)
        assert result.returncode == 0, result.stderr
        outputs.append(result.stdout + result.stderr)
    # A database whose server is gone: the connection error must not quote the password either.
    result = alembic_cli("upgrade", "head", url=url.replace(str(postgres.port), "1"))
    assert result.returncode != 0
    outputs.append(result.stdout + result.stderr)
    assert all(postgres.password not in output for output in outputs)
