"""A database or role of a pull request's name that this command did not make (no matching comment) is left alone."""

from __future__ import annotations

import datetime
from dataclasses import replace
from pathlib import Path

import psycopg
from psycopg import sql

from tenantguard_db.preview_db.metadata import Meta, set_database_meta, utc_now
from tenantguard_db.preview_db.status_codes import EXIT_FAILED
from tests.database.preview_db.harness import IN_REPO, OTHER_REPO, REPO, ROLE, Preview, login_role


def test_a_database_this_command_did_not_create_is_never_migrated_or_dropped(preview: Preview) -> None:
    foreign = f"{preview.base}_pr_{REPO}_7"
    preview.admin.execute(sql.SQL("CREATE DATABASE {} OWNER {}").format(sql.Identifier(foreign), sql.Identifier(ROLE)))
    for args in (("create", *IN_REPO, "--pr", "7"), ("drop", *IN_REPO, "--pr", "7")):
        result = preview.run(*args)
        assert result.code == EXIT_FAILED
        assert f"database {foreign} exists but was not created by this command" in result.stderr
    assert preview.revision(foreign) is None
    assert foreign in preview.databases()


def test_a_database_whose_comment_names_another_repository_is_never_migrated_or_dropped(preview: Preview) -> None:
    name = f"{preview.base}_pr_{REPO}_7"
    preview.admin.execute(sql.SQL("CREATE DATABASE {} OWNER {}").format(sql.Identifier(name), sql.Identifier(ROLE)))
    forged = Meta(kind="pr", base=preview.base, pr=7, repository=OTHER_REPO, created_at=utc_now())
    set_database_meta(preview.admin, name, forged)
    for args in (("create", *IN_REPO, "--pr", "7"), ("drop", *IN_REPO, "--pr", "7")):
        result = preview.run(*args)
        assert result.code == EXIT_FAILED
        assert f"database {name} exists but was not created by this command" in result.stderr
    assert name in preview.databases()
    assert preview.roles() == set()


def test_a_role_of_that_name_this_command_did_not_create_is_never_used_or_dropped(preview: Preview) -> None:
    foreign = f"{preview.base}_pr_{REPO}_7"
    preview.admin.execute(sql.SQL("CREATE ROLE {} LOGIN").format(sql.Identifier(foreign)))
    result = preview.run("create", *IN_REPO, "--pr", "7")
    assert result.code == EXIT_FAILED
    assert f"role {foreign} exists but was not created by this command" in result.stderr
    assert preview.databases() == {preview.base}
    result = preview.run("drop", *IN_REPO, "--pr", "7")
    assert result.code == 0, result.stderr
    assert f"role {foreign} exists but was not created by this command" in result.stderr
    assert foreign in preview.roles()


def test_a_look_alike_role_another_createrole_role_made_gets_no_url(preview: Preview, tmp_path: Path) -> None:
    name = f"{preview.base}_pr_{REPO}_7"
    copied = Meta(kind="role", base=preview.base, pr=7, repository=REPO, created_at=utc_now())
    rival = login_role(preview, f"{preview.base}_rival", "CREATEROLE")
    with psycopg.connect(rival, autocommit=True) as other:
        other.execute(sql.SQL("CREATE ROLE {} LOGIN").format(sql.Identifier(name)))
        other.execute(sql.SQL("COMMENT ON ROLE {} IS {}").format(sql.Identifier(name), sql.Literal(copied.comment())))
        # It even makes the CI role a member, as create does for its own roles.
        other.execute(sql.SQL("GRANT {} TO {}").format(sql.Identifier(name), sql.Identifier(ROLE)))
    target = tmp_path / "not-written"
    result = preview.run("create", *IN_REPO, "--pr", "7", "--url-to-file", str(target))
    assert result.code == EXIT_FAILED
    assert f"role {name} exists but was not created by this command" in result.stderr
    assert not target.exists()
    assert preview.databases() == {preview.base}
    dropped = preview.run("drop", *IN_REPO, "--pr", "7")
    assert dropped.code == 0, dropped.stderr
    assert name in preview.roles()


def test_a_look_alike_database_another_createdb_role_made_is_never_migrated_or_dropped(preview: Preview) -> None:
    name = f"{preview.base}_pr_{REPO}_7"
    copied = Meta(kind="pr", base=preview.base, pr=7, repository=REPO, created_at=utc_now())
    rival = login_role(preview, f"{preview.base}_rival", "CREATEDB")
    with psycopg.connect(rival, autocommit=True) as other:
        other.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
        set_database_meta(other, name, replace(copied, created_at=copied.created_at - datetime.timedelta(days=30)))
    for args in (("create", *IN_REPO, "--pr", "7"), ("drop", *IN_REPO, "--pr", "7")):
        result = preview.run(*args)
        assert result.code == EXIT_FAILED
        assert f"database {name} exists but was not created by this command" in result.stderr
    pruned = preview.run("prune", "--older-than", "7", *IN_REPO)
    assert pruned.code == 0, pruned.stderr
    assert name in preview.databases()
