"""drop: that pull request's database and role, of that repository (or that legacy name), and nothing else."""

from __future__ import annotations

import psycopg
import pytest
from psycopg import sql

from tenantguard_db.preview_db.status_codes import EXIT_FAILED
from tests.database.preview_db.harness import (
    GRANTS_TO_ANOTHER_PRS_ROLE,
    IN_REPO,
    OTHER_REPO,
    REPO,
    Preview,
    grant_to_another_prs_role,
    legacy_pr,
    old_pr,
)


def test_drop_removes_only_that_prs_database(preview: Preview) -> None:
    preview.template()
    for number in (1, 2):
        assert preview.run("create", *IN_REPO, "--pr", str(number)).code == 0
    result = preview.run("drop", *IN_REPO, "--pr", "1")
    assert result.code == 0, result.stderr
    assert result.stdout == f"{preview.base}_pr_{REPO}_1\n"
    assert preview.databases() == {preview.base, f"{preview.base}_pr_{REPO}_2", f"{preview.base}_pr_template"}


def test_drop_of_a_database_already_gone_succeeds(preview: Preview) -> None:
    result = preview.run("drop", *IN_REPO, "--pr", "404")
    assert result.code == 0
    assert result.stdout == ""
    assert "does not exist; nothing to drop" in result.stderr


def test_drop_removes_the_prs_role(preview: Preview) -> None:
    deployment = preview.create(1)
    preview.create(2)
    result = preview.run("drop", *IN_REPO, "--pr", "1")
    assert result.code == 0, result.stderr
    assert f"role {preview.base}_pr_{REPO}_1 dropped" in result.stderr
    assert preview.roles() == {f"{preview.base}_pr_{REPO}_2"}
    with pytest.raises(psycopg.OperationalError, match="password authentication failed"):
        psycopg.connect(deployment, dbname=preview.base).close()


def test_dropping_one_repositorys_pr_leaves_the_other_repositorys_database_and_role(preview: Preview) -> None:
    preview.create(5)
    theirs = preview.create(5, repository=OTHER_REPO)
    result = preview.run("drop", *IN_REPO, "--pr", "5")
    assert result.code == 0, result.stderr
    assert result.stdout == f"{preview.base}_pr_{REPO}_5\n"
    assert preview.databases() == {preview.base, f"{preview.base}_pr_{OTHER_REPO}_5"}
    assert preview.roles() == {f"{preview.base}_pr_{OTHER_REPO}_5"}
    with psycopg.connect(theirs) as app:
        assert app.execute("SELECT 1").fetchone() == (1,)


def test_drop_legacy_drops_that_legacy_database_and_role_only(preview: Preview) -> None:
    legacy = legacy_pr(preview, 5, days_idle=1)
    preview.create(5)
    result = preview.run("drop", "--legacy", "--pr", "5")
    assert result.code == 0, result.stderr
    assert result.stdout == f"{legacy}\n"
    assert preview.databases() == {preview.base, f"{preview.base}_pr_{REPO}_5"}
    assert preview.roles() == {f"{preview.base}_pr_{REPO}_5"}


@pytest.mark.parametrize("statements", GRANTS_TO_ANOTHER_PRS_ROLE.values(), ids=GRANTS_TO_ANOTHER_PRS_ROLE.keys())
def test_drop_succeeds_whatever_another_prs_role_granted_its_role(
    preview: Preview, statements: tuple[str, ...]
) -> None:
    hostile = preview.create(1)
    preview.create(2)
    victim = f"{preview.base}_pr_{REPO}_2"
    grant_to_another_prs_role(hostile, statements, victim)
    result = preview.run("drop", *IN_REPO, "--pr", "2")
    assert result.code == 0, result.stderr
    assert f"role {victim} dropped" in result.stderr
    assert preview.roles() == {f"{preview.base}_pr_{REPO}_1"}
    with psycopg.connect(hostile) as still:
        assert still.execute("SELECT 1").fetchone() == (1,)


def test_a_role_that_cannot_be_dropped_is_left_without_its_password(preview: Preview) -> None:
    deployment = preview.create(1)
    role = f"{preview.base}_pr_{REPO}_1"
    table = sql.Identifier(f"{preview.base}_held")
    # Granted by an administrator in a database the CI role cannot even connect to.
    with psycopg.connect(preview.postgres.url("postgres"), autocommit=True) as postgres:
        postgres.execute(sql.SQL("CREATE TABLE {} (id int)").format(table))
        postgres.execute(sql.SQL("GRANT SELECT ON {} TO {}").format(table, sql.Identifier(role)))
        try:
            result = preview.run("drop", *IN_REPO, "--pr", "1")
            assert result.code == EXIT_FAILED
            assert "DROP OWNED BY" in result.stderr
            assert role not in preview.databases()
            with pytest.raises(
                psycopg.OperationalError, match=r"password authentication failed|not permitted to log in"
            ):
                psycopg.connect(deployment, dbname="postgres").close()
        finally:
            postgres.execute(sql.SQL("DROP TABLE {}").format(table))
            preview.admin.execute(sql.SQL("DROP ROLE IF EXISTS {}").format(sql.Identifier(role)))


def test_drop_succeeds_when_the_prs_role_left_a_prepared_transaction(preview: Preview) -> None:
    deployment = preview.create(1)
    with psycopg.connect(deployment, autocommit=True) as hostile:
        hostile.execute("BEGIN")
        hostile.execute("CREATE TABLE pinned (id int)")
        hostile.execute("PREPARE TRANSACTION 'pinned'")
    result = preview.run("drop", *IN_REPO, "--pr", "1")
    assert result.code == 0, result.stderr
    assert preview.databases() == {preview.base}
    assert preview.roles() == set()


def test_drop_succeeds_while_the_granting_prs_role_holds_what_it_granted_in_an_open_transaction(
    preview: Preview, monkeypatch: pytest.MonkeyPatch
) -> None:
    hostile = preview.create(1)
    preview.create(2)
    victim = f"{preview.base}_pr_{REPO}_2"
    grant_to_another_prs_role(hostile, GRANTS_TO_ANOTHER_PRS_ROLE["table"], victim)
    monkeypatch.setenv("TENANTGUARD_LOCK_TIMEOUT", "1s")
    holding = psycopg.connect(hostile)
    # An ALTER TABLE left uncommitted keeps the table's catalog row, which taking the grant back must change.
    holding.execute("ALTER TABLE tenants ADD COLUMN held int")
    result = preview.run("drop", *IN_REPO, "--pr", "2")
    with pytest.raises(psycopg.OperationalError):
        holding.execute("SELECT 1")  # ended: it had granted something to the role being dropped
    holding.close()
    assert result.code == 0, result.stderr
    assert victim not in preview.roles()
    with psycopg.connect(hostile) as again:  # its login came back
        assert again.execute("SELECT current_user").fetchone() == (f"{preview.base}_pr_{REPO}_1",)


def test_drop_succeeds_whatever_the_role_did_in_a_database_another_prs_role_opened_to_it(preview: Preview) -> None:
    hostile = preview.create(1)
    victim_url = preview.create(2)
    own, victim = f"{preview.base}_pr_{REPO}_1", f"{preview.base}_pr_{REPO}_2"
    with psycopg.connect(hostile, autocommit=True) as opening:
        opening.execute(f'GRANT CONNECT ON DATABASE "{own}" TO "{victim}"')
        opening.execute(f'GRANT CREATE ON SCHEMA public TO "{victim}"')
    with psycopg.connect(victim_url, dbname=own, autocommit=True) as visiting:
        visiting.execute("CREATE TABLE visitor (id int)")
        visiting.execute("SELECT lo_create(0)")
        visiting.execute("BEGIN")
        visiting.execute("INSERT INTO visitor VALUES (1)")
        visiting.execute("PREPARE TRANSACTION 'visiting'")
    with psycopg.connect(hostile, autocommit=True) as building:
        building.execute("CREATE VIEW on_the_visitor AS SELECT id FROM visitor")  # depends on what the visitor owns
    result = preview.run("drop", *IN_REPO, "--pr", "2")
    assert result.code == 0, result.stderr
    assert victim not in preview.roles()
    with psycopg.connect(hostile) as still:
        assert still.execute("SELECT to_regclass('visitor'), to_regclass('on_the_visitor')").fetchone() == (None, None)


def test_drop_and_prune_remove_databases_made_when_the_ci_role_owned_them(preview: Preview) -> None:
    dropped, pruned = old_pr(preview, 1), old_pr(preview, 2)
    preview.backdate(pruned, days=30)
    assert preview.run("drop", *IN_REPO, "--pr", "1").stdout == f"{dropped}\n"
    result = preview.run("prune", "--older-than", "7", *IN_REPO)
    assert result.code == 0, result.stderr
    assert result.stdout == f"{pruned}\n"
    assert preview.databases() == {preview.base}
    assert preview.roles() == set()
