"""list: each pull request's database with its repository, revision and age, and the template."""

from __future__ import annotations

import json
from pathlib import Path

from tenantguard_db.revision_files import checkout
from tests.database.preview_db.harness import IN_OTHER_REPO, IN_REPO, OTHER_REPO, REPO, Preview, legacy_pr


def test_list_shows_each_pr_database_with_its_age_and_revision(preview: Preview, tmp_path: Path) -> None:
    preview.template()
    pr = checkout(tmp_path, "a", ("a004", "0003", "SELECT 1"))
    assert preview.run("create", *IN_REPO, "--pr", "2", "--config", str(pr)).code == 0
    assert preview.run("create", *IN_REPO, "--pr", "10").code == 0
    preview.backdate(f"{preview.base}_pr_{REPO}_2", days=3)
    result = preview.run("list", "--json")
    assert result.code == 0, result.stderr
    document = json.loads(result.stdout)
    assert document["template"]["revision"] == "0003"
    rows = {row["pr"]: row for row in document["databases"]}
    assert sorted(rows) == [2, 10]
    assert rows[2]["revision"] == "a004"
    assert rows[10]["revision"] == "0003"
    assert [rows[2]["role"], rows[10]["role"]] == [f"{preview.base}_pr_{REPO}_2", f"{preview.base}_pr_{REPO}_10"]
    assert document["orphaned_roles"] == []
    assert 2.99 < rows[2]["age_days"] < 3.01
    assert rows[10]["age_days"] < 0.01
    table = preview.run("list").stdout.splitlines()
    assert table[0].split() == [
        "database",
        "repository",
        "pr",
        "revision",
        "created",
        "(UTC)",
        "age",
        "days",
        "idle",
        "days",
    ]
    assert [line.split()[:4] for line in table[1:]] == [
        [f"{preview.base}_pr_{REPO}_2", str(REPO), "2", "a004"],
        [f"{preview.base}_pr_{REPO}_10", str(REPO), "10", "0003"],
        [f"{preview.base}_pr_template", "-", "template", "0003"],
    ]


def test_list_shows_each_databases_repository_and_keeps_to_the_one_asked_for(preview: Preview) -> None:
    preview.create(5)
    preview.create(5, repository=OTHER_REPO)
    every = json.loads(preview.run("list", "--json").stdout)
    assert [(row["repository"], row["pr"], row["role"]) for row in every["databases"]] == [
        (REPO, 5, f"{preview.base}_pr_{REPO}_5"),
        (OTHER_REPO, 5, f"{preview.base}_pr_{OTHER_REPO}_5"),
    ]
    mine = json.loads(preview.run("list", "--json", *IN_OTHER_REPO).stdout)
    assert [row["database"] for row in mine["databases"]] == [f"{preview.base}_pr_{OTHER_REPO}_5"]


def test_a_legacy_database_is_listed_without_a_repository_and_left_alone_by_a_repositorys_prune(
    preview: Preview,
) -> None:
    legacy = legacy_pr(preview, 5, days_idle=30)
    preview.create(5)
    listed = preview.run("list", "--json")
    assert listed.code == 0, listed.stderr
    rows = [(row["database"], row["repository"], row["role"]) for row in json.loads(listed.stdout)["databases"]]
    assert rows == [(legacy, None, legacy), (f"{preview.base}_pr_{REPO}_5", REPO, f"{preview.base}_pr_{REPO}_5")]
    assert "prune --legacy --older-than DAYS drops them once idle" in listed.stderr
    pruned = preview.run("prune", "--older-than", "7", *IN_REPO)
    assert pruned.code == 0, pruned.stderr
    assert legacy in preview.databases()
    assert legacy in preview.roles()
