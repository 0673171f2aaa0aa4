"""drop: that pull request's database and role, of that repository (or that legacy name), and nothing else."""

from __future__ import annotations

import psycopg
import pytest

from tests.database.preview_db.harness import IN_REPO, OTHER_REPO, REPO, Preview, legacy_pr


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
