"""What a failure says: the hint for each failure an operator can fix, and the work order it points to."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator

import psycopg
import pytest
from psycopg import sql

from tenantguard_db.preview_db.errors import WORK_ORDER
from tenantguard_db.preview_db.status_codes import EXIT_FAILED
from tests.alembic_cli import ROOT
from tests.database.preview_db.harness import IN_REPO, Preview, login_role


def test_a_role_that_may_not_connect_to_the_base_database_is_told_what_it_needs(
    preview: Preview, monkeypatch: pytest.MonkeyPatch
) -> None:
    url = login_role(preview, f"{preview.base}_elsewhere", "CREATEDB", "CREATEROLE")
    preview.admin.execute(
        sql.SQL("REVOKE CONNECT ON DATABASE {} FROM {}").format(
            sql.Identifier(preview.base), sql.Identifier(f"{preview.base}_elsewhere")
        )
    )
    monkeypatch.setenv("CI_DB_URL", url)
    result = preview.run("create", *IN_REPO, "--pr", "1")
    assert result.code == EXIT_FAILED
    assert f'permission denied for database "{preview.base}"' in result.stderr
    assert "needs CONNECT on the base database" in result.stderr


@contextlib.contextmanager
def sessions(url: str, count: int) -> Iterator[None]:
    """`count` other sessions of the role, held open for the block."""
    opened = [psycopg.connect(url) for _ in range(count)]
    try:
        yield
    finally:
        for session in opened:
            session.close()


@pytest.mark.parametrize(
    ("held", "args"),
    [(1, ("create", *IN_REPO, "--pr", "1")), (0, ("template",))],
    ids=["limit-reached-by-another-session", "limit-too-low-for-a-run"],
)
def test_a_connection_limit_reached_is_reported_clearly(
    preview: Preview, monkeypatch: pytest.MonkeyPatch, held: int, args: tuple[str, ...]
) -> None:
    url = login_role(preview, f"{preview.base}_limited", "CREATEDB", "CREATEROLE", "CONNECTION LIMIT 1")
    monkeypatch.setenv("CI_DB_URL", url)
    with sessions(url, held):
        result = preview.run(*args)
    assert result.code == EXIT_FAILED
    assert "too many connections" in result.stderr
    assert "A connection limit is reached" in result.stderr
    assert "each run needs two connections at once" in result.stderr


def test_the_work_order_holds_the_section_and_sql_the_messages_point_to() -> None:
    work_order = (ROOT / "workorders" / "WO-ci-secrets.md").read_text()
    assert "\n### One-time SQL for the preview role (an administrator, once)\n" in work_order
    assert WORK_ORDER == "workorders/WO-ci-secrets.md#one-time-sql-for-the-preview-role-an-administrator-once"
    assert "ALTER ROLE ci LOGIN INHERIT CREATEDB CREATEROLE NOSUPERUSER NOREPLICATION NOBYPASSRLS" in work_order
    assert "REVOKE CONNECT ON DATABASE tenantguard FROM PUBLIC;" in work_order
