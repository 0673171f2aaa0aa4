"""docs/how-to/local-migrations.md, run as written: its commands against a throwaway PostgreSQL."""

from __future__ import annotations

import os
import re
import signal
import subprocess
from pathlib import Path

import pytest

from tests import runbooks
from tests.alembic_cli import cli_environment

PAGE = "how-to/local-migrations.md"
pytestmark = pytest.mark.slow


def run(line: str, environment: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        ["bash", "-c", line],
        cwd=runbooks.ROOT,
        env=environment,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_the_steps_migrate_the_database_and_verify_shows_head(database: str) -> None:
    environment = cli_environment(database)
    server, *steps = runbooks.commands(PAGE, "Steps")
    assert server == "./scripts/uv run python -m tenantguard_db.local_postgres"
    assert steps == [
        "./scripts/uv run alembic upgrade head --sql",
        "./scripts/uv run alembic upgrade head",
        "./scripts/uv run alembic current",
    ]
    review = run(steps[0], cli_environment(None))  # needs no database
    assert review.returncode == 0, review.stderr
    assert "CREATE TABLE" in review.stdout
    for line in steps[1:]:
        done = run(line, environment)
        assert done.returncode == 0, done.stderr
    assert re.search(r"^\w+ \(head\)$", done.stdout, re.MULTILINE), done.stdout


def test_the_throwaway_server_prints_the_export_line_the_page_promises_and_stops_on_ctrl_c() -> None:
    line = runbooks.commands(PAGE, "Steps")[0]
    process = subprocess.Popen(
        ["bash", "-c", f"exec {line}"],
        cwd=runbooks.ROOT,
        env=cli_environment(None),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert process.stdout is not None
        output = [process.stdout.readline() for _ in range(4)]
        export = next(text.strip() for text in output if text.strip().startswith("export CI_DB_URL="))
        url_file = Path(re.findall(r'cat ([^)]+)\)"', export)[0])
        assert url_file.exists()
        assert "  ./scripts/uv run alembic current\n" in output
    finally:
        os.kill(process.pid, signal.SIGINT)
        process.wait(timeout=60)
    assert not url_file.exists()
