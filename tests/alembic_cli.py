"""The alembic command line as CI runs it, for the tests that test the CLI itself."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
ALEMBIC = [sys.executable, "-m", "alembic"]


def alembic_cli(*args: str, url: str | None = None, cwd: Path = ROOT, **env: str) -> subprocess.CompletedProcess[str]:
    """Run the alembic CLI; `cwd` may be a copy of the migrations (tenantguard_db stays importable)."""
    environment = {k: v for k, v in os.environ.items() if k not in ("CI_DB_URL", "DATABASE_URL")}
    environment["PYTHONPATH"] = str(ROOT)
    if url is not None:
        environment["CI_DB_URL"] = url
    environment.update(env)
    return subprocess.run([*ALEMBIC, *args], cwd=cwd, env=environment, capture_output=True, text=True, check=False)
