"""create: a pull request's database cloned or migrated from base, its data kept across pushes, a failing revision
contained."""

from __future__ import annotations

import json
import secrets
from pathlib import Path
from urllib.parse import quote

import psycopg
import pytest
from psycopg import sql
from psycopg.conninfo import conninfo_to_dict

from tenantguard_db import migrate
from tenantguard_db.preview_db.isolation import FIXED, PASSED_ON
from tenantguard_db.preview_db.status_codes import EXIT_REVISIONS_FAILED
from tenantguard_db.revision_files import checkout, revision_file
from tests.alembic_cli import alembic_in_process
from tests.database.preview_db.harness import (
    FAKE_PASSWORD,
    IN_REPO,
    OTHER_REPO,
    REPO,
    Preview,
    columns,
    python_checkout,
    tables,
)


def upgrades_run(stderr: str) -> list[str]:
    """The revisions a run applied, as Alembic's lines (relayed from the worker) say on stderr."""
    return [line.partition("] ")[2].split(",")[0] for line in stderr.splitlines() if "] Running upgrade " in line]


def test_create_without_a_template_migrates_an_empty_database_from_base(preview: Preview) -> None:
    result = preview.run("create", *IN_REPO, "--pr", "5")
    assert result.code == 0, result.stderr
    assert result.stdout == f"{preview.base}_pr_{REPO}_5\n"
    assert "created empty and migrated from base: no template" in result.stderr
    assert preview.revision(f"{preview.base}_pr_{REPO}_5") == "0003"


def test_create_clones_the_template_and_runs_only_the_prs_revisions(preview: Preview, tmp_path: Path) -> None:
    preview.template()
    pr = checkout(tmp_path, "a", ("a004", "0003", "ALTER TABLE tenants ADD COLUMN plan text"))
    result = preview.run("create", *IN_REPO, "--pr", "12", "--config", str(pr))
    assert result.code == 0, result.stderr
    assert f"created from {preview.base}_pr_template at 0003" in result.stderr
    assert upgrades_run(result.stderr) == ["Running upgrade 0003 -> a004"]
    assert "plan" in columns(preview.inside(12), "tenants")


def test_two_prs_with_diverging_revisions_each_migrate_their_own_database_and_main_stays_at_its_head(
    preview: Preview, tmp_path: Path
) -> None:
    assert migrate.upgrade(preview.url, "head") == "0003"  # the shared preview database, migrated from main
    preview.template()
    pr_a = checkout(tmp_path, "a", ("a004", "0003", "ALTER TABLE tenants ADD COLUMN plan text"))
    pr_b = checkout(tmp_path, "b", ("b004", "0003", "CREATE TABLE widgets (id int)"))
    assert preview.run("create", *IN_REPO, "--pr", "1", "--config", str(pr_a)).code == 0
    assert preview.run("create", *IN_REPO, "--pr", "2", "--config", str(pr_b)).code == 0
    # Each pull request again, after the other: neither sees the other's revision.
    assert preview.run("create", *IN_REPO, "--pr", "1", "--config", str(pr_a)).code == 0
    assert preview.run("create", *IN_REPO, "--pr", "2", "--config", str(pr_b)).code == 0
    assert preview.revision(f"{preview.base}_pr_{REPO}_1") == "a004"
    assert preview.revision(f"{preview.base}_pr_{REPO}_2") == "b004"
    assert "widgets" not in tables(preview.inside(1))
    assert "plan" not in columns(preview.inside(2), "tenants")
    assert migrate.current_revision(preview.url) == "0003"
    # main's own run still works: no "Can't locate revision" on the shared database.
    result = alembic_in_process("upgrade", "head", url=preview.url)
    assert result.returncode == 0, result.stderr
    assert preview.meta(f"{preview.base}_pr_template").revision == "0003"


def test_a_second_create_only_migrates_and_keeps_the_data(preview: Preview, tmp_path: Path) -> None:
    preview.template()
    pr = checkout(tmp_path, "a", ("a004", "0003", "ALTER TABLE tenants ADD COLUMN plan text"))
    assert preview.run("create", *IN_REPO, "--pr", "3", "--config", str(pr)).code == 0
    created = preview.meta(f"{preview.base}_pr_{REPO}_3").created_at
    with psycopg.connect(preview.inside(3)) as connection:
        connection.execute("INSERT INTO tenants (slug, name) VALUES ('kept', 'Kept')")
    # The pull request pushes one more revision.
    (pr.parent / "alembic" / "versions" / "a005_a.py").write_text(
        revision_file("a005", "a004", "ALTER TABLE tenants ADD COLUMN seats int")
    )
    result = preview.run("create", *IN_REPO, "--pr", "3", "--config", str(pr))
    assert result.code == 0, result.stderr
    assert "exists; migrating it to a005" in result.stderr
    assert upgrades_run(result.stderr) == ["Running upgrade a004 -> a005"]
    with psycopg.connect(preview.inside(3)) as connection:
        assert connection.execute("SELECT slug FROM tenants").fetchall() == [("kept",)]
    assert preview.meta(f"{preview.base}_pr_{REPO}_3").created_at == created


def test_a_pr_whose_revision_fails_stays_at_its_last_good_revision_and_nothing_else_moves(
    preview: Preview, tmp_path: Path
) -> None:
    assert migrate.upgrade(preview.url, "head") == "0003"
    preview.template()
    other = checkout(tmp_path, "b", ("b004", "0003", "CREATE TABLE widgets (id int)"))
    assert preview.run("create", *IN_REPO, "--pr", "2", "--config", str(other)).code == 0
    broken = checkout(
        tmp_path,
        "a",
        ("a004", "0003", "ALTER TABLE tenants ADD COLUMN plan text"),
        ("a005", "a004", "SELECT 1 / 0"),
    )
    result = preview.run("create", *IN_REPO, "--pr", "1", "--config", str(broken))
    assert result.code == EXIT_REVISIONS_FAILED
    assert "division by zero" in result.stderr
    assert f"migrating {preview.base}_pr_{REPO}_1 to a005 failed" in result.stderr
    assert "it stays at a004" in result.stderr
    assert result.stdout == ""
    assert preview.revision(f"{preview.base}_pr_{REPO}_1") == "a004"
    assert preview.revision(f"{preview.base}_pr_{REPO}_2") == "b004"
    assert migrate.current_revision(preview.url) == "0003"
    assert preview.meta(f"{preview.base}_pr_template").revision == "0003"
    # The author fixes the revision and pushes: the database continues from a004, not from scratch.
    (broken.parent / "alembic" / "versions" / "a005_a.py").write_text(revision_file("a005", "a004", "SELECT 1"))
    again = preview.run("create", *IN_REPO, "--pr", "1", "--config", str(broken))
    assert again.code == 0, again.stderr
    assert "exists; migrating it to a005" in again.stderr
    assert preview.revision(f"{preview.base}_pr_{REPO}_1") == "a005"


def test_two_repositories_with_the_same_pr_number_get_separate_databases_and_roles(preview: Preview) -> None:
    mine = preview.create(5)
    theirs = preview.create(5, repository=OTHER_REPO)
    names = {f"{preview.base}_pr_{REPO}_5", f"{preview.base}_pr_{OTHER_REPO}_5"}
    assert preview.databases() == {preview.base, *names}
    assert preview.roles() == names
    with psycopg.connect(mine, autocommit=True) as app:
        assert app.execute("SELECT current_user, current_database()").fetchone() == (f"{preview.base}_pr_{REPO}_5",) * 2
        app.execute("INSERT INTO tenants (slug, name) VALUES ('mine', 'Only in mine')")
    with psycopg.connect(theirs) as app:
        row = app.execute("SELECT current_user, current_database()").fetchone()
        assert row == (f"{preview.base}_pr_{OTHER_REPO}_5",) * 2
        assert app.execute("SELECT count(*) FROM tenants").fetchone() == (0,)
    with pytest.raises(psycopg.OperationalError, match="permission denied for database"):
        psycopg.connect(mine, dbname=f"{preview.base}_pr_{OTHER_REPO}_5").close()


def test_creating_one_repositorys_pr_keeps_the_other_repositorys_password_and_sessions(preview: Preview) -> None:
    mine = preview.create(5)
    with psycopg.connect(mine, autocommit=True) as app:
        preview.create(5, repository=OTHER_REPO)
        assert app.execute("SELECT 1").fetchone() == (1,)
    with psycopg.connect(mine) as again:
        assert again.execute("SELECT current_user").fetchone() == (f"{preview.base}_pr_{REPO}_5",)


# A revision file that tries, with whatever credentials its process holds, what one did to the preview server while
# revisions ran in-process as the CI role; each statement it gets through is named in its report.
HOSTILE_REVISION = """
import json, os
import psycopg
from sqlalchemy import text
bind = op.get_bind()
done = []
def attempt(what, statement):
    try:
        with bind.begin_nested():
            bind.execute(text(statement))
        done.append(what)
    except Exception:
        pass
attempt("grant itself pg_execute_server_program", "GRANT pg_execute_server_program TO CURRENT_USER")
attempt("run a shell as the server's user", "COPY (SELECT 1) TO PROGRAM 'true'")
attempt("change the app role's password", "ALTER ROLE {app} PASSWORD 'taken'")
for url in [value for value in os.environ.values() if value.startswith(("postgresql://", "postgres://"))]:
    try:
        with psycopg.connect(url, dbname={victim!r}, autocommit=True) as other:
            other.execute("INSERT INTO tenants (slug, name) VALUES ('evil', 'Evil')")
        done.append("write another repository's pull-request database")
    except Exception:
        pass
    try:
        with psycopg.connect(url, autocommit=True) as anywhere:
            anywhere.execute('ALTER DATABASE {template} WITH ALLOW_CONNECTIONS true')
            try:
                with psycopg.connect(url, dbname={template!r}, autocommit=True) as template:
                    template.execute("CREATE TABLE planted (id int)")
                    done.append("put a table into the template")
            finally:
                anywhere.execute('ALTER DATABASE {template} WITH ALLOW_CONNECTIONS false')
    except Exception:
        pass
with open({report!r}, "w") as handle:
    json.dump({{"done": done, "environment": dict(os.environ)}}, handle)
"""


def test_a_revision_file_reaches_nothing_beyond_its_own_database(preview: Preview, tmp_path: Path) -> None:
    app, app_password = f"{preview.base}_app", secrets.token_hex(12)
    preview.admin.execute(
        sql.SQL("CREATE ROLE {} LOGIN PASSWORD {}").format(sql.Identifier(app), sql.Literal(app_password))
    )
    preview.admin.execute(
        sql.SQL("GRANT CONNECT ON DATABASE {} TO {}").format(*map(sql.Identifier, (preview.base, app)))
    )
    preview.template()
    victim = f"{preview.base}_pr_{OTHER_REPO}_1"
    preview.create(1, repository=OTHER_REPO)
    report = tmp_path / "report.json"
    body = HOSTILE_REVISION.format(app=app, victim=victim, template=f"{preview.base}_pr_template", report=str(report))
    pr = python_checkout(tmp_path, "evil", ("e004", "0003", body))
    result = preview.run("create", *IN_REPO, "--pr", "1", "--config", str(pr))
    assert result.code == 0, result.stderr
    seen = json.loads(report.read_text())
    assert seen["done"] == []
    # Its process holds the pull request's own URL and nothing else of ours.
    assert set(seen["environment"]) <= {"DATABASE_URL", *PASSED_ON, *FIXED}
    assert conninfo_to_dict(seen["environment"]["DATABASE_URL"])["user"] == f"{preview.base}_pr_{REPO}_1"
    assert not any(
        FAKE_PASSWORD in value or quote(FAKE_PASSWORD, safe="") in value for value in seen["environment"].values()
    )
    with psycopg.connect(preview.postgres.url(victim)) as inside:
        assert inside.execute("SELECT count(*) FROM tenants").fetchone() == (0,)
    psycopg.connect(preview.url, user=app, password=app_password).close()
    # The template is still main's: rebuilt or left alone, the next clone carries nothing of the pull request's.
    preview.template()
    preview.create(2, repository=OTHER_REPO)
    assert "planted" not in tables(preview.postgres.url(f"{preview.base}_pr_{OTHER_REPO}_2"))


def test_options_in_ci_db_url_leave_no_empty_database_behind(preview: Preview, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CI_DB_URL", f"{preview.url}?options=-c%20search_path%3Dnowhere")
    result = preview.run("create", *IN_REPO, "--pr", "1")
    assert result.code == 0, result.stderr
    assert preview.databases() == {preview.base, f"{preview.base}_pr_{REPO}_1"}
    assert migrate.current_revision(preview.postgres.url(f"{preview.base}_pr_{REPO}_1")) == "0003"


def test_a_new_database_whose_first_revision_fails_is_not_left_behind(preview: Preview, tmp_path: Path) -> None:
    pr = checkout(tmp_path, "a")
    first = pr.parent / "alembic" / "versions" / "0001_tenants.py"
    first.write_text(
        first.read_text().replace("    op.create_table(", '    op.execute("SELECT 1 / 0")\n    op.create_table(', 1)
    )
    result = preview.run("create", *IN_REPO, "--pr", "1", "--config", str(pr))
    assert result.code == EXIT_REVISIONS_FAILED
    assert "division by zero" in result.stderr
    assert preview.databases() == {preview.base}
