"""squawk lints the SQL of every revision, as `alembic upgrade prev:rev --sql` prints it (run in this process)."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from alembic.script import ScriptDirectory

from tenantguard_db import migrate
from tests.alembic_cli import alembic_in_process

SQUAWK = shutil.which("squawk") or str(Path(sys.executable).parent / "squawk")
# No rule is excluded. Only Alembic's own alembic_version table (VARCHAR(32), trips
# prefer-text-field) is cut from the first revision's SQL: it is Alembic's DDL, not ours.
PG_VERSION = "15.0"


def revision_ranges() -> list[tuple[str, str]]:
    script = ScriptDirectory.from_config(migrate.alembic_config())
    ranges = []
    for revision in script.walk_revisions():
        ranges.append((str(revision.down_revision or "base"), revision.revision))
    return ranges


@pytest.mark.parametrize(("start", "end"), revision_ranges())
def test_revision_sql_passes_squawk(start: str, end: str) -> None:
    printed = alembic_in_process("upgrade", f"{start}:{end}" if start != "base" else end, "--sql")
    assert printed.returncode == 0, printed.stderr
    sql = printed.stdout
    if start == "base":
        # The alembic_version bookkeeping table is Alembic's, not ours: lint our DDL only.
        sql = sql.split("-- Running upgrade", 1)[1].split("\n", 1)[1]
        sql = "SET lock_timeout = '5s';\nSET statement_timeout = '5min';\nBEGIN;\n" + sql
    result = subprocess.run(
        [SQUAWK, f"--pg-version={PG_VERSION}"],
        input=sql,
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr
