"""prune: only our idle databases within the scope asked for, with their roles; a dry run drops nothing."""

from __future__ import annotations

import psycopg
import pytest
from psycopg import sql

from tests.database.preview_db.harness import (
    GRANTS_TO_ANOTHER_PRS_ROLE,
    IN_REPO,
    OTHER_REPO,
    REPO,
    Preview,
    grant_to_another_prs_role,
    legacy_pr,
)


def test_prune_drops_only_our_pr_databases_idle_longer_than_the_limit(preview: Preview) -> None:
    for number in (1, 2, 3):
        assert preview.run("create", *IN_REPO, "--pr", str(number)).code == 0
    preview.backdate(f"{preview.base}_pr_{REPO}_1", days=30)
    preview.backdate(f"{preview.base}_pr_{REPO}_3", days=30)
    preview.backdate(f"{preview.base}_pr_{REPO}_2", days=2)
    # Not ours: a look-alike without our comment, and another base's pull-request database.
    for name in (f"{preview.base}_pr_{REPO}_9", f"{preview.base}_other", f"{preview.base}x_pr_1"):
        preview.admin.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    with psycopg.connect(preview.url, autocommit=True) as busy:
        # Pull request 3 is being created or migrated right now.
        preview.hold_pr_lock(busy, 3)
        result = preview.run("prune", "--older-than", "7", *IN_REPO)
    assert result.code == 0, result.stderr
    assert result.stdout == f"{preview.base}_pr_{REPO}_1\n"
    assert f"{preview.base}_pr_{REPO}_3 is being created or migrated right now; kept" in result.stderr
    assert preview.databases() == {
        preview.base,
        f"{preview.base}_pr_{REPO}_2",
        f"{preview.base}_pr_{REPO}_3",
        f"{preview.base}_pr_{REPO}_9",
        f"{preview.base}_other",
        f"{preview.base}x_pr_1",
    }


def test_prune_dry_run_names_what_it_would_drop_and_drops_nothing(preview: Preview) -> None:
    assert preview.run("create", *IN_REPO, "--pr", "1").code == 0
    preview.backdate(f"{preview.base}_pr_{REPO}_1", days=30)
    result = preview.run("prune", "--older-than", "7", *IN_REPO, "--dry-run")
    assert result.code == 0
    # Not the bare name a real prune prints for a database it dropped: a script reading stdout can tell.
    assert result.stdout == f"would-drop {preview.base}_pr_{REPO}_1\n"
    assert "dry run: nothing was dropped" in result.stderr
    assert f"{preview.base}_pr_{REPO}_1" in preview.databases()


def test_pruning_one_repository_leaves_the_other_repositorys_databases_and_roles(preview: Preview) -> None:
    for number in (5, 6):
        preview.create(number)
        preview.create(number, repository=OTHER_REPO)
        preview.backdate(f"{preview.base}_pr_{REPO}_{number}", days=30)
        preview.backdate(f"{preview.base}_pr_{OTHER_REPO}_{number}", days=30)
    # The other repository's pull request 6 lost its database by hand: its role looks orphaned, but is not ours.
    theirs = sql.Identifier(f"{preview.base}_pr_{OTHER_REPO}_6")
    preview.admin.execute(sql.SQL("DROP DATABASE {} WITH (FORCE)").format(theirs))
    result = preview.run("prune", "--older-than", "7", *IN_REPO)
    assert result.code == 0, result.stderr
    assert result.stdout == f"{preview.base}_pr_{REPO}_5\n{preview.base}_pr_{REPO}_6\n"
    assert preview.databases() == {preview.base, f"{preview.base}_pr_{OTHER_REPO}_5"}
    assert preview.roles() == {f"{preview.base}_pr_{OTHER_REPO}_5", f"{preview.base}_pr_{OTHER_REPO}_6"}


def test_prune_legacy_drops_only_idle_legacy_databases_and_their_roles(preview: Preview) -> None:
    idle = legacy_pr(preview, 5, days_idle=30)
    recent = legacy_pr(preview, 6, days_idle=1)
    preview.create(5)
    preview.backdate(f"{preview.base}_pr_{REPO}_5", days=30)
    result = preview.run("prune", "--older-than", "7", "--legacy")
    assert result.code == 0, result.stderr
    assert result.stdout == f"{idle}\n"
    assert preview.databases() == {preview.base, recent, f"{preview.base}_pr_{REPO}_5"}
    assert preview.roles() == {recent, f"{preview.base}_pr_{REPO}_5"}


def test_prune_all_repositories_drops_every_repositorys_and_the_legacy_idle_databases(preview: Preview) -> None:
    legacy = legacy_pr(preview, 5, days_idle=30)
    for repository in (REPO, OTHER_REPO):
        preview.create(5, repository=repository)
        preview.backdate(f"{preview.base}_pr_{repository}_5", days=30)
    result = preview.run("prune", "--older-than", "7", "--all-repositories")
    assert result.code == 0, result.stderr
    assert sorted(result.stdout.split()) == sorted(
        [legacy, f"{preview.base}_pr_{REPO}_5", f"{preview.base}_pr_{OTHER_REPO}_5"]
    )
    assert preview.databases() == {preview.base}
    assert preview.roles() == set()


def test_prune_drops_the_role_of_each_database_it_drops(preview: Preview) -> None:
    deployment = preview.create(1)
    preview.backdate(f"{preview.base}_pr_{REPO}_1", days=30)
    with psycopg.connect(deployment) as app:
        result = preview.run("prune", "--older-than", "7", *IN_REPO)
        with pytest.raises(psycopg.OperationalError):
            app.execute("SELECT 1")
    assert result.stdout == f"{preview.base}_pr_{REPO}_1\n"
    assert f"role {preview.base}_pr_{REPO}_1 dropped" in result.stderr
    assert preview.roles() == set()


@pytest.mark.parametrize("statements", GRANTS_TO_ANOTHER_PRS_ROLE.values(), ids=GRANTS_TO_ANOTHER_PRS_ROLE.keys())
def test_prune_succeeds_whatever_another_prs_role_granted_the_roles_it_drops(
    preview: Preview, statements: tuple[str, ...]
) -> None:
    hostile = preview.create(1)
    preview.create(2)
    victim = f"{preview.base}_pr_{REPO}_2"
    grant_to_another_prs_role(hostile, statements, victim)
    preview.backdate(victim, days=30)
    for _ in range(2):
        result = preview.run("prune", "--older-than", "7", *IN_REPO)
        assert result.code == 0, result.stderr
    assert preview.databases() == {preview.base, f"{preview.base}_pr_{REPO}_1"}
    assert preview.roles() == {f"{preview.base}_pr_{REPO}_1"}
