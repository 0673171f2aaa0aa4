"""What the CI role must hold: a missing privilege is named before anything changes."""

from __future__ import annotations

import pytest
from psycopg import sql

from tenantguard_db.preview_db.status_codes import EXIT_FAILED
from tests.database.preview_db.harness import IN_REPO, REPO, ROLE, Preview, login_role


def test_a_role_without_createdb_is_told_which_privilege_and_where_the_sql_is(
    preview: Preview, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("CI_DB_URL", login_role(preview, f"{preview.base}_nocreatedb", "NOCREATEDB"))
    for args in (("create", *IN_REPO, "--pr", "1"), ("template",)):
        result = preview.run(*args)
        assert result.code == EXIT_FAILED
        assert "lacks the CREATEDB privilege" in result.stderr
        assert f'ALTER ROLE "{preview.base}_nocreatedb" CREATEDB;' in result.stderr
        assert "workorders/WO-ci-secrets.md" in result.stderr
    assert preview.databases() == {preview.base}


def test_a_role_without_createrole_is_told_which_privilege_and_where_the_sql_is(
    preview: Preview, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("CI_DB_URL", login_role(preview, f"{preview.base}_nocreaterole", "CREATEDB"))
    result = preview.run("create", *IN_REPO, "--pr", "1")
    assert result.code == EXIT_FAILED
    assert "lacks the CREATEROLE privilege (which each pull request's own login role needs)" in result.stderr
    assert f'ALTER ROLE "{preview.base}_nocreaterole" CREATEROLE;' in result.stderr
    assert "CREATEDB privilege" not in result.stderr
    assert "workorders/WO-ci-secrets.md" in result.stderr
    assert preview.databases() == {preview.base}
    assert preview.roles() == {f"{preview.base}_nocreaterole"}


def test_drop_without_createrole_says_so_and_drops_nothing(preview: Preview) -> None:
    preview.create(1)
    # The CI role that made them loses CREATEROLE (another role would not count them as its own at all).
    preview.admin.execute(sql.SQL("ALTER ROLE {} NOCREATEROLE").format(sql.Identifier(ROLE)))
    try:
        for args in (("drop", *IN_REPO, "--pr", "1"), ("prune", "--older-than", "1", *IN_REPO)):
            preview.backdate(f"{preview.base}_pr_{REPO}_1", days=30)
            result = preview.run(*args)
            assert result.code == EXIT_FAILED
            assert "lacks the CREATEROLE privilege" in result.stderr
    finally:
        preview.admin.execute(sql.SQL("ALTER ROLE {} CREATEROLE").format(sql.Identifier(ROLE)))
    assert f"{preview.base}_pr_{REPO}_1" in preview.databases()
    assert f"{preview.base}_pr_{REPO}_1" in preview.roles()


def test_createrole_before_postgresql_16_is_said_to_reach_further(preview: Preview) -> None:
    result = preview.run("create", *IN_REPO, "--pr", "1")
    assert result.code == 0, result.stderr
    said = f"CREATEROLE lets role {ROLE} grant itself almost any privilege on this server" in result.stderr
    assert said == (preview.admin.info.server_version < 160000)
