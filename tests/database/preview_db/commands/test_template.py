"""template: nobody connects to it, a failed build keeps the previous one, one at head is left alone."""

from __future__ import annotations

from pathlib import Path

import psycopg
import pytest

from tenantguard_db.preview_db.status_codes import EXIT_REVISIONS_FAILED
from tenantguard_db.revision_files import checkout
from tests.database.preview_db.harness import IN_REPO, REPO, ROLE, Preview, old_template


def test_nobody_can_connect_to_the_template(preview: Preview) -> None:
    preview.template()
    with pytest.raises(psycopg.OperationalError, match="not currently accepting connections"):
        psycopg.connect(preview.server.ci_url_for(f"{preview.base}_pr_template")).close()


def test_a_failed_template_build_keeps_the_previous_template(preview: Preview, tmp_path: Path) -> None:
    preview.template()
    main = checkout(tmp_path, "main", ("m004", "0003", "SELECT 1 / 0"))
    result = preview.run("template", "--config", str(main))
    assert result.code == EXIT_REVISIONS_FAILED
    assert f"{preview.base}_pr_template is unchanged" in result.stderr
    assert preview.meta(f"{preview.base}_pr_template").revision == "0003"
    assert preview.databases() == {preview.base, f"{preview.base}_pr_template"}
    assert preview.run("create", *IN_REPO, "--pr", "1").code == 0


def test_a_template_already_at_head_is_left_alone(preview: Preview) -> None:
    preview.template()
    oid = preview.admin.execute("SELECT oid FROM pg_database WHERE datname = %s", (f"{preview.base}_pr_template",))
    before = oid.fetchone()
    result = preview.run("template")
    assert result.code == 0
    assert "is already at 0003" in result.stderr
    again = preview.admin.execute("SELECT oid FROM pg_database WHERE datname = %s", (f"{preview.base}_pr_template",))
    assert again.fetchone() == before


def test_a_template_built_when_the_ci_role_owned_everything_in_it_is_rebuilt_even_at_head(preview: Preview) -> None:
    template = old_template(preview)
    result = preview.run("template")
    assert result.code == 0, result.stderr
    assert f"{template} rebuilt at 0003" in result.stderr
    deployment = preview.create(1)
    with psycopg.connect(deployment) as app:
        owners = app.execute(
            "SELECT DISTINCT pg_get_userbyid(relowner) FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace "
            "WHERE n.nspname = 'public'"
        )
        assert owners.fetchall() == [(f"{preview.base}_pr_{REPO}_1",)]


def test_the_template_is_closed_to_everyone_and_its_objects_owner_cannot_log_in(preview: Preview) -> None:
    preview.template()
    template, owner = f"{preview.base}_pr_template", f"{preview.base}_pr_template"
    row = preview.admin.execute(
        "SELECT pg_get_userbyid(datdba), datistemplate, datallowconn, "
        "ARRAY(SELECT DISTINCT pg_get_userbyid(grantee) FROM aclexplode(datacl))::text[] "
        "FROM pg_database WHERE datname = %s",
        (template,),
    ).fetchone()
    assert row == (ROLE, True, False, [ROLE])
    login = preview.admin.execute(
        "SELECT rolcanlogin, rolpassword IS NULL FROM pg_authid WHERE rolname = %s", (owner,)
    ).fetchone()
    assert login == (False, True)
    owned = preview.admin.execute(
        "SELECT count(*) FROM pg_shdepend WHERE deptype = 'o' AND dbid = 0 "
        "AND refobjid = (SELECT oid FROM pg_roles WHERE rolname = %s)",
        (owner,),
    ).fetchone()
    assert owned == (0,)  # no database: handing its objects over in a clone moves nothing else
