"""The checkout's revisions: which history can be cloned or continued, and a revision file that does not load."""

from __future__ import annotations

from pathlib import Path

from tenantguard_db.preview_db.status_codes import EXIT_REVISIONS_FAILED
from tenantguard_db.revision_files import checkout, revision_file
from tests.database.preview_db.harness import IN_REPO, REPO, Preview, columns, tables


def test_a_pr_behind_main_gets_an_empty_database_migrated_from_base(preview: Preview, tmp_path: Path) -> None:
    main = checkout(tmp_path, "main", ("m004", "0003", "CREATE TABLE from_main (id int)"))
    preview.template(main)
    result = preview.run("create", *IN_REPO, "--pr", "4")  # this checkout: 0003, without main's m004
    assert result.code == 0, result.stderr
    assert "created empty and migrated from base" in result.stderr
    assert "it is at m004, which this checkout's history (up to 0003) does not contain" in result.stderr
    assert "behind main" in result.stderr
    assert preview.revision(f"{preview.base}_pr_{REPO}_4") == "0003"
    assert "from_main" not in tables(preview.inside(4))


def test_a_pr_that_edited_one_of_mains_revisions_is_not_cloned_from_the_template(
    preview: Preview, tmp_path: Path
) -> None:
    preview.template()
    pr = checkout(tmp_path, "a")
    edited = pr.parent / "alembic" / "versions" / "0003_audit_events.py"
    edited.write_text(edited.read_text() + "\n# edited in the pull request\n")
    result = preview.run("create", *IN_REPO, "--pr", "6", "--config", str(pr))
    assert result.code == 0, result.stderr
    assert "created empty and migrated from base" in result.stderr
    assert "the revision files up to 0003 differ" in result.stderr


def test_a_pr_that_changed_an_applied_revision_gets_its_database_recreated(preview: Preview, tmp_path: Path) -> None:
    pr = checkout(tmp_path, "a", ("a004", "0003", "ALTER TABLE tenants ADD COLUMN plan text"))
    assert preview.run("create", *IN_REPO, "--pr", "8", "--config", str(pr)).code == 0
    (pr.parent / "alembic" / "versions" / "a004_a.py").write_text(
        revision_file("a004", "0003", "ALTER TABLE tenants ADD COLUMN plan_name text")
    )
    result = preview.run("create", *IN_REPO, "--pr", "8", "--config", str(pr))
    assert result.code == 0, result.stderr
    assert "is recreated: the revision files up to a004 differ" in result.stderr
    assert {"plan_name"} <= columns(preview.inside(8), "tenants")
    assert "plan" not in columns(preview.inside(8), "tenants")


def test_a_revision_file_that_does_not_load_fails_as_the_prs_own_and_leaves_its_database(
    preview: Preview, tmp_path: Path
) -> None:
    pr = checkout(tmp_path, "a", ("a004", "0003", "ALTER TABLE tenants ADD COLUMN plan text"))
    assert preview.run("create", *IN_REPO, "--pr", "1", "--config", str(pr)).code == 0
    (pr.parent / "alembic" / "versions" / "a005_a.py").write_text("revision = 'a005'\ndown_revision = 'a004'\n)(\n")
    result = preview.run("create", *IN_REPO, "--pr", "1", "--config", str(pr))
    assert result.code == EXIT_REVISIONS_FAILED
    assert "cannot be loaded: SyntaxError" in result.stderr
    assert "Traceback" not in result.stderr
    assert preview.revision(f"{preview.base}_pr_{REPO}_1") == "a004"
