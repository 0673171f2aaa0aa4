"""A pull request's database as a whole: closed to every role but its own, dropped with its sessions."""

from __future__ import annotations

import psycopg
import pytest
from psycopg import sql

from tenantguard_db.preview_db.metadata import Meta, set_database_meta, utc_now
from tests.database.preview_db.harness import IN_REPO, REPO, ROLE, Preview


def test_a_database_made_before_prs_had_roles_gets_its_role_and_is_closed_to_public(preview: Preview) -> None:
    name = f"{preview.base}_pr_{REPO}_1"
    preview.admin.execute(sql.SQL("CREATE DATABASE {} OWNER {}").format(sql.Identifier(name), sql.Identifier(ROLE)))
    set_database_meta(
        preview.admin, name, Meta(kind="pr", base=preview.base, pr=1, repository=REPO, created_at=utc_now())
    )
    preview.admin.execute(sql.SQL("GRANT CONNECT ON DATABASE {} TO PUBLIC").format(sql.Identifier(name)))
    deployment = preview.create(1)
    with psycopg.connect(deployment) as app:
        assert app.execute("SELECT current_user").fetchone() == (name,)
    assert preview.admin.execute("SELECT has_database_privilege('public', %s, 'CONNECT')", (name,)).fetchone() == (
        False,
    )


def test_drop_ends_the_preview_apps_sessions(preview: Preview) -> None:
    deployment = preview.create(1)
    with psycopg.connect(deployment) as app, psycopg.connect(preview.ci_url(1)) as inspecting:
        assert preview.run("drop", *IN_REPO, "--pr", "1").code == 0
        for session in (app, inspecting):
            with pytest.raises(psycopg.OperationalError):
                session.execute("SELECT 1")
    assert f"{preview.base}_pr_{REPO}_1" not in preview.databases()
