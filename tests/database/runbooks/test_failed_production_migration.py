"""docs/how-to/failed-production-migration.md against a real PostgreSQL: a revision that fails in the deploy's
migration leaves the database at the last good one, the page's "see what ran" lines show it, its review line prints
the fixed revision's SQL, and the fixed revision then migrates, which the page's Verify line shows.

The page's `./scripts/uv run alembic ...` lines run as `python -m alembic ...` of this interpreter, in a copy of the
migrations holding the failing revision; everything else the page runs (gh, pulumi) is matched line by line."""

from __future__ import annotations

import json
import re
import shlex
import subprocess
from pathlib import Path

import pytest
import sqlalchemy as sa
from sqlalchemy.pool import NullPool

from infra.migration import AlembicProvider
from tenantguard_db import migrate
from tenantguard_db.urls import sqlalchemy_url
from tests import runbooks
from tests.alembic_cli import alembic_cli, migrations_with

PAGE = "how-to/failed-production-migration.md"
REPOSITORY = "tenantguard/tenantguard-infra"
UV_ALEMBIC = "./scripts/uv run alembic "
pytestmark = pytest.mark.slow

FAILING = """
op.add_column("tenants", sa.Column("plan", sa.Text()))
op.execute("SELECT 1 / 0")
"""
COLUMNS_AT_0003 = sorted(["id", "slug", "name", "created_at"])
"""The tenants table as revision 0003 leaves it: without the failed revision's column."""
FIXED = """
op.add_column("tenants", sa.Column("plan", sa.Text()))
"""


def steps() -> list[str]:
    return runbooks.commands(PAGE, "Steps")


def alembic_lines(lines: list[str]) -> list[list[str]]:
    """The page's alembic commands, as arguments."""
    return [shlex.split(line.removeprefix(UV_ALEMBIC)) for line in lines if line.startswith(UV_ALEMBIC)]


def test_every_step_is_one_this_test_knows() -> None:
    known: list[str | re.Pattern[str]] = [
        re.compile(rf"gh workflow (disable|enable) infra-deploy --repo {REPOSITORY}"),
        re.compile(rf"gh run list --workflow infra-deploy\.yml --repo {REPOSITORY} --branch main --limit \d"),
        re.compile(rf'gh run view "\$RUN_ID" --repo {REPOSITORY} --log-failed'),
        re.compile(rf'\[ -z "\$QUEUED_RUN_ID" \] \|\| gh run cancel "\$QUEUED_RUN_ID" --repo {REPOSITORY}'),
        re.compile(
            rf'(QUEUED_RUN_ID|RUN_ID)="\$\(gh run list --workflow infra-deploy\.yml --repo {REPOSITORY} --branch main '
            r"--status (queued|failure) --limit 1 --json databaseId --jq '\.\[0\]\.databaseId // empty'\)\""
        ),
        "unset CI_DB_URL",
        "export PULUMI_CONFIG_PASSPHRASE_FILE=~/.config/tenantguard/production.passphrase; "
        "unset PULUMI_CONFIG_PASSPHRASE",
        "pulumi login s3://tenantguard-pulumi-state",
        'export CI_DB_URL="$(pulumi config get --stack production ciDbUrl)"',
        re.compile(r"\./scripts/uv run alembic (current|history --indicate-current|upgrade 0003:head --sql)"),
        re.compile(r"pulumi stack export --stack production \| jq -r '.*'"),
        "git switch -c fix-production-migration origin/main",
        re.compile(r"\./scripts/uv run pytest -n 3 -m database( tests/database/\S+\.py)+"),
        re.compile(r"git commit -am \"[^\"]+\" && git push -u origin fix-production-migration && gh pr create --fill"),
        "gh pr merge --squash fix-production-migration",
    ]
    lines = steps()
    assert runbooks.unknown(lines, known) == []
    # The tests the page runs exist.
    (tests,) = [line for line in lines if " pytest " in line]
    for path in re.findall(r"tests/\S+\.py", tests):
        assert (runbooks.ROOT / path).is_file(), path


def test_the_page_s_order_stops_deploys_before_and_enables_them_before_the_merge() -> None:
    lines = steps()
    disable = lines.index(f"gh workflow disable infra-deploy --repo {REPOSITORY}")
    enable = lines.index(f"gh workflow enable infra-deploy --repo {REPOSITORY}")
    merge = lines.index("gh pr merge --squash fix-production-migration")
    assert disable == 0
    assert enable < merge


def test_a_failed_revision_is_seen_and_fixed_forward(
    database: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    project = migrations_with(tmp_path, FAILING)
    # The deploy: the migration's provider upgrades to the copy's head (0004), which fails.
    monkeypatch.setattr(migrate, "ALEMBIC_INI", project / "alembic.ini")
    provider = AlembicProvider()
    created = provider.create({"database_url": database, "revision": "0003"}).outs
    assert created is not None
    assert created["applied_revision"] == "0003"
    with pytest.raises(migrate.MigrationError) as failure:
        provider.update("alembic_version", created, {"database_url": database, "revision": "0004"})
    message = str(failure.value)
    assert "division by zero" in message
    assert f"docs/{PAGE}#{runbooks.anchor('Steps')}" in message
    # Step 2: what the page's lines show.
    current, history = (alembic_cli(*args, url=database, cwd=project) for args in alembic_lines(steps())[:2])
    assert current.returncode == 0, current.stderr
    assert current.stdout.split() == ["0003"]
    assert history.returncode == 0, history.stderr
    listed = {line.split(",")[0] for line in history.stdout.splitlines()}
    assert "0002 -> 0003 (current)" in listed
    assert "0003 -> 0004 (head)" in listed
    # Nothing of the failed revision is left (it ran in its own transaction).
    assert columns(database) == COLUMNS_AT_0003
    # Step 3: the fixed revision's SQL from the last good one, then the deploy migrates.
    fixed = migrations_with(tmp_path / "fixed", FIXED)
    (review,) = [args for args in alembic_lines(steps()) if "--sql" in args]
    sql = alembic_cli(*review, cwd=fixed)
    assert sql.returncode == 0, sql.stderr
    assert "ALTER TABLE tenants ADD COLUMN plan TEXT" in sql.stdout
    assert "0002" not in re.findall(r"Running upgrade (\S+) ->", sql.stdout + sql.stderr)
    monkeypatch.setattr(migrate, "ALEMBIC_INI", fixed / "alembic.ini")
    updated = provider.update("alembic_version", created, {"database_url": database, "revision": "0004"})
    assert (updated.outs or {})["applied_revision"] == "0004"
    (verify,) = alembic_lines(runbooks.commands(PAGE, "Verify"))
    after = alembic_cli(*verify, url=database, cwd=fixed)
    assert after.stdout.split() == ["0004", "(head)"]


def columns(database: str) -> list[str]:
    engine = sa.create_engine(sqlalchemy_url(database), poolclass=NullPool)
    try:
        return sorted(column["name"] for column in sa.inspect(engine).get_columns("tenants"))
    finally:
        engine.dispose()


def test_the_recorded_revision_is_read_from_the_export_as_the_page_reads_it(tmp_path: Path) -> None:
    (line,) = [line for line in steps() if line.startswith("pulumi stack export")]
    jq = line.split(" | ", 1)[1]
    export = {
        "version": 3,
        "deployment": {
            "resources": [
                {"type": "pulumi:pulumi:Stack", "outputs": {}},
                {"type": "pulumi-python:dynamic:Resource", "outputs": {"revision": "0003", "applied_revision": "0003"}},
            ]
        },
    }
    result = subprocess.run(
        ["bash", "-c", jq], input=json.dumps(export), capture_output=True, text=True, check=False, cwd=tmp_path
    )
    assert result.stdout.strip() == "0003"
