"""The alembic command line as CI runs it, for the tests that test the CLI itself."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from collections.abc import Mapping
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
ALEMBIC = [sys.executable, "-m", "alembic"]
# No test waits on a hung CLI forever: a run that outlives this fails its test instead.
CLI_TIMEOUT = 120.0


def cli_environment(url: str | None = None, **env: str) -> dict[str, str]:
    """The environment a CLI run gets: ours without database URLs, then `url` as CI_DB_URL and `env`."""
    environment = {k: v for k, v in os.environ.items() if k not in ("CI_DB_URL", "DATABASE_URL")}
    environment["PYTHONPATH"] = str(ROOT)
    if url is not None:
        environment["CI_DB_URL"] = url
    environment.update(env)
    return environment


def alembic_cli(
    *args: str,
    url: str | None = None,
    cwd: Path = ROOT,
    timeout: float = CLI_TIMEOUT,
    variables: Mapping[str, str] | None = None,
    **env: str,
) -> subprocess.CompletedProcess[str]:
    """Run the alembic CLI; `cwd` may be a copy of the migrations (tenantguard_db stays importable).

    Environment variables come as keywords, or in `variables` when their names are data.
    """
    return subprocess.run(
        [*ALEMBIC, *args],
        cwd=cwd,
        env=cli_environment(url, **(variables or {}), **env),
        capture_output=True,
        text=True,
        check=False,
        timeout=timeout,
    )


def alembic_process(*args: str, url: str | None = None, cwd: Path = ROOT, **env: str) -> subprocess.Popen[str]:
    """Start the alembic CLI without waiting for it, for tests that signal or race it."""
    return subprocess.Popen(
        [*ALEMBIC, *args],
        cwd=cwd,
        env=cli_environment(url, **env),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def migrations_with(directory: Path, revision_0004: str) -> Path:
    """A copy of the migrations in `directory` with a fourth revision whose upgrade() body is given."""
    copy = directory / "project"
    shutil.copytree(ROOT / "alembic", copy / "alembic", ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copy(ROOT / "alembic.ini", copy / "alembic.ini")
    body = "\n".join("    " + line for line in revision_0004.strip().splitlines())
    (copy / "alembic" / "versions" / "0004_extra.py").write_text(
        '"""an extra revision for one test"""\n'
        "import sqlalchemy as sa\n"
        "from alembic import op\n"
        'revision = "0004"\ndown_revision = "0003"\nbranch_labels = None\ndepends_on = None\n\n'
        f"def upgrade() -> None:\n{body}\n\n"
        "def downgrade() -> None:\n"
        "    pass\n"
    )
    return copy
