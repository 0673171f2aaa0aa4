"""A pull request's database as a whole: closed to every role but its own, dropped with its sessions."""

from __future__ import annotations

import contextlib
import re

import psycopg
import pytest
from psycopg import sql
from psycopg.abc import Query

from tenantguard_db.preview_db.metadata import Meta, set_database_meta, utc_now
from tenantguard_db.preview_db.server import Connection
from tests.database.preview_db.harness import IN_REPO, REPO, ROLE, Preview, old_pr


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
    manager = preview.server.ci_url_for(f"{preview.base}_pr_{REPO}_1")
    with psycopg.connect(deployment) as app, psycopg.connect(manager) as inspecting:
        assert preview.run("drop", *IN_REPO, "--pr", "1").code == 0
        for session in (app, inspecting):
            with pytest.raises(psycopg.OperationalError):
                session.execute("SELECT 1")
    assert f"{preview.base}_pr_{REPO}_1" not in preview.databases()


def test_no_session_opened_while_its_database_is_being_made_survives(
    preview: Preview, monkeypatch: pytest.MonkeyPatch
) -> None:
    preview.template()
    intruder = preview.create(1)  # another pull request's role, on the lookout for the next database
    sessions: list[psycopg.Connection[tuple[object, ...]]] = []
    execute = psycopg.Connection.execute

    def then_try_to_get_in(self: Connection, query: Query, *args: object, **kwargs: object) -> object:
        done = execute(self, query, *args, **kwargs)  # type: ignore[call-overload]
        text = query.as_string(self) if isinstance(query, sql.Composable) else str(query)
        if made := re.match(r'CREATE DATABASE "([^"]+)"', text):
            with contextlib.suppress(psycopg.Error):
                sessions.append(psycopg.connect(intruder, dbname=made[1], autocommit=True))
        return done

    monkeypatch.setattr(psycopg.Connection, "execute", then_try_to_get_in)
    result = preview.run("create", *IN_REPO, "--pr", "2")
    monkeypatch.undo()
    assert result.code == 0, result.stderr
    alive = []
    for session in sessions:
        with contextlib.suppress(psycopg.Error):
            alive.append(session.execute("SELECT current_database()").fetchone())
        session.close()
    assert alive == []


def test_a_database_made_when_the_ci_role_owned_it_is_remade_owned_by_its_role(preview: Preview) -> None:
    preview.template()
    name = old_pr(preview, 1)
    with psycopg.connect(preview.postgres.url(name)) as inside:
        inside.execute("INSERT INTO tenants (slug, name) VALUES ('old', 'Made by the CI role')")
    deployment = preview.create(1)
    owners = preview.admin.execute("SELECT pg_get_userbyid(datdba) FROM pg_database WHERE datname = %s", (name,))
    assert owners.fetchone() == (name,)
    with psycopg.connect(preview.postgres.url(name)) as inside:
        owned = inside.execute(
            "SELECT DISTINCT pg_get_userbyid(relowner) FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace "
            "WHERE n.nspname = 'public'"
        )
        assert owned.fetchall() == [(name,)]
    with psycopg.connect(deployment) as app:
        assert app.execute("SELECT count(*) FROM tenants").fetchone() == (0,)
        app.execute("ALTER TABLE tenants ADD COLUMN its_own int")  # it owns the tables its revisions alter


def test_what_a_prs_role_leaves_in_template1_reaches_no_new_database(preview: Preview) -> None:
    hostile = preview.create(1)
    # Without the one-time SQL, PUBLIC may connect to template1, which CREATE DATABASE copies by default.
    preview.admin.execute("GRANT CONNECT ON DATABASE template1 TO PUBLIC")
    try:
        with psycopg.connect(hostile, dbname="template1", autocommit=True) as planting:
            planting.execute("SELECT lo_from_bytea(0, 'planted')")
            planting.execute("ALTER DEFAULT PRIVILEGES GRANT ALL ON TABLES TO PUBLIC")
        preview.create(2)
        with psycopg.connect(preview.inside(2)) as inside:
            assert inside.execute("SELECT count(*) FROM pg_largeobject_metadata").fetchone() == (0,)
            assert inside.execute("SELECT count(*) FROM pg_default_acl").fetchone() == (0,)
        result = preview.run("drop", *IN_REPO, "--pr", "1")  # takes back what it left in template1 as well
        assert result.code == 0, result.stderr
    finally:
        preview.admin.execute("REVOKE CONNECT ON DATABASE template1 FROM PUBLIC")
        with psycopg.connect(preview.postgres.url("template1"), autocommit=True) as template1:
            left = template1.execute("SELECT count(*) FROM pg_largeobject_metadata").fetchone()
            # The server outlives this test: nothing of it may stay in what every later database is copied from.
            template1.execute("SELECT lo_unlink(oid) FROM pg_largeobject_metadata")
            template1.execute("DELETE FROM pg_default_acl")
    assert left == (0,)
