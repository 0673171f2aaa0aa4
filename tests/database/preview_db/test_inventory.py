"""What list and prune find: our roles whose database is gone, told from look-alikes."""

from __future__ import annotations

import json

import psycopg
from psycopg import sql

from tests.database.preview_db.harness import IN_REPO, REPO, Preview


def test_list_and_prune_find_roles_whose_database_is_gone_and_prune_drops_them(preview: Preview) -> None:
    for number in (1, 2, 3):
        preview.create(number)
    preview.backdate(f"{preview.base}_pr_{REPO}_1", days=30)
    # Dropped by hand: its role stays behind, since roles belong to the whole server.
    preview.admin.execute(
        sql.SQL("DROP DATABASE {} WITH (FORCE)").format(sql.Identifier(f"{preview.base}_pr_{REPO}_2"))
    )
    preview.admin.execute(sql.SQL("CREATE ROLE {}").format(sql.Identifier(f"{preview.base}_pr_{REPO}_9")))  # not ours
    listed = preview.run("list", "--json")
    assert listed.code == 0, listed.stderr
    assert [row["role"] for row in json.loads(listed.stdout)["orphaned_roles"]] == [f"{preview.base}_pr_{REPO}_2"]
    assert f"role {preview.base}_pr_{REPO}_2 has no database any more; prune drops it" in listed.stderr
    assert f"role {preview.base}_pr_{REPO}_9 looks like a pull request's role but carries no" in listed.stderr
    dry = preview.run("prune", "--older-than", "7", *IN_REPO, "--dry-run")
    assert f"would drop role {preview.base}_pr_{REPO}_2 (its database is gone)" in dry.stderr
    assert preview.roles() == {f"{preview.base}_pr_{REPO}_{number}" for number in (1, 2, 3, 9)}
    with psycopg.connect(preview.url, autocommit=True) as busy:
        # Pull request 2 is being created right now: between its role and its database.
        preview.hold_pr_lock(busy, 2)
        kept = preview.run("prune", "--older-than", "7", *IN_REPO)
    assert kept.code == 0, kept.stderr
    assert f"role {preview.base}_pr_{REPO}_2: its pull request is being created right now; kept" in kept.stderr
    assert preview.roles() == {f"{preview.base}_pr_{REPO}_{number}" for number in (2, 3, 9)}
    result = preview.run("prune", "--older-than", "7", *IN_REPO)
    assert result.code == 0, result.stderr
    assert result.stdout == ""
    assert f"role {preview.base}_pr_{REPO}_2 dropped: its database is gone" in result.stderr
    assert preview.roles() == {f"{preview.base}_pr_{REPO}_3", f"{preview.base}_pr_{REPO}_9"}
